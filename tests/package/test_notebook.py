"""cnnlib.notebook.setup(): it changes what its docstring lists and nothing else, hides
TensorFlow's start-up notices only while TensorFlow is imported (and shows them when the import
fails), says how to get TensorFlow when there is none, and says so when TensorFlow already runs
with other thread counts.  The version note is tests/package/test_tested_stack.py's."""

import os
import random
import subprocess
import sys
import types

import matplotlib as mpl
import numpy as np
import pytest

from cnnlib import notebook


@pytest.fixture
def restore_globals(monkeypatch):
    """setup() changes process-wide settings: put them back after the test."""
    printoptions = np.get_printoptions()
    rc = {k: mpl.rcParams[k] for k in notebook.RC_PARAMS}
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    yield
    np.set_printoptions(**printoptions)
    mpl.rcParams.update(rc)


def test_setup_changes_what_its_docstring_lists(restore_globals):
    np.set_printoptions(precision=8, suppress=False, linewidth=75)
    mpl.rcParams.update({"figure.facecolor": "black", "image.interpolation": "bilinear"})
    rng = notebook.setup(seed=3)
    assert isinstance(rng, np.random.Generator)
    assert rng.random() == np.random.default_rng(3).random()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    options = np.get_printoptions()
    assert {k: options[k] for k in notebook.PRINT_OPTIONS} == notebook.PRINT_OPTIONS
    assert notebook.PRINT_OPTIONS == {"precision": 4, "suppress": True, "linewidth": 100}
    for key, value in notebook.RC_PARAMS.items():
        assert mpl.rcParams[key] == value, key
    # the global generators are seeded too
    a = (random.random(), np.random.random())
    notebook.setup(seed=3)
    assert (random.random(), np.random.random()) == a
    # every setting is named in the module's docstring, the reader's list of what setup() changes
    doc = notebook.__doc__
    for words in ["random.seed(seed)", "np.random.seed(seed)", "TF_CPP_MIN_LOG_LEVEL", "PRINT_OPTIONS",
                  "RC_PARAMS", "file descriptor 2", "intra-op", "keras.utils.set_random_seed(seed)",
                  "installs nothing"]:
        assert words in doc, words


def test_a_variable_the_reader_set_is_kept(restore_globals, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    notebook.setup(seed=0)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_no_tensorflow_says_how_to_get_it(restore_globals, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow fails, as on a bare runtime
    with pytest.raises(ModuleNotFoundError, match="this Python has no TensorFlow: install the packages tensorflow "
                                                  "and keras") as info:
        notebook.setup(seed=0, keras=True)
    assert info.value.name == "tensorflow"


# Stand-ins for TensorFlow and Keras (a subprocess imports them instead of the real ones).
FAKE_TF = """\
import os, sys, types
os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on.\\n")
if os.environ.get("FAKE_TF_FAILS"):
    raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")
calls = []
config = types.SimpleNamespace(threading=types.SimpleNamespace(
    set_intra_op_parallelism_threads=lambda n: calls.append(("intra", n)),
    set_inter_op_parallelism_threads=lambda n: calls.append(("inter", n))))
"""
FAKE_KERAS = """\
import types
seeds = []
utils = types.SimpleNamespace(set_random_seed=seeds.append)
"""
RUN = """\
import os, sys
import cnnlib
cnnlib.notebook.setup(seed=5, keras=True, threads=3)
import tensorflow, keras
print(tensorflow.calls, keras.seeds)
os.write(2, b"fd 2 is back\\n")
"""


def _run_with_fakes(tmp_path, **env):
    fake = tmp_path / "fake"
    (fake / "tensorflow").mkdir(parents=True)
    (fake / "tensorflow" / "__init__.py").write_text(FAKE_TF)
    (fake / "keras").mkdir()
    (fake / "keras" / "__init__.py").write_text(FAKE_KERAS)
    environ = dict(os.environ, PYTHONPATH=str(fake), **env)
    return subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, timeout=120, env=environ,
                          cwd=tmp_path)


def test_tensorflow_notices_are_hidden_only_during_its_import(tmp_path):
    proc = _run_with_fakes(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("[('intra', 3), ('inter', 1)] [5]\n")  # threads, one inter-op thread, seed
    assert proc.stderr == "fd 2 is back\n"  # the notice is gone, and stderr works again afterwards


def test_a_failed_tensorflow_import_shows_what_it_wrote(tmp_path):
    proc = _run_with_fakes(tmp_path, FAKE_TF_FAILS="1")
    assert proc.returncode == 1
    assert "oneDNN custom operations are on." in proc.stderr  # replayed, not swallowed
    assert "ImportError: libtensorflow_framework.so.2" in proc.stderr


def _fake_tf(running_with):
    def refuse(n):
        raise RuntimeError("Intra op parallelism cannot be modified after initialization.")

    return types.SimpleNamespace(config=types.SimpleNamespace(threading=types.SimpleNamespace(
        set_intra_op_parallelism_threads=refuse, set_inter_op_parallelism_threads=refuse,
        get_intra_op_parallelism_threads=lambda: running_with[0],
        get_inter_op_parallelism_threads=lambda: running_with[1])))


def test_tensorflow_already_running_with_other_threads_gets_one_line(capsys):
    notebook._set_threads(_fake_tf((2, 1)), 2)  # setup() run twice in a kernel: the same counts, silent
    assert capsys.readouterr().out == ""
    notebook._set_threads(_fake_tf((0, 0)), 2)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "intra-op threads default, inter-op default" in out
    assert "could not set 2 and 1; restart the kernel" in out

