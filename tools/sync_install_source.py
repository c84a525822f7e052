#!/usr/bin/env python3
"""Write the install line of _config.yml's repository into the first code cell of every chapter.

The place a hosted runtime (Colab, Binder) installs cnnlib from is ONE setting:
``repository: url`` and ``branch`` in ``_config.yml``, which Jupyter Book also
uses for the Binder/Colab launch buttons.  A notebook opened on Colab cannot
read ``_config.yml``, so this script stamps the setting into each chapter's
first code cell (the cell starting with ``# Setup:``):

* a real repository: the cell pip-installs ``cnnlib @ git+URL@BRANCH`` when
  ``import cnnlib`` fails;
* the placeholder repository (this project's default, PLACEHOLDER_URL below):
  the cell stops with one sentence saying what to do instead (no pip call).

Where cnnlib is installed (CI, a local .venv, Binder), either cell prints
nothing, so nbval's stored outputs do not change.  Only the cell's source is
rewritten; the rest of the notebook file stays byte for byte.

Usage (from the repository root, with the project's .venv):
    .venv/bin/python tools/sync_install_source.py                 # every book/*.ipynb
    .venv/bin/python tools/sync_install_source.py book/07_*.ipynb # only these
    .venv/bin/python tools/sync_install_source.py --check         # exit 1 if any cell disagrees
"""

import argparse
import json
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
# The repository _config.yml names until the book is published (README, "Publishing").
PLACEHOLDER_URL = "https://github.com/cnn-book/cnn-book"
MARKER = "# Setup:"

NOT_SET_SENTENCE = (
    "cnnlib, the package of this book, is not installed, and this copy of the book does not say "
    "where to install it from: upload a cnnlib wheel and run %pip install cnnlib-*.whl in a cell, "
    "or set the install source as the README of the book explains (section Publishing)."
)

_INSTALL_CELL = '''\
# Setup: on a hosted runtime (Colab, Binder) without the book's package, install it
# (from the repository set in the book's _config.yml).
try:
    import cnnlib
except ImportError:
    %pip install -q "{spec}"
    import cnnlib'''

_NOT_SET_CELL = '''\
# Setup: a hosted runtime (Colab, Binder) installs cnnlib, the book's package, from the
# repository set in the book's _config.yml; this copy of the book has none set yet.
try:
    import cnnlib
except ImportError:
    class SetupStopped(Exception):
        def _render_traceback_(self):  # IPython shows this sentence instead of a traceback
            return [str(self)]
    raise SetupStopped(
{sentence}
    ) from None'''


def install_source(config_path=CONFIG):
    """``"cnnlib @ git+URL@BRANCH"``, or ``None`` while _config.yml names the placeholder repository."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    repo = config.get("repository") or {}
    url = str(repo.get("url") or "").strip().rstrip("/")
    if not url or url == PLACEHOLDER_URL:
        return None
    if url.endswith(".git"):
        url = url[: -len(".git")]
    branch = str(repo.get("branch") or "main").strip()
    return f"cnnlib @ git+{url}@{branch}"


def setup_cell_source(config_path=CONFIG):
    """The first code cell every chapter must have for the current _config.yml."""
    spec = install_source(config_path)
    if spec is None:
        assert '"' not in NOT_SET_SENTENCE and "\\" not in NOT_SET_SENTENCE
        # the sentence as adjacent string literals, so that the cell reads without scrolling
        lines = textwrap.wrap(NOT_SET_SENTENCE, 78)
        lines = [line + " " for line in lines[:-1]] + lines[-1:]
        return _NOT_SET_CELL.format(sentence="\n".join(f'        "{line}"' for line in lines))
    return _INSTALL_CELL.format(spec=spec)


def _first_code_cell(nb, path):
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if not source.startswith(MARKER):
                raise SystemExit(f"{path}: the first code cell does not start with {MARKER!r}; fix it by hand first")
            return cell, source
    raise SystemExit(f"{path}: no code cell")


def first_cell_source(path):
    """The current source of a notebook's setup cell."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return _first_code_cell(nb, path)[1]


def stamp(path, source):
    """Put ``source`` into the notebook's setup cell; True if the file changed."""
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    cell, current = _first_code_cell(nb, path)
    if current == source:
        return False
    cell["source"] = source.splitlines(keepends=True)
    # nbformat's own layout (sorted keys, indent 1, UTF-8), so nothing else in the file moves
    path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def _show(path):
    path = Path(path).resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every book/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a first cell disagrees")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    source = setup_cell_source()
    spec = install_source()
    print(f"install source (_config.yml repository): {spec or 'not set (placeholder repository)'}")
    stale = []
    for path in notebooks:
        if args.check:
            if first_cell_source(path) != source:
                stale.append(path)
                print(f"{_show(path)}: first cell differs from _config.yml")
        elif stamp(path, source):
            print(f"{_show(path)}: first cell rewritten")
    if stale:
        print(f"run: .venv/bin/python tools/sync_install_source.py {' '.join(str(_show(p)) for p in stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
