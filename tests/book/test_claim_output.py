"""claim() glues without myst-nb, and its cell output is byte for byte what the book stores.

One kernel (a few seconds) replays every glued value stored in the chapters
through cnnlib's own glue, and through ``myst_nb.glue(..., display=False)``,
and compares the outputs with the stored ones as nbformat writes them.
"""

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cnnlib.claims import GLUE_PREFIX

BOOK = Path(__file__).resolve().parents[2] / "book"


def _stored_glue_outputs():
    """[(notebook, output)] for every glued value stored in the book."""
    found = []
    for path in sorted(BOOK.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "display_data" and "scrapbook" in out.get("metadata", {}):
                    found.append((path.name, out))
    return found


def _as_stored(outputs):
    """The outputs as the notebook file holds them (nbformat's JSON: sorted keys, indent 1)."""
    return json.dumps(outputs, sort_keys=True, indent=1, ensure_ascii=False)


def _run(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=60, kernel_name="python3", startup_timeout=60).execute()
    return [json.loads(json.dumps(c.outputs)) for c in nb.cells]


def test_claim_outputs_are_the_stored_ones_and_myst_nb_s(monkeypatch):
    # the kernel inherits the environment: keep this test's claim out of the status page's record
    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    monkeypatch.delenv("CNNLIB_NOTEBOOK", raising=False)
    stored = _stored_glue_outputs()
    assert len(stored) >= 20, "the book glues its figures through claim()"
    pairs = []
    for _, out in stored:
        (key, text), = out["data"].items()
        assert key == GLUE_PREFIX + "text/plain"
        pairs.append((out["metadata"]["scrapbook"]["name"], eval(text)))  # a str's repr
    ours, myst, end_to_end = _run(
        "from cnnlib.claims import _glue\n" + "\n".join(f"_glue({n!r}, {t!r})" for n, t in pairs),
        "from myst_nb import glue\n" + "\n".join(f"glue({n!r}, {t!r}, display=False)" for n, t in pairs),
        # a whole claim cell, as chapter 5 writes it; the stored text is "'453×'"
        'from cnnlib import claim\n_ = claim("im2col_speedup_vs_loop", 453.2, at_least=10, fmt="{:,.0f}×")',
    )
    expected = [out for _, out in stored]
    assert _as_stored(ours) == _as_stored(expected)
    assert _as_stored(myst) == _as_stored(expected)
    names = ["im2col_speedup_vs_loop", "im2col_speedup_vs_loop_bound"]  # claim() glues its bound too
    assert [o["metadata"] for o in end_to_end] == [{"scrapbook": {"mime_prefix": GLUE_PREFIX, "name": n}} for n in names]
    ch5 = {out["metadata"]["scrapbook"]["name"]: out for nb, out in stored if nb == "05_im2col.ipynb"}
    if all(n in ch5 for n in names) and ch5[names[0]]["data"][GLUE_PREFIX + "text/plain"] == "'453×'":
        assert _as_stored(end_to_end) == _as_stored([ch5[n] for n in names])


def test_claims_module_does_not_import_myst_nb():
    source = (Path(__file__).resolve().parents[2] / "cnnlib" / "claims.py").read_text()
    assert "from myst_nb" not in source and "import myst_nb" not in source
