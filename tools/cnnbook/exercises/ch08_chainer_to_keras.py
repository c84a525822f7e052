"""Chapter 8: ``scratch_to_keras`` for LeNet."""

import cnnlib

from ..grading import Group, _, exercise
from ._keras import ADAPTERS, compare


def _want(params):
    p = params
    W = p["dense1.W"].reshape(16, 4, 4, -1).transpose(1, 2, 0, 3).reshape(256, -1)
    return {"conv1": [p["conv1.W"].transpose(2, 3, 1, 0), p["conv1.b"]],
            "conv2": [p["conv2.W"].transpose(2, 3, 1, 0), p["conv2.b"]],
            "dense1": [W, p["dense1.b"]], "dense2": [p["dense2.W"], p["dense2.b"]],
            "logits": [p["dense3.W"], p["dense3.b"]]}


def _case(seed, rng=None):
    params = {k: v.copy() for k, v in cnnlib.LeNet(seed=seed).params.items()}
    if rng is not None:  # a fresh LeNet's biases are zero: make them not zero, so a forgotten bias shows
        for key, value in params.items():
            if key.endswith(".b"):
                value[...] = rng.uniform(-0.5, 0.5, value.shape)
    return params


@exercise("08_chainer_to_keras", "scratch_to_keras", block=False, preload=("cnnlib", "keras"),
          adapters=ADAPTERS, adapter="convert", timeout=300)
def groups(rng):
    hidden = _case(int(rng.integers(1, 1000)), rng)
    check = _case(3)
    return [
        Group(_("the check's LeNet (seed 3)"), 2, lambda fn: compare(fn("lenet", check, {}), _want(check), "LeNet")),
        Group(_("hidden: biases that are not zero"), 1,
              lambda fn: compare(fn("lenet", hidden, {}), _want(hidden), _("LeNet with non-zero biases"))),
    ]
