"""Dilated and transposed convolution in cnnlib.reference (issue 21): gradient checks and Keras twins.

A dilated convolution (``dilation=D``) reads every D-th pixel under a window that spans
D(K - 1) + 1 pixels; Keras: ``Conv2D(dilation_rate=D)``.  A transposed convolution
(:class:`cnnlib.reference.ConvolutionTranspose`) is the backward pass of a convolution run
forwards, col2im of one row per input pixel; Keras: ``Conv2DTranspose``.
"""

import numpy as np
import pytest

from cnnlib import reference as ref
from cnnlib.geometry import conv_output_size, conv_transpose_output_size

DILATED = [((2, 3, 9, 9), (4, 3, 3, 3), 1, 0, 2), ((1, 2, 8, 7), (3, 2, 3, 3), 1, "same", 2),
           ((2, 1, 11, 11), (2, 1, 3, 3), 2, "valid", 3), ((1, 2, 7, 7), (2, 2, 2, 2), 1, 1, 3),
           ((1, 1, 6, 6), (1, 1, 3, 3), 1, "same", 3)]
TRANSPOSED = [((2, 3, 3, 3), (3, 4, 3, 3), 2, "valid"), ((1, 2, 4, 5), (2, 3, 3, 3), 2, "same"),
              ((2, 2, 3, 3), (2, 2, 2, 2), 3, "valid"), ((1, 3, 4, 4), (3, 2, 4, 4), 2, 1),
              ((1, 1, 5, 5), (1, 2, 3, 3), 1, "same"), ((2, 2, 2, 3), (2, 1, 5, 5), 2, "same"),
              ((1, 2, 3, 3), (2, 2, 3, 3), 1, 2)]


def loss_of(layer, x, dout):
    return lambda: float(np.sum(layer.forward(x) * dout))


@pytest.mark.parametrize("x_shape, w_shape, stride, pad, dilation", DILATED)
def test_dilated_convolution_gradients(grad_check, rng, x_shape, w_shape, stride, pad, dilation):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    layer = ref.Convolution(W, b, stride, pad, dilation=dilation)
    out = layer.forward(x)
    span = dilation * (w_shape[2] - 1) + 1
    assert out.shape[2:] == (conv_output_size(x_shape[2], span, stride, pad), conv_output_size(x_shape[3], span, stride, pad))
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    what = f"dilated conv {x_shape} {w_shape} s{stride} p{pad} d{dilation}"
    assert grad_check(loss_of(layer, x, dout), x, dx, what + " dx") < 1e-7
    dW, db = layer.grads["W"].copy(), layer.grads["b"].copy()
    assert grad_check(loss_of(layer, x, dout), layer.params["W"], dW, what + " dW") < 1e-7
    assert grad_check(loss_of(layer, x, dout), layer.params["b"], db, what + " db") < 1e-7


@pytest.mark.parametrize("x_shape, w_shape, stride, pad, dilation", DILATED)
def test_dilated_convolution_is_the_convolution_with_a_filter_spread_out_by_zeros(rng, x_shape, w_shape, stride, pad, dilation):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    FN, C, K, _ = w_shape
    span = dilation * (K - 1) + 1
    spread = np.zeros((FN, C, span, span))
    spread[:, :, ::dilation, ::dilation] = W
    np.testing.assert_allclose(ref.Convolution(W, b, stride, pad, dilation=dilation).forward(x),
                               ref.Convolution(spread, b, stride, pad).forward(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", TRANSPOSED)
def test_transposed_convolution_gradients(grad_check, rng, x_shape, w_shape, stride, pad):
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[1])
    layer = ref.ConvolutionTranspose(W, b, stride, pad)
    out = layer.forward(x)
    K = w_shape[2]
    assert out.shape == (x_shape[0], w_shape[1], conv_transpose_output_size(x_shape[2], K, stride, pad),
                         conv_transpose_output_size(x_shape[3], K, stride, pad))
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    what = f"transposed conv {x_shape} {w_shape} s{stride} p{pad}"
    assert grad_check(loss_of(layer, x, dout), x, dx, what + " dx") < 1e-7
    dW, db = layer.grads["W"].copy(), layer.grads["b"].copy()
    assert grad_check(loss_of(layer, x, dout), layer.params["W"], dW, what + " dW") < 1e-7
    assert grad_check(loss_of(layer, x, dout), layer.params["b"], db, what + " db") < 1e-7


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", TRANSPOSED)
def test_a_transposed_convolution_is_the_backward_pass_of_a_convolution(rng, x_shape, w_shape, stride, pad):
    """Chapter 5's col2im: the transposed layer's forward is Convolution.backward with the same W."""
    x, W = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    up = ref.ConvolutionTranspose(W, np.zeros(w_shape[1]), stride, pad)
    y = up.forward(x)
    conv = ref.Convolution(W, np.zeros(w_shape[0]), stride, pad)   # maps the output's shape back to x's
    assert conv.forward(y).shape == x.shape
    np.testing.assert_allclose(y, conv.backward(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n, k, s, pad, want", [(3, 3, 2, "valid", 7), (3, 2, 3, "valid", 9), (4, 3, 2, "same", 8),
                                                (4, 4, 2, 1, 8), (5, 3, 1, 2, 3), (2, 5, 2, "same", 4)])
def test_transposed_output_size(n, k, s, pad, want):
    assert conv_transpose_output_size(n, k, s, pad) == want


def test_transposed_output_size_refuses_too_much_padding():
    with pytest.raises(ValueError, match="padding"):
        conv_transpose_output_size(2, 3, 1, 2)


def test_dilation_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="dilation"):
        ref.Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=0)


# ------------------------------------------------------------------ Keras twins
@pytest.mark.keras
@pytest.mark.parametrize("x_shape, w_shape, stride, pad, dilation", [c for c in DILATED if c[2] == 1 and c[3] in (0, "valid", "same")])
def test_dilated_convolution_against_keras(keras, tf, rng, assert_close, x_shape, w_shape, stride, pad, dilation):
    x = rng.standard_normal(x_shape).astype(np.float32)
    W, b = rng.standard_normal(w_shape).astype(np.float32), rng.standard_normal(w_shape[0]).astype(np.float32)
    mode = "valid" if pad in (0, "valid") else pad
    layer = keras.layers.Conv2D(w_shape[0], w_shape[2], strides=stride, padding=mode, dilation_rate=dilation)
    layer.build((None, x_shape[2], x_shape[3], x_shape[1]))
    layer.set_weights([W.transpose(2, 3, 1, 0), b])
    xt = tf.Variable(x.transpose(0, 2, 3, 1))
    ours = ref.Convolution(W, b, stride, pad, dilation=dilation)
    out = ours.forward(x)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        k_out = layer(xt)
        loss = tf.reduce_sum(k_out * dout.transpose(0, 2, 3, 1))
    what = f"Conv2D(dilation_rate={dilation}) {x_shape} {w_shape} {mode}"
    assert_close(out, k_out.numpy().transpose(0, 3, 1, 2), 1e-4, 1e-4, what + " forward")
    assert_close(ours.backward(dout), tape.gradient(loss, xt).numpy().transpose(0, 3, 1, 2), 1e-4, 1e-4, what + " dx")


@pytest.mark.keras
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", [c for c in TRANSPOSED if isinstance(c[3], str)])
def test_transposed_convolution_against_keras(keras, tf, rng, assert_close, x_shape, w_shape, stride, pad):
    x = rng.standard_normal(x_shape).astype(np.float32)
    W, b = rng.standard_normal(w_shape).astype(np.float32), rng.standard_normal(w_shape[1]).astype(np.float32)
    layer = keras.layers.Conv2DTranspose(w_shape[1], w_shape[2], strides=stride, padding=pad)
    layer.build((None, x_shape[2], x_shape[3], x_shape[1]))
    layer.set_weights([W.transpose(2, 3, 1, 0), b])   # Keras: (kh, kw, out channels, in channels)
    xt = tf.Variable(x.transpose(0, 2, 3, 1))
    ours = ref.ConvolutionTranspose(W, b, stride, pad)
    out = ours.forward(x)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        k_out = layer(xt)
        loss = tf.reduce_sum(k_out * dout.transpose(0, 2, 3, 1))
    what = f"Conv2DTranspose {x_shape} {w_shape} s{stride} {pad}"
    assert_close(out, k_out.numpy().transpose(0, 3, 1, 2), 1e-4, 1e-4, what + " forward")
    assert_close(ours.backward(dout), tape.gradient(loss, xt).numpy().transpose(0, 3, 1, 2), 1e-4, 1e-4, what + " dx")


def test_the_fast_convolution_refuses_a_dilation_it_would_ignore():
    import cnnlib

    with pytest.raises(ValueError, match="dilation=2 is implemented by cnnlib.reference.Convolution only"):
        cnnlib.Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=2)
    cnnlib.Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=1)  # the default stays accepted
