"""Twin tests: the readable reference (``cnnlib.reference``) and the fast path
(``cnnlib.fast_layers``, ``cnnlib.fast_optimizers``, what the models and ``train`` use) give
the same numbers, so neither can drift from the other.

Every layer runs on the shapes of ``tests/package/test_layers.py`` with the same weights,
input and ``dout``, twice in a row (the fast path keeps buffers between calls):
forward output, d loss / d x and every parameter gradient must agree.  Then whole
models (LeNet and a small AlexNet) built from either set of layers, and every
optimizer over five steps.

Tolerances: float64 ``rtol = atol = 1e-10``.  The two add up the same products in a
different order (blocked matrix products, another memory layout), so they may
differ by round-off, a few units in the 16th digit times the number of terms;
1e-10 leaves three orders of magnitude of headroom and is still five orders
below any real mistake (a wrong index moves values by O(1)).  Whole models run in
float64 with the same bounds and again in float32, the models' default, where
``rtol = 1e-4`` and ``atol = 1e-4 * max |reference|``: a gradient's small entries
are differences of large terms, so float32 round-off (1.2e-7 per operation,
amplified through 16 layers and a batch normalisation over six images) is
bounded relative to the array's largest value; the runs while writing this
reached 1.6e-5 of it.  The terminal summary prints the
largest difference seen ("twin ...").
"""

import copy

import numpy as np
import pytest
from test_layers import CONV_CASES, CONV_IDS, POOL_CASES, POOL_IDS, label_forms, spaced

import cnnlib
from cnnlib import fast_layers as fast
from cnnlib import fast_optimizers as fast_opt
from cnnlib import reference as ref

RTOL64 = ATOL64 = 1e-10
RTOL32, ATOL32 = 1e-4, 1e-4


@pytest.fixture
def same(record_error):
    """``same(fast_value, reference_value, what, float32=False)``: assert and record the largest difference."""

    def check(a, b, what, float32=False):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        assert a.shape == b.shape, f"{what}: fast path {a.shape}, reference {b.shape}"
        scale = max(np.abs(b).max(initial=0.0), 1.0)
        diff = np.abs(a - b).max(initial=0.0)
        record_error(f"twin max |fast - reference| / max(1, max |reference|), {'float32' if float32 else 'float64'}",
                     diff / scale, what)
        rtol, atol = (RTOL32, ATOL32 * scale) if float32 else (RTOL64, ATOL64)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}: fast path vs reference")

    return check


def reference_twin(layer):
    """A ``cnnlib.reference`` layer with the same arguments and copies of the same arrays."""
    name = type(layer).__name__
    if name == "Convolution":
        return ref.Convolution(layer.params["W"].copy(), layer.params["b"].copy(), layer.stride, layer.pad)
    if name in ("MaxPooling", "AveragePooling"):
        return getattr(ref, name)((layer.pool_h, layer.pool_w), layer.stride, layer.pad)
    if name == "Affine":
        return ref.Affine(layer.params["W"].copy(), layer.params["b"].copy())
    if name == "Dropout":
        twin = ref.Dropout(layer.rate)
        twin.rng = copy.deepcopy(layer.rng)  # the same masks
        return twin
    if name == "BatchNormalization":
        twin = ref.BatchNormalization(layer.params["gamma"].size, layer.momentum, layer.epsilon, layer.params["gamma"].dtype)
        for d, src in ((twin.params, layer.params), (twin.state, layer.state)):
            for k in d:
                d[k][...] = src[k]
        return twin
    return getattr(ref, name)()


def run_twice(same, layer, x, rng, what, train=True, float32=False):
    twin = reference_twin(layer)
    for call in (1, 2):
        out = layer.forward(x, train)
        out_ref = twin.forward(x, train)
        same(out, out_ref, f"{what} forward (call {call})", float32)
        dout = rng.standard_normal(out_ref.shape).astype(x.dtype)
        same(layer.backward(dout), twin.backward(dout), f"{what} dx (call {call})", float32)
        for k in layer.grads:
            same(layer.grads[k], twin.grads[k], f"{what} d{k} (call {call})", float32)
        for k in getattr(layer, "state", {}):
            same(layer.state[k], twin.state[k], f"{what} state {k} (call {call})", float32)


# ---------------------------------------------------------------------- layers
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=CONV_IDS)
def test_convolution(same, rng, x_shape, w_shape, stride, pad):
    layer = fast.Convolution(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), stride, pad)
    run_twice(same, layer, rng.standard_normal(x_shape), rng, f"Convolution {x_shape} {w_shape} s{stride} p{pad}")


@pytest.mark.parametrize("x_shape, pool, stride, pad", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("kind", ["MaxPooling", "AveragePooling"])
def test_pooling(same, rng, kind, x_shape, pool, stride, pad):
    x = spaced(rng, x_shape) - 3.0  # distinct values: one maximum per window; negative: padding must not win
    run_twice(same, getattr(fast, kind)(pool, stride, pad), x, rng, f"{kind} {x_shape} {pool}/{stride} {pad}")


def test_max_pooling_ties(same, rng):
    x = np.round(rng.standard_normal((2, 3, 6, 6)))  # many ties: both send the gradient to the first maximum
    for pool, stride, pad in ((2, 2, "valid"), (3, 2, "same"), (3, 1, "valid")):
        run_twice(same, fast.MaxPooling(pool, stride, pad), x, rng, f"MaxPooling ties {pool}/{stride} {pad}")


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4, 5)])
def test_relu_flatten_dropout(same, rng, shape):
    x = rng.standard_normal(shape)
    for layer in (fast.Relu(), fast.Flatten(), fast.Dropout(0.4, seed=5), fast.Dropout(0.0)):
        for train in (True, False):
            run_twice(same, layer, x, rng, f"{layer!r} {shape} train={train}", train=train)


@pytest.mark.parametrize("x_shape", [(4, 6), (3, 2, 3, 2)], ids=["2-D", "4-D flattened"])
def test_affine(same, rng, x_shape):
    D = int(np.prod(x_shape[1:]))
    layer = fast.Affine(rng.standard_normal((D, 5)), rng.standard_normal(5))
    run_twice(same, layer, rng.standard_normal(x_shape), rng, f"Affine {x_shape}")


@pytest.mark.parametrize("x_shape", [(6, 4), (3, 2, 3, 4)], ids=["dense", "conv"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "inference"])
def test_batch_normalization(same, rng, x_shape, train):
    layer = fast.BatchNormalization(x_shape[1], momentum=0.9, epsilon=1e-2, dtype=np.float64)
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, x_shape[1])
    layer.params["beta"][...] = rng.standard_normal(x_shape[1])
    layer.state["moving_var"][...] = rng.uniform(0.5, 2.0, x_shape[1])
    run_twice(same, layer, rng.standard_normal(x_shape) * 2 + 1, rng, f"BatchNormalization {x_shape}", train=train)


@pytest.mark.parametrize("form", ["int (N,)", "int (N, 1)", "one-hot", "probabilities"])
def test_softmax_cross_entropy(same, rng, form):
    t = label_forms(rng)[form]
    x = rng.standard_normal((5, 4)) * 3
    layer, twin = fast.SoftmaxCrossEntropy(), ref.SoftmaxCrossEntropy()
    same(layer.forward(x, t), twin.forward(x, t), f"SoftmaxCrossEntropy {form} loss")
    same(layer.backward(0.7), twin.backward(0.7), f"SoftmaxCrossEntropy {form} dx")


# ---------------------------------------------------------------------- models
def reference_model(model):
    return cnnlib.Sequential([(name, reference_twin(layer)) for name, layer in model.layers.items()],
                             loss=ref.SoftmaxCrossEntropy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("which", ["LeNet", "AlexNet"])
def test_whole_models(same, rng, which, dtype):
    """The fast layers hand arrays on in their own memory order (batch last); the
    reference's fresh NCHW arrays must give the same loss and gradients, layer after layer."""
    if which == "LeNet":
        model, x = cnnlib.LeNet(seed=0, dtype=dtype), rng.random((16, 1, 28, 28)).astype(dtype)
    else:
        model = cnnlib.AlexNet(channels=(8, 12, 16, 16, 12), hidden=32, seed=0, dtype=dtype)
        x = rng.random((6, 3, 32, 32)).astype(dtype)
    f32 = dtype == np.float32
    t = rng.integers(0, 10, len(x))
    twin = reference_model(model)
    for step in (1, 2):
        same(model.forward(x, t), twin.forward(x, t), f"{which} loss (step {step})", f32)
        same(model.backward(), twin.backward(), f"{which} d loss / d x (step {step})", f32)
        for k in model.grads:
            same(model.grads[k], twin.grads[k], f"{which} grad {k} (step {step})", f32)
        for m in (model, twin):
            fast_opt.SGD(0.05).update(m.params, m.grads)
    same(model.predict(x), twin.predict(x), f"{which} inference logits", f32)


def test_one_model_built_from_either_path_gives_the_same_answers(same, rng):
    """One hierarchy: a Sequential of readable layers and one of fast layers, both unnamed,
    get the same layer names, summary, anatomy tables and receptive fields, and the same
    outputs and gradients (a fast layer is an instance of its reference class)."""
    from cnnlib import anatomy

    model = cnnlib.AlexNet(channels=(8, 12, 16, 16, 12), hidden=32, seed=0, dtype=np.float64)
    layers = list(model.layers.values())
    assert all(isinstance(layer, getattr(ref, type(layer).__name__)) for layer in layers)
    readable = cnnlib.Sequential([reference_twin(layer) for layer in layers])
    fast_model = cnnlib.Sequential(layers)
    assert not any(type(layer).__module__ == "cnnlib.fast_layers" for layer in readable.layers.values())
    assert list(readable.layers) == list(fast_model.layers) == list(model.layers)
    assert list(model.layers)[:4] == ["conv1", "relu1", "maxpool1", "bn1"]
    assert repr(readable) == repr(fast_model)
    assert readable.summary((3, 32, 32)) == fast_model.summary((3, 32, 32))
    assert anatomy.layer_table(readable, (3, 32, 32)) == anatomy.layer_table(fast_model, (3, 32, 32))
    assert sum(row.macs for row in anatomy.layer_table(readable, (3, 32, 32))) > 0
    fields = anatomy.receptive_fields(readable, (3, 32, 32))
    assert fields == anatomy.receptive_fields(fast_model, (3, 32, 32)) and len(fields) == 8
    x, t = rng.random((4, 3, 32, 32)), rng.integers(0, 10, 4)
    same(fast_model.forward(x, t), readable.forward(x, t), "either path: loss")
    same(fast_model.backward(), readable.backward(), "either path: d loss / d x")
    assert fast_model.grads.keys() == readable.grads.keys()
    for k in fast_model.grads:
        same(fast_model.grads[k], readable.grads[k], f"either path: grad {k}")


# ------------------------------------------------------------------ optimizers
OPTIMIZERS = [
    ("SGD", dict(learning_rate=0.1)),
    ("SGD", dict(learning_rate=0.05, momentum=0.8)),
    ("SGD", dict(learning_rate=0.05, momentum=0.8, nesterov=True)),
    ("Momentum", dict(learning_rate=0.05, momentum=0.8)),
    ("Nesterov", dict(learning_rate=0.05, momentum=0.8)),
    ("AdaGrad", dict(learning_rate=0.1, initial_accumulator_value=0.2, epsilon=1e-3)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.8, epsilon=1e-3)),
    ("Adam", dict(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3)),
    ("Adadelta", dict(learning_rate=1.0, rho=0.9, epsilon=1e-3)),
    ("Adam", dict(learning_rate=0.01, weight_decay=0.1)),
    ("Momentum", dict(learning_rate=0.05, momentum=0.8, weight_decay=0.2)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=[f"{n} {k}" for n, k in OPTIMIZERS])
def test_optimizer_steps(same, dtype, name, kwargs):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 4)).astype(dtype), "b": rng.standard_normal(4).astype(dtype)}
    twin_params = {k: v.copy() for k, v in params.items()}
    opt, twin = getattr(fast_opt, name)(**kwargs), getattr(ref, name)(**kwargs)
    for step in range(1, 6):
        grads = {k: (rng.standard_normal(v.shape) * 0.5).astype(dtype) for k, v in params.items()}
        opt.update(params, grads)
        twin.update(twin_params, grads)
        for k in params:
            same(params[k], twin_params[k], f"{name}{kwargs} {k} after step {step}", float32=dtype == np.float32)
    assert all(p.dtype == dtype for p in twin_params.values())
