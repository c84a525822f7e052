"""Seed sweep: every claim of a chapter under other seeds, and its margin to its bound.

For each chapter and each sweep seed ``s`` the chapter is executed in memory
(nbclient; the notebook file is never written) with its seeds moved by ``s``:

* every integer literal given as a seed in a code cell:
  ``seed=N`` (``setup(seed=0)``, ``LeNet(seed=0)``, ``train(..., seed=0)``,
  ``RandomTranslation(..., seed=1)``), ``default_rng(N)``, ``RandomState(N)``,
  ``np.random.seed(N)``, ``set_random_seed(N)`` and a ``SEED = N`` constant
  becomes ``N + s`` (so seeds that the chapter keeps equal on purpose,
  e.g. chapter 10's ``AlexNet(seed=0)`` twice, stay equal);
* ``cnnlib.train``'s default ``seed=0`` (a call that gives none) becomes ``s``.

Seeds computed from other names (``seed=seed * 10 + i``, ``SEED + 100 * phase``)
follow their inputs.  The substitutions made are recorded per chapter.

Claims are collected through ``$CNNLIB_CLAIMS`` (cnnlib/claims.py) with
``CNNLIB_CLAIMS_RECORD_ONLY=1``: a missed bound is recorded and the chapter
goes on; a cell that raises anyway (a plain ``assert``) is recorded as an error
and the following cells still run (``allow_errors``).

The record (``records/seed_sweep.json`` by default) holds the machine (CPU
model from lscpu, AVX-512, cores, and with ``--keras-step`` the Keras AlexNet
step time of tools/make_status.py) and, per chapter, per claim: its bounds,
the stored value (parsed from the glued text in the stored notebook), the value
per seed, the worst value, the margin of the worst value to each bound, and a
verdict.  It is rewritten after every seed, so an interrupted sweep keeps what
it measured.  ``--markdown FILE`` appends each finished chapter's table.

Margins are in the claim's own units; a claim glued as a percentage has its
margin in points.  Verdicts: FAILS (some seed misses a bound), THIN (the worst
seed is within 1 point of a percentage bound, or within 10 % of the bound's
size for any other claim), OK; a claim with no bound is UNBOUNDED.  A range
marked "(every seed)" did not move with the seeds: a statistic of fixed data,
or a figure the chapter reads from a record (e.g. tools/full_data.py's).

    python tools/seed_sweep.py book/01_why_cnns.ipynb book/07_lenet_scratch_mnist.ipynb
    python tools/seed_sweep.py --seeds 1 2 3 4 5 --markdown /tmp/sweep.md book/0*.ipynb
    python tools/seed_sweep.py --table            # print the record's tables

``--snapshot REV`` sweeps the committed state instead of the working tree:
``git archive REV`` is unpacked into a temporary directory, its notebooks are
executed there and its cnnlib is imported first (``PYTHONPATH``), so that work
in progress in a shared checkout cannot break or change the sweep.  The commit
is recorded per chapter.  With ``--worktree-notebooks`` the notebooks
themselves are read from the working tree (a chapter whose claims were just
changed and not yet committed) and run beside the snapshot's cnnlib and data.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_status import bound_margins, is_percent  # noqa: E402  (the margins' rule, shared with the status page)

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "records" / "seed_sweep.json"
GLUE_PREFIX = "application/papermill.record/"
BOUNDS = ("at_least", "at_most", "below")

# Literal seeds: group 1 is the text before the integer, group 2 the integer.
SEED_PATTERNS = [
    re.compile(r"(\bseed\s*=\s*)(\d+)\b(?!\s*[.*/+\-])"),
    re.compile(r"(\bdefault_rng\(\s*)(\d+)(?=\s*\))"),
    re.compile(r"(\bRandomState\(\s*)(\d+)(?=\s*\))"),
    re.compile(r"(\bnp\.random\.seed\(\s*)(\d+)(?=\s*\))"),
    re.compile(r"(\bset_random_seed\(\s*)(\d+)(?=\s*\))"),
    re.compile(r"(^\s*SEED\s*=\s*)(\d+)\b", re.MULTILINE),
]

PREAMBLE = """\
import cnnlib as _sweep_cnnlib
_sweep_cnnlib.train.__kwdefaults__["seed"] = {seed}
del _sweep_cnnlib
"""


def reseed(source, offset):
    """``(new_source, [(old, new), ...])``: every literal seed in ``source`` moved by ``offset``."""
    changes = []

    def bump(match):
        old = int(match.group(2))
        changes.append((match.group(0).strip(), f"{match.group(1).strip()}{old + offset}"))
        return f"{match.group(1)}{old + offset}"

    for pattern in SEED_PATTERNS:
        source = pattern.sub(bump, source)
    return source, changes


def reseeded_notebook(nb, offset):
    """A copy of ``nb`` (nbformat) with its seeds moved by ``offset`` and the train default set."""
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    changes = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source, made = reseed(cell.source, offset)
        changes += [{"cell": index, "from": old, "to": new} for old, new in made]
    nb.cells.insert(0, nbformat.v4.new_code_cell(PREAMBLE.format(seed=offset)))
    return nb, changes


def parse_glued(text):
    """The number a glued text shows: '97.8%' -> 0.978, '1,234×' -> 1234.0, '1e-05' -> 1e-05."""
    text = text.strip().strip("'\"")
    percent = text.endswith("%")
    number = re.sub(r"[^0-9eE+\-.]", "", text.replace("−", "-"))
    try:
        value = float(number)
    except ValueError:
        return None
    return value / 100 if percent else value


def stored_claims(nb):
    """``{name: {"text": ..., "value": ...}}`` of every figure glued in the stored outputs."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
            if text is None:
                continue
            text = str(text).strip("'\"")
            out[scrap["name"]] = {"text": text, "value": parse_glued(text)}
    return out


def margins(entry):
    """``(margins, worst, verdict)`` of one claim over its seeds and its stored value
    (tools/make_status.py's rule, so the sweep and the status page agree)."""
    values = list(entry["values"].values()) + [entry.get("stored_value")]
    result, verdict = bound_margins(entry["bounds"], values, entry["percent"])
    worst = next(iter(result.values()))["worst"] if result else None
    return result, worst, verdict


# ------------------------------------------------------------------ machine
def machine(keras_step=False, root=ROOT):
    info = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model name":
                info["cpu"] = value.strip()
            if key.strip() == "Flags":
                info["avx512f"] = "avx512f" in value.split()
    except (OSError, subprocess.CalledProcessError):
        pass
    info.setdefault("cpu", "unknown")
    info["cores"] = os.cpu_count()
    if keras_step:
        sys.path.insert(0, str(root))  # the snapshot's cnnlib, if any
        import make_status

        info["keras_alexnet_step_ms"] = make_status.measure_keras_alexnet_step()["keras_alexnet_step_ms"]
    return info


# ------------------------------------------------------------------ running
def run_once(nb, notebook_path, offset, timeout):
    """Execute ``nb`` reseeded by ``offset`` in memory; ``(claims, errors, seconds, changes)``."""
    import nbclient

    reseeded, changes = reseeded_notebook(nb, offset)
    with tempfile.TemporaryDirectory() as tmp:
        claims_file = Path(tmp) / "claims.jsonl"
        env_before = {k: os.environ.get(k) for k in ("CNNLIB_CLAIMS", "CNNLIB_CLAIMS_RECORD_ONLY", "CNNLIB_NOTEBOOK")}
        os.environ.update(CNNLIB_CLAIMS=str(claims_file), CNNLIB_CLAIMS_RECORD_ONLY="1",
                          CNNLIB_NOTEBOOK=notebook_path.name)
        start = time.time()
        try:
            client = nbclient.NotebookClient(reseeded, timeout=timeout, kernel_name="python3", allow_errors=True,
                                             resources={"metadata": {"path": str(notebook_path.parent)}})
            client.execute()
        finally:
            for k, v in env_before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        seconds = time.time() - start
        claims = [json.loads(line) for line in claims_file.read_text().splitlines()] if claims_file.exists() else []
    errors = []
    for index, cell in enumerate(reseeded.cells[1:]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append({"cell": index, "ename": output.get("ename"), "evalue": str(output.get("evalue"))[:300]})
    return claims, errors, seconds, changes


def update_entries(chapter, stored, claims, seed):
    entries = chapter.setdefault("claims", {})
    for rec in claims:
        entry = entries.setdefault(rec["name"], {"bounds": {}, "values": {}, "texts": {}})
        entry["bounds"] = {k: rec[k] for k in BOUNDS if rec.get(k) is not None}
        entry["values"][str(seed)] = rec["value"]
        entry["texts"][str(seed)] = rec["text"]
        s = stored.get(rec["name"], {})
        entry["stored_text"] = s.get("text")
        entry["stored_value"] = s.get("value")
        entry["percent"] = is_percent(rec["text"])
    for entry in entries.values():
        entry["margins"], entry["worst"], entry["verdict"] = margins(entry)


def notebook_bounds(path):
    """``{claim name: {kind: bound}}`` of the literal bounds of a notebook's ``claim("name", ...)`` calls."""
    import ast

    out = {}
    if not path.exists():
        return out
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse("".join(cell["source"]))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "claim"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                bounds = {}
                for kw in node.keywords:
                    if kw.arg in BOUNDS:
                        try:
                            bounds[kw.arg] = float(ast.literal_eval(kw.value))
                        except (ValueError, TypeError, SyntaxError):
                            bounds = None  # a computed bound: keep the recorded one
                            break
                if bounds is not None:
                    out[node.args[0].value] = bounds
    return out


def fmt_value(v, percent):
    if v is None:
        return "–"
    if percent:
        return f"{100 * v:.2f} %"
    return f"{v:.4g}"


def table(name, chapter):
    """A markdown table of one chapter's claims."""
    seeds = chapter.get("seeds_done", [])
    lines = [f"### {name} (seeds {', '.join(map(str, seeds))} besides the stored 0; "
             f"{chapter.get('seconds_total', 0):.0f} s)", "",
             "| claim | bound | stored | seeds' range | worst margin | verdict |", "|---|---|---|---|---|---|"]
    for claim_name, e in sorted(chapter.get("claims", {}).items(), key=lambda kv: sort_key(kv[1])):
        p = e["percent"]
        bound = ", ".join(f"{k.replace('_', ' ')} {fmt_value(b, p)}" for k, b in e["bounds"].items()) or "none"
        vals = [v for v in e["values"].values() if v is not None]
        rng = f"{fmt_value(min(vals), p)} – {fmt_value(max(vals), p)}" if vals else "–"
        ms = [m["margin"] for m in e["margins"].values()]
        margin = (f"{min(ms):+.2f} pt" if p else f"{min(ms):+.4g}") if ms else "–"
        same = len(vals) > 1 and max(vals) == min(vals)  # a statistic of fixed data, or a recorded figure
        lines.append(f"| {claim_name} | {bound} | {e.get('stored_text') or '–'} | {rng}{' (every seed)' if same else ''} "
                     f"| {margin} | {e['verdict']} |")
    if chapter.get("errors"):
        lines += ["", "Cells that raised under a sweep seed (besides claims, which only record): " +
                  "; ".join(f"seed {err['seed']} cell {err['cell']} {err['ename']}: {err['evalue'][:120]}"
                            for err in chapter["errors"])]
    return "\n".join(lines) + "\n"


def sort_key(entry):
    order = {"FAILS": 0, "THIN": 1, "OK": 2, "UNBOUNDED": 3, "NO VALUES": 4}
    rel = [m["normalized"] for m in entry["margins"].values()]
    return (order.get(entry["verdict"], 5), min(rel) if rel else 0)


def load(path):
    if path.exists():
        return json.loads(path.read_text())
    return {"about": __doc__.split("\n\n")[0], "chapters": {}}


def save(path, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--record", type=Path, default=RECORD)
    parser.add_argument("--markdown", type=Path, help="append each finished chapter's table to this file")
    parser.add_argument("--timeout", type=int, default=3600, help="per cell, seconds")
    parser.add_argument("--keras-step", action="store_true", help="measure the Keras AlexNet step time first")
    parser.add_argument("--table", action="store_true", help="print the record's tables and exit")
    parser.add_argument("--merge", type=Path, nargs="+", default=[],
                        help="fold these records' chapters and machines into the record (a sweep run beside another)")
    parser.add_argument("--rebound", action="store_true",
                        help="with --table: judge the recorded values against the bounds the notebooks' claim() calls "
                             "state now (book/*.ipynb of the working tree), and save the record")
    parser.add_argument("--snapshot", metavar="REV", help="sweep the committed tree of REV (e.g. HEAD), not the working tree")
    parser.add_argument("--worktree-notebooks", action="store_true",
                        help="with --snapshot: read the notebooks from the working tree, run them in the snapshot")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    record = load(args.record)
    for other in map(load, args.merge):
        record["chapters"].update(other["chapters"])
        for cpu, info in other.get("machines", {}).items():
            record.setdefault("machines", {}).setdefault(cpu, {}).update(info)
    if args.merge:
        save(args.record, record)
    if args.table:
        for name, chapter in record["chapters"].items():
            if args.rebound:
                current = notebook_bounds(ROOT / "book" / name)
                for claim_name, entry in chapter.get("claims", {}).items():
                    if claim_name in current and current[claim_name] != entry["bounds"]:
                        entry.setdefault("bounds_when_swept", entry["bounds"])
                        entry["bounds"] = current[claim_name]
            for entry in chapter.get("claims", {}).values():
                entry["margins"], entry["worst"], entry["verdict"] = margins(entry)
            print(table(name, chapter))
        if args.rebound:
            save(args.record, record)
        return 0
    import nbformat

    base, revision = ROOT, None
    if args.snapshot:
        revision = subprocess.run(["git", "rev-parse", args.snapshot], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        base = Path(tempfile.mkdtemp(prefix="seed_sweep_"))
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(base), os.environ.get("PYTHONPATH")]))
        print(f"sweeping {revision[:10]} unpacked in {base}", flush=True)
    here = machine(args.keras_step, base)
    record.setdefault("machines", {}).setdefault(here["cpu"], {}).update(here)
    if not args.notebooks:  # e.g. --keras-step alone: record the machine's step time
        save(args.record, record)
    for path in args.notebooks:
        path = (base / path).resolve() if not path.is_absolute() else path
        source = ROOT / path.relative_to(base) if args.worktree_notebooks and args.snapshot else path
        nb = nbformat.read(source, as_version=4)
        label = (revision or "working tree") + (" + working-tree notebook" if source != path else "")
        stored = stored_claims(nb)
        name = path.name
        chapter = record["chapters"].get(name)
        if chapter is None or chapter.get("machine") != here["cpu"] or chapter.get("revision") != label:
            chapter = {"claims": {}, "errors": [], "seeds_done": [], "seconds": {}}
        chapter.update(machine=here["cpu"], notebook=f"book/{name}", revision=label)
        record["chapters"][name] = chapter
        for seed in args.seeds:
            print(f"{datetime.datetime.utcnow():%H:%M:%S} {name} seed {seed} ...", flush=True)
            claims, errors, seconds, changes = run_once(nb, path, seed, args.timeout)
            chapter["substitutions"] = [c for c in changes]  # the same every seed but for the numbers
            chapter["errors"] = [e for e in chapter["errors"] if e["seed"] != seed] + [dict(e, seed=seed) for e in errors]
            chapter["seconds"][str(seed)] = round(seconds, 1)
            chapter["seeds_done"] = sorted(set(chapter["seeds_done"]) | {seed})
            chapter["seconds_total"] = sum(chapter["seconds"].values())
            update_entries(chapter, stored, claims, seed)
            record["updated"] = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
            save(args.record, record)
            failed = [c["name"] for c in claims if not c["passed"]]
            print(f"  {len(claims)} claims in {seconds:.0f} s; missed: {failed or 'none'}; "
                  f"errors: {[e['ename'] for e in errors] or 'none'}", flush=True)
        if args.markdown:
            with open(args.markdown, "a", encoding="utf-8") as f:
                f.write(f"\n{table(name, chapter)}\nMachine: {here['cpu']} ({here['cores']} cores"
                        + (f", Keras AlexNet step {here['keras_alexnet_step_ms']:.0f} ms" if "keras_alexnet_step_ms" in here else "")
                        + f"); recorded {record['updated']}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
