"""cnnlib.train: the History it returns, one printed line per epoch, determinism,
divergence reported with its epoch and step, no input gradient (and the same
parameters as with it); history_from_keras."""

import math
import re
import types

import numpy as np
import pytest

from cnnlib import (
    SGD,
    Adam,
    AlexNet,
    Flatten,
    History,
    Relu,
    Sequential,
    TrainingDiverged,
    history_from_keras,
    train,
)
from cnnlib.models import conv, dense


def blobs(n, seed=0):
    """3 separable classes of 1x6x6 images: class k lights up a 2x2 patch at row 2k, plus noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) % 3
    x = rng.normal(0, 0.1, (n, 1, 6, 6)).astype(np.float32)
    for k in range(3):
        x[t == k, 0, 2 * k : 2 * k + 2, 1:3] += 1
    return x, t


def tiny_net(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([conv(rng, 1, 2, 3), Relu(), Flatten(), dense(rng, 2 * 4 * 4, 3)])


LINE = re.compile(r"^epoch +(\d+)/(\d+)  loss \d+\.\d{4}(  train acc \d+\.\d{2}%)?(  test acc \d+\.\d{2}%)?  \(\d+\.\d s\)$")


def test_history_contents():
    x, t = blobs(60)
    xt, tt = blobs(30, seed=1)
    h = train(tiny_net(), Adam(0.01), x, t, xt, tt, epochs=3, batch_size=25, verbose=False)
    assert isinstance(h, History)
    assert set(h) == {"epoch", "loss", "train_acc", "test_acc", "seconds", "step_loss"}
    assert h["epoch"] == [1, 2, 3]
    assert all(len(h[k]) == 3 for k in ("loss", "train_acc", "test_acc", "seconds"))
    assert len(h["step_loss"]) == 3 * math.ceil(60 / 25)  # the last batch of each epoch has 10
    for e in range(3):  # an epoch's loss is the mean of its steps' losses
        assert h["loss"][e] == pytest.approx(np.mean(h["step_loss"][3 * e : 3 * e + 3]), rel=1e-12)
    assert all(0 <= a <= 1 for a in h["train_acc"] + h["test_acc"])
    assert all(s > 0 for s in h["seconds"])
    assert h.loss is h["loss"] and h.final("test_acc") == h["test_acc"][-1] and h.best("test_acc") == max(h["test_acc"])
    with pytest.raises(AttributeError):
        h.nonexistent


def test_training_learns_a_separable_problem():
    x, t = blobs(90)
    model = tiny_net()
    h = train(model, Adam(0.02), x, t, epochs=15, batch_size=30, verbose=False)
    assert h["loss"][-1] < h["loss"][0] / 4
    assert h["train_acc"][-1] == 1.0 == model.accuracy(x, t)
    assert h["test_acc"] == [None] * 15


def test_one_printed_line_per_epoch(capsys):
    x, t = blobs(30)
    train(tiny_net(), SGD(0.1), x, t, x, t, epochs=3, batch_size=10)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines, 1):
        m = LINE.match(line)
        assert m and m.group(1) == str(i) and m.group(2) == "3" and m.group(3) and m.group(4), line

    train(tiny_net(), SGD(0.1), x, t, epochs=10, batch_size=30, eval_train=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and lines[0].startswith("epoch  1/10  loss ")  # aligned
    assert all(LINE.match(line) and "acc" not in line for line in lines)

    train(tiny_net(), SGD(0.1), x, t, epochs=2, verbose=False)
    assert capsys.readouterr().out == ""


def test_training_is_deterministic_with_a_seed():
    x, t = blobs(40)
    runs = []
    for seed in (0, 0, 1):
        model = tiny_net(seed=5)
        h = train(model, Adam(0.01), x, t, epochs=2, batch_size=8, seed=seed, verbose=False)
        runs.append((h["step_loss"], {k: v.copy() for k, v in model.params.items()}))
    assert runs[0][0] == runs[1][0]
    for k in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][k], runs[1][1][k])
    assert runs[0][0] != runs[2][0]  # another seed, another order of batches


def calls_of_backward(model):
    """Wrap ``model.backward`` (on the instance) to record the keyword arguments of every call."""
    calls, backward = [], model.backward

    def recording(*args, **kwargs):
        calls.append(kwargs)
        return backward(*args, **kwargs)

    model.backward = recording
    return calls


def test_train_skips_the_input_gradient():
    """A training step never uses d loss / d x: ``train`` asks the model not to compute it."""
    x, t = blobs(20)
    model = tiny_net()
    calls = calls_of_backward(model)
    train(model, SGD(0.1), x, t, epochs=2, batch_size=10, verbose=False)
    assert calls == [{"input_grad": False}] * 4


def first_layer_cases():
    """Models whose first layer has its own ``backward_params`` (Convolution, Affine) or has
    no parameters (Flatten: the base class's ``backward_params``); AlexNet adds batch norm and dropout."""
    rng = np.random.default_rng(1)
    return {
        "conv first": (tiny_net(seed=3), blobs(40)),
        "dense first": (Sequential([dense(rng, 36, 8), Relu(), dense(rng, 8, 3)]), blobs(40)),
        "flatten first": (Sequential([Flatten(), dense(rng, 36, 8), Relu(), dense(rng, 8, 3)]), blobs(40)),
        "AlexNet, BN and dropout": (
            AlexNet(channels=(4, 6, 8, 8, 6), hidden=16, seed=0),
            (rng.random((12, 3, 32, 32), dtype=np.float32), np.arange(12) % 10),
        ),
    }


@pytest.mark.parametrize("case", ["conv first", "dense first", "flatten first", "AlexNet, BN and dropout"])
def test_parameters_are_those_of_training_with_the_input_gradient(case):
    """Skipping d loss / d x leaves every parameter gradient bit for bit the same: a few
    epochs of ``train`` end at exactly the parameters reached with ``backward(input_grad=True)``."""
    results = []
    for input_grad in (False, True):
        model, (x, t) = first_layer_cases()[case]
        if input_grad:  # force the full backward pass, whatever train asks for
            calls, backward = [], model.backward
            model.backward = lambda dout=1.0, input_grad=True: calls.append(1) or backward(dout, input_grad=True)
        h = train(model, Adam(0.01), x, t, epochs=3, batch_size=5, seed=2, eval_train=False, verbose=False)
        results.append((h["step_loss"], {k: v.copy() for k, v in model.params.items()}))
    (loss_a, params_a), (loss_b, params_b) = results
    assert len(calls) == len(loss_b) == 3 * math.ceil(len(x) / 5)  # the forced run took the full pass at every step
    assert loss_a == loss_b
    start = first_layer_cases()[case][0].params
    for k in params_a:
        np.testing.assert_array_equal(params_a[k], params_b[k], err_msg=k)
        assert not np.array_equal(params_a[k], start[k]), f"{k} never moved: the comparison would prove little"


class NaNAfter:
    """A stand-in model whose loss turns NaN on the n-th forward call."""

    def __init__(self, n):
        self.n, self.calls = n, 0
        self.params, self.grads = {"w": np.zeros(1)}, {"w": np.zeros(1)}

    def forward(self, x, t):
        self.calls += 1
        return float("nan") if self.calls == self.n else 1.0

    def backward(self, *args, **kwargs):
        pass

    def accuracy(self, x, t):
        return 0.5


def test_nan_loss_raises_training_diverged_naming_epoch_and_step(capsys):
    x, t = np.zeros((30, 1)), np.zeros(30, int)
    # 3 steps per epoch: the 7th forward is epoch 3, step 1
    with pytest.raises(TrainingDiverged, match=r"the loss became nan at epoch 3, step 1 of 3: lower the learning rate"):
        train(NaNAfter(7), SGD(), x, t, epochs=5, batch_size=10)
    assert len(capsys.readouterr().out.splitlines()) == 2  # the two finished epochs were reported
    assert issubclass(TrainingDiverged, FloatingPointError)


def test_nan_in_the_data_is_caught_at_its_batch():
    x, t = blobs(40)
    x[17, 0, 0, 0] = np.nan
    order = np.random.default_rng(3).permutation(40)  # train's first epoch order for seed=3
    step = int(np.where(order == 17)[0][0]) // 8 + 1
    model = tiny_net()
    with pytest.raises(TrainingDiverged, match=rf"at epoch 1, step {step} of 5"):
        train(model, SGD(0.1), x, t, epochs=2, batch_size=8, seed=3, verbose=False)


def test_bad_arguments():
    x, t = blobs(10)
    with pytest.raises(ValueError, match="10 training inputs but 9 labels"):
        train(tiny_net(), SGD(), x, t[:9])
    with pytest.raises(ValueError, match="give both x_test and t_test, or neither"):
        train(tiny_net(), SGD(), x, t, x_test=x)
    with pytest.raises(ValueError, match="epochs and batch_size must be positive; got 1, 0"):
        train(tiny_net(), SGD(), x, t, epochs=1, batch_size=0)


# ------------------------------------------------------------- Keras histories
def test_history_from_keras_with_and_without_accuracy():
    fake = types.SimpleNamespace(history={"loss": [1.5, 0.5], "accuracy": [0.5, 0.75], "val_accuracy": [0.25, 0.5]})
    h = history_from_keras(fake)
    assert isinstance(h, History)
    assert (h["epoch"], h["loss"], h["train_acc"], h["test_acc"]) == ([1, 2], [1.5, 0.5], [0.5, 0.75], [0.25, 0.5])
    assert h["seconds"] == [None, None]
    # compiled without metrics: only the loss (used to raise TypeError)
    h = history_from_keras(types.SimpleNamespace(history={"loss": [2.0, 1.0, 0.5]}))
    assert (h["epoch"], h["train_acc"], h["test_acc"]) == ([1, 2, 3], [None] * 3, [None] * 3)


@pytest.mark.keras
def test_history_from_a_real_keras_fit(keras):
    keras.utils.set_random_seed(0)
    x, t = blobs(30)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    fit = model.fit(x.transpose(0, 2, 3, 1), t, validation_data=(x.transpose(0, 2, 3, 1), t), epochs=3, verbose=0)
    h = history_from_keras(fit)
    assert h["epoch"] == [1, 2, 3]
    assert h["loss"] == pytest.approx(fit.history["loss"]) and all(isinstance(v, float) for v in h["loss"])
    assert h["train_acc"] == pytest.approx(fit.history["accuracy"])
    assert h["test_acc"] == pytest.approx(fit.history["val_accuracy"])


def test_on_epoch_end_sees_each_finished_epoch():
    x, t = blobs(30)
    seen = []

    def record(epoch, model, history):
        seen.append((epoch, len(history["loss"]), float(np.linalg.norm(model.params["conv1.W"]))))

    model = tiny_net()
    train(model, SGD(0.1), x, t, epochs=3, batch_size=10, verbose=False, on_epoch_end=record)
    assert [(e, n) for e, n, _ in seen] == [(1, 1), (2, 2), (3, 3)]
    assert seen[-1][2] == pytest.approx(float(np.linalg.norm(model.params["conv1.W"])))
    assert len({norm for _, _, norm in seen}) == 3  # the weights it was shown changed between epochs
