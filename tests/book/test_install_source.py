"""The install source is one setting (_config.yml's repository), and every chapter's first cell agrees with it.

tools/sync_install_source.py stamps the cell; these tests fail when a
notebook's first cell was not re-stamped after _config.yml changed (or a new
chapter was added without it), and check in a kernel what the cell does when
cnnlib is missing: pip-install from the configured place, or, while the
repository is the placeholder, stop with one sentence and no pip call.
"""

import importlib.util
import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

_spec = importlib.util.spec_from_file_location("sync_install_source", ROOT / "tools" / "sync_install_source.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)

NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def _config(tmp_path, url, branch="main"):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"] = {"url": url, "branch": branch, "path_to_book": ""}
    path = tmp_path / "_config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_first_cell_agrees_with_config(path):
    assert sync.first_cell_source(path) == sync.setup_cell_source(), (
        f"{path.name}: its first cell does not install from _config.yml's repository; run "
        f".venv/bin/python tools/sync_install_source.py book/{path.name}"
    )


def test_the_setting_and_what_it_installs(tmp_path):
    assert sync.install_source(_config(tmp_path, sync.PLACEHOLDER_URL)) is None
    assert (
        sync.install_source(_config(tmp_path, "https://github.com/someone/cnn-book/", "v1"))
        == "cnnlib @ git+https://github.com/someone/cnn-book@v1"
    )
    assert (
        sync.install_source(_config(tmp_path, "https://gitlab.com/a/b.git"))
        == "cnnlib @ git+https://gitlab.com/a/b@main"
    )


def test_launch_buttons_use_the_same_setting():
    # Jupyter Book builds the Binder/Colab links from repository: url/branch;
    # nothing else in _config.yml may name another repository.
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]
    theme = config.get("sphinx", {}).get("config", {}).get("html_theme_options", {})
    assert not {"repository_url", "repository_branch"} & set(theme)
    text = (ROOT / "_config.yml").read_text()
    assert text.count("github.com") == 1, "one repository URL in _config.yml"


def test_stamping_rewrites_only_the_first_cell(tmp_path):
    src = BOOK / "01_why_cnns.ipynb"
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    assert not sync.stamp(copy, sync.first_cell_source(src))  # same source: file untouched
    assert copy.read_bytes() == src.read_bytes()
    published = sync.setup_cell_source(_config(tmp_path, "https://github.com/someone/cnn-book"))
    assert sync.stamp(copy, published)
    before, after = json.loads(src.read_text()), json.loads(copy.read_text())
    first = next(i for i, c in enumerate(before["cells"]) if c["cell_type"] == "code")
    assert "".join(after["cells"][first]["source"]) == published
    after["cells"][first]["source"] = before["cells"][first]["source"]
    assert after == before


def _run_cells(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=60, kernel_name="python3", startup_timeout=60, allow_errors=True).execute()
    return [c.outputs for c in nb.cells]


def test_what_the_first_cell_does_without_cnnlib(tmp_path):
    placeholder = sync.setup_cell_source()
    if sync.install_source() is not None:  # the book is published: build the placeholder cell to check it
        placeholder = sync.setup_cell_source(_config(tmp_path, sync.PLACEHOLDER_URL))
    published = sync.setup_cell_source(_config(tmp_path, "https://github.com/someone/cnn-book", "v1"))
    block = "import sys\nsys.modules['cnnlib'] = None   # import cnnlib now fails, as on a bare runtime"
    fake_pip = textwrap.dedent(
        """\
        import sys
        def pip(line):   # stands in for IPython's %pip: records the call, then 'installs' cnnlib
            print('pip', line)
            del sys.modules['cnnlib']
        get_ipython().register_magic_function(pip, 'line', 'pip')
        sys.modules['cnnlib'] = None"""
    )
    installed, stopped, installs = _run_cells(
        placeholder,  # cnnlib installed (this environment): silent
        block + "\n" + placeholder,
        fake_pip + "\n" + published + "\nprint(cnnlib.__name__)",
    )
    assert installed == []
    (error,) = stopped  # one output, no pip call, no traceback: the sentence
    assert error["output_type"] == "error" and error["ename"] == "SetupStopped"
    assert error["traceback"] == [sync.NOT_SET_SENTENCE]
    assert sync.NOT_SET_SENTENCE.count(". ") == 0 and "Publishing" in sync.NOT_SET_SENTENCE
    assert [o.get("text") for o in installs] == [
        'pip install -q "cnnlib @ git+https://github.com/someone/cnn-book@v1"\ncnnlib\n'
    ]
