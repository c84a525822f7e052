"""The residual block ``Residual(block)``: ``x + F(x)`` and its backward pass, ``dout + F.backward(dout)``.

Gradient checks in float64 against CS231n's ``rel_error <= 1e-7`` (``tests/package/test_layers.py``
explains the steps ``h``); the readable and the fast class give the same numbers
(``rtol = atol = 1e-10``, as ``test_reference_twins.py``); the layer contract of
``test_layers.py`` (dtype, no mutation, the same arrays, clear errors); a ``Sequential``
holding blocks (names, save/load, the optimizers, ``train``, the summary, a whole-model
gradient check); and the Keras twins, built with the functional API and ``layers.Add``,
with the same weights (float32, ``rtol = atol = 1e-5``, as ``test_keras_twins.py``).
"""

import re

import numpy as np
import pytest
from test_layers import TOL
from test_models import assert_model_gradients, model_gradient_errors

import cnnlib
from cnnlib import (
    Adam,
    BatchNormalization,
    Convolution,
    Relu,
    Residual,
    ResNet,
    Sequential,
    reference,
    to_nchw,
    to_nhwc,
    train,
)
from cnnlib.fast_layers import BackwardBeforeForward

F32 = np.float32
RTOL = ATOL = 1e-5  # the Keras twins' float32 tolerance (test_keras_twins.py)
FAST = pytest.mark.parametrize("path", ["fast", "reference"])


def layers_of(path):
    return cnnlib if path == "fast" else reference


def make_block(rng, path, C=3, bn=False, dtype=np.float64):
    """conv 3x3 'same' → [BN] → ReLU → conv 3x3 'same' → [BN], C channels in and out."""
    L = layers_of(path)
    r = lambda *s: (rng.standard_normal(s) * 0.4).astype(dtype)  # noqa: E731
    norm = (lambda: [L.BatchNormalization(C, momentum=0.9, dtype=dtype)]) if bn else (lambda: [])
    return [L.Convolution(r(C, C, 3, 3), r(C), 1, "same"), *norm(), L.Relu(),
            L.Convolution(r(C, C, 3, 3), r(C), 1, "same"), *norm()]  # fmt: skip


def make_residual(rng, path, **kw):
    L = layers_of(path)
    return L.Residual(make_block(rng, path, **kw))


# ------------------------------------------------------------------ values, gradients
@FAST
def test_forward_is_x_plus_the_block_and_backward_adds_the_skip(rng, path):
    block = make_block(rng, path)
    res = layers_of(path).Residual(block)
    x = rng.standard_normal((2, 3, 5, 4))
    out = res.forward(x)
    y = x
    for layer in block:
        y = layer.forward(y)
    np.testing.assert_allclose(out, x + y, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = res.backward(dout)
    d = dout
    for layer in reversed(block):
        d = layer.backward(d)
    np.testing.assert_allclose(dx, dout + d, rtol=1e-12, atol=1e-12)  # the skip's gradient, added


@FAST
@pytest.mark.parametrize("bn", [False, True], ids=["conv-relu-conv", "conv-bn-relu-conv-bn"])
def test_residual_gradient(grad_check, rng, path, bn):
    res = make_residual(rng, path, bn=bn)
    x = rng.standard_normal((3, 3, 5, 4))
    out = res.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = res.backward(dout)
    grads = {k: v.copy() for k, v in res.grads.items()}
    f = lambda: float(np.sum(res.forward(x) * dout))  # noqa: E731
    # h = 1e-5: BN in training is non-linear in x and its parameters; without BN a ReLU kink
    # (some pre-activation within h of 0) is far less likely at 1e-5 than at H_LINEAR
    what = f"{path} Residual bn={bn}"
    assert grad_check(f, x, dx, f"{what} dx") <= TOL
    for key, p in res.params.items():
        if bn and key.endswith(".b"):  # a bias before batch normalisation is cancelled by it: gradient 0
            assert np.abs(grads[key]).max() < 1e-12, key
            continue
        assert grad_check(f, p, grads[key], f"{what} d{key}") <= TOL, key


def test_the_skip_alone_passes_the_gradient_through(rng):
    """A block whose output is 0 (zero weights): the block is the identity's complement, dx == dout."""
    L = reference
    block = [L.Convolution(np.zeros((2, 2, 3, 3)), np.zeros(2), 1, "same"), L.Relu()]
    res = L.Residual(block)
    x = rng.standard_normal((2, 2, 4, 4))
    np.testing.assert_array_equal(res.forward(x), x)
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(res.backward(dout), dout)


@pytest.mark.parametrize("bn", [False, True])
def test_fast_and_reference_give_the_same_numbers(rng, bn):
    fast = make_residual(np.random.default_rng(1), "fast", bn=bn)
    ref = make_residual(np.random.default_rng(1), "reference", bn=bn)
    for call in range(2):  # the fast path keeps buffers between calls
        x = rng.standard_normal((4, 3, 6, 5))
        out_f, out_r = fast.forward(x), ref.forward(x)
        np.testing.assert_allclose(out_f, out_r, rtol=1e-10, atol=1e-10, err_msg=f"forward, call {call}")
        dout = rng.standard_normal(out_r.shape)
        np.testing.assert_allclose(fast.backward(dout), ref.backward(dout), rtol=1e-10, atol=1e-10)
        assert fast.grads.keys() == ref.grads.keys()
        for k in ref.grads:
            np.testing.assert_allclose(fast.grads[k], ref.grads[k], rtol=1e-10, atol=1e-10, err_msg=k)


# ------------------------------------------------------------------ the layer contract
@FAST
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_the_dtype_and_modifies_nothing(rng, path, dtype):
    res = make_residual(rng, path, bn=True, dtype=dtype)
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    for train_mode in (True, False):
        x0 = x.copy()
        out = res.forward(x, train_mode)
        dout = rng.standard_normal(out.shape).astype(dtype)
        dout0 = dout.copy()
        dx = res.backward(dout)
        assert out.dtype == dtype and dx.dtype == dtype
        np.testing.assert_array_equal(x, x0, err_msg="Residual changed its input")
        np.testing.assert_array_equal(dout, dout0, err_msg="Residual changed dout")
        assert all(g.dtype == dtype for g in res.grads.values())


@FAST
def test_params_grads_and_state_are_the_blocks_own_arrays(rng, path):
    block = make_block(rng, path, bn=True)
    res = layers_of(path).Residual(block)
    assert list(res.layers) == ["conv1", "bn1", "relu1", "conv2", "bn2"]
    assert set(res.params) == {"conv1.W", "conv1.b", "bn1.gamma", "bn1.beta",
                               "conv2.W", "conv2.b", "bn2.gamma", "bn2.beta"}  # fmt: skip
    assert res.params.keys() == res.grads.keys()
    assert set(res.state) == {f"bn{i}.{k}" for i in (1, 2) for k in ("moving_mean", "moving_var")}
    for key, p in res.params.items():
        name, k = key.split(".")
        assert p is res.layers[name].params[k] and res.grads[key] is res.layers[name].grads[k]
    grads = dict(res.grads)
    x = rng.standard_normal((2, 3, 4, 4))
    out = res.forward(x)
    res.backward(rng.standard_normal(out.shape))
    for k, g in grads.items():
        assert res.grads[k] is g and np.abs(g).max() > 0, f"grads[{k}] replaced or never written"
    before = res.forward(x * 2 + 1).copy()
    out2 = res.forward(x)
    np.testing.assert_array_equal(out2, out, err_msg="output changed by another call")
    assert not np.array_equal(before, out)


def test_a_sequential_block_and_named_layers(rng):
    inner = Sequential([("a", Convolution(np.ones((2, 2, 1, 1)), np.zeros(2))), ("b", Relu())])
    res = Residual(inner)
    assert list(res.layers) == ["a", "b"] and res.layers["a"] is inner.layers["a"]
    assert repr(res) == "Residual(a -> b)"


def test_backward_params_gives_the_same_gradients_as_backward(rng):
    res = make_residual(rng, "fast", bn=True)
    x = rng.standard_normal((2, 3, 4, 4))
    dout = rng.standard_normal(res.forward(x).shape)
    res.backward(dout)
    full = {k: v.copy() for k, v in res.grads.items()}
    for g in res.grads.values():
        g[...] = np.nan
    res.forward(x)
    assert res.backward_params(dout) is None
    for k in full:
        np.testing.assert_allclose(res.grads[k], full[k], rtol=1e-12, atol=1e-12, err_msg=k)


def test_dout_of_the_wrong_shape_and_backward_before_forward_are_clear_errors(rng):
    res = make_residual(rng, "fast")
    with pytest.raises(BackwardBeforeForward, match=r"Residual.backward was called before forward"):
        res.backward(np.ones((2, 3, 4, 4)))
    out = res.forward(rng.standard_normal((2, 3, 4, 4)))
    for dout in (np.ones(out.shape[1:]), np.ones((1,) + out.shape[1:]), np.ones(out.size), 1.0):
        message = (rf"^Residual\.backward: dout has shape {re.escape(str(np.shape(dout)))}; expected "
                   rf"{re.escape(str(out.shape))}, the shape of this layer's last forward output")
        for backward in (res.backward, res.backward_params):
            with pytest.raises(ValueError, match=message):
                backward(dout)
    with pytest.raises(TypeError, match=r"^Residual expects a numpy array; got list$"):
        res.forward(np.ones(out.shape).tolist())


# ------------------------------------------------------------------ shape errors
SHAPE_CHANGERS = {
    "more channels": lambda: [Convolution(np.ones((4, 3, 3, 3)), np.zeros(4), 1, "same")],
    "valid padding": lambda: [Convolution(np.ones((3, 3, 3, 3)), np.zeros(3), 1, "valid")],
    "stride 2": lambda: [Convolution(np.ones((3, 3, 3, 3)), np.zeros(3), 2, "same")],
    "pooling": lambda: [Relu(), cnnlib.MaxPooling(2)],
}


@pytest.mark.parametrize("make", SHAPE_CHANGERS.values(), ids=SHAPE_CHANGERS.keys())
def test_a_block_that_changes_the_shape_is_a_clear_error(rng, make):
    res = Residual(make())
    x = rng.standard_normal((2, 3, 6, 6))
    want = (r"^Residual: the block turns one input of shape \(3, 6, 6\) into \(\d+, \d+, \d+\), so x \+ block\(x\) "
            r"cannot be added\. Keep the shape inside the block \(stride 1, pad='same'.*1x1 Convolution \(a projection\)")
    with pytest.raises(ValueError, match=want):
        res.forward(x)
    with pytest.raises(ValueError, match=want):
        res.output_shape((3, 6, 6))
    with pytest.raises(ValueError, match=want):
        Sequential([res]).summary((3, 6, 6))


def test_bad_blocks_are_clear_errors():
    with pytest.raises(ValueError, match=r"Residual needs a block of at least one layer"):
        Residual([])
    with pytest.raises(TypeError, match=r"^relu1: got the class Relu; pass a layer, e\.g\. Relu\(\.\.\.\)$"):
        Residual([Relu])
    with pytest.raises(TypeError, match=r"^ufunc1: expected a layer \(forward, backward, params\); got ufunc$"):
        Residual([np.tanh])
    with pytest.raises(ValueError, match="two layers are named 'a'"):
        Residual([("a", Relu()), ("a", Relu())])


# ------------------------------------------------------------------ in a Sequential
def test_sequential_with_residual_blocks_names_params_state_and_summary():
    model = ResNet(input_shape=(3, 8, 8), widths=(4, 6), blocks=(2, 1), seed=0)
    assert [n for n in model.layers if n.startswith("res")] == ["res1", "res2", "res3"]
    for key, p in model.params.items():
        name, rest = key.split(".", 1)
        layer = model.layers[name]
        assert p is layer.params[rest] and model.grads[key] is layer.grads[rest]
    assert "res2.conv2.W" in model.params and "res3.bn1.moving_var" in model.state
    summary = model.summary((3, 8, 8))
    assert re.search(r"^res1 +Residual\(conv1 -> bn1 -> relu1 -> conv2 -> bn2\) +\(4, 8, 8\) +312$", summary, re.M)
    assert re.search(r"^  conv2 +Convolution\(4@4x3x3, stride=1, pad='same'\) +\(4, 8, 8\) +148$", summary, re.M)
    assert summary.endswith(f"total parameters: {model.count_params():,}")
    plain = ResNet(input_shape=(3, 8, 8), widths=(4, 6), blocks=(2, 1), residual=False, seed=0)
    assert plain.count_params() == model.count_params()
    assert not any(isinstance(layer, Residual) for layer in plain.layers.values())
    for a, b in zip(plain.params.values(), model.params.values()):  # the same weights, in the same order
        np.testing.assert_array_equal(a, b)


def test_whole_model_gradient_with_residual_blocks(rng, record_error):
    model = ResNet(input_shape=(3, 6, 6), widths=(2, 3), blocks=1, dtype=np.float64, seed=0)
    x = rng.random((3, 3, 6, 6))
    # h = 1e-6: batch norm over few values curves the loss sharply (test_models.py, AlexNet)
    errors = model_gradient_errors(model, x, np.array([0, 4, 9]), h=1e-6)
    assert len(errors) == 1 + len(model.params)
    assert_model_gradients(errors, lambda v, what: record_error(
        "whole-model gradient check max|n-a| / model max|g| (float64)", v, what))


def test_save_load_optimizers_and_train(tmp_path, rng):
    model = ResNet(input_shape=(3, 8, 8), widths=(4,), blocks=2, seed=0)
    x = rng.random((64, 3, 8, 8)).astype(F32)
    t = (x[:, 0].mean(axis=(1, 2)) > np.median(x[:, 0].mean(axis=(1, 2)))).astype(int)  # brighter red: class 1
    block_W = model.layers["res2"].layers["conv1"].params["W"]
    w0 = block_W.copy()
    history = train(model, Adam(0.01), x, t, epochs=15, batch_size=16, verbose=False)
    assert not np.array_equal(block_W, w0), "the optimizer never reached a block's weights"
    assert model.params["res2.conv1.W"] is block_W
    assert history.loss[-1] < 0.5 * history.loss[0], history.loss
    model.save_params(tmp_path / "res")
    other = ResNet(input_shape=(3, 8, 8), widths=(4,), blocks=2, seed=1)
    other.load_params(tmp_path / "res.npz")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))  # weights and running statistics
    with pytest.raises(ValueError, match=r"missing \['res3\.|unexpected \['res3\."):
        ResNet(input_shape=(3, 8, 8), widths=(4,), blocks=3, seed=0).load_params(tmp_path / "res.npz")


def test_resnet_builder_arguments():
    model = ResNet(seed=0)
    assert model.predict(np.zeros((2, 3, 32, 32), F32)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"one number of blocks per stage; got \(16, 32\), \(1, 2, 3\)"):
        ResNet(blocks=(1, 2, 3))
    with pytest.raises(TypeError, match="takes input_shape=.*not input_dim"):
        ResNet(input_dim=(3, 32, 32))
    no_bn = ResNet(widths=(4,), blocks=1, bn=False, seed=0)
    assert not any(isinstance(v, BatchNormalization) for v in no_bn.layers["res1"].layers.values())


# ------------------------------------------------------------------ Keras twins
def keras_block(keras, x_shape, bn):
    """The same block with Keras's functional API: the input and the block's output meet in layers.Add."""
    inputs = keras.Input(shape=x_shape)
    y = keras.layers.Conv2D(x_shape[-1], 3, padding="same", name="conv1")(inputs)
    if bn:
        y = keras.layers.BatchNormalization(momentum=0.9, name="bn1")(y)
    y = keras.layers.ReLU()(y)
    y = keras.layers.Conv2D(x_shape[-1], 3, padding="same", name="conv2")(y)
    if bn:
        y = keras.layers.BatchNormalization(momentum=0.9, name="bn2")(y)
    return keras.Model(inputs, keras.layers.Add()([inputs, y]))


@pytest.mark.keras
@pytest.mark.parametrize("bn", [False, True], ids=["conv-relu-conv", "conv-bn-relu-conv-bn"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "inference"])
def test_residual_matches_keras_add(keras, tf, assert_close, rng, bn, training):
    res = make_residual(rng, "fast", bn=bn, dtype=F32)
    for layer in res.layers.values():  # BN statistics other than the defaults
        if isinstance(layer, BatchNormalization):
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, 3)
            layer.params["beta"][...] = rng.standard_normal(3)
            layer.state["moving_mean"][...] = rng.standard_normal(3)
            layer.state["moving_var"][...] = rng.uniform(0.5, 2, 3)
    x = rng.standard_normal((2, 3, 6, 5)).astype(F32)
    twin = keras_block(keras, to_nhwc(x).shape[1:], bn)
    for name, layer in res.layers.items():
        if isinstance(layer, Convolution):
            twin.get_layer(name).set_weights([layer.params["W"].transpose(2, 3, 1, 0), layer.params["b"]])
        elif isinstance(layer, BatchNormalization):
            twin.get_layer(name).set_weights([layer.params["gamma"], layer.params["beta"],
                                              layer.state["moving_mean"], layer.state["moving_var"]])  # fmt: skip
    out = res.forward(x, training)
    dout = rng.standard_normal(out.shape).astype(F32)
    dx = res.backward(dout)
    xk = tf.Variable(to_nhwc(x))
    variables = [v for n in res.layers if n.startswith(("conv", "bn")) for v in twin.get_layer(n).trainable_weights]
    with tf.GradientTape() as tape:
        out_k = twin(xk, training=training)
    dx_k, *dparams_k = tape.gradient(out_k, [xk] + variables, output_gradients=tf.constant(to_nhwc(dout)))
    what = f"Residual bn={bn} training={training}"
    assert_close(out, to_nchw(out_k.numpy()), RTOL, ATOL, f"{what} forward")
    assert_close(dx, to_nchw(dx_k.numpy()), RTOL, ATOL, f"{what} dx")
    keys = [k for n in res.layers if n.startswith(("conv", "bn"))
            for k in ((f"{n}.W", f"{n}.b") if n.startswith("conv") else (f"{n}.gamma", f"{n}.beta"))]  # fmt: skip
    for key, g in zip(keys, dparams_k):
        g = g.numpy()
        assert_close(res.grads[key], g.transpose(3, 2, 0, 1) if g.ndim == 4 else g, RTOL, ATOL, f"{what} d{key}")


def copy_into_keras(model, twin):
    """The scratch ResNet's weights into build_resnet's twin (``res2.conv1.W`` → layer ``res2_conv1``)."""
    for key, p in model.params.items():
        layer_name, k = key.rsplit(".", 1)
        layer = twin.get_layer(layer_name.replace(".", "_"))
        if k == "W":
            layer.kernel.assign(p.transpose(2, 3, 1, 0) if p.ndim == 4 else p)
        else:
            getattr(layer, {"b": "bias", "gamma": "gamma", "beta": "beta"}[k]).assign(p)
    for key, s in model.state.items():
        layer_name, k = key.rsplit(".", 1)
        layer = twin.get_layer(layer_name.replace(".", "_"))
        getattr(layer, {"moving_mean": "moving_mean", "moving_var": "moving_variance"}[k]).assign(s)


@pytest.mark.keras
@pytest.mark.parametrize("residual", [True, False], ids=["residual", "plain"])
def test_resnet_matches_build_resnet_with_the_same_weights(keras, tf, assert_close, rng, residual):
    kw = dict(widths=(4, 6), blocks=(2, 1), residual=residual)
    model = ResNet(input_shape=(3, 8, 8), seed=0, **kw)
    for key, s in model.state.items():  # running statistics other than 0 and 1
        s[...] = rng.uniform(0.5, 1.5, s.shape) if key.endswith("var") else rng.standard_normal(s.shape)
    twin = cnnlib.build_resnet(input_shape=(8, 8, 3), **kw)
    assert sum(int(np.prod(v.shape)) for v in twin.trainable_weights) == model.count_params()
    assert sum(int(np.prod(v.shape)) for v in twin.non_trainable_weights) == sum(s.size for s in model.state.values())
    assert sum(isinstance(layer, keras.layers.Add) for layer in twin.layers) == (3 if residual else 0)
    copy_into_keras(model, twin)
    x = rng.random((4, 3, 8, 8)).astype(F32)
    t = np.array([1, 7, 3, 0])
    for training in (False, True):
        logits = model.predict(x, train=training)
        loss = model.forward(x, t, train=training)
        dx = model.backward()
        xk = tf.Variable(to_nhwc(x))
        with tf.GradientTape() as tape:
            logits_k = twin(xk, training=training)
            loss_k = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(t, logits_k)
        grads_k = tape.gradient(loss_k, [xk] + [twin.get_layer(k.rsplit(".", 1)[0].replace(".", "_")).kernel
                                                 for k in model.params if k.endswith(".W")])  # fmt: skip
        what = f"ResNet residual={residual} training={training}"
        assert_close(logits, logits_k.numpy(), RTOL, ATOL, f"{what} logits")
        assert_close(loss, float(loss_k), RTOL, ATOL, f"{what} loss")
        scale = np.abs(grads_k[0].numpy()).max()  # d loss / d x is small: compared on its own scale
        assert_close(dx / scale, to_nchw(grads_k[0].numpy()) / scale, RTOL, ATOL, f"{what} dx (scaled)")
        for key, g in zip([k for k in model.params if k.endswith(".W")], grads_k[1:]):
            g = g.numpy()
            g = g.transpose(3, 2, 0, 1) if g.ndim == 4 else g
            s = np.abs(g).max()
            assert_close(model.grads[key] / s, g / s, RTOL, ATOL, f"{what} d{key} (scaled)")


# ------------------------------------------------------------------ cnnlib.anatomy
def test_anatomy_counts_a_residual_block_as_its_layers():
    """A residual network and its plain twin have the same convolutions: the same parameters,
    multiply-adds and receptive fields; a block's row holds its layers' counts."""
    from cnnlib import anatomy

    res = ResNet(input_shape=(3, 16, 16), widths=(4, 8), blocks=2, seed=0)
    plain = ResNet(input_shape=(3, 16, 16), widths=(4, 8), blocks=2, residual=False, seed=0)
    rows = {r.name: r for r in anatomy.layer_table(res, (3, 16, 16))}
    assert rows["res1"].kind == "Residual" and rows["res1"].output_shape == (4, 16, 16)
    assert rows["res1"].params == 2 * (4 * 4 * 9 + 4) + 2 * 2 * 4
    assert rows["res1"].macs == 2 * 4 * 16 * 16 * 4 * 9              # two 3x3 convolutions, 4 -> 4, 16 x 16
    assert rows["res3"].macs == 2 * 8 * 8 * 8 * 8 * 9                 # after the pooling: 8 -> 8 channels, 8 x 8
    plain_rows = anatomy.layer_table(plain, (3, 16, 16))
    assert sum(r.macs for r in rows.values()) == sum(r.macs for r in plain_rows) > 0
    assert sum(r.params for r in rows.values()) == sum(r.params for r in plain_rows) == res.count_params()
    fields = anatomy.receptive_fields(res, (3, 16, 16))
    assert [f.name for f in fields][:4] == ["conv1", "res1.conv1", "res1.conv2", "res2.conv1"]
    assert [f.size for f in fields] == [f.size for f in anatomy.receptive_fields(plain, (3, 16, 16))]
    assert [f.size for f in fields][:6] == [3, 5, 7, 9, 11, 12]       # +2 per 3x3 convolution, +1 for the 2x2 pooling
