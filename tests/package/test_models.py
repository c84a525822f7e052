"""Scratch models: whole-model gradient checks, the Sequential contract, save/load,
the ln 10 start, overfitting 64 images, and (slow) LeNet on 6,000 MNIST images."""

import importlib
import inspect
import math
import pkgutil
import time

import numpy as np
import pytest

import cnnlib
from cnnlib import (
    Adam,
    AlexNet,
    BatchNormalization,
    Dropout,
    Flatten,
    LeNet,
    MaxPooling,
    Relu,
    Sequential,
    SoftmaxCrossEntropy,
    first_n,
    rel_error,
    scale,
    to_nchw,
    to_nhwc,
    train,
)
from cnnlib.gradcheck import numerical_gradient
from cnnlib.models import conv, dense

TOL = 1e-7
SAMPLE = 150  # entries checked per array in the whole-model checks (see model_gradient_errors)


# ------------------------------------------------------- whole-model gradients
def sampled(a, limit=SAMPLE):
    """A *view* of at most ~``limit`` entries of ``a`` spread over the whole array (every k-th
    entry in memory order), so that ``numerical_gradient`` perturbs the model's own array."""
    flat = a.reshape(-1)
    view = flat[:: max(1, math.ceil(a.size / limit))]
    assert np.shares_memory(view, a)
    return view


def model_gradient_errors(model, x, t, before_forward=lambda: None, h=1e-5):
    """{array name: (error, cnnlib rel_error)} for the input and every parameter array.

    The error of an array is ``max |num - ana| / G``, where ``G`` is the largest
    analytic gradient entry of the whole model: CS231n's ratio, taken against the
    model's gradient scale rather than entry by entry.  The entry-by-entry
    ``rel_error`` is reported but not asserted: in a whole network some true
    gradients are 0 (a convolution bias followed by ReLU, max-pooling and batch
    norm, with every pre-activation of its channel positive: the normalisation
    cancels the bias exactly; analytic -1.8e-15 against numeric -1.3e-10 in
    AlexNet), and there the entrywise ratio of two round-off values reads ~1e-2,
    or a whole array's ratio reads 1, although nothing is wrong.  Each layer is
    checked entry by entry in ``test_layers.py``; this checks that the model
    wires them together right.  A wrong gradient in an array whose gradients are
    1e-3 of ``G`` still shows as an error ~1e-3, far above the bound.
    """

    def f():
        before_forward()
        return model.forward(x, t)

    f()
    dx = model.backward()
    grads = {k: v.copy() for k, v in model.grads.items()}
    arrays = [("x", x, dx)] + [(k, p, grads[k]) for k, p in model.params.items()]
    G = max(np.abs(ana).max() for _, _, ana in arrays)
    errors = {}
    for name, array, analytic in arrays:
        view = sampled(array)
        numeric = numerical_gradient(f, view, h)
        ana = np.ravel(analytic)[:: max(1, math.ceil(array.size / SAMPLE))]  # the same entries
        errors[name] = (float(np.abs(numeric - ana).max() / G), rel_error(numeric, ana))
    return errors


def assert_model_gradients(errors, record):
    worst = max(errors, key=lambda k: errors[k][0])
    record(errors[worst][0], f"{worst} (entrywise rel_error {errors[worst][1]:.1e})")
    for name, (err, _) in errors.items():
        # CS231n's float64 bound, against the model's gradient scale (see model_gradient_errors)
        assert err <= TOL, f"{name}: max|num - ana| / max|grad| = {err:.2e}"


@pytest.fixture
def record_model_error(record_error):
    return lambda value, what: record_error("whole-model gradient check max|n-a| / model max|g| (float64)", value, what)


def test_lenet_gradient(rng, record_model_error):
    model = LeNet(dtype=np.float64, seed=0)
    x = rng.random((3, 1, 28, 28))  # pixel-like values in [0, 1)
    errors = model_gradient_errors(model, x, np.array([3, 1, 7]))
    assert len(errors) == 11  # x and 10 parameter arrays
    assert_model_gradients(errors, record_model_error)


def test_alexnet_shaped_gradient_with_batch_norm_and_fixed_dropout(rng, record_model_error):
    model = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, dropout=0.5, dtype=np.float64, seed=0)
    drops = [layer for layer in model.layers.values() if isinstance(layer, Dropout)]
    assert len(drops) == 2 and sum(isinstance(v, BatchNormalization) for v in model.layers.values()) == 3

    def same_masks():  # every forward draws the same dropout masks
        for i, layer in enumerate(drops):
            layer.rng = np.random.default_rng(100 + i)

    x = rng.random((3, 3, 32, 32))
    # BN runs in training mode: each forward also moves the running statistics,
    # which the training-mode output does not read, so the check is unaffected
    # h = 1e-6: batch norm over 3 images, with channel variances down to 0.003, curves the
    # loss sharply; the central difference's truncation error (~h^2) then dominates:
    # max |num - ana| in conv1.W was 1.4e-7 at h = 1e-5, 1.3e-8 at 3e-6, 1.6e-9 at 1e-6
    errors = model_gradient_errors(model, x, np.array([0, 4, 9]), same_masks, h=1e-6)
    assert len(errors) == 1 + 5 * 2 + 3 * 2 + 3 * 2
    assert_model_gradients(errors, record_model_error)


# -------------------------------------------------------- Sequential contract
def small_net(rng, dtype=np.float64):
    return Sequential(
        [conv(rng, 1, 2, 3, dtype=dtype), Relu(), MaxPooling(2), Flatten(), dense(rng, 2 * 3 * 3, 3, dtype=dtype)]
    )


def test_sequential_names_layers_like_keras_and_shares_their_arrays(rng):
    model = small_net(rng)
    assert list(model.layers) == ["conv1", "relu1", "maxpool1", "flatten1", "dense1"]
    assert set(model.params) == {"conv1.W", "conv1.b", "dense1.W", "dense1.b"}
    assert model.params.keys() == model.grads.keys()
    for key, p in model.params.items():
        name, k = key.split(".")
        assert p is model.layers[name].params[k]
        assert model.grads[key] is model.layers[name].grads[k]
    assert isinstance(model.loss_layer, SoftmaxCrossEntropy)
    named = Sequential([("c", Relu()), ("d", Relu())])
    assert list(named.layers) == ["c", "d"]
    with pytest.raises(ValueError, match="two layers are named 'c'"):
        Sequential([("c", Relu()), ("c", Relu())])


def test_forward_backward_updates_model_grads_in_place(rng):
    model = small_net(rng)
    x, t = rng.standard_normal((4, 1, 8, 8)), np.array([0, 1, 2, 1])
    grads = dict(model.grads)
    loss = model.forward(x, t)
    assert isinstance(loss, float) and loss > 0
    dx = model.backward()
    assert dx.shape == x.shape
    for k, g in model.grads.items():
        assert g is grads[k] and np.abs(g).max() > 0
    assert model.gradient(x, t) is model.grads


def test_backward_without_the_input_gradient(rng):
    """``backward(input_grad=False)``, what a training step needs: same parameter gradients, no dx."""
    model = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, dropout=0, dtype=np.float64, seed=0)
    x, t = rng.random((3, 3, 32, 32)), np.array([0, 4, 9])
    model.forward(x, t)
    assert model.backward().shape == x.shape
    full = {k: v.copy() for k, v in model.grads.items()}
    for g in model.grads.values():
        g[...] = np.nan
    model.forward(x, t)
    assert model.backward(input_grad=False) is None
    for k in full:
        np.testing.assert_array_equal(model.grads[k], full[k], err_msg=k)
    for g in model.grads.values():
        g[...] = np.nan
    grads = model.gradient(x, t)
    for k in full:
        np.testing.assert_array_equal(grads[k], full[k], err_msg=f"gradient() {k}")


def test_lenet_and_alexnet_shapes_and_parameter_counts():
    lenet = LeNet(seed=0)
    assert lenet.predict(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)
    # conv 6*25+6, conv 16*150+16, dense 256*120+120, 120*84+84, 84*10+10
    assert lenet.count_params() == 156 + 2416 + 30840 + 10164 + 850 == 44426
    alex = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, seed=0)
    assert alex.predict(np.zeros((2, 3, 32, 32), np.float32)).shape == (2, 10)
    assert "total parameters: 4,110" in alex.summary((3, 32, 32))
    assert set(alex.state) == {f"bn{i}.{s}" for i in (1, 2, 3) for s in ("moving_mean", "moving_var")}
    assert LeNet(input_shape=(3, 32, 32), num_classes=5).predict(np.zeros((1, 3, 32, 32), np.float32)).shape == (1, 5)


def test_models_default_to_float32_and_are_seeded():
    a, b, c = LeNet(seed=3), LeNet(seed=3), LeNet(seed=4)
    assert all(p.dtype == np.float32 for p in a.params.values())
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["conv1.W"], c.params["conv1.W"])


def test_bad_model_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"input_shape must be \(channels, height, width\); got \(28, 28\)"):
        LeNet(input_shape=(28, 28))
    with pytest.raises(ValueError, match="filter \\(5\\) is larger than the padded input"):
        LeNet(input_shape=(1, 8, 8))  # too small for the second 5x5 convolution
    with pytest.raises(ValueError, match="channels must list the 5 convolutions' filter counts"):
        AlexNet(channels=(4, 6, 8))
    with pytest.raises(ValueError, match="weight_init must be 'he', 'xavier' or a number"):
        LeNet(weight_init="uniform")
    with pytest.raises(ValueError, match="3 inputs but 2 labels"):
        LeNet().forward(np.zeros((3, 1, 28, 28), np.float32), np.array([1, 2]))


def test_the_original_keywords_say_which_name_to_pass():
    """One name per concept: Keras's input_shape / num_classes on both sides, no aliases."""
    want = (r"^LeNet\(\) takes input_shape=\(channels, height, width\), not input_dim "
            r"\(the original notebook's name\); pass input_shape=\(1, 28, 28\)$")
    with pytest.raises(TypeError, match=want):
        LeNet(input_dim=(1, 28, 28))
    with pytest.raises(TypeError, match=r"^AlexNet\(\) takes input_shape=.*not input_dim.*input_shape=\(3, 32, 32\)$"):
        AlexNet(input_dim=[3, 32, 32], seed=0)
    with pytest.raises(TypeError, match=r"^LeNet\(\) takes num_classes .*not class_num .*pass num_classes=5$"):
        LeNet(class_num=5)
    with pytest.raises(TypeError, match=r"^AlexNet\(\) takes num_classes .*as in build_alexnet.*pass num_classes=100$"):
        AlexNet(class_num=100)
    with pytest.raises(TypeError, match="unexpected keyword argument 'input_size'"):  # Python's own error
        LeNet(input_size=(1, 28, 28))
    for model in (LeNet, AlexNet):  # the signature shows the Keras names only
        params = inspect.signature(model).parameters
        assert list(params)[:2] == ["input_shape", "num_classes"], list(params)
        assert not {"input_dim", "class_num"} & set(params)


def _public_signatures():
    """(qualified name, parameter names) of every public function and method of cnnlib but the Keras builders."""
    for info in pkgutil.iter_modules(cnnlib.__path__, "cnnlib."):
        if info.name == "cnnlib.keras_models":  # imports TensorFlow; tests/package/test_keras_models.py covers it
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            members = [(name, obj)] if inspect.isfunction(obj) else []
            if inspect.isclass(obj):
                members = [(f"{name}.{k}", v) for k, v in vars(obj).items()
                           if inspect.isfunction(v) and (not k.startswith("_") or k == "__init__")]
            for qualname, fn in members:
                yield f"{info.name}.{qualname}", list(inspect.signature(fn).parameters)


def test_one_name_per_concept_in_public_signatures():
    """Labels are ``t`` (``y`` is a model's output), shapes ``input_shape``, class counts ``num_classes``."""
    found = dict(_public_signatures())
    assert len(found) > 50, f"only {len(found)} public functions found: did the walk miss modules?"
    second_names = {"y", "y_train", "y_test", "labels", "targets", "input_dim", "class_num", "n_classes"}
    captions = {"cnnlib.plotting.plot_images"}  # its ``labels`` are captions (labels, class names or predictions)
    offenders = {name: sorted(second_names & set(params)) for name, params in found.items()
                 if second_names & set(params) and name not in captions}
    assert offenders == {}, offenders
    for name in ("models.Sequential.forward", "models.Sequential.accuracy", "models.Sequential.gradient",
                 "fast_layers.SoftmaxCrossEntropy.check_input", "reference.SoftmaxCrossEntropy.forward",
                 "datasets.first_n", "datasets.one_hot"):
        assert "t" in found[f"cnnlib.{name}"], (name, found[f"cnnlib.{name}"])
    assert {"t_train", "t_test"} <= set(found["cnnlib.training.train"])


def test_accuracy_accepts_every_label_form_and_batches(rng):
    model = small_net(rng)
    x = rng.standard_normal((7, 1, 8, 8))
    pred = model.predict(x).argmax(axis=1)
    t = pred.copy()
    t[:2] = (t[:2] + 1) % 3  # 5 of 7 right
    assert model.accuracy(x, t) == pytest.approx(5 / 7)
    assert model.accuracy(x, t[:, None]) == pytest.approx(5 / 7)  # (N, 1), as CIFAR-10
    assert model.accuracy(x, np.eye(3)[t]) == pytest.approx(5 / 7)  # one-hot
    assert model.accuracy(x, t, batch_size=2) == pytest.approx(5 / 7)  # chunked
    with pytest.raises(ValueError, match="7 inputs but 6 labels"):
        model.accuracy(x, t[:6])


def test_predict_is_deterministic_in_inference(rng):
    model = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, dropout=0.5, seed=0)
    x = rng.random((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x), model.predict(x))  # dropout off, BN on running stats
    assert not np.array_equal(model.predict(x, train=True), model.predict(x, train=True))  # dropout on


# ------------------------------------------------------------------ save/load
def test_save_load_round_trip_is_exact(tmp_path, rng):
    model = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, seed=0)
    x = rng.random((4, 3, 32, 32)).astype(np.float32)
    for _ in range(3):  # move the BN running statistics away from 0 / 1
        model.forward(x, np.array([0, 1, 2, 3]))
    path = tmp_path / "alexnet.npz"
    model.save_params(path)

    other = AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, seed=1)
    arrays = {**other.params, **other.state}
    other.load_params(path)
    for key, a in {**model.params, **model.state}.items():
        np.testing.assert_array_equal(arrays[key], a, err_msg=key)  # bit for bit
        assert other.params.get(key, other.state.get(key)) is arrays[key]  # loaded in place
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_save_load_with_the_same_name_without_suffix(tmp_path):
    """``np.savez`` appends '.npz' to a name without it; loading with the same name must find the file."""
    model = LeNet(seed=0)
    model.save_params(tmp_path / "lenet")
    other = LeNet(seed=1)
    other.load_params(tmp_path / "lenet")
    np.testing.assert_array_equal(other.params["dense3.W"], model.params["dense3.W"])


def test_load_mismatch_is_a_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "lenet10.npz"
    LeNet(seed=0).save_params(path)
    five = LeNet(num_classes=5, seed=1)
    before = {k: v.copy() for k, v in five.params.items()}
    with pytest.raises(ValueError, match=r"'dense3.W' has shape \(84, 10\) in the file but \(84, 5\) in the model"):
        five.load_params(path)
    for k, v in five.params.items():  # not half-loaded
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    with pytest.raises(ValueError, match=r"parameters do not match this model \(missing \['bn1.beta'"):
        AlexNet(seed=0, channels=(4, 6, 8, 8, 6), hidden=16).load_params(path)


# ----------------------------------------------------------------- on MNIST
def test_initial_loss_is_about_ln_10(mnist):
    """With small initial logits the softmax is ~uniform and the loss ~ln 10 = 2.303.

    For logits with variance s^2 the expected loss is about ln 10 + s^2 / 2, so
    +-0.3 allows s^2 up to ~0.6.  'xavier' (std sqrt(1 / fan_in), the original
    notebook's option) keeps the logits small: 2.29 to 2.37 over seeds 0-5
    on 500 images.  He init on every layer, LeNet's default, does not: its
    logits have variance ~1-4 and the start is 2.45 to 4.13 over the same
    seeds, so the check is made where the textbook makes it.
    """
    (x, y), _ = mnist
    x, y = first_n(x, y, 500)
    x = to_nchw(scale(x))
    for seed in (0, 1):
        loss = LeNet(weight_init="xavier", seed=seed).forward(x, y)
        assert abs(loss - math.log(10)) <= 0.3, loss  # see the docstring for the margin
    # the original notebook's std 0.01: logits ~0, the loss ln 10 to 3 decimals
    assert LeNet(weight_init=0.01, seed=0).forward(x, y) == pytest.approx(math.log(10), abs=1e-3)


def test_lenet_overfits_64_images(mnist_small):
    """A working network and training step drive 64 images to 100 % training accuracy.
    (Seeds 0-2 reach it by step 40 of full-batch Adam; 150 steps leave ample margin.)"""
    x, y = mnist_small
    start = time.perf_counter()
    model, opt = LeNet(seed=0), Adam(learning_rate=1e-3)
    first_loss = model.forward(x, y)
    for _ in range(150):
        loss = model.forward(x, y)
        model.backward()
        opt.update(model.params, model.grads)
    assert model.accuracy(x, y) == 1.0
    assert loss < first_loss / 10
    assert time.perf_counter() - start < 60  # ~2-3 s on an idle 2-core machine


@pytest.mark.keras
def test_build_lenet_initial_loss_is_about_ln_10(keras, mnist):
    """The Keras twin, with Keras's default initializer for Conv2D and Dense
    (glorot_uniform): 2.296 to 2.310 over seeds 0-5.  build_lenet's default
    he_normal starts at 2.50 to 3.50, for the reason given above."""
    (x, y), _ = mnist
    x, y = first_n(x, y, 500)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        model = cnnlib.build_lenet(kernel_initializer="glorot_uniform")
        loss = float(loss_fn(y, model(to_nhwc(scale(x)))))
        assert abs(loss - math.log(10)) <= 0.3, loss  # the margin of test_initial_loss_is_about_ln_10


@pytest.mark.keras
@pytest.mark.slow
def test_build_lenet_overfits_64_images(keras, mnist_small):
    """Keras's fit on the same 64 images reaches 100 % (seeds 0-2: by epoch 26-32 of full-batch Adam)."""
    x, y = mnist_small
    keras.utils.set_random_seed(0)
    model = cnnlib.build_lenet()
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    start = time.perf_counter()
    history = model.fit(to_nhwc(x[:, 0]), y, batch_size=64, epochs=80, verbose=0)
    loss, acc = model.evaluate(to_nhwc(x[:, 0]), y, verbose=0)
    assert acc == 1.0
    assert loss < history.history["loss"][0] / 10
    assert time.perf_counter() - start < 60  # ~6 s on the shared 2-core machine


@pytest.mark.slow
def test_lenet_reaches_96_percent_on_mnist_from_6000_images(mnist, capsys):
    """LeNet from scratch on the first 6,000 training images, Adam 1e-3, batch 50,
    10 epochs: >= 96 % on all 10,000 test images.

    Measured (test accuracy after epochs 8, 9, 10, 11): seed 0: 96.54, 96.63,
    97.20, 96.74 %; seed 1: 96.78, 96.66, 96.72, 96.92 %.  The curve still
    wobbles by ~1 point from epoch to epoch (seed 1 dips to 95.89 % at epoch 12),
    which is why 10 epochs and not fewer.  5-28 s on the shared 2-core machine, by load.
    """
    (xtr, ytr), (xte, yte) = mnist
    xtr, ytr = first_n(xtr, ytr, 6000)
    xtr, xte = to_nchw(scale(xtr)), to_nchw(scale(xte))
    start = time.perf_counter()
    model = LeNet(seed=0)
    history = train(model, Adam(learning_rate=1e-3), xtr, ytr, epochs=10, batch_size=50, seed=0, eval_train=False)
    acc = model.accuracy(xte, yte)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nLeNet, 6,000 MNIST images, 10 epochs: test accuracy {acc:.2%} in {seconds:.0f} s")
    assert history["loss"][-1] < history["loss"][0] / 5
    assert acc >= 0.96
