"""Chapter 6b: ``batchnorm_backward``."""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


@exercise("06b_batchnorm_dropout", "batchnorm_backward")
def groups(rng):
    N, data = int(rng.integers(24, 40)), seed(rng)
    scales = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    return [
        Group(_("the check's four cases"), 2, lambda fn: checks.check_batchnorm_backward(fn)),
        Group(_("hidden: a larger batch, eps 1e-5, features on scales from 0.01 to 1000"), 1,
              lambda fn: checks.check_batchnorm_backward(fn, cases=[(N, 6)], seed=data, eps=1e-5, scales=scales)),
    ]
