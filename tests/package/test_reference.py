"""The readable reference (``cnnlib.reference``) on its own: gradient checks in float64
(CS231n's ``rel_error <= 1e-7``), values against the definitions, Keras's batch-norm and
dropout semantics, dtypes, and the params/grads contract.

The cases and helpers are those of ``tests/package/test_layers.py`` (the fast path), so both
implementations meet the same bounds on the same shapes; ``tests/package/test_reference_twins.py``
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
# (the gradient, scaling and seed tests run for both implementations in tests/package/test_layers.py)
def test_dropout_seed_and_bad_rate():
    x = np.ones((10, 10))
    np.testing.assert_array_equal(ref.Dropout(0.5, seed=7).forward(x), ref.Dropout(0.5, seed=7).forward(x))
    assert not np.array_equal(ref.Dropout(0.5, seed=7).forward(x), ref.Dropout(0.5, seed=8).forward(x))
    for rate in (-0.1, 1.0):
        with pytest.raises(ValueError, match=r"dropout rate must be in \[0, 1\)"):
            ref.Dropout(rate)


# ------------------------------------------------------------ BatchNormalization
# (the gradient and value tests run for both implementations in tests/package/test_layers.py)
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
        ref.GlobalAveragePooling(),
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
