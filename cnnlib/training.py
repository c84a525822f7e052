"""The mini-batch training loop of the original notebook, with a history and one line per epoch.

Book: chapter "Mini-batch learning" walks through it line by line.
"""

import math
import time

import numpy as np

from .allocator import keep_freed_memory

__all__ = ["History", "TrainingDiverged", "train", "history_from_keras"]


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


class History(dict):
    """Per-epoch figures: ``epoch``, ``loss`` (mean training loss of the epoch),
    ``train_acc``, ``test_acc`` (``None`` entries when not measured) and
    ``seconds``; ``step_loss`` holds every mini-batch's loss."""

    def __init__(self):
        super().__init__(epoch=[], loss=[], train_acc=[], test_acc=[], seconds=[], step_loss=[])

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def final(self, key):
        return self[key][-1]

    def best(self, key):
        return max(v for v in self[key] if v is not None)


def _format_line(epoch, epochs, loss, train_acc, test_acc, seconds):
    width = len(str(epochs))
    parts = [f"epoch {epoch:>{width}}/{epochs}", f"loss {loss:.4f}"]
    if train_acc is not None:
        parts.append(f"train acc {train_acc:.2%}")
    if test_acc is not None:
        parts.append(f"test acc {test_acc:.2%}")
    return "  ".join(parts) + f"  ({seconds:.1f} s)"


def train(
    model,
    optimizer,
    x_train,
    t_train,
    x_test=None,
    t_test=None,
    *,
    epochs=10,
    batch_size=100,
    seed=0,
    eval_train=True,
    verbose=True,
    on_epoch_end=None,
):
    """Mini-batch learning: every epoch shuffles the training set, cuts it into
    batches of ``batch_size`` and, for each batch, runs::

        loss = model.forward(x_batch, t_batch)
        model.backward(input_grad=False)
        optimizer.update(model.params, model.grads)

    ``input_grad=False`` skips the gradient with respect to the input images,
    which no step uses; the parameters' gradients are the same.  After each
    epoch it measures the accuracy on the whole training set (``eval_train``)
    and on the test set (if given) and prints one line.
    ``on_epoch_end(epoch, model, history)``, if given, is called after each
    epoch's line (to record weights, say); the history then holds that epoch.
    Returns a :class:`History`.  Raises :class:`TrainingDiverged` as soon as a
    batch's loss is NaN or infinite, naming the epoch and step.  On Linux it first
    asks glibc to keep freed memory for the next step (:mod:`cnnlib.allocator`).
    """
    if len(x_train) != len(t_train):
        raise ValueError(f"{len(x_train)} training inputs but {len(t_train)} labels")
    if (x_test is None) != (t_test is None):
        raise ValueError("give both x_test and t_test, or neither")
    if batch_size < 1 or epochs < 1:
        raise ValueError(f"epochs and batch_size must be positive; got {epochs}, {batch_size}")
    keep_freed_memory()  # a process-wide setting; CNNLIB_KEEP_FREED_MEMORY=0 turns it off
    rng = np.random.default_rng(seed)
    n = len(x_train)
    steps = math.ceil(n / batch_size)
    history = History()
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(n)
        losses = []
        for step in range(steps):
            idx = order[step * batch_size : (step + 1) * batch_size]
            loss = model.forward(x_train[idx], t_train[idx])
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"the loss became {loss} at epoch {epoch}, step {step + 1} of {steps}: lower the learning "
                    f"rate, check that the inputs are scaled to [0, 1], or check the weight initialisation"
                )
            model.backward(input_grad=False)
            optimizer.update(model.params, model.grads)
            losses.append(loss)
        train_acc = model.accuracy(x_train, t_train) if eval_train else None
        test_acc = model.accuracy(x_test, t_test) if x_test is not None else None
        seconds = time.perf_counter() - start
        for key, value in zip(
            ("epoch", "loss", "train_acc", "test_acc", "seconds"),
            (epoch, float(np.mean(losses)), train_acc, test_acc, seconds),
        ):
            history[key].append(value)
        history["step_loss"].extend(losses)
        if verbose:
            print(_format_line(epoch, epochs, history["loss"][-1], train_acc, test_acc, seconds), flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, model, history)
    return history


def history_from_keras(keras_history):
    """A Keras ``History`` (from ``model.fit``) as a :class:`History`, so one plot function serves both."""
    h = keras_history.history
    history = History()
    epochs = len(h["loss"])
    history["epoch"] = list(range(1, epochs + 1))
    history["loss"] = [float(v) for v in h["loss"]]
    history["train_acc"] = [float(v) for v in h["accuracy"]] if "accuracy" in h else [None] * epochs
    history["test_acc"] = [float(v) for v in h.get("val_accuracy", [None] * epochs)] if "val_accuracy" in h else [None] * epochs
    history["seconds"] = [None] * epochs
    return history
