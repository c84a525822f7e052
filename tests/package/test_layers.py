"""Scratch layers: numerical gradient checks (float64), forward values against loop
definitions, bad input (and a ``dout`` of the wrong shape), no in-place changes,
dtypes and the params/grads contract.

Gradient checks use the standard trick: for a random ``dout``,
``loss = sum(layer.forward(x) * dout)`` has gradient ``layer.backward(dout)``
with respect to ``x``, and ``layer.grads`` with respect to the parameters.
The threshold is CS231n's ``rel_error <= 1e-7`` in float64.  Max-pooling and
ReLU have kinks; the inputs are kept away from them (distinct values spaced
far more than the step ``h``; no ``|x| < 1e-2`` at a ReLU), so they meet the
same 1e-7 and no looser threshold is needed.

The step ``h``: ``numerical_gradient``'s default 1e-5 (CS231n's) where the loss
is non-linear in the checked array (BatchNormalization's input in training,
the softmax).  Where it is linear, or piecewise linear with every kink kept
more than ``h`` away (convolution, pooling, Affine, ReLU, Dropout,
BatchNormalization in inference, and every parameter of these layers and
gamma/beta), a central difference has no truncation error at any step; its
only error is float64 round-off, about ``1e-16 * |loss| / h``, which at
h = 1e-5 is ~1e-10 absolute: a gradient element that happens to be ~1e-4
would then read as a relative error near 1e-7 from round-off alone.
``H_LINEAR = 1e-3`` cuts that 100-fold.  A larger step cannot hide a wrong
backward pass: for a linear function the difference quotient is the exact
derivative whatever the step.
"""

import re

import numpy as np
import pytest
from padding_by_hand import pads_by_hand

from cnnlib import (
    Affine,
    AveragePooling,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    MaxPooling,
    Relu,
    SoftmaxCrossEntropy,
    reference,
)

TOL = 1e-7  # CS231n's bound for float64 gradient checks
# Dropout and batch normalisation: the same tests for the fast layers and the readable reference
DROPOUTS = pytest.mark.parametrize("Dropout", [Dropout, reference.Dropout], ids=["fast", "reference"])
BATCH_NORMS = pytest.mark.parametrize(
    "BatchNormalization", [BatchNormalization, reference.BatchNormalization], ids=["fast", "reference"])
H_LINEAR = 1e-3  # step where the loss is linear in the checked array (see the module docstring)


def layer_loss(layer, x, dout, train=True):
    return lambda: float(np.sum(layer.forward(x, train) * dout))


def check_all(grad_check, layer, x, rng, train=True, what="", h_x=H_LINEAR, h_params=H_LINEAR):
    """Gradient check of ``layer`` for the input and every parameter; returns {name: rel_error}."""
    out = layer.forward(x, train)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    assert set(grads) == set(layer.params)
    f = layer_loss(layer, x, dout, train)
    errors = {"x": grad_check(f, x, dx, f"{what} dx", h_x)}
    for name, p in layer.params.items():
        errors[name] = grad_check(f, p, grads[name], f"{what} d{name}", h_params)
    return errors


def spaced(rng, shape, spread=4.0):
    """Distinct values, neighbours at least ``spread / size`` apart: no ties or near-ties for a max."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) / size - 0.5) * spread


def away_from_zero(rng, shape, margin=1e-2):
    x = rng.standard_normal(shape)
    return x + np.sign(x) * margin


# ---------------------------------------------------------------- Convolution
# (x shape, W shape, stride, pad): strides 1, 2, 4; int / 'valid' / 'same' padding;
# odd, even and non-square kernels; non-square inputs.
CONV_CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1),
    ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
    ((2, 2, 9, 13), (2, 2, 3, 3), 2, 0),
    ((1, 2, 10, 16), (2, 2, 4, 2), 4, 1),
    ((1, 2, 9, 13), (3, 2, 3, 3), 4, "valid"),
    ((2, 2, 8, 5), (2, 2, 3, 2), 1, "valid"),
    ((2, 2, 6, 9), (3, 2, 2, 2), 1, "same"),
    ((2, 2, 7, 6), (3, 2, 4, 4), 2, "same"),
    ((1, 3, 11, 9), (2, 3, 5, 3), 4, "same"),
]
CONV_IDS = [f"x{c[0][2]}x{c[0][3]}-k{c[1][2]}x{c[1][3]}-s{c[2]}-p{c[3]}" for c in CONV_CASES]



def conv_loops(x, W, b, stride, pad):
    """The definition of a (cross-correlation) convolution, one output value at a time."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    (pt, pb), (pl, pr) = pads_by_hand(H, Wd, FH, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    OH = (H + pt + pb - FH) // stride + 1
    OW = (Wd + pl + pr - FW) // stride + 1
    out = np.zeros((N, FN, OH, OW))
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, :, i * stride : i * stride + FH, j * stride : j * stride + FW]
                    out[n, f, i, j] = np.sum(patch * W[f]) + b[f]
    return out


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=CONV_IDS)
def test_convolution_gradient(grad_check, rng, x_shape, w_shape, stride, pad):
    layer = Convolution(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), stride, pad)
    errors = check_all(grad_check, layer, rng.standard_normal(x_shape), rng, what="Convolution")
    assert max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=CONV_IDS)
def test_convolution_forward_matches_the_definition(rng, x_shape, w_shape, stride, pad):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    out = Convolution(W, b, stride, pad).forward(x)
    np.testing.assert_allclose(out, conv_loops(x, W, b, stride, pad), rtol=1e-12, atol=1e-12)  # float64 rounding


def test_convolution_textbook_example():
    # DLfS figure 7-4 (and 7-5 with bias 3)
    x = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=np.float64)[None, None]
    W = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=np.float64)[None, None]
    np.testing.assert_array_equal(Convolution(W, [0.0]).forward(x)[0, 0], [[15, 16], [6, 15]])
    np.testing.assert_array_equal(Convolution(W, [3.0]).forward(x)[0, 0], [[18, 19], [9, 18]])
    # padding 1 keeps the 4x4 size
    assert Convolution(W, [0.0], pad=1).forward(x).shape == (1, 1, 4, 4)


def test_convolution_output_shape_agrees_with_forward(rng):
    for x_shape, w_shape, stride, pad in CONV_CASES:
        layer = Convolution(rng.standard_normal(w_shape), np.zeros(w_shape[0]), stride, pad)
        assert layer.forward(np.zeros(x_shape)).shape[1:] == layer.output_shape(x_shape[1:])


def test_convolution_with_a_non_contiguous_kernel_still_computes_dW(rng):
    """Regression: ``W = keras_kernel.transpose(3, 2, 0, 1)`` is not contiguous; dW used to stay 0."""
    kernel = rng.standard_normal((3, 3, 2, 4))  # Keras layout (FH, FW, C, FN)
    W = kernel.transpose(3, 2, 0, 1)
    assert not W.flags["C_CONTIGUOUS"]
    x = rng.standard_normal((2, 2, 5, 5))
    strided, contiguous = Convolution(W, np.zeros(4)), Convolution(np.ascontiguousarray(W), np.zeros(4))
    dout = rng.standard_normal((2, 4, 3, 3))
    for layer in (strided, contiguous):
        layer.forward(x)
        layer.backward(dout)
    assert np.abs(contiguous.grads["W"]).max() > 0
    np.testing.assert_allclose(strided.grads["W"], contiguous.grads["W"], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------- pooling
# (x shape, pool, stride, pad): 2/2 non-overlapping (windows that tile the input exactly:
# the fast backward writes every pixel once), 3/2 overlapping, 'valid' with remainders,
# 'same', non-square inputs.
POOL_CASES = [
    ((2, 3, 6, 8), 2, 2, "valid"),
    ((2, 2, 7, 9), 2, 2, "valid"),
    ((2, 2, 7, 9), 3, 2, "valid"),
    ((2, 2, 6, 7), 3, 2, "same"),
    ((1, 2, 5, 7), 2, 2, "same"),
    ((1, 2, 8, 6), 2, 2, "same"),
    ((1, 2, 5, 6), 2, 1, "valid"),
    ((1, 2, 6, 10), 3, 3, "same"),
]
POOL_IDS = [f"x{c[0][2]}x{c[0][3]}-p{c[1]}-s{c[2]}-{c[3]}" for c in POOL_CASES]


def pool_loops(x, pool, stride, pad, reduce):
    """Pooling by definition: each window over the *real* pixels only (padding never counts)."""
    N, C, H, W = x.shape
    (pt, pb), (pl, pr) = pads_by_hand(H, W, pool, pool, stride, pad)
    OH = (H + pt + pb - pool) // stride + 1
    OW = (W + pl + pr - pool) // stride + 1
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            r0, c0 = i * stride - pt, j * stride - pl
            win = x[:, :, max(r0, 0) : r0 + pool, max(c0, 0) : c0 + pool]
            out[:, :, i, j] = reduce(win.reshape(N, C, -1), axis=-1)
    return out


@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES, ids=POOL_IDS)
def test_max_pooling_gradient(grad_check, rng, x_shape, pool, stride, pad):
    x = spaced(rng, x_shape)  # ties or near-ties would put a kink within h of the sample point
    errors = check_all(grad_check, MaxPooling(pool, stride, pad), x, rng, what="MaxPooling")
    assert errors["x"] <= TOL  # kink-free inputs (see spaced()), so the smooth-layer bound holds


@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES, ids=POOL_IDS)
def test_average_pooling_gradient(grad_check, rng, x_shape, pool, stride, pad):
    errors = check_all(grad_check, AveragePooling(pool, stride, pad), rng.standard_normal(x_shape), rng, what="AveragePooling")
    assert errors["x"] <= TOL


def test_global_average_pooling_gradient_and_values(grad_check, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    errors = check_all(grad_check, GlobalAveragePooling(), x, rng, what="GlobalAveragePooling")
    assert errors["x"] <= TOL
    np.testing.assert_allclose(GlobalAveragePooling().forward(x), x.reshape(2, 3, 20).sum(axis=2) / 20, rtol=1e-14)


@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES, ids=POOL_IDS)
def test_pooling_forward_matches_the_definition(rng, x_shape, pool, stride, pad):
    x = rng.standard_normal(x_shape) - 3.0  # all negative: a zero-padded max would show
    np.testing.assert_array_equal(MaxPooling(pool, stride, pad).forward(x), pool_loops(x, pool, stride, pad, np.max))
    np.testing.assert_allclose(
        AveragePooling(pool, stride, pad).forward(x), pool_loops(x, pool, stride, pad, np.mean), rtol=1e-12, atol=1e-12
    )


def test_max_pooling_textbook_example():
    x = np.array([[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]], dtype=np.float64)[None, None]
    layer = MaxPooling(2, 2)
    np.testing.assert_array_equal(layer.forward(x)[0, 0], [[2, 3], [4, 2]])
    dx = layer.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    # the whole gradient goes to each window's maximum
    np.testing.assert_array_equal(dx[0, 0], [[0, 10, 0, 0], [0, 0, 0, 20], [0, 0, 0, 40], [0, 30, 0, 0]])
    np.testing.assert_array_equal(AveragePooling(2, 2).forward(x)[0, 0], [[1, 1.5], [2.25, 1]])


def test_max_pooling_ties_send_the_gradient_to_the_first_maximum():
    x = np.zeros((1, 1, 2, 4))  # every window ties
    layer = MaxPooling(2, 2)
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 2.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 2, 0], [0, 0, 0, 0]])  # once per window, not shared


# --------------------------------------------------------------- Relu, Flatten
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 5)])
def test_relu_gradient(grad_check, rng, shape):
    x = away_from_zero(rng, shape)  # no |x| < 1e-2: the kink at 0 is never within h
    errors = check_all(grad_check, Relu(), x, rng, what="Relu")
    assert errors["x"] <= TOL  # kink avoided, so the smooth bound holds


def test_relu_values():
    x = np.array([[-2.0, -0.0, 0.0, 0.5, 3.0]])
    layer = Relu()
    np.testing.assert_array_equal(layer.forward(x), [[0, 0, 0, 0.5, 3]])
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), [[0, 0, 0, 1, 1]])


def test_flatten_gradient(grad_check, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    layer = Flatten()
    assert layer.forward(x).shape == (2, 60)
    assert check_all(grad_check, layer, x, rng, what="Flatten")["x"] <= TOL


# -------------------------------------------------------------------- Affine
@pytest.mark.parametrize("x_shape", [(4, 6), (3, 2, 3, 2)], ids=["2-D", "4-D flattened"])
def test_affine_gradient(grad_check, rng, x_shape):
    D = int(np.prod(x_shape[1:]))
    layer = Affine(rng.standard_normal((D, 5)), rng.standard_normal(5))
    x = rng.standard_normal(x_shape)
    errors = check_all(grad_check, layer, x, rng, what=f"Affine {len(x_shape)}-D")
    assert max(errors.values()) <= TOL, errors
    assert layer.backward(np.ones((x_shape[0], 5))).shape == x_shape  # dx comes back in the input's shape


def test_affine_values(rng):
    W, b = rng.standard_normal((12, 5)), rng.standard_normal(5)
    x = rng.standard_normal((3, 3, 2, 2))
    np.testing.assert_allclose(Affine(W, b).forward(x), x.reshape(3, 12) @ W + b, rtol=1e-13, atol=1e-13)


# ------------------------------------------------------------------- Dropout
@DROPOUTS
def test_dropout_gradient_with_a_fixed_mask(grad_check, rng, Dropout):
    layer = Dropout(0.5, seed=3)
    x = rng.standard_normal((4, 6))
    dout = rng.standard_normal((4, 6))

    def f():  # the same mask in every call: reseed before each forward
        layer.rng = np.random.default_rng(3)
        return float(np.sum(layer.forward(x, train=True) * dout))

    f()
    dx = layer.backward(dout)
    assert 0 < np.count_nonzero(layer.mask == 0) < x.size  # the mask really drops some units
    assert grad_check(f, x, dx, "Dropout(0.5) dx", H_LINEAR) <= TOL


@DROPOUTS
def test_dropout_scaling_and_inference(rng, Dropout):
    rate = 0.3
    layer = Dropout(rate, seed=0)
    x = np.ones((200, 500))
    out = layer.forward(x, train=True)
    survivors = out[out != 0]
    np.testing.assert_allclose(survivors, 1 / (1 - rate), rtol=1e-15)  # inverted dropout: kept units are scaled
    dropped = np.mean(out == 0)
    # 100,000 Bernoulli(0.3) draws: standard deviation 0.0014, so 0.01 is 7 of them
    assert abs(dropped - rate) < 0.01
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout * out)  # gradient flows only through kept units
    # inference, and rate 0 in training: the identity both ways
    for layer, train in ((Dropout(rate), False), (Dropout(0.0), True)):
        np.testing.assert_array_equal(layer.forward(dout, train=train), dout)
        np.testing.assert_array_equal(layer.backward(x), x)


@DROPOUTS
def test_dropout_seed_makes_masks_reproducible(Dropout):
    x = np.ones((10, 10))
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert not np.array_equal(a.forward(x), Dropout(0.5, seed=8).forward(x))


# --------------------------------------------------------------- BatchNorm
def make_bn(rng, C, momentum=0.9, epsilon=1e-3, BatchNormalization=BatchNormalization):
    layer = BatchNormalization(C, momentum=momentum, epsilon=epsilon, dtype=np.float64)
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, C)
    layer.params["beta"][...] = rng.standard_normal(C)
    layer.state["moving_mean"][...] = rng.standard_normal(C)
    layer.state["moving_var"][...] = rng.uniform(0.5, 2.0, C)
    return layer


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 3, 4)], ids=["dense", "conv"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "inference"])
@BATCH_NORMS
def test_batch_norm_gradient(grad_check, rng, x_shape, train, BatchNormalization):
    layer = make_bn(rng, x_shape[1], BatchNormalization=BatchNormalization)
    x = rng.standard_normal(x_shape) * 2 + 1
    # in training, every f() call also updates the running statistics; the
    # training-mode output does not read them, so the check is unaffected
    # the output is non-linear in x only in training (batch statistics); linear in gamma and beta always
    h_x = 1e-5 if train else H_LINEAR
    errors = check_all(grad_check, layer, x, rng, train=train, what=f"BatchNormalization {x_shape} train={train}", h_x=h_x)
    assert max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 3, 4)], ids=["dense", "conv"])
@BATCH_NORMS
def test_batch_norm_values_and_running_statistics(rng, x_shape, BatchNormalization):
    C = x_shape[1]
    axes = (0,) if len(x_shape) == 2 else (0, 2, 3)
    shape = (1, C) + (1,) * (len(x_shape) - 2)
    layer = make_bn(rng, C, momentum=0.9, epsilon=1e-2, BatchNormalization=BatchNormalization)
    gamma, beta = layer.params["gamma"].reshape(shape), layer.params["beta"].reshape(shape)
    mm0, mv0 = layer.state["moving_mean"].copy(), layer.state["moving_var"].copy()
    state_arrays = dict(layer.state)
    x = rng.standard_normal(x_shape) * 2 + 1

    out = layer.forward(x, train=True)
    mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased variance, as Keras
    expected = gamma * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-2) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.state["moving_mean"], 0.9 * mm0 + 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.state["moving_var"], 0.9 * mv0 + 0.1 * var, rtol=1e-12)
    assert all(layer.state[k] is v for k, v in state_arrays.items())  # updated in place (a model saves them)

    # the training output does not depend on the running statistics
    layer.state["moving_mean"][...] = 1e3
    np.testing.assert_allclose(layer.forward(x, train=True), expected, rtol=1e-12, atol=1e-12)

    # inference uses them, and leaves them alone
    layer.state["moving_mean"][...], layer.state["moving_var"][...] = mm0, mv0
    out = layer.forward(x, train=False)
    expected = gamma * (x - mm0.reshape(shape)) / np.sqrt(mv0.reshape(shape) + 1e-2) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(layer.state["moving_mean"], mm0)
    np.testing.assert_array_equal(layer.state["moving_var"], mv0)


def test_batch_norm_keras_defaults():
    layer = BatchNormalization(3)
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    np.testing.assert_array_equal(layer.params["gamma"], 1)
    np.testing.assert_array_equal(layer.params["beta"], 0)
    np.testing.assert_array_equal(layer.state["moving_mean"], 0)
    np.testing.assert_array_equal(layer.state["moving_var"], 1)
    assert "moving_mean" not in layer.params  # never seen by an optimizer


# ------------------------------------------------------------ Softmax + CE
def label_forms(rng, N=5, K=4):
    t = np.array([0, 3, 1, 2, 3])[:N]
    soft = rng.uniform(0.1, 1.0, (N, K))
    return {
        "int (N,)": t,
        "int (N, 1)": t[:, None],
        "one-hot": np.eye(K)[t],
        "probabilities": soft / soft.sum(axis=1, keepdims=True),
    }


@pytest.mark.parametrize("form", ["int (N,)", "int (N, 1)", "one-hot", "probabilities"])
def test_softmax_cross_entropy_gradient(grad_check, rng, form):
    t = label_forms(rng)[form]
    x = rng.standard_normal((5, 4))
    layer = SoftmaxCrossEntropy()
    dout = 0.7  # an upstream gradient other than 1

    def f():
        return dout * layer.forward(x, t)

    f()
    dx = layer.backward(dout)
    assert grad_check(f, x, dx, f"SoftmaxCrossEntropy {form} dx") <= TOL


def test_softmax_cross_entropy_values(rng):
    x = rng.standard_normal((5, 4))
    forms = label_forms(rng)
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(5), forms["int (N,)"]])
    for form in ("int (N,)", "int (N, 1)", "one-hot"):
        assert SoftmaxCrossEntropy().forward(x, forms[form]) == pytest.approx(expected, rel=1e-14)
    # zero logits: the loss is ln K whatever the labels
    assert SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.array([1, 5, 9])) == pytest.approx(np.log(10), rel=1e-14)
    # large logits neither overflow nor take log(0)
    big = np.array([[1000.0, 0.0, -1000.0]])
    layer = SoftmaxCrossEntropy()
    assert layer.forward(big, np.array([0])) == 0.0
    assert layer.forward(big, np.array([2])) == pytest.approx(2000.0)
    assert np.all(np.isfinite(layer.backward()))


# ---------------------------------------------------- float32, params, in place
def layer_cases(rng, dtype):
    """(name, layer, x, extra forward args) for every layer, in ``dtype``."""
    r = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    return [
        ("Convolution", Convolution(r(3, 2, 3, 3), r(3), 2, "same"), r(2, 2, 7, 6)),
        ("MaxPooling", MaxPooling(3, 2, "same"), r(2, 2, 7, 6)),
        ("MaxPooling tiling", MaxPooling(2), r(2, 2, 6, 6)),
        ("AveragePooling", AveragePooling(3, 2, "same"), r(2, 2, 7, 6)),
        ("GlobalAveragePooling", GlobalAveragePooling(), r(2, 3, 4, 5)),
        ("Relu", Relu(), r(2, 2, 3, 3)),
        ("Flatten", Flatten(), r(2, 2, 3, 3)),
        ("Affine", Affine(r(18, 4), r(4)), r(2, 2, 3, 3)),
        ("Dropout", Dropout(0.5, seed=0), r(4, 5)),
        ("BatchNormalization", BatchNormalization(2, dtype=dtype), r(3, 2, 2, 2)),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_the_dtype(rng, dtype):
    for name, layer, x in layer_cases(rng, dtype):
        for train in (True, False):
            out = layer.forward(x, train)
            assert out.dtype == dtype, f"{name} forward (train={train}) gave {out.dtype}"
            assert layer.backward(np.ones_like(out)).dtype == dtype, f"{name} backward"
        for k, g in layer.grads.items():
            assert g.dtype == dtype, f"{name} grads[{k}]"
    loss = SoftmaxCrossEntropy()
    assert isinstance(loss.forward(np.zeros((2, 3), dtype), np.array([0, 1])), float)
    assert loss.backward().dtype == dtype


def test_layers_do_not_modify_input_or_dout(rng):
    for name, layer, x in layer_cases(rng, np.float64):
        x_before = x.copy()
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dout_before = dout.copy()
        layer.backward(dout)
        np.testing.assert_array_equal(x, x_before, err_msg=f"{name} changed its input")
        np.testing.assert_array_equal(dout, dout_before, err_msg=f"{name} changed dout")
    x, t = rng.standard_normal((3, 4)), np.array([0, 1, 3])
    x_before, t_before = x.copy(), t.copy()
    SoftmaxCrossEntropy().forward(x, t)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)


def test_params_and_grads_stay_the_same_arrays(rng):
    """An optimizer is handed the dicts once: forward/backward must write into, never replace, them."""
    for name, layer, x in layer_cases(rng, np.float64):
        params = {k: v for k, v in layer.params.items()}
        grads = {k: v for k, v in layer.grads.items()}
        assert params.keys() == grads.keys()
        for _ in range(2):
            out = layer.forward(x)
            layer.backward(rng.standard_normal(out.shape))
        for k in params:
            assert layer.params[k] is params[k], f"{name}.params[{k}] replaced"
            assert layer.grads[k] is grads[k], f"{name}.grads[{k}] replaced"
            assert grads[k].shape == params[k].shape
            assert np.abs(grads[k]).max() > 0, f"{name}.grads[{k}] never written"


def test_returned_arrays_survive_the_next_call(rng):
    """Layers keep scratch buffers between calls; what they return must not live in them."""
    for name, layer, x in layer_cases(rng, np.float64):
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout)
        out_copy, dx_copy = out.copy(), dx.copy()
        out2 = layer.forward(x * 2 + 1)
        layer.backward(rng.standard_normal(out2.shape))
        np.testing.assert_array_equal(out, out_copy, err_msg=f"{name}: forward output overwritten by the next call")
        np.testing.assert_array_equal(dx, dx_copy, err_msg=f"{name}: backward output overwritten by the next call")


@pytest.mark.parametrize("order", ["batch last", "Fortran", "strided"])
def test_results_do_not_depend_on_the_memory_order_of_x_and_dout(rng, order):
    """A convolution hands on its output stored batch last (a transposed view); every
    layer must give the same numbers whatever the memory order of what it is given."""

    def relaid(a):
        if order == "batch last":
            return np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))
        if order == "Fortran":
            return np.asfortranarray(a)
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view

    for name, layer, x in layer_cases(rng, np.float64):
        layer.rng = np.random.default_rng(0)  # Dropout: the same mask both times
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout).copy()
        out, grads = out.copy(), {k: v.copy() for k, v in layer.grads.items()}
        x2, dout2 = relaid(x), relaid(dout)
        assert not x2.flags["C_CONTIGUOUS"] and np.array_equal(x2, x)
        layer.rng = np.random.default_rng(0)
        out2 = layer.forward(x2)
        dx2 = layer.backward(dout2)
        # the same sums, perhaps in another order: float64 round-off
        np.testing.assert_allclose(out2, out, rtol=1e-12, atol=1e-12, err_msg=f"{name} forward, {order}")
        np.testing.assert_allclose(dx2, dx, rtol=1e-12, atol=1e-12, err_msg=f"{name} backward, {order}")
        for k in grads:
            np.testing.assert_allclose(layer.grads[k], grads[k], rtol=1e-12, atol=1e-12, err_msg=f"{name} d{k}, {order}")


def test_backward_params_gives_the_same_gradients_as_backward(rng):
    """``backward_params`` (a training step's first layer: no d loss / d x) writes the same grads."""
    for name, layer, x in layer_cases(rng, np.float64):
        if not layer.params:
            continue
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        layer.backward(dout)
        full = {k: v.copy() for k, v in layer.grads.items()}
        for g in layer.grads.values():
            g[...] = np.nan
        layer.forward(x)
        assert layer.backward_params(dout) is None
        for k in full:
            np.testing.assert_array_equal(layer.grads[k], full[k], err_msg=f"{name} {k}")


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "layer, x, message",
    [
        (Convolution(np.ones((2, 1, 3, 3)), np.zeros(2)), np.ones((1, 28, 28)),
         r"Convolution expects a 4-D array \(N, C, H, W\); got shape \(1, 28, 28\)"),
        (MaxPooling(2), np.ones((28, 28)), r"MaxPooling expects a 4-D array .*got shape \(28, 28\)"),
        (AveragePooling(2), np.ones((2, 3, 4, 4, 1)), r"AveragePooling expects a 4-D array .*\(2, 3, 4, 4, 1\)"),
        (BatchNormalization(3), np.ones((2, 3, 4)), r"BatchNormalization\(3\) expects \(N, 3\) or \(N, 3, H, W\); got shape \(2, 3, 4\)"),
        (Affine(np.ones((4, 2)), np.zeros(2)), np.ones(4), r"Affine expects an array \(N, D\) or \(N, \.\.\.\); got shape \(4,\)"),
    ],
    ids=["Convolution", "MaxPooling", "AveragePooling", "BatchNormalization", "Affine"],
)  # fmt: skip
def test_wrong_number_of_dimensions(layer, x, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(x)


LAYER_NAMES = [name for name, _, _ in layer_cases(np.random.default_rng(0), np.float64)]


@pytest.mark.parametrize("train", [True, False], ids=["train", "inference"])
@pytest.mark.parametrize("name", LAYER_NAMES)
def test_dout_of_the_wrong_shape_is_a_clear_error(rng, name, train):
    """``backward`` (and ``backward_params``) take the gradient of the layer's last forward
    output: any other shape, even one that would broadcast or has the same size, is a
    ValueError naming the layer, the shape given and the one expected, before any grad is written."""
    ((_, layer, x),) = [case for case in layer_cases(rng, np.float64) if case[0] == name]
    out = layer.forward(x, train)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    wrong = [
        rng.standard_normal(out.shape[:-1] + (out.shape[-1] + 1,)),  # one column too many
        rng.standard_normal(out.shape[1:]),  # no batch axis: would broadcast over it
        rng.standard_normal((1,) + out.shape[1:]),  # batch of 1: broadcasts too
        rng.standard_normal(out.size),  # the right number of values, flattened
        np.float64(1.0),  # scalars
        1.0,
    ]
    kind = type(layer).__name__
    for dout in wrong:
        message = (
            rf"^{kind}\.backward: dout has shape {re.escape(str(np.shape(dout)))}; expected "
            rf"{re.escape(str(out.shape))}, the shape of this layer's last forward output: "
            rf"pass the gradient of the loss with respect to this layer's output$"
        )
        backwards = [layer.backward] + ([layer.backward_params] if layer.params else [])
        for backward in backwards:
            with pytest.raises(ValueError, match=message):
                backward(dout)
            for k in grads:
                np.testing.assert_array_equal(layer.grads[k], grads[k], err_msg=f"{kind} wrote grads[{k}]")
    with pytest.raises(TypeError, match=rf"^{kind}\.backward expects dout as a numpy array .*; got list$"):
        layer.backward(np.ones(out.shape).tolist())
    assert layer.backward(np.ones_like(out)).shape == x.shape  # the layer still works


def test_loss_backward_takes_a_scalar():
    loss = SoftmaxCrossEntropy()
    loss.forward(np.zeros((3, 4)), np.array([0, 1, 2]))
    message = (
        r"^SoftmaxCrossEntropy\.backward: dout has shape \(3, 4\); expected \(\), the shape of this "
        r"layer's last forward output: pass the gradient of the loss with respect to this layer's output$"
    )
    with pytest.raises(ValueError, match=message):
        loss.backward(np.ones((3, 4)))
    assert loss.backward(np.float32(0.5)).shape == loss.backward(np.array(2.0)).shape == (3, 4)


def test_channels_that_do_not_match_the_weights():
    conv = Convolution(np.ones((4, 1, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"input has 3 channels but the filters expect 1"):
        conv.forward(np.ones((2, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"has 28 channels .* NHWC data must be transposed to NCHW"):
        conv.forward(np.ones((2, 28, 28, 1)))  # a Keras-layout batch
    with pytest.raises(ValueError, match=r"BatchNormalization\(4\) expects \(N, 4\) or \(N, 4, H, W\); got shape \(2, 3, 5, 5\)"):
        BatchNormalization(4).forward(np.ones((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"has 12 features per sample \(shape \(2, 3, 2, 2\)\) but W has 10 rows"):
        Affine(np.ones((10, 3)), np.zeros(3)).forward(np.ones((2, 3, 2, 2)))


def test_kernel_larger_than_the_padded_input():
    conv = Convolution(np.ones((1, 1, 5, 5)), np.zeros(1))
    with pytest.raises(ValueError, match=r"filter \(5\) is larger than the padded input \(3 \+ 0 \+ 0 = 3\)"):
        conv.forward(np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        Convolution(np.ones((1, 1, 5, 5)), np.zeros(1), pad="valid").forward(np.ones((1, 1, 4, 8)))
    with pytest.raises(ValueError, match=r"filter \(2\) is larger than the padded input \(1 \+ 0 \+ 0 = 1\)"):
        MaxPooling(2).forward(np.ones((1, 1, 1, 1)))


def test_non_integral_output_size():
    # (6 - 3) / 2 + 1 = 2.5 with integer padding: an error, not a silently dropped row
    with pytest.raises(ValueError, match=r"= 2\.5 is not an integer"):
        Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), stride=2, pad=0).forward(np.ones((1, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"= 2\.5 is not an integer"):
        MaxPooling(3, 2, pad=0).forward(np.ones((1, 1, 6, 6)))


@pytest.mark.parametrize(
    "x, t, message",
    [
        (np.zeros((3, 4)), np.array([0, 4, 1]), r"labels must lie in \[0, 3\]; got values from 0 to 4"),
        (np.zeros((3, 4)), np.array([0, -1, 1]), r"labels must lie in \[0, 3\]; got values from -1 to 1"),
        (np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]), r"integer class labels expected; got dtype float64"),
        (np.zeros((3, 4)), np.array([0, 1]), r"3 logits but 2 labels"),
        (np.zeros((3, 4)), np.eye(5)[:3], r"labels must be \(N,\) integers or \(N, 4\) one-hot; got shape \(3, 5\)"),
        (np.zeros(4), np.array([1]), r"SoftmaxCrossEntropy expects a 2-D array \(N, classes\) of logits; got shape \(4,\)"),
    ],
    ids=["too large", "negative", "float", "count", "one-hot width", "1-D logits"],
)
def test_bad_labels_and_logits(x, t, message):
    with pytest.raises(ValueError, match=message):
        SoftmaxCrossEntropy().forward(x, t)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Convolution(np.ones((2, 3, 3)), np.zeros(2)), r"must be 4-D \(FN, C, FH, FW\); got shape \(2, 3, 3\)"),
        (lambda: Convolution(np.ones((2, 1, 3, 3)), np.zeros(3)), r"bias must have shape \(2,\); got \(3,\)"),
        (lambda: Convolution(np.ones((2, 1, 3, 3)), np.zeros(2), stride=0), "stride must be a positive integer; got 0"),
        (lambda: Convolution(np.ones((2, 1, 3, 3)), np.zeros(2), stride=1.5), "stride must be a positive integer; got 1.5"),
        (lambda: Convolution(np.ones((2, 1, 3, 3)), np.zeros(2), pad="full"), "padding must be an integer, 'valid' or 'same'"),
        (lambda: Affine(np.ones(4), np.zeros(1)), r"Affine weights must be 2-D \(D, M\)"),
        (lambda: Affine(np.ones((4, 2)), np.zeros(4)), r"Affine bias must have shape \(2,\); got \(4,\)"),
        (lambda: MaxPooling(2, stride=0), "stride must be a positive integer; got 0"),
        (lambda: MaxPooling(2.7, 1.5), r"pool_size must be a positive integer or a pair of them; got 2.7"),
        (lambda: MaxPooling(2, 1.5), "stride must be a positive integer; got 1.5"),
        (lambda: AveragePooling((2, 0)), r"pool_size must be a positive integer or a pair of them; got \(2, 0\)"),
        (lambda: AveragePooling(True), "pool_size must be a positive integer or a pair of them; got True"),
        (lambda: MaxPooling(2, pad=1.5), "padding must be"),
        (lambda: AveragePooling(2, pad=-1), "padding must be >= 0"),
        (lambda: Dropout(1.0), r"dropout rate must be in \[0, 1\); got 1.0"),
    ],
)
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_one_normaliser_for_window_arguments():
    """Pooling and convolution read kernel, stride and padding through one function
    (``cnnlib.geometry.window_arguments``): floats are refused, never rounded."""
    pool = MaxPooling((2, 3), pad="same")
    assert (pool.pool_h, pool.pool_w, pool.stride, pool.pad) == (2, 3, 2, "same")  # stride defaults to the height
    assert AveragePooling(np.int64(3), np.int32(2)).stride == 2
    for make in (lambda: MaxPooling(2.0), lambda: Convolution(np.ones((1, 1, 2, 2)), np.zeros(1), stride=2.0)):
        with pytest.raises(ValueError, match="must be a positive integer"):
            make()


@pytest.mark.parametrize("name", LAYER_NAMES + ["SoftmaxCrossEntropy"])
def test_backward_before_forward_is_a_clear_error(rng, name):
    from cnnlib.fast_layers import BackwardBeforeForward

    layer = dict((n, layer) for n, layer, _ in layer_cases(rng, np.float64)).get(name, SoftmaxCrossEntropy())
    with pytest.raises(BackwardBeforeForward, match=rf"{type(layer).__name__}.backward was called before forward"):
        layer.backward(np.ones((2, 3)))
    if layer.params:
        with pytest.raises(BackwardBeforeForward, match="call forward"):
            layer.backward_params(np.ones((2, 3)))
