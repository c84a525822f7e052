"""Chapter 7: ``activation_stds(model, x)`` (the answer gets a scratch LeNet, so cnnlib stays on)."""

import numpy as np

import cnnlib

from ..grading import Group, _, exercise

ADAPTERS = '''
import cnnlib
def lenet(fn, options, x):
    return fn(cnnlib.LeNet(**options), x)
'''


def _expected(options, x):
    net = cnnlib.LeNet(**options)
    return {name: float(out.std()) for name, out in net.activations(x).items() if name.startswith(("conv", "dense"))}


def _compare(fn, options, x):
    want = _expected(options, x)
    got = fn(options, x)
    assert isinstance(got, dict), _("LeNet({options}): return a dict of layer name -> float, got {kind}", options=options,
                                    kind=type(got).__name__)
    assert list(got) == list(want), _("LeNet({options}): expected the keys {want}, got {got}", options=options,
                                      want=list(want), got=list(got))
    for key in want:
        assert np.isclose(got[key], want[key], rtol=1e-4), _(
            "LeNet({options}), layer {key}: got {got:.6g}, expected {want:.6g}", options=options, key=key, got=got[key],
            want=want[key])


@exercise("07_lenet_scratch_mnist", "activation_stds", block=False, preload=("cnnlib",), adapters=ADAPTERS, adapter="lenet")
def groups(rng):
    x = rng.uniform(0, 1, (20, 1, 28, 28)).astype(np.float32)
    check_x = np.random.default_rng(0).uniform(0, 1, (20, 1, 28, 28)).astype(np.float32)
    hidden = dict(weight_init=float(rng.choice([0.05, 0.1, 0.2])), seed=int(rng.integers(1, 1000)))

    def check(fn):
        for options in (dict(weight_init=0.01, seed=0), dict(weight_init="he", seed=0)):
            _compare(fn, options, check_x)

    return [Group(_("the check's two networks (std 0.01 and He)"), 2, check),
            Group(_("hidden: another initialisation, another seed, other images"), 1, lambda fn: _compare(fn, hidden, x))]
