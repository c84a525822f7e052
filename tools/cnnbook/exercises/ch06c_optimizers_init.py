"""Chapter 6c: ``momentum_step``."""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


@exercise("06c_optimizers_init", "momentum_step")
def groups(rng):
    hyper = dict(lr=float(rng.choice([0.003, 0.02, 0.5])), momentum=float(rng.choice([0.5, 0.8, 0.95, 0.99])))
    shape, data = (int(rng.integers(2, 5)), int(rng.integers(2, 4))), seed(rng)
    return [
        Group(_("the check's four steps"), 2, lambda fn: checks.check_momentum_step(fn)),
        Group(_("hidden: another learning rate and momentum, a 2-D parameter, seven steps"), 1,
              lambda fn: checks.check_momentum_step(fn, steps=7, seed=data, shape=shape, **hyper)),
    ]
