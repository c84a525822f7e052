"""The course's grader in-process, without nbgrader (cnnbook.grading, cnnbook.exercises): every
coding exercise of the book has a grader; the book's reference answer gets full marks, the
stub none, and a plausible wrong answer (for most exercises one that calls cnnlib) not full
marks; the hidden cases come from the course's secret; what the student's code does to numpy,
cnnlib or builtins stays in the sandbox.  The end-to-end run through nbgrader's command line
is tests/book/test_nbgrader.py."""

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnnbook import grading
from cnnbook.classroom import nbgrader_notebook, stub_source

BOOK = Path(__file__).resolve().parents[2] / "book"
KERAS = {"08_chainer_to_keras", "11_alexnet_keras_cifar10"}
SECRET = "a course secret for the tests"


def _exercises():
    """(stem, function, reference source) of every coding exercise of the book."""
    found = []
    for path in sorted(BOOK.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
                name = next(n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef))
                found.append((path.stem, name, cell.source))
    return found


EXERCISES = _exercises()
IDS = [f"{stem}-{name}" for stem, name, _ in EXERCISES]
# the Keras chapters' graders import TensorFlow in the sandbox (marker registered in tests/conftest.py)
PARAMS = [pytest.param(*e, id=i, marks=[pytest.mark.keras] if e[0] in KERAS else []) for e, i in zip(EXERCISES, IDS)]


def _grade(stem, name, source, secret=SECRET):
    if stem in KERAS:
        pytest.importorskip("keras")
    return grading.grade(grading.find(stem, name), source, secret)


def test_every_coding_exercise_has_a_grader():
    assert len(EXERCISES) >= 16, IDS
    missing = [f"{stem}: {name}" for stem, name, _ in EXERCISES if grading.find(stem, name) is None]
    assert not missing, f"add graders to cnnbook.exercises for {missing}"
    stale = set(grading.EXERCISES) - {(stem, name) for stem, name, _ in EXERCISES}
    assert not stale, f"graders for exercises the book no longer has: {sorted(stale)}"


@pytest.mark.parametrize("stem, name, reference", PARAMS)
def test_reference_gets_full_marks_and_the_stub_none(stem, name, reference):
    result = _grade(stem, name, reference)
    assert result.score == result.points == 3, result.lines
    assert not result.flags, result.flags
    stub = _grade(stem, name, stub_source(reference))
    assert stub.score == 0, stub.lines
    assert all("not written yet" in line or "NotImplementedError" in line for line in stub.lines), stub.lines


# Plausible wrong answers: most call the library (cnnlib is switched off while they are graded)
WRONG = {
    ("01_why_cnns", "conv_params"): (
        "def conv_params(C, FN, FH, FW):\n    return FN * C * FH * FH + FN\n\n"
        "def dense_params(n_in, n_out):\n    return n_in * n_out + n_out\n"),
    ("02_convolution", "conv_forward"): (
        "def conv_forward(x, W, b, stride=1, pad=0):\n    return cnnlib.Convolution(W, b, stride, pad).forward(x)\n"),
    ("03_padding_stride", "conv_output_size"): (
        "def conv_output_size(H, F, S=1, P=0):\n"
        "    if (H + 2 * P - F) % S:\n        raise ValueError('the filter does not fit')\n"
        "    return (H + 2 * P - F) // S + 1\n"),
    ("04_pooling", "maxpool_backward"): (
        "def maxpool_backward(x, dout, pool, stride):\n"
        "    layer = cnnlib.MaxPooling(pool, stride)\n    layer.forward(x)\n    return layer.backward(dout)\n"),
    ("05_im2col", "my_im2col"): (
        "from cnnlib.reference import im2col as fast\n\n"
        "def my_im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return fast(x, filter_h, filter_w, stride, pad)\n"),
    ("05_im2col", "my_col2im"): (
        "from cnnlib.reference import col2im\n\n"
        "def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):\n"
        "    return col2im(col, input_shape, filter_h, filter_w, stride, pad)\n"),
    ("06_minibatch", "softmax_cross_entropy_grad"): (
        "def softmax_cross_entropy_grad(logits, labels):\n"
        "    y = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
        "    y[np.arange(len(labels)), labels] -= 1\n    return y / len(labels)\n"),
    ("06_minibatch", "adam_step"): (
        "def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):\n"
        "    m = 0.9 * m + 0.1 * grad\n    v = 0.999 * v + 0.001 * grad ** 2\n"
        "    return param - lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + eps), m, v\n"),
    ("06a_inside_a_conv_layer", "conv_input_grad"): (
        "def conv_input_grad(dout, W, pad=0):\n"
        "    N, FN, OH, OW = dout.shape\n    FN, C, FH, FW = W.shape\n"
        "    layer = cnnlib.Convolution(W, np.zeros(FN), pad=pad)\n"
        "    layer.forward(np.zeros((N, C, OH + FH - 1 - 2 * pad, OW + FW - 1 - 2 * pad)))\n"
        "    return layer.backward(dout)\n"),
    ("06b_batchnorm_dropout", "batchnorm_backward"): (
        "def batchnorm_backward(dout, x, gamma, eps):\n"
        "    inv = 1 / np.sqrt(x.var(axis=0) + 1e-3)\n    xhat = (x - x.mean(axis=0)) * inv\n"
        "    db, dg = dout.sum(axis=0), (dout * xhat).sum(axis=0)\n"
        "    return gamma * inv * (dout - db / len(x) - xhat * dg / len(x)), dg, db\n"),
    ("06c_optimizers_init", "momentum_step"): (
        "def momentum_step(param, grad, velocity, lr, momentum):\n"
        "    new_velocity = momentum * velocity - lr * grad\n    return param + velocity, new_velocity\n"),
    ("09_alexnet_keras_mnist", "same_output_shapes"): (
        "def same_output_shapes(input_shape):\n    h, w, c = input_shape\n    shapes = []\n"
        "    for stride, filters in [(4, 96), (2, None), (1, 256), (2, None), (1, 384), (1, 384), (1, 256), (2, None)]:\n"
        "        h, w = max(1, round(h / stride)), max(1, round(w / stride))\n        c = filters or c\n"
        "        shapes.append((h, w, c))\n    return shapes\n"),
    ("10_alexnet_scratch_cifar10", "confusion_matrix"): (
        "def confusion_matrix(t, y, num_classes=10):\n"
        "    return np.bincount(num_classes * t + y, minlength=num_classes ** 2).reshape(num_classes, num_classes)\n"),
    ("12_overfitting", "random_crop"): (
        "def random_crop(images, pad, rng):\n    n, h, w, _ = images.shape\n"
        "    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))  # zeros, not 'reflect'\n"
        "    dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)\n"
        "    return np.stack([padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])\n"),
    ("14_what_it_learned", "my_grad_cam"): (
        "def my_grad_cam(activations, gradients):\n"
        "    alpha = gradients.mean(axis=(1, 2), keepdims=True)\n"
        "    return (alpha * activations).sum(axis=3)  # no ReLU\n"),
    ("performance", "maxpool_backward"): (
        "from cnnlib.fast_layers import MaxPooling as Pool\n\n"
        "def maxpool_backward(x, dout, pool, stride):\n"
        "    layer = Pool(pool, stride)\n    layer.forward(x)\n    return layer.backward(dout)\n"),
    ("13_modern_cnns", "conv1x1"): (
        "def conv1x1(x, W, b):\n    return cnnlib.Convolution(W, b).forward(x)\n"),
    ("scaling", "combine_replica_gradients"): (
        "def combine_replica_gradients(grads, sizes):\n    return sum(grads) / len(grads)\n"),
}
LIBRARY_CALLS = {k for k, v in WRONG.items() if "cnnlib" in v or "Pool" in v}


def test_most_exercises_have_a_wrong_answer_here():
    assert len(WRONG) >= 15 and len(LIBRARY_CALLS) >= 6


@pytest.mark.parametrize("key", sorted(WRONG), ids=[f"{s}-{n}" for s, n in sorted(WRONG)])
def test_wrong_answer_loses_points_and_a_library_call_is_flagged(key):
    result = _grade(*key, WRONG[key])
    assert result.score < result.points, result.lines
    if key in LIBRARY_CALLS:
        assert result.score == 0, result.lines
        assert any("calls cnnlib" in flag for flag in result.flags), result.flags


def test_hidden_cases_come_from_the_course_secret():
    ex = grading.find("05_im2col", "my_col2im")
    titles = [g.title for g in ex.groups(grading.course_rng("one", ex.assignment, ex.function))]
    assert any(t.startswith("hidden") for t in titles)
    draws = {s: grading.course_rng(s, "05_im2col", "my_col2im").integers(10**9) for s in ("one", "two", "one")}
    assert draws["one"] != draws["two"]
    assert grading.course_rng("one", "a").integers(10**9) == grading.course_rng("one", "a").integers(10**9)


def test_partial_credit_per_case_group_with_the_reason():
    assign = ("def maxpool_backward(x, dout, pool, stride):\n    dx = np.zeros_like(x)\n"
              "    N, C, OH, OW = dout.shape\n    for n in range(N):\n     for c in range(C):\n"
              "      for i in range(OH):\n       for j in range(OW):\n"
              "        w = x[n, c, i*stride:i*stride+pool, j*stride:j*stride+pool]\n"
              "        k = np.argmax(w)\n        dx[n, c, i*stride + k // pool, j*stride + k % pool] = dout[n, c, i, j]\n"
              "    return dx\n")
    result = _grade("04_pooling", "maxpool_backward", assign)
    assert result.score == 1, result.lines
    assert result.lines[0].startswith("✓") and "ADD them" in result.lines[1], result.lines


def test_what_the_answer_does_to_numpy_or_the_checks_stays_out_of_the_grade():
    cheat = ("import numpy, builtins\nimport cnnlib.checks\n"
             "numpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), bool)\n"
             "builtins.isinstance = lambda *a: True\n"
             "def my_im2col(x, filter_h, filter_w, stride=1, pad=0):\n"
             "    numpy.array_equal = lambda *a: True  # at call time, in the sandbox only\n"
             "    N, C, H, W = x.shape\n    OH, OW = (H + 2*pad - filter_h)//stride + 1, (W + 2*pad - filter_w)//stride + 1\n"
             "    return numpy.zeros((N * OH * OW, C * filter_h * filter_w))\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cheat)])
    source, notes = grading.answer_source(nb)
    assert "numpy.allclose" not in source and "builtins.isinstance" not in source
    assert any("numpy.allclose" in n for n in notes) and any("builtins.isinstance" in n for n in notes)
    result = grading.grade(grading.find("05_im2col", "my_im2col"), source, SECRET, notes)
    assert result.score == 0 and len(result.flags) >= 3, (result.lines, result.flags)
    assert np.allclose(1, 2) is False  # the grader's own numpy is untouched


def test_results_come_back_as_data_not_code():
    evil = ("class Evil:\n    def __reduce__(self):\n        return (print, ('pwned',))\n"
            "def my_im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return Evil()\n")
    result = grading.grade(grading.find("05_im2col", "my_im2col"), evil, SECRET)
    assert result.score == 0 and "return numbers, arrays, lists, tuples or dicts" in result.lines[0], result.lines


def test_an_answer_that_never_returns_is_stopped():
    ex = grading.find("05_im2col", "my_im2col")
    slow = grading.Exercise(ex.assignment, ex.function, ex.groups, timeout=2)
    result = grading.grade(slow, "def my_im2col(*a):\n    while True:\n        pass\n", SECRET)
    assert result.score == 0 and "did not return within 2 s" in result.lines[0], result.lines


def test_course_notebook_has_a_graded_cell_per_exercise_after_its_check():
    nb, exercises = nbgrader_notebook(nbformat.read(BOOK / "05_im2col.ipynb", as_version=4), "05_im2col")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    for e in exercises:
        i = ids.index(e["grade_id"])
        assert ids[i - 2] == f"answer_{e['function']}" and ids[i - 1].startswith("cell_"), ids[i - 2:i + 1]
    assert [e["points"] for e in exercises] == [3, 3]
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all("BEGIN HIDDEN" not in c.source and "rng" not in c.source for c in graded)


def test_teachers_page_lists_every_assignment():
    page = (BOOK / "teachers.md").read_text()
    for stem in {stem for stem, *_ in EXERCISES}:
        assert f"`{stem}`" in page, f"book/teachers.md: add the assignment {stem} to the table"


def test_two_courses_grade_on_different_hidden_cases():
    """The hidden group's failure names its case: another secret, another case."""
    assign = ("def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):\n"
              "    N, C, H, W = input_shape\n    OH = (H + 2 * pad - filter_h) // stride + 1\n"
              "    OW = (W + 2 * pad - filter_w) // stride + 1\n"
              "    p = col.reshape(N, OH, OW, C, filter_h, filter_w)\n"
              "    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))\n"
              "    for i in range(OH):\n        for j in range(OW):\n"
              "            xp[:, :, i*stride:i*stride+filter_h, j*stride:j*stride+filter_w] = p[:, i, j]\n"
              "    return xp[:, :, pad:pad + H, pad:pad + W]\n")
    hidden = {secret: _grade("05_im2col", "my_col2im", assign, secret).lines[-1] for secret in ("course A", "course B")}
    assert all(line.startswith("✗ hidden") for line in hidden.values()), hidden
    assert hidden["course A"] != hidden["course B"], hidden
