"""Chapter 11: ``scratch_to_keras`` for the batch-normalised AlexNet."""

import numpy as np

import cnnlib

from ..grading import Group, _, exercise
from ._keras import ADAPTERS, compare


def _want(params, state):
    p, s = params, state
    want = {name: [p[name + ".W"].transpose(2, 3, 1, 0), p[name + ".b"]] for name in ("conv1", "conv2", "conv3", "conv4", "conv5")}
    for name in ("bn1", "bn2", "bn3"):
        want[name] = [p[name + ".gamma"], p[name + ".beta"], s[name + ".moving_mean"], s[name + ".moving_var"]]
    for scratch, keras in (("dense1", "dense1"), ("dense2", "dense2"), ("dense3", "logits")):
        want[keras] = [p[scratch + ".W"], p[scratch + ".b"]]
    return want


def _case(seed, rng):
    net = cnnlib.AlexNet(seed=seed)
    params = {k: v.copy() for k, v in net.params.items()}
    state = {k: v.copy() for k, v in net.state.items()}
    for key, value in list(params.items()) + list(state.items()):  # not the defaults 0, 1, 0, 1
        if key.endswith((".b", ".gamma", ".beta", ".moving_mean")):
            value[...] = rng.uniform(-0.5, 0.5, value.shape) + (1.0 if key.endswith(".gamma") else 0.0)
        elif key.endswith(".moving_var"):
            value[...] = rng.uniform(0.5, 1.5, value.shape)
    return params, state


@exercise("11_alexnet_keras_cifar10", "scratch_to_keras", block=False, preload=("cnnlib", "keras"),
          adapters=ADAPTERS, adapter="convert", timeout=300)
def groups(rng):
    check = _case(3, np.random.default_rng(4))
    hidden = _case(int(rng.integers(1, 1000)), rng)
    return [
        Group(_("the check's AlexNet (running averages not the defaults)"), 2,
              lambda fn: compare(fn("alexnet", *check), _want(*check), "AlexNet")),
        Group(_("hidden: biases, gammas and betas that are not their defaults"), 1,
              lambda fn: compare(fn("alexnet", *hidden), _want(*hidden), _("AlexNet, other parameters"))),
    ]
