"""Every scratch layer agrees with its Keras twin given the same weights: the forward
output, the gradient with respect to the input (``tf.GradientTape`` with the same
upstream gradient) and the parameter gradients.

All in float32, compared with ``np.testing.assert_allclose(rtol=1e-5, atol=1e-5)``:
the two sides sum the same products in different orders, so they differ by
float32 round-off (~1e-7 relative per operation, ~1e-6 after a few hundred
terms); 1e-5 leaves room for that and for nothing else.

Layouts: scratch NCHW and ``W`` (FN, C, FH, FW); Keras NHWC and kernel
(FH, FW, C, FN).  ``to_nhwc``/``to_nchw`` convert data, ``W.transpose(2, 3, 1, 0)``
the kernel.
"""

import numpy as np
import pytest

import cnnlib
from cnnlib import (
    Affine,
    AveragePooling,
    BatchNormalization,
    Convolution,
    GlobalAveragePooling,
    LeNet,
    MaxPooling,
    Relu,
    SoftmaxCrossEntropy,
    to_nchw,
    to_nhwc,
)

pytestmark = pytest.mark.keras

RTOL = ATOL = 1e-5  # float32 round-off of two summation orders (module docstring)
F32 = np.float32


def keras_grads(tf, layer_call, inputs, variables, dout):
    """Output of ``layer_call(*inputs)`` and the gradients of ``sum(output * dout)`` for
    ``inputs + variables`` (the upstream gradient ``dout`` given to the tape)."""
    inputs = [tf.Variable(a) for a in inputs]
    with tf.GradientTape() as tape:
        out = layer_call(*inputs)
    grads = tape.gradient(out, inputs + list(variables), output_gradients=tf.constant(dout))
    return out.numpy(), [g.numpy() for g in grads]


# ----------------------------------------------------------------- Conv2D
@pytest.mark.parametrize("kernel", [3, 4, (3, 2)], ids=["k3", "k4", "k3x2"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 4], ids=["s1", "s2", "s4"])
def test_convolution_matches_conv2d(keras, tf, assert_close, rng, stride, padding, kernel):
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    N, C, H, W, FN = 2, 3, 9, 13, 4  # non-square input
    x = rng.standard_normal((N, C, H, W)).astype(F32)
    Ws = (rng.standard_normal((FN, C, kh, kw)) * 0.5).astype(F32)
    b = rng.standard_normal(FN).astype(F32)

    scratch = Convolution(Ws, b, stride, padding)
    out = scratch.forward(x)
    dout = rng.standard_normal(out.shape).astype(F32)
    dx = scratch.backward(dout)

    conv2d = keras.layers.Conv2D(FN, (kh, kw), strides=stride, padding=padding)
    conv2d.build((N, H, W, C))
    conv2d.set_weights([Ws.transpose(2, 3, 1, 0), b])
    out_k, (dx_k, dW_k, db_k) = keras_grads(tf, conv2d, [to_nhwc(x)], [conv2d.kernel, conv2d.bias], to_nhwc(dout))

    what = f"Conv2D stride {stride} {padding} kernel {kh}x{kw}"
    assert_close(out, to_nchw(out_k), RTOL, ATOL, f"{what} forward")
    assert_close(dx, to_nchw(dx_k), RTOL, ATOL, f"{what} dx")
    assert_close(scratch.grads["W"], dW_k.transpose(3, 2, 0, 1), RTOL, ATOL, f"{what} dW")
    assert_close(scratch.grads["b"], db_k, RTOL, ATOL, f"{what} db")


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2), (2, 1), (3, 3)], ids=["2/2", "3/2", "2/1", "3/3"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pooling_matches_keras(keras, tf, assert_close, rng, kind, padding, pool, stride):
    x = rng.standard_normal((2, 3, 7, 10)).astype(F32)  # odd height: remainders and 'same' padding
    if kind == "max":
        scratch, twin = MaxPooling(pool, stride, padding), keras.layers.MaxPooling2D(pool, stride, padding)
    else:
        scratch, twin = AveragePooling(pool, stride, padding), keras.layers.AveragePooling2D(pool, stride, padding)
    out = scratch.forward(x)
    dout = rng.standard_normal(out.shape).astype(F32)
    dx = scratch.backward(dout)
    out_k, (dx_k,) = keras_grads(tf, twin, [to_nhwc(x)], [], to_nhwc(dout))
    what = f"{kind} pooling {pool}/{stride} {padding}"
    assert_close(out, to_nchw(out_k), RTOL, ATOL, f"{what} forward")
    assert_close(dx, to_nchw(dx_k), RTOL, ATOL, f"{what} dx")


def test_global_average_pooling_matches_keras(keras, tf, assert_close, rng):
    x = rng.standard_normal((2, 3, 7, 10)).astype(F32)
    scratch = GlobalAveragePooling()
    out = scratch.forward(x)
    dout = rng.standard_normal(out.shape).astype(F32)
    out_k, (dx_k,) = keras_grads(tf, keras.layers.GlobalAveragePooling2D(), [to_nhwc(x)], [], dout)
    assert_close(out, out_k, RTOL, ATOL, "global average pooling forward")
    assert_close(scratch.backward(dout), to_nchw(dx_k), RTOL, ATOL, "global average pooling dx")


# ---------------------------------------------------------------- Dense
@pytest.mark.parametrize("x_shape", [(5, 12), (5, 3, 2, 2)], ids=["2-D", "4-D"])
def test_affine_matches_dense(keras, tf, assert_close, rng, x_shape):
    x = rng.standard_normal(x_shape).astype(F32)
    D = x[0].size
    W, b = rng.standard_normal((D, 7)).astype(F32), rng.standard_normal(7).astype(F32)
    scratch = Affine(W, b)
    out = scratch.forward(x)
    dout = rng.standard_normal(out.shape).astype(F32)
    dx = scratch.backward(dout)
    dense = keras.layers.Dense(7)
    dense.build((None, D))
    dense.set_weights([W, b])
    # Affine flattens a 4-D input in NCHW order, i.e. x.reshape(N, -1)
    out_k, (dx_k, dW_k, db_k) = keras_grads(tf, dense, [x.reshape(len(x), -1)], [dense.kernel, dense.bias], dout)
    assert_close(out, out_k, RTOL, ATOL, f"Dense {x_shape} forward")
    assert_close(dx, dx_k.reshape(x_shape), RTOL, ATOL, f"Dense {x_shape} dx")
    assert_close(scratch.grads["W"], dW_k, RTOL, ATOL, f"Dense {x_shape} dW")
    assert_close(scratch.grads["b"], db_k, RTOL, ATOL, f"Dense {x_shape} db")


def test_relu_matches_keras(keras, tf, assert_close, rng):
    x = rng.standard_normal((3, 2, 4, 5)).astype(F32)
    x += np.sign(x) * F32(1e-2)  # away from the kink, where the two may pick different subgradients
    scratch = Relu()
    out = scratch.forward(x)
    dout = rng.standard_normal(x.shape).astype(F32)
    out_k, (dx_k,) = keras_grads(tf, keras.layers.ReLU(), [x], [], dout)
    assert_close(out, out_k, RTOL, ATOL, "ReLU forward")
    assert_close(scratch.backward(dout), dx_k, RTOL, ATOL, "ReLU dx")


# ----------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("x_shape", [(6, 5), (3, 4, 5, 6)], ids=["dense", "conv"])
def test_batch_norm_matches_keras(keras, tf, assert_close, rng, x_shape, training):
    C = x_shape[1]
    momentum, epsilon = 0.9, 1e-2  # not the defaults, so that both must be honoured
    gamma = rng.uniform(0.5, 1.5, C).astype(F32)
    beta = rng.standard_normal(C).astype(F32)
    mm = rng.standard_normal(C).astype(F32)
    mv = rng.uniform(0.5, 2.0, C).astype(F32)

    scratch = BatchNormalization(C, momentum=momentum, epsilon=epsilon)
    for d, k, v in ((scratch.params, "gamma", gamma), (scratch.params, "beta", beta),
                    (scratch.state, "moving_mean", mm), (scratch.state, "moving_var", mv)):  # fmt: skip
        d[k][...] = v
    bn = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)  # axis=-1: channels_last
    nhwc = (lambda a: to_nhwc(a)) if len(x_shape) == 4 else (lambda a: a)
    nchw = (lambda a: to_nchw(a)) if len(x_shape) == 4 else (lambda a: a)
    bn.build(nhwc(np.zeros(x_shape, F32)).shape)
    bn.set_weights([gamma, beta, mm, mv])

    what = f"BatchNormalization {x_shape} training={training}"
    for step in range(2):  # two calls: the running statistics accumulate the same way
        x = (rng.standard_normal(x_shape) * 2 + 1).astype(F32)
        out = scratch.forward(x, train=training)
        dout = rng.standard_normal(out.shape).astype(F32)
        dx = scratch.backward(dout)
        out_k, (dx_k, dgamma_k, dbeta_k) = keras_grads(
            tf, lambda a: bn(a, training=training), [nhwc(x)], [bn.gamma, bn.beta], nhwc(dout)
        )
        assert_close(out, nchw(out_k), RTOL, ATOL, f"{what} forward, call {step + 1}")
        assert_close(dx, nchw(dx_k), RTOL, ATOL, f"{what} dx, call {step + 1}")
        assert_close(scratch.grads["gamma"], dgamma_k, RTOL, ATOL, f"{what} dgamma, call {step + 1}")
        assert_close(scratch.grads["beta"], dbeta_k, RTOL, ATOL, f"{what} dbeta, call {step + 1}")
        assert_close(scratch.state["moving_mean"], bn.moving_mean.numpy(), RTOL, ATOL, f"{what} moving mean")
        assert_close(scratch.state["moving_var"], bn.moving_variance.numpy(), RTOL, ATOL, f"{what} moving var")
    if not training:  # inference leaves them alone, on both sides
        np.testing.assert_array_equal(scratch.state["moving_mean"], mm)
        np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)
    else:
        assert not np.allclose(scratch.state["moving_mean"], mm)


def test_batch_norm_defaults_match_keras(keras):
    bn = keras.layers.BatchNormalization()
    scratch = BatchNormalization(3)
    assert (scratch.momentum, scratch.epsilon) == (bn.momentum, bn.epsilon)


# ----------------------------------------------- softmax + cross-entropy
@pytest.mark.parametrize("labels", ["sparse (N,)", "sparse (N, 1)", "one-hot", "probabilities", "large logits"])
def test_softmax_cross_entropy_matches_keras_losses(keras, tf, assert_close, rng, labels):
    N, K = 6, 5
    x = (rng.standard_normal((N, K)) * 3).astype(F32)
    t = rng.integers(0, K, N)
    if labels == "large logits":
        x *= F32(100)  # exp would overflow without the log-sum-exp shift
    if labels in ("sparse (N,)", "large logits"):
        target, loss_k = t, keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    elif labels == "sparse (N, 1)":
        target, loss_k = t[:, None], keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    elif labels == "one-hot":
        target, loss_k = np.eye(K, dtype=F32)[t], keras.losses.CategoricalCrossentropy(from_logits=True)
    else:
        soft = rng.uniform(0.1, 1.0, (N, K)).astype(F32)
        target, loss_k = soft / soft.sum(axis=1, keepdims=True), keras.losses.CategoricalCrossentropy(from_logits=True)

    dout = F32(0.7)  # an upstream gradient other than 1
    scratch = SoftmaxCrossEntropy()
    loss = scratch.forward(x, target)
    dx = scratch.backward(dout)
    loss_value, (dx_k,) = keras_grads(tf, lambda a: loss_k(target, a), [x], [], dout)
    assert np.isfinite(loss)
    assert_close(loss, loss_value, RTOL, ATOL, f"cross-entropy {labels} loss")
    assert_close(dx, dx_k, RTOL, ATOL, f"cross-entropy {labels} dx")


# ----------------------------------------------------------- whole LeNet
def test_lenet_matches_build_lenet_with_the_same_weights(keras, tf, assert_close, rng):
    """Copy build_lenet's weights into LeNet: the logits, the loss and d loss / d x agree.

    Flatten differs: Keras flattens (H, W, C), the scratch model (C, H, W), so
    dense1's rows are reordered on the way."""
    keras.utils.set_random_seed(0)
    twin = cnnlib.build_lenet()
    scratch = LeNet(seed=0)
    w = {layer.name: layer.get_weights() for layer in twin.layers if layer.get_weights()}
    for name in ("conv1", "conv2"):
        scratch.params[f"{name}.W"][...] = w[name][0].transpose(3, 2, 0, 1)
        scratch.params[f"{name}.b"][...] = w[name][1]
    scratch.params["dense1.W"][...] = w["dense1"][0].reshape(4, 4, 16, 120).transpose(2, 0, 1, 3).reshape(256, 120)
    scratch.params["dense1.b"][...] = w["dense1"][1]
    for sname, kname in (("dense2", "dense2"), ("dense3", "logits")):
        scratch.params[f"{sname}.W"][...] = w[kname][0]
        scratch.params[f"{sname}.b"][...] = w[kname][1]

    x = rng.random((4, 1, 28, 28)).astype(F32)
    t = np.array([1, 7, 3, 0])
    logits = scratch.predict(x)
    loss = scratch.forward(x, t)
    dx = scratch.backward()
    xk = tf.Variable(to_nhwc(x))
    with tf.GradientTape() as tape:
        logits_k = twin(xk)
        loss_k = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(t, logits_k)
    dx_k = tape.gradient(loss_k, xk).numpy()
    assert_close(logits, logits_k.numpy(), RTOL, ATOL, "LeNet logits")
    assert_close(loss, float(loss_k), RTOL, ATOL, "LeNet loss")
    # d loss / d x is ~1e-3: its own scale, relative 1e-5 of that
    scale = np.abs(dx_k).max()
    assert_close(dx / scale, to_nchw(dx_k) / scale, RTOL, ATOL, "LeNet dx (scaled to max 1)")


def test_keras_builders_count_the_same_parameters(keras):
    assert cnnlib.build_lenet().count_params() == LeNet().count_params() == 44426
    small = dict(channels=(4, 6, 8, 8, 6), hidden=16)
    alex_k = cnnlib.build_alexnet(**small)
    alex = cnnlib.AlexNet(**small)
    trainable = sum(int(np.prod(v.shape)) for v in alex_k.trainable_weights)
    non_trainable = sum(int(np.prod(v.shape)) for v in alex_k.non_trainable_weights)
    assert trainable == alex.count_params()
    assert non_trainable == sum(a.size for a in alex.state.values())
    # same layer names, so a chapter can compare them side by side
    assert [layer.name for layer in alex_k.layers if layer.weights] == [
        n for n, layer in alex.layers.items() if layer.params
    ][:-1] + ["logits"]


def test_keras_builders_reject_nchw_shapes(keras):
    with pytest.raises(ValueError, match=r"looks like NCHW \(channels first\)"):
        cnnlib.build_lenet(input_shape=(1, 28, 28))
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, channels\)"):
        cnnlib.build_alexnet(input_shape=(32, 32))
