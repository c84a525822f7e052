"""The readable reference (``cnnlib.reference``) on its own: gradient checks in float64
(CS231n's ``rel_error <= 1e-7``), values against the definitions, Keras's batch-norm and
dropout semantics, dtypes, and the params/grads contract.

The cases and helpers are those of ``tests/test_layers.py`` (the fast path), so both
implementations meet the same bounds on the same shapes; ``tests/test_reference_twins.py``
then checks that the two give the same numbers.
"""

import numpy as np
import pytest
from test_layers import (
    CONV_CASES,
    CONV_IDS,
    H_LINEAR,
    POOL_CASES,
    POOL_IDS,
    TOL,
    away_from_zero,
    check_all,
    conv_loops,
    label_forms,
    pool_loops,
    spaced,
)

from cnnlib import reference as ref


# --------------------------------------------------------------- Dropout
def test_dropout_gradient_with_a_fixed_mask(grad_check, rng):
    layer = ref.Dropout(0.5, seed=3)
    x = rng.standard_normal((4, 6))
    dout = rng.standard_normal((4, 6))

    def f():  # the same mask in every call: reseed before each forward
        layer.rng = np.random.default_rng(3)
        return float(np.sum(layer.forward(x, train=True) * dout))

    f()
    dx = layer.backward(dout)
    assert 0 < np.count_nonzero(layer.mask == 0) < x.size  # the mask really drops some values
    assert grad_check(f, x, dx, "reference Dropout(0.5) dx", H_LINEAR) <= TOL


def test_dropout_scaling_and_inference(rng):
    rate = 0.3
    layer = ref.Dropout(rate, seed=0)
    x = np.ones((200, 500))
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out[out != 0], 1 / (1 - rate), rtol=1e-15)  # survivors scaled up
    # 100,000 Bernoulli(0.3) draws: standard deviation 0.0014, so 0.01 is 7 of them
    assert abs(np.mean(out == 0) - rate) < 0.01
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout * out)  # only through the survivors
    for layer, train in ((ref.Dropout(rate), False), (ref.Dropout(0.0), True)):  # identity both ways
        np.testing.assert_array_equal(layer.forward(dout, train=train), dout)
        np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_seed_and_bad_rate():
    x = np.ones((10, 10))
    np.testing.assert_array_equal(ref.Dropout(0.5, seed=7).forward(x), ref.Dropout(0.5, seed=7).forward(x))
    assert not np.array_equal(ref.Dropout(0.5, seed=7).forward(x), ref.Dropout(0.5, seed=8).forward(x))
    for rate in (-0.1, 1.0):
        with pytest.raises(ValueError, match=r"dropout rate must be in \[0, 1\)"):
            ref.Dropout(rate)


# ------------------------------------------------------------ BatchNormalization
def make_bn(rng, C, momentum=0.9, epsilon=1e-3):
    layer = ref.BatchNormalization(C, momentum=momentum, epsilon=epsilon, dtype=np.float64)
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, C)
    layer.params["beta"][...] = rng.standard_normal(C)
    layer.state["moving_mean"][...] = rng.standard_normal(C)
    layer.state["moving_var"][...] = rng.uniform(0.5, 2.0, C)
    return layer


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 3, 4)], ids=["dense", "conv"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "inference"])
def test_batch_norm_gradient(grad_check, rng, x_shape, train):
    layer = make_bn(rng, x_shape[1])
    x = rng.standard_normal(x_shape) * 2 + 1
    h_x = 1e-5 if train else H_LINEAR  # non-linear in x only in training (batch statistics)
    errors = check_all(grad_check, layer, x, rng, train=train, what=f"reference BatchNormalization {x_shape}", h_x=h_x)
    assert max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 3, 4)], ids=["dense", "conv"])
def test_batch_norm_values_and_running_statistics(rng, x_shape):
    C = x_shape[1]
    axes = (0,) if len(x_shape) == 2 else (0, 2, 3)
    shape = (1, C) + (1,) * (len(x_shape) - 2)
    layer = make_bn(rng, C, momentum=0.9, epsilon=1e-2)
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

    layer.state["moving_mean"][...], layer.state["moving_var"][...] = mm0, mv0
    out = layer.forward(x, train=False)  # inference: the running statistics, left alone
    expected = gamma * (x - mm0.reshape(shape)) / np.sqrt(mv0.reshape(shape) + 1e-2) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(layer.state["moving_mean"], mm0)
    np.testing.assert_array_equal(layer.state["moving_var"], mv0)


def test_batch_norm_keras_defaults_and_bad_input():
    layer = ref.BatchNormalization(3)
    assert (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    assert layer.params["gamma"].dtype == np.float32
    np.testing.assert_array_equal(layer.params["gamma"], 1)
    np.testing.assert_array_equal(layer.params["beta"], 0)
    np.testing.assert_array_equal(layer.state["moving_mean"], 0)
    np.testing.assert_array_equal(layer.state["moving_var"], 1)
    assert "moving_mean" not in layer.params  # never seen by an optimizer
    with pytest.raises(ValueError, match=r"BatchNormalization\(3\) expects \(N, 3\) or \(N, 3, H, W\)"):
        layer.forward(np.zeros((2, 4)))


# ------------------------------------------------------------------ Convolution
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=CONV_IDS)
def test_convolution_gradient_and_values(grad_check, rng, x_shape, w_shape, stride, pad):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    layer = ref.Convolution(W, b, stride, pad)
    np.testing.assert_allclose(layer.forward(x), conv_loops(x, W, b, stride, pad), rtol=1e-12, atol=1e-12)
    errors = check_all(grad_check, layer, x, rng, what="reference Convolution")
    assert max(errors.values()) <= TOL, errors


# ---------------------------------------------------------------------- pooling
@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES, ids=POOL_IDS)
def test_pooling_gradient_and_values(grad_check, rng, x_shape, pool, stride, pad):
    x = spaced(rng, x_shape) - 3.0  # distinct (no kink within h) and all negative (a zero-padded max would show)
    maxpool, avgpool = ref.MaxPooling(pool, stride, pad), ref.AveragePooling(pool, stride, pad)
    np.testing.assert_array_equal(maxpool.forward(x), pool_loops(x, pool, stride, pad, np.max))
    np.testing.assert_allclose(avgpool.forward(x), pool_loops(x, pool, stride, pad, np.mean), rtol=1e-12, atol=1e-12)
    assert check_all(grad_check, maxpool, x, rng, what="reference MaxPooling")["x"] <= TOL
    assert check_all(grad_check, avgpool, x, rng, what="reference AveragePooling")["x"] <= TOL


def test_max_pooling_ties_send_the_gradient_to_the_first_maximum():
    layer = ref.MaxPooling(2, 2)
    layer.forward(np.zeros((1, 1, 2, 4)))  # every window ties
    dx = layer.backward(np.array([[[[1.0, 2.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[1, 0, 2, 0], [0, 0, 0, 0]])


# ------------------------------------------------- Relu, Flatten, Affine, loss
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 5)])
def test_relu_and_flatten_gradients(grad_check, rng, shape):
    x = away_from_zero(rng, shape)  # the kink at 0 is never within h
    assert check_all(grad_check, ref.Relu(), x, rng, what="reference Relu")["x"] <= TOL
    assert check_all(grad_check, ref.Flatten(), x, rng, what="reference Flatten")["x"] <= TOL


@pytest.mark.parametrize("x_shape", [(4, 6), (3, 2, 3, 2)], ids=["2-D", "4-D flattened"])
def test_affine_gradient(grad_check, rng, x_shape):
    D = int(np.prod(x_shape[1:]))
    layer = ref.Affine(rng.standard_normal((D, 5)), rng.standard_normal(5))
    errors = check_all(grad_check, layer, rng.standard_normal(x_shape), rng, what="reference Affine")
    assert max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("form", ["int (N,)", "int (N, 1)", "one-hot", "probabilities"])
def test_softmax_cross_entropy_gradient(grad_check, rng, form):
    t = label_forms(rng)[form]
    x = rng.standard_normal((5, 4))
    layer = ref.SoftmaxCrossEntropy()
    f = lambda: 0.7 * layer.forward(x, t)  # noqa: E731  (an upstream gradient other than 1)
    f()
    assert grad_check(f, x, layer.backward(0.7), f"reference SoftmaxCrossEntropy {form} dx") <= TOL
    assert ref.SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.array([1, 5, 9])) == pytest.approx(np.log(10))


# ------------------------------------------------------------- dtype, contract
def reference_layers(rng, dtype):
    r = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    return [
        ref.Convolution(r(3, 2, 3, 3), r(3), 2, "same"),
        ref.MaxPooling(3, 2, "same"),
        ref.AveragePooling(3, 2, "same"),
        ref.Relu(),
        ref.Flatten(),
        ref.Affine(r(18, 4), r(4)),
        ref.Dropout(0.5, seed=0),
        ref.BatchNormalization(2, dtype=dtype),
    ], {"Affine": (2, 2, 3, 3)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept_nothing_modified_and_grads_written_in_place(rng, dtype):
    layers, _ = reference_layers(rng, dtype)
    for layer in layers:
        x = rng.standard_normal((2, 2, 7, 6) if not isinstance(layer, ref.Affine) else (2, 2, 3, 3)).astype(dtype)
        if isinstance(layer, ref.BatchNormalization):
            x = x[:, :, :2, :2]
        grads = dict(layer.grads)
        for train in (True, False):
            x0 = x.copy()
            out = layer.forward(x, train)
            dout = np.ones_like(out)
            dx = layer.backward(dout)
            name = type(layer).__name__
            assert out.dtype == dtype and dx.dtype == dtype, f"{name}: {out.dtype}, {dx.dtype}"
            assert dx.shape == x.shape, name
            np.testing.assert_array_equal(x, x0, err_msg=f"{name} changed its input")
            np.testing.assert_array_equal(dout, 1, err_msg=f"{name} changed dout")
            assert all(layer.grads[k] is v for k, v in grads.items()), f"{name} replaced a gradient array"
