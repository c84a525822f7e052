"""cnnlib as a reader gets it: the wheel and sdist CI builds, installed into fresh virtual environments.

* ``python -m build`` makes the sdist and the wheel (from a copy of the
  package's files, so the repository gets no build/ or egg-info litter);
* a fresh venv gets the wheel by ``pip install`` (its declared dependencies
  come from pip, held to requirements.txt's pins), plus ipykernel and
  nbclient; there ``import cnnlib`` pulls in no TensorFlow, and the first
  cells of chapter 1 run in a kernel, a claim included (no myst-nb);
* the hosted-runtime test (slow) adds what a hosted runtime such as Colab
  brings, TensorFlow and Keras, and runs a scratch chapter (5) and a Keras
  chapter (8) end to end with nbclient, every claim cell included.  The
  notebooks run in an empty folder, as on Colab, where only the notebook is
  uploaded; the data come from ``CNNLIB_DATA`` in place of Keras's download;
* the fresh-environment test (slow) starts from a bare Jupyter kernel (a venv
  with ipykernel only: no numpy, no matplotlib, no cnnlib) and runs chapter 6
  after nothing but the install its first cell performs: once with the cell
  stamped for a published repository (``%pip install "cnnlib @ git+URL@BRANCH"``,
  the URL a local git repository holding the package's files), once as stored
  (the cell stops and says to ``%pip install cnnlib-*.whl``, which the reader
  does with the wheel built here);
* every third-party module that a cnnlib module imports is declared in
  pyproject.toml (imported at the top of a module: a dependency; inside a
  function or under ``except ImportError``: a dependency or an extra), every
  module the tools package ``cnnbook`` imports in tools/pyproject.toml, and
  every module a chapter imports in cnnlib's pyproject.toml.

pip reads the packages from the index (CI's machine keeps a local mirror);
``--no-compile`` skips byte-compiling TensorFlow's thousands of files.
"""

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
PACKAGE_FILES = ["pyproject.toml", "README.md"]  # + cnnlib/*.py
# what a hosted runtime brings (besides Python): the tested versions of these
HOSTED_KERNEL = ["ipykernel", "nbclient"]
HOSTED_ML = ["tensorflow-cpu", "keras"]


def _pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def _run(cmd, timeout, **kwargs):
    start = time.monotonic()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc, time.monotonic() - start


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """(wheel, sdist) of cnnlib, built with ``python -m build`` from a copy of the package's files."""
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "src"
    src.mkdir()
    for name in PACKAGE_FILES + [p.name for p in ROOT.glob("LICENSE*")]:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "cnnlib", src / "cnnlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "build", "--outdir", tmp / "dist", src], timeout=300)
    (wheel,) = (tmp / "dist").glob("cnnlib-*.whl")
    (sdist,) = (tmp / "dist").glob("cnnlib-*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def venv(tmp_path_factory, dist):
    """A fresh venv with the wheel (pip resolves its dependencies) and a kernel: {'python': ..., 'pip': ...}."""
    tmp = tmp_path_factory.mktemp("venv")
    constraints = tmp / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in _pins().items()))
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", env_dir], timeout=120)
    py = env_dir / "bin" / "python"
    pip = [py, "-m", "pip", "install", "-q", "--no-compile", "-c", constraints]
    _run(pip + [dist[0]], timeout=600)
    return {"python": py, "pip": pip, "dir": env_dir, "workdir": tmp}


def _installed(py):
    out, _ = _run([py, "-m", "pip", "list", "--format=json"], timeout=120)
    return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(out.stdout)}


def test_wheel_and_sdist_hold_the_package(dist):
    wheel, sdist = dist
    modules = {f"cnnlib/{p.name}" for p in (ROOT / "cnnlib").glob("*.py")}
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(meta).decode()
    # the reader's package and nothing else: no book tooling (cnnbook, tools/, tools/, tests/)
    data = {"cnnlib/widgets.js", "cnnlib/widgets.css"}  # the widgets' script and styles (pyproject's package-data)
    assert {n for n in names if ".dist-info/" not in n} == modules | data
    assert "cnnlib/tested_stack.py" in names and "cnnlib/notebook.py" in names
    assert "cnnlib/classroom.py" not in names
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE)
    assert {r.split(";")[0].split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r} == {
        "numpy", "matplotlib"}
    assert any("keras" in r and 'extra == "keras"' in r for r in requires)
    assert any("ipython" in r and 'extra == "jupyter"' in r for r in requires)
    assert not any("nbformat" in r or "nbgrader" in r or "myst" in r for r in requires), requires
    with tarfile.open(sdist) as t:
        snames = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md"} | modules <= snames
    assert not [n for n in snames if n.startswith(("tools/", "cnnbook/", "tests/", "tools/", "book/"))]


def test_the_wheel_installs_bare_and_imports_without_tensorflow(venv):
    installed = _installed(venv["python"])
    assert "cnnlib" in installed and "numpy" in installed and "matplotlib" in installed
    assert not {"tensorflow", "tensorflow-cpu", "keras", "myst-nb", "nbformat"} & set(installed)
    code = textwrap.dedent(
        """\
        import importlib.util, sys, cnnlib, cnnlib.claims, cnnlib.notebook, cnnlib.checks, cnnlib.timing, cnnlib.anatomy
        assert "site-packages" in cnnlib.__file__, cnnlib.__file__
        assert importlib.util.find_spec("cnnbook") is None  # the book's tooling is not installed with it
        assert not {"tensorflow", "keras", "myst_nb"} & set(sys.modules)
        cnnlib.notebook.setup(seed=0)   # numpy is the tested version: prints nothing
        print(cnnlib.__version__)
        """
    )
    out, _ = _run([venv["python"], "-c", code], timeout=120, cwd=venv["workdir"])
    assert out.stdout == "1.0.0\n"


def _kernel_env():
    # no CNNLIB_CLAIMS/CNNLIB_NOTEBOOK: these runs' claims stay out of the status page's record
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER")) and k not in ("CNNLIB_CLAIMS", "CNNLIB_NOTEBOOK")}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    return env


_EXECUTE = textwrap.dedent(
    """\
    import json, sys, nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    client = NotebookClient(nb, timeout=600, startup_timeout=120, kernel_name="python3",
                            allow_errors=True, resources={"metadata": {"path": sys.argv[3]}})
    client.execute()
    nbformat.write(nb, sys.argv[2])
    """
)


def _execute(venv, cells_or_path, tmp_path, name):
    """Run a notebook with nbclient in the venv, in an empty folder; returns (executed notebook, seconds)."""
    import nbformat

    if isinstance(cells_or_path, Path):
        nb = nbformat.read(cells_or_path, as_version=4)
    else:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells_or_path])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src, out, work = tmp_path / f"{name}.ipynb", tmp_path / f"{name}.out.ipynb", tmp_path / f"{name}-run"
    work.mkdir()
    nbformat.write(nb, src)
    _, seconds = _run([venv["python"], "-c", _EXECUTE, src, out, work], timeout=900, cwd=work, env=_kernel_env())
    return nbformat.read(out, as_version=4), seconds


def _errors(nb):
    return [
        (i, c["source"][:80], o["ename"], o["evalue"])
        for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
        for o in c["outputs"] if o["output_type"] == "error"
    ]


def test_a_chapters_first_cells_run_from_the_wheel(venv, tmp_path):
    if not os.environ.get("CNNLIB_DATA"):
        pytest.skip("CNNLIB_DATA is not set (CI sets it)")
    _run(venv["pip"] + [f"{n}=={_pins()[n]}" for n in HOSTED_KERNEL], timeout=600)
    chapter = json.loads((BOOK / "01_why_cnns.ipynb").read_text())
    first = ["".join(c["source"]) for c in chapter["cells"] if c["cell_type"] == "code"][:2]
    nb, _ = _execute(venv, first + [
        "import cnnlib, sys\nprint(cnnlib.__file__.startswith(sys.prefix), 'myst_nb' in sys.modules)",
        "(x_train, y_train), _ = cnnlib.load_mnist()\n_ = claim('digits', len(x_train), at_least=60000, fmt='{:,.0f}')",
    ], tmp_path, "first-cells")
    assert _errors(nb) == []
    setup_cell, imports_cell, where, claimed = [c["outputs"] for c in nb["cells"]]
    assert setup_cell == [] and imports_cell == []  # installed: the first cell says nothing; tested stack: no note
    assert where[0]["text"] == "True False\n"  # the wheel's cnnlib, no myst-nb
    assert claimed == [{
        "output_type": "display_data",
        "data": {"application/papermill.record/text/plain": "'60,000'"},
        "metadata": {"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}},
    } for name in ("digits", "digits_bound")]  # the value, then its bound (the same text here)


HOSTED_CHAPTERS = ["05_im2col.ipynb", "08_chainer_to_keras.ipynb"]  # scratch (im2col), Keras (LeNet)


@pytest.mark.slow
def test_hosted_runtime_runs_a_scratch_and_a_keras_chapter(venv, tmp_path, record_property):
    if not os.environ.get("CNNLIB_DATA"):
        pytest.skip("CNNLIB_DATA is not set (CI sets it)")
    pins = _pins()
    _, seconds = _run(venv["pip"] + [f"{n}=={pins[n]}" for n in HOSTED_KERNEL + HOSTED_ML], timeout=900)
    record_property("install_seconds", round(seconds, 1))
    print(f"hosted runtime: pip install of TensorFlow, Keras, ipykernel, nbclient: {seconds:.1f} s")
    installed = _installed(venv["python"])
    for name in ["numpy", "matplotlib", *HOSTED_KERNEL, *HOSTED_ML]:
        assert installed[name] == pins[name], (name, installed[name])
    assert not {"myst-nb", "jupyter-book", "nbval", "jupyterlab", "pytest"} & set(installed)
    for chapter in HOSTED_CHAPTERS:
        nb, seconds = _execute(venv, BOOK / chapter, tmp_path, chapter[:-6])
        record_property(f"{chapter}_seconds", round(seconds, 1))
        print(f"hosted runtime: {chapter} with nbclient: {seconds:.1f} s")
        assert _errors(nb) == [], chapter
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] for c in code), f"{chapter}: a cell did not run"
        claims = [c for c in code if "claim(" in c["source"]]
        assert claims, f"{chapter} has no claim cell"
        for c in claims:  # each claim glued its figure, as in the stored notebook
            assert any("scrapbook" in o.get("metadata", {}) for o in c["outputs"]), c["source"]


# --------------------------------------------------------------------------------------------
# Every import is declared: cnnlib's in pyproject.toml, cnnbook's in tools/pyproject.toml
# --------------------------------------------------------------------------------------------

TOOLS = ROOT / "tools"


def _name(requirement):
    """The normalised distribution name of a requirement string ('tensorflow-cpu>=2.16' -> 'tensorflow-cpu')."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._\-]*)", requirement)
    assert m, f"unreadable requirement {requirement!r}"
    return re.sub(r"[-_.]+", "-", m.group(1)).lower()


def _declared(pyproject):
    """(dependencies, {extra: names}) of a pyproject.toml, as normalised distribution names."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = {k: {_name(r) for r in v} for k, v in project.get("optional-dependencies", {}).items()}
    return {_name(r) for r in project.get("dependencies", [])}, extras


def _guarded_by_import_error(handlers):
    names = set()
    for h in handlers:
        if h.type is None:
            return True
        for node in h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]:
            names.add(getattr(node, "id", None))
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _imports(source):
    """[(top-level module, line, optional)] of a module's absolute imports.  ``optional``: the import
    runs inside a function, or in a ``try`` whose handler catches ImportError; imports in strings
    (code a module writes for another process) are not imports of the module."""
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Import):
            found.extend((a.name.split(".")[0], node.lineno, optional) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.module.split(".")[0], node.lineno, optional))
        inner = optional or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(node, ast.Try) and _guarded_by_import_error(node.handlers):
            for child in node.body:
                visit(child, True)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, inner)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


def _show(path):
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name


def _undeclared(package_dir, pyproject, first_party, on_demand=None):
    """What ``package_dir``'s modules import that ``pyproject`` does not declare (one sentence each).

    ``on_demand``: {module file: extra} for modules the package imports only when a function that
    needs the extra is called; their imports may come from that extra."""
    deps, extras = _declared(pyproject)
    on_demand = on_demand or {}
    any_extra = set().union(*extras.values()) if extras else set()
    dists = packages_distributions()
    problems = []
    for path in sorted(package_dir.glob("*.py")):
        for module, line, optional in _imports(path.read_text()):
            if module in sys.stdlib_module_names or module in first_party:
                continue
            where = f"{_show(path)}:{line} imports {module}"
            names = {_name(d) for d in dists.get(module, [])}
            if not names:
                problems.append(f"{where}, which no installed distribution provides: add it to requirements.txt "
                                f"and declare it in {_show(pyproject)}")
            elif path.name in on_demand and names & extras[on_demand[path.name]]:
                continue
            elif not names & deps and not (optional and names & any_extra):
                need = "dependencies" if not optional else "dependencies or an optional extra"
                problems.append(f"{where} (distribution {sorted(names)[0]}): declare it in the {need} of "
                                f"{_show(pyproject)}")
    return problems


def test_the_import_parser_sees_what_matters():
    source = textwrap.dedent(
        """\
        import os, numpy as np
        from matplotlib import pyplot
        from . import layers
        CODE = "import pandas"
        try:
            import yaml
        except ImportError:
            yaml = None
        try:
            import scipy
        finally:
            pass
        def f():
            import keras
        """
    )
    assert _imports(source) == [("os", 1, False), ("numpy", 1, False), ("matplotlib", 2, False),
                                ("yaml", 6, True), ("scipy", 10, False), ("keras", 14, True)]


# cnnlib's modules that ``import cnnlib`` does not import: keras_models is imported by the first call
# of cnnlib.build_lenet (and the other builders), which needs Keras anyway
ON_DEMAND = {"keras_models.py": "keras"}


def test_an_undeclared_import_is_reported(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\ndependencies = ["numpy>=1"]\n[project.optional-dependencies]\nkeras = ["keras"]\n')
    (tmp_path / "mod.py").write_text(textwrap.dedent(
        """\
        import numpy, os
        import nbformat
        from keras import layers
        def f():
            import keras
            import matplotlib
        """))
    problems = _undeclared(tmp_path, tmp_path / "pyproject.toml", {"p"})
    assert [p.split(" (")[0] for p in problems] == ["mod.py:2 imports nbformat", "mod.py:3 imports keras",
                                                    "mod.py:6 imports matplotlib"]
    assert "declare it in the dependencies of pyproject.toml" in problems[1]
    assert "dependencies or an optional extra" in problems[2]


def test_every_module_cnnlib_imports_is_declared():
    assert not _undeclared(ROOT / "cnnlib", ROOT / "pyproject.toml", {"cnnlib"}, ON_DEMAND)
    code = "import sys, cnnlib; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            timeout=120, cwd=ROOT).stdout.split()
    for name in ON_DEMAND:
        assert f"cnnlib.{name[:-3]}" not in loaded, f"import cnnlib imports cnnlib.{name[:-3]}"
    deps, extras = _declared(ROOT / "pyproject.toml")
    assert deps == {"numpy", "matplotlib"}, "a chapter's install brings numpy and matplotlib only; say why if more"
    assert {"keras", "tensorflow-cpu"} <= extras["keras"] and "ipython" in extras["jupyter"]


def test_cnnlib_does_not_import_the_book_tooling():
    for path in sorted((ROOT / "cnnlib").glob("*.py")):
        assert "cnnbook" not in {m for m, _, _ in _imports(path.read_text())}, path.name


def test_every_module_cnnbook_imports_is_declared():
    # the nbgrader plugins are loaded by nbgrader itself, so they may import what its extra brings
    assert not _undeclared(TOOLS / "cnnbook", TOOLS / "pyproject.toml", {"cnnbook"},
                           {"nbgrader_plugins.py": "nbgrader"})
    project = tomllib.loads((TOOLS / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["packages"] == ["cnnbook", "cnnbook.exercises"]
    assert "nbformat" in _declared(TOOLS / "pyproject.toml")[0]


def test_setup_installs_the_book_tooling():
    text = (ROOT / "tools" / "setup.sh").read_text()
    assert re.search(r"^\.venv/bin/python -m pip install -q --no-deps -e \.$", text, re.MULTILINE)
    assert re.search(r"^\.venv/bin/python -m pip install -q --no-deps -e tools$", text, re.MULTILINE)
    spec = importlib.util.find_spec("cnnbook.classroom")
    assert spec and Path(spec.origin).resolve() == (TOOLS / "cnnbook" / "classroom.py").resolve(), (
        "cnnbook is not installed in this environment: bash tools/setup.sh --no-build")
    pins = _pins()
    for dist in _declared(TOOLS / "pyproject.toml")[0]:  # --no-deps: requirements.txt must bring them
        if dist == "cnnlib":  # the repository's own package, which setup.sh installs (-e ., checked above)
            continue
        assert dist in pins, f"tools/pyproject.toml declares {dist}, which requirements.txt does not pin"


def _chapter_imports(path):
    """[(module, cell number)] of what a chapter's code cells import (IPython magics left out)."""
    found = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(l for l in "".join(cell["source"]).splitlines() if not l.lstrip().startswith(("%", "!")))
        found.extend((module, i) for module, _, _ in _imports(code))
    return found


# The appendix that times this machine imports the repository's benchmark (benchmarks/benchmark.py,
# outside cnnlib on purpose): it runs from a checkout of the repository, not on a hosted runtime.
FROM_THE_REPOSITORY = {("performance.ipynb", "benchmark")}


def test_every_module_a_chapter_imports_is_cnnlibs_or_declared():
    deps, extras = _declared(ROOT / "pyproject.toml")
    dists = packages_distributions()
    problems = []
    for path in sorted(BOOK.glob("*.ipynb")):
        for module, cell in _chapter_imports(path):
            if module in sys.stdlib_module_names or module == "cnnlib" or (path.name, module) in FROM_THE_REPOSITORY:
                continue
            names = {_name(d) for d in dists.get(module, [])}
            if not names & (deps | extras.get("keras", set())):
                problems.append(f"book/{path.name}, cell {cell}: imports {module}, which a reader's install of "
                                "cnnlib does not bring (declare it in pyproject.toml, or use what cnnlib has)")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# A fresh environment: a bare kernel, the chapter's own install cell, the whole chapter
# --------------------------------------------------------------------------------------------

FRESH_CHAPTER = "06_minibatch.ipynb"  # a scratch chapter with claims, a few seconds long
# what the chapter's install must not bring: TensorFlow, the book's build and its tooling
NOT_A_READERS = {"tensorflow", "tensorflow-cpu", "keras", "myst-nb", "jupyter-book", "nbformat", "nbclient",
                 "nbgrader", "cnnbook", "pytest", "nbval"}


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_install_source", ROOT / "tools" / "sync_install_source.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def git_source(tmp_path_factory):
    """A git repository holding the package's files, as the published repository does: ``file://`` URL."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("published") / "cnn-book"
    repo.mkdir()
    for name in PACKAGE_FILES:
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "cnnlib", repo / "cnnlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git = ["git", "-C", repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    _run(["git", "init", "-q", "-b", "main", repo], timeout=60)
    _run(git + ["add", "."], timeout=60)
    _run(git + ["commit", "-q", "-m", "the package"], timeout=60)
    return repo.as_uri()


def _bare_kernel(tmp):
    """A fresh venv with ipykernel alone, and a kernelspec for it in ``tmp/jupyter``; returns (python, JUPYTER_PATH)."""
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", env_dir], timeout=120)
    py = env_dir / "bin" / "python"
    # a hosted runtime has a current pip (venv's bundled one may be too old to parse a git+file:/// URL)
    pip = f"pip=={importlib.metadata.version('pip')}"
    _run([py, "-m", "pip", "install", "-q", "--no-compile", pip, f"ipykernel=={_pins()['ipykernel']}"], timeout=600)
    spec_dir = tmp / "jupyter" / "kernels" / "fresh"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python"}))
    return py, tmp / "jupyter"


_EXECUTE_FRESH = textwrap.dedent(
    """\
    import sys, nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(nb, timeout=600, startup_timeout=120, kernel_name="fresh", allow_errors=True,
                   resources={"metadata": {"path": sys.argv[3]}}).execute()
    nbformat.write(nb, sys.argv[2])
    """
)


@pytest.mark.slow
# "wheel" (the stored cell's %pip instruction) costs another 3 minutes of CI; the hosted-runtime test above
# already installs the wheel into a bare environment, so CI runs the published source only.
@pytest.mark.parametrize("install", ["published"])
def test_a_fresh_environment_runs_a_chapter_after_its_own_install(install, dist, git_source, tmp_path,
                                                                  record_property):
    """Chapter 6 in a kernel that has nothing but ipykernel, after its first cell's install alone."""
    import nbformat

    if not os.environ.get("CNNLIB_DATA"):
        pytest.skip("CNNLIB_DATA is not set (CI sets it)")
    sync = _sync_module()
    py, jupyter_path = _bare_kernel(tmp_path)
    before = _installed(py)
    assert not {"cnnlib", "numpy", "matplotlib"} & set(before), sorted(before)

    nb = nbformat.read(BOOK / FRESH_CHAPTER, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    if install == "published":  # the cell as sync_install_source.py stamps it for a real repository
        config = tmp_path / "_config.yml"
        config.write_text(f"repository:\n  url: {git_source}\n  branch: main\n")
        assert sync.install_source(config) == f"cnnlib @ git+{git_source}@main"
        nb.cells[first].source = sync.setup_cell_source(config)
        install_cells = [first]
    else:  # as stored: the cell stops and says what to do; the reader does it, then runs the cell again
        assert nb.cells[first].source == sync.setup_cell_source()
        command = re.search(r"(%pip install \S+\.whl)", sync.NOT_SET_SENTENCE).group(1)
        assert command == "%pip install cnnlib-*.whl"
        nb.cells[first + 1:first + 1] = [nbformat.v4.new_code_cell(command),
                                         nbformat.v4.new_code_cell(nb.cells[first].source)]
        install_cells = [first, first + 1, first + 2]
    src, out, work = tmp_path / "chapter.ipynb", tmp_path / "chapter.out.ipynb", tmp_path / "run"
    work.mkdir()
    shutil.copy(dist[0], work / dist[0].name)  # the uploaded wheel (unused by the published cell)
    nbformat.write(nb, src)
    constraints = tmp_path / "constraints.txt"  # the kernel's pip resolves numpy and matplotlib to the pins
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in _pins().items()))
    env = dict(_kernel_env(), JUPYTER_PATH=str(jupyter_path), PIP_CONSTRAINT=str(constraints),
               PIP_NO_COMPILE="1")
    _, seconds = _run([sys.executable, "-c", _EXECUTE_FRESH, src, out, work], timeout=1200, cwd=work, env=env)
    record_property(f"{install}_seconds", round(seconds, 1))
    print(f"fresh environment ({install}): install cell and {FRESH_CHAPTER}: {seconds:.1f} s")

    ran = nbformat.read(out, as_version=4)
    errors = _errors(ran)
    said = "".join(o.get("text", "") for i in install_cells for o in ran.cells[i].outputs)
    if install == "wheel":  # the stored cell stops with its sentence, and only that
        assert errors[:1] == [(first, ran.cells[first].source[:80], "SetupStopped", sync.NOT_SET_SENTENCE)], said
        errors = errors[1:]
    assert errors == [], f"{errors}\nthe install cells printed:\n{said}"
    code = [c for c in ran.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "a cell did not run"
    claims = [c for c in code if "claim(" in c.source]
    assert len(claims) >= 3, "chapter 6 claims its figures"
    for c in claims:  # each claim glued its figure, as in the stored notebook
        assert any("scrapbook" in o.get("metadata", {}) for o in c.outputs), c.source
    setup_cell = next(c for c in code if "notebook.setup(" in c.source)
    assert setup_cell.outputs == [], "setup() prints nothing on the tested numpy"

    installed = _installed(py)
    added = set(installed) - set(before)
    assert {"cnnlib", "numpy", "matplotlib"} <= added
    assert installed["numpy"] == _pins()["numpy"] and installed["matplotlib"] == _pins()["matplotlib"]
    assert not NOT_A_READERS & set(installed), sorted(NOT_A_READERS & set(installed))
    for i in install_cells:  # nothing but pip's own lines
        assert all(o["output_type"] in ("stream", "error") for o in ran.cells[i].outputs), ran.cells[i].outputs
