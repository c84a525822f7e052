"""Binder's configuration, read from the files repo2docker reads (repo2docker itself does not run here).

repo2docker builds the image from runtime.txt (Python version), requirements.txt
(the tested stack, JupyterLab included) and then runs postBuild, which installs
cnnlib from the repository and lets Keras download the data into the image.
"""

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
POSTBUILD = ROOT / "postBuild"


def _requirements():
    return dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE))


def test_repo2docker_reads_the_root_files():
    # a binder/ or .binder/ folder would make repo2docker ignore the root's files; environment.yml
    # or a Pipfile would replace requirements.txt
    for name in ["binder", ".binder", "environment.yml", "Pipfile", "Pipfile.lock", "setup.py", "Dockerfile"]:
        assert not (ROOT / name).exists(), f"{name} would change what Binder builds"


def test_runtime_is_the_tested_python():
    assert (ROOT / "runtime.txt").read_text().strip() == f"python-{sys.version_info.major}.{sys.version_info.minor}"


def test_requirements_bring_jupyterlab_and_the_tested_stack():
    req = _requirements()
    for name in ["jupyterlab", "ipykernel", "tensorflow-cpu", "keras", "numpy", "matplotlib"]:
        assert name in req, name
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert config["launch_buttons"]["binderhub_url"].startswith("https://")


def test_postbuild_installs_cnnlib_and_fetches_the_data():
    assert os.access(POSTBUILD, os.X_OK), "postBuild must be executable (git mode 100755)"
    mode = subprocess.run(["git", "ls-files", "-s", "postBuild"], cwd=ROOT, capture_output=True, text=True).stdout
    assert not mode or mode.startswith("100755"), mode
    text = POSTBUILD.read_text()
    assert text.startswith("#!/bin/bash\n") and "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(POSTBUILD)], check=True, timeout=30)
    assert re.search(r'"\$PY" -m pip install --no-deps -e \.$', text, re.MULTILINE)
    assert {"load_mnist", "load_cifar10"} <= _attrs(_python_snippet(text))


def _attrs(source):
    return {n.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)}


def _python_snippet(text):
    m = re.search(r"<<'PYTHON'\n(.*?)^PYTHON$", text, re.MULTILINE | re.DOTALL)
    assert m, "postBuild runs its Python from a <<'PYTHON' here-document"
    return m.group(1)


def test_postbuild_data_step_goes_through_keras(tmp_path):
    """The here-document run with a stand-in ``keras`` (nothing is downloaded): with CNNLIB_DATA set,
    as it might be on a reader's machine, it still asks Keras, which caches the files in the image."""
    data = Path(os.environ.get("CNNLIB_DATA") or tmp_path)
    fake = tmp_path / "fake" / "keras"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(textwrap.dedent(
        f"""\
        import types
        import numpy as np
        def _loader(name, shapes):
            def load_data():
                print("keras.datasets." + name + ".load_data()")
                x = lambda n: np.zeros((n,) + shapes, np.uint8)
                y = lambda n: np.zeros((n,) if name == "mnist" else (n, 1), np.uint8)
                return (x(60000 if name == "mnist" else 50000), y(60000 if name == "mnist" else 50000)), (x(10000), y(10000))
            return types.SimpleNamespace(load_data=load_data)
        datasets = types.SimpleNamespace(mnist=_loader("mnist", (28, 28)), cifar10=_loader("cifar10", (32, 32, 3)))
        """
    ))
    env = dict(os.environ, PYTHONPATH=str(fake.parent), CNNLIB_DATA=str(data))
    out = subprocess.run([sys.executable, "-c", _python_snippet(POSTBUILD.read_text())], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "keras.datasets.mnist.load_data()",
        "load_mnist (60000, 28, 28) (10000, 28, 28)",
        "keras.datasets.cifar10.load_data()",
        "load_cifar10 (50000, 32, 32, 3) (10000, 32, 32, 3)",
    ]
