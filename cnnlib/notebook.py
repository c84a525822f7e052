"""One call at the top of every chapter: seeds, thread counts, print options, figure style."""

import contextlib
import os
import random
import sys

import numpy as np

__all__ = ["setup", "version_note"]


@contextlib.contextmanager
def _silenced_fd2():
    """Send file descriptor 2 to /dev/null for the block.

    TensorFlow >= 2.16 writes its start-up notices (the oneDNN line, preceded by
    "All log messages before absl::InitializeLog() ...") from C++ straight to
    fd 2 during ``import tensorflow``, ignoring ``TF_CPP_MIN_LOG_LEVEL``.  In a
    notebook they become a stderr output with a timestamp, which nbval would
    compare.  Python exceptions still propagate.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def version_note(keras=False):
    """One line naming the versions that differ from the tested stack, or ``""``.

    numpy always; TensorFlow and Keras with ``keras=True`` (the scratch
    chapters do not use them).  Only installed packages are compared.
    """
    from .tested_stack import differences

    diff = differences(["numpy"] + (["tensorflow-cpu", "keras"] if keras else []))
    if not diff:
        return ""
    found = ", ".join(f"{name} {have} (tested: {tested})" for name, have, tested in diff)
    return (
        f"Note: this runtime has {found}, not the versions the book was run with; "
        "figures may move a little from the ones in the text."
    )


def setup(seed=0, keras=False, threads=2):
    """Make a chapter reproducible and its outputs tidy; returns a seeded ``numpy`` Generator.

    * numpy prints 4 significant decimals and no scientific noise;
    * matplotlib draws PNGs with a white background (legible in dark mode);
    * with ``keras=True``: ``keras.utils.set_random_seed(seed)`` and TensorFlow
      limited to ``threads`` intra-op threads and one inter-op thread, so a run
      is bit-reproducible on one machine;
    * on a runtime whose numpy (or, with ``keras=True``, TensorFlow or Keras)
      is not the tested version (``cnnlib.tested_stack``), prints one line
      saying which differ.  It never installs anything: a hosted runtime's
      TensorFlow is the one it has.
    """
    note = version_note(keras)
    if note:
        print(note)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.facecolor": "white",
            "image.interpolation": "nearest",
        }
    )
    if keras:
        with _silenced_fd2():
            import tensorflow as tf
        import keras as _keras

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this kernel: the first setting stands
            pass
        _keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)
