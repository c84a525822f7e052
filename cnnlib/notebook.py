"""The one call at the top of every chapter: ``rng = cnnlib.notebook.setup(seed=0)``.

``setup()`` makes a chapter's run repeatable and its outputs tidy.  It changes
exactly these settings of the running Python process, and nothing else: it
installs nothing, writes no file and starts no process.

Always:

1. prints one line if this runtime's numpy (with ``keras=True`` also its
   TensorFlow or Keras) is not the version the book was run with
   (:func:`version_note`; :mod:`cnnlib.tested_stack` holds the versions);
2. ``os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"`` unless the variable is set
   (TensorFlow reads it when it is first imported);
3. seeds Python's and numpy's global generators: ``random.seed(seed)``,
   ``np.random.seed(seed)``;
4. ``np.set_printoptions(**PRINT_OPTIONS)``: 4 decimals, no scientific
   notation for small numbers, lines of 100 characters;
5. ``matplotlib.rcParams.update(RC_PARAMS)``: white figure and axes
   backgrounds (legible in a dark theme), 100 dpi, images drawn with
   ``nearest`` interpolation (pixels stay square), SVG text kept as text
   (``svg.fonttype: none``) and SVG ids from a fixed salt (``svg.hashsalt``);
6. in a Jupyter kernel only: the inline backend shows figures as SVG
   (``InlineBackend.figure_formats = {"svg"}``, with
   ``InlineBackend.print_figure_kwargs = INLINE_FIGURE_KWARGS``: a tight
   bounding box as before, no date in the file).  A figure's words stay
   words in the stored notebook, so the Japanese edition translates them
   when it builds (tools/sphinx/figure_i18n.py), and the same run's file
   is byte for byte the same each time.

With ``keras=True``, also:

7. imports TensorFlow.  Its C++ start-up notices (the oneDNN line and
   "All log messages before absl::InitializeLog() ...") go straight to file
   descriptor 2 whatever ``TF_CPP_MIN_LOG_LEVEL`` says, and would become a
   timestamped stderr output in the notebook; so while ``import tensorflow``
   runs, and only then, file descriptor 2 is written to a temporary file.  If
   the import fails, what it wrote is printed to stderr and the error raised;
   with no TensorFlow installed the error says how to install it;
8. TensorFlow runs on ``threads`` intra-op threads and one inter-op thread.
   TensorFlow fixes these when it first runs an operation; if that happened
   before with other numbers, setup() prints one line saying so (restart the
   kernel to change them);
9. ``keras.utils.set_random_seed(seed)``: Python's, numpy's and TensorFlow's
   seeds, so a run repeats bit for bit on one machine.

It returns ``np.random.default_rng(seed)``, the generator a chapter draws from.
"""

import contextlib
import os
import random
import sys
import tempfile

import numpy as np

__all__ = ["setup", "version_note", "PRINT_OPTIONS", "RC_PARAMS", "INLINE_FIGURE_KWARGS"]

PRINT_OPTIONS = {"precision": 4, "suppress": True, "linewidth": 100}

RC_PARAMS = {
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "image.interpolation": "nearest",
    "svg.fonttype": "none",
    "svg.hashsalt": "cnnlib",
}

# The inline backend's print_figure() arguments (step 6): its default tight box, and no
# <dc:date> in the SVG (metadata Date None), so a figure's file depends on the figure only.
INLINE_FIGURE_KWARGS = {"bbox_inches": "tight", "metadata": {"Date": None}}

NO_TENSORFLOW = (
    "This chapter uses Keras, and this Python has no TensorFlow: install the packages tensorflow "
    "and keras (hosted runtimes such as Colab have them), then restart the kernel."
)


@contextlib.contextmanager
def _fd2_to_temporary_file():
    """Write file descriptor 2 to a temporary file during the block; show it if the block raises."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (an embedded interpreter): nothing to redirect
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _import_tensorflow():
    """``import tensorflow`` with its start-up notices kept out of the notebook (step 7)."""
    if sys.modules.get("tensorflow") is not None:  # imported before: nothing to hide
        return sys.modules["tensorflow"]
    try:
        with _fd2_to_temporary_file():
            import tensorflow
    except ModuleNotFoundError as e:
        if e.name != "tensorflow":
            raise
        raise ModuleNotFoundError(NO_TENSORFLOW, name="tensorflow") from None
    return tensorflow


def _set_threads(tf, threads):
    """Step 8; a line if TensorFlow already runs with other thread counts."""
    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow is initialised: the counts it started with stay
        have = (threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads())
        if have != (threads, 1):
            print(
                f"Note: TensorFlow was already running (intra-op threads {have[0] or 'default'}, inter-op "
                f"{have[1] or 'default'}), so setup() could not set {threads} and 1; restart the kernel "
                "and run setup() first to get them."
            )


def _inline_figures_as_svg():
    """Step 6: in a Jupyter kernel, the inline backend draws figures as SVG; elsewhere nothing."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):  # a script, a test or a terminal IPython
        return
    from matplotlib_inline.config import InlineBackend

    backend = InlineBackend.instance(parent=shell)
    backend.print_figure_kwargs = dict(INLINE_FIGURE_KWARGS)
    backend.figure_formats = {"svg"}  # both traits update the formatters pyplot already uses
    if "matplotlib.pyplot" in sys.modules:  # set them outright, whatever the traits did
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(shell, {"svg"}, **INLINE_FIGURE_KWARGS)


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
    """Seeds, print options, figure style (and with ``keras=True`` TensorFlow's threads and seed);
    returns ``np.random.default_rng(seed)``.

    What it changes, step by step, is the list in this module's docstring
    (``help(cnnlib.notebook)``); nothing else.  ``threads``: TensorFlow's
    intra-op threads (``keras=True`` only).
    """
    note = version_note(keras)
    if note:
        print(note)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(**PRINT_OPTIONS)
    import matplotlib as mpl

    mpl.rcParams.update(RC_PARAMS)
    _inline_figures_as_svg()
    if keras:
        tf = _import_tensorflow()
        import keras as _keras

        _set_threads(tf, threads)
        _keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)
