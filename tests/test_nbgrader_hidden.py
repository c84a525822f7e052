"""The nbgrader course's hidden tests, in-process (no nbgrader, no kernel): every coding
exercise of the book has one; it passes on the book's reference answer, fails on the stub,
and fails on a plausible wrong answer that passes the visible check (for most exercises, an
answer that calls cnnlib's own implementation under another name).  The end-to-end run
through nbgrader's command line is tests/test_nbgrader.py."""

import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

import cnnlib
from cnnbook.classroom import HIDDEN_TESTS, nbgrader_notebook, solution_region_source, stub_source

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
KERAS_CHAPTERS = {"08_chainer_to_keras", "11_alexnet_keras_cifar10"}


def _exercises():
    """(stem, function, reference source, check source, hidden source) of every coding exercise."""
    found = []
    for path in sorted(BOOK.glob("*.ipynb")):
        nb, exercises = nbgrader_notebook(nbformat.read(path, as_version=4), path.stem)
        cells = nb.cells
        for i, cell in enumerate(cells):
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("solution"):
                continue
            name = meta["grade_id"].removeprefix("answer_")
            reference = "\n".join(l for l in cell.source.splitlines() if "### BEGIN" not in l and "### END" not in l)
            check = cells[i + 1].source
            hidden = cells[i + 2].source if cells[i + 2].metadata["nbgrader"]["grade_id"].startswith("hidden_") else None
            found.append((path.stem, name, reference, check, hidden))
    return found


EXERCISES = _exercises()
IDS = [f"{stem}-{name}" for stem, name, *_ in EXERCISES]


def _data_dir():
    env = os.environ.get("CNNLIB_DATA")
    if env:
        return env
    shared = ROOT.parent / "shared" / "datasets"
    return str(shared) if shared.is_dir() else None


def _chapter_state(stem):
    """The variables of the chapter that a check or hidden test reads (small stand-ins)."""
    rng = np.random.default_rng(0)
    if stem == "07_lenet_scratch_mnist":
        if _data_dir() is None:
            pytest.skip("needs MNIST (CNNLIB_DATA)")
        (x, _), _ = cnnlib.load_mnist(data_dir=_data_dir())
        return {"x_train": cnnlib.to_nchw(cnnlib.scale(x[:200])),
                "weights": ["conv1", "conv2", "dense1", "dense2", "dense3"]}
    if stem == "08_chainer_to_keras":
        return {"x_test_10k": rng.uniform(0, 1, (60, 28, 28, 1)).astype(np.float32)}
    if stem == "11_alexnet_keras_cifar10":
        return {"x_test_10k": rng.uniform(0, 1, (30, 32, 32, 3)).astype(np.float32)}
    if stem == "10_alexnet_scratch_cifar10":
        t, y = rng.integers(0, 10, 10_000), rng.integers(0, 10, 10_000)
        return {"t_test_10k": t, "predictions": y, "cm": np.bincount(10 * t + y, minlength=100).reshape(10, 10)}
    if stem == "12_overfitting":
        return {"x_train": rng.uniform(0, 1, (16, 32, 32, 3)).astype(np.float32)}
    if stem == "scaling":
        def gradient(X, y, w):
            return X.T @ (X @ w - y) / len(X)
        return {"gradient": gradient}
    return {}


def _namespace(stem, answer):
    ns = _chapter_state(stem)
    exec("import numpy as np\nimport cnnlib\n", ns)
    exec(answer, ns)
    return ns


def _skip_keras(stem):
    if stem in KERAS_CHAPTERS:
        pytest.importorskip("keras")


def test_every_coding_exercise_has_a_hidden_test():
    assert len(EXERCISES) >= 14, IDS
    missing = [f"{stem}: {name}" for stem, name, _, _, hidden in EXERCISES if hidden is None]
    assert not missing, f"add hidden tests to cnnbook.classroom.HIDDEN_TESTS for {missing}"
    stale = set(HIDDEN_TESTS) - {(stem, name) for stem, name, *_ in EXERCISES}
    assert not stale, f"hidden tests for exercises the book no longer has: {sorted(stale)}"


@pytest.mark.parametrize("stem, name, reference, check, hidden", EXERCISES, ids=IDS)
def test_hidden_test_passes_the_reference_and_fails_the_stub(stem, name, reference, check, hidden):
    _skip_keras(stem)
    exec(hidden, _namespace(stem, reference))
    with pytest.raises(NotImplementedError):
        exec(hidden, _namespace(stem, stub_source(reference)))


# Plausible wrong answers that pass the visible check but not the hidden test.
WRONG = {
    ("01_why_cnns", "conv_params"): (
        "def conv_params(C, FN, FH, FW):\n    return FN * C * FH * FH + FN\n\n"
        "def dense_params(n_in, n_out):\n    return n_in * n_out + n_out\n"
    ),
    ("02_convolution", "conv_forward"): (
        "def conv_forward(x, W, b, stride=1, pad=0):\n    return cnnlib.Convolution(W, b, stride, pad).forward(x)\n"
    ),
    ("03_padding_stride", "conv_output_size"): (
        "def conv_output_size(H, F, S=1, P=0):\n"
        "    if (H + 2 * P - F) % S:\n        raise ValueError('the filter does not fit')\n"
        "    return (H + 2 * P - F) // S + 1\n"
    ),
    ("04_pooling", "maxpool_backward"): (
        "def maxpool_backward(x, dout, pool, stride):\n"
        "    layer = cnnlib.MaxPooling(pool, stride)\n    layer.forward(x)\n    return layer.backward(dout)\n"
    ),
    ("05_im2col", "my_im2col"): (
        "from cnnlib.im2col import im2col as fast\n\n"
        "def my_im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return fast(x, filter_h, filter_w, stride, pad)\n"
    ),
    ("05_im2col", "my_col2im"): (
        "def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):\n"
        "    return cnnlib.col2im(col, input_shape, filter_h, filter_w, stride, pad)\n"
    ),
    ("06_minibatch", "softmax_cross_entropy_grad"): (
        "def softmax_cross_entropy_grad(logits, labels):\n"
        "    y = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
        "    y[np.arange(len(labels)), labels] -= 1\n    return y / len(labels)\n"
    ),
    ("06_minibatch", "adam_step"): (
        "def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):\n"
        "    m = 0.9 * m + 0.1 * grad\n    v = 0.999 * v + 0.001 * grad ** 2\n"
        "    return param - lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + eps), m, v\n"
    ),
    ("09_alexnet_keras_mnist", "same_output_shapes"): (
        "def same_output_shapes(input_shape):\n    h, w, c = input_shape\n    shapes = []\n"
        "    for stride, filters in [(4, 96), (2, None), (1, 256), (2, None), (1, 384), (1, 384), (1, 256), (2, None)]:\n"
        "        h, w = max(1, round(h / stride)), max(1, round(w / stride))\n        c = filters or c\n        shapes.append((h, w, c))\n"
        "    return shapes\n"
    ),
    ("10_alexnet_scratch_cifar10", "confusion_matrix"): (
        "def confusion_matrix(t, y, num_classes=10):\n"
        "    return np.bincount(num_classes * t + y, minlength=num_classes ** 2).reshape(num_classes, num_classes)\n"
    ),
    ("12_overfitting", "random_crop"): (
        "def random_crop(images, pad, rng):\n    n, h, w, _ = images.shape\n"
        "    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))  # zeros, not 'reflect'\n"
        "    dy, dx = rng.integers(0, 2 * pad + 1, n), rng.integers(0, 2 * pad + 1, n)\n"
        "    return np.stack([padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])\n"
    ),
    ("performance", "maxpool_backward"): (
        "from cnnlib.layers import MaxPooling as Pool\n\n"
        "def maxpool_backward(x, dout, pool, stride):\n"
        "    layer = Pool(pool, stride)\n    layer.forward(x)\n    return layer.backward(dout)\n"
    ),
    ("scaling", "combine_replica_gradients"): (
        "def combine_replica_gradients(grads, sizes):\n"
        "    return np.array(sizes) @ np.array(grads) / sum(sizes)\n"
    ),
}
WRONG_CASES = [e for e in EXERCISES if (e[0], e[1]) in WRONG]


def test_most_exercises_have_a_wrong_answer_here():
    assert len(WRONG_CASES) >= 12, sorted(WRONG)


@pytest.mark.parametrize("stem, name, reference, check, hidden", WRONG_CASES, ids=[f"{e[0]}-{e[1]}" for e in WRONG_CASES])
def test_wrong_answer_passes_the_check_but_not_the_hidden_test(stem, name, reference, check, hidden, capsys):
    wrong = WRONG[(stem, name)]
    if stem == "09_alexnet_keras_mnist":  # the check compares with Keras models: same shapes as the reference there
        ref, bad = _namespace(stem, reference), _namespace(stem, wrong)
        for shape in [(28, 28, 1), (1, 28, 28), (32, 32, 3)]:
            assert bad[name](shape) == ref[name](shape)
    else:
        exec(check, _namespace(stem, wrong))
    with pytest.raises((AssertionError, RuntimeError, TypeError, ValueError)):
        exec(hidden, _namespace(stem, wrong))
    # the library works again after the hidden test
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert cnnlib.im2col(x, 2, 2, 2, 0).shape == (4, 4)
    assert cnnlib.MaxPooling(2, 2).forward(x).shape == (1, 1, 2, 2)


def test_solution_regions_keep_signature_docstring_and_imports():
    source = (
        "import math\n\n"
        "def f(x):\n    '''Doc.'''\n    y = x + 1\n    return y\n\n"
        "def g(a, b=2):\n    return a * b\n"
    )
    marked = solution_region_source(source, hint="use a loop")
    assert marked == (
        "import math\n\n"
        "def f(x):\n    '''Doc.'''\n    # Hint: use a loop\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n"
        "    ### END SOLUTION\n\n"
        "def g(a, b=2):\n    # Hint: use a loop\n    ### BEGIN SOLUTION\n    return a * b\n    ### END SOLUTION\n"
    )


def test_teachers_page_lists_every_assignment():
    page = (BOOK / "teachers.md").read_text()
    for stem in {stem for stem, *_ in EXERCISES}:
        assert f"`{stem}`" in page, f"book/teachers.md: add the assignment {stem} to the table"
