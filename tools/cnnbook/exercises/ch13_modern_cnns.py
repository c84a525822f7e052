"""Chapter 13: ``conv1x1`` (a 1x1 convolution as a dense layer on every pixel)."""

import numpy as np

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


@exercise("13_modern_cnns", "conv1x1")
def groups(rng):
    N, C, H, W, FN = (int(rng.integers(2, 4)), int(rng.integers(5, 17)), int(rng.integers(2, 6)),
                      int(rng.integers(6, 9)), int(rng.integers(1, 5)))
    data = seed(rng)
    return [
        Group(_("the check's four cases"), 2, lambda fn: checks.check_conv1x1(fn)),
        Group(_("hidden: more channels than filters, a non-square input, float32"), 1,
              lambda fn: checks.check_conv1x1(fn, cases=[(N, C, H, W, FN)], seed=data, dtype=np.float32)),
    ]
