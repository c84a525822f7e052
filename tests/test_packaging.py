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
  uploaded; the data come from ``CNNLIB_DATA`` in place of Keras's download.

pip reads the packages from the index (CI's machine keeps a local mirror);
``--no-compile`` skips byte-compiling TensorFlow's thousands of files.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
    assert modules <= names and "cnnlib/tested_stack.py" in names
    requires = re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE)
    assert {r.split(";")[0].split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r} == {
        "numpy", "matplotlib"}
    assert any("nbformat" in r and 'extra == "classroom"' in r for r in requires)
    assert any("keras" in r and 'extra == "keras"' in r for r in requires)
    with tarfile.open(sdist) as t:
        snames = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md"} | modules <= snames


def test_the_wheel_installs_bare_and_imports_without_tensorflow(venv):
    installed = _installed(venv["python"])
    assert "cnnlib" in installed and "numpy" in installed and "matplotlib" in installed
    assert not {"tensorflow", "tensorflow-cpu", "keras", "myst-nb", "nbformat"} & set(installed)
    code = textwrap.dedent(
        """\
        import sys, cnnlib, cnnlib.claims, cnnlib.notebook, cnnlib.checks, cnnlib.benchmark
        assert "site-packages" in cnnlib.__file__, cnnlib.__file__
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
        "metadata": {"scrapbook": {"name": "digits", "mime_prefix": "application/papermill.record/"}},
    }]


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
