"""Chapter 2: ``conv_forward`` (the convolution by loops)."""

import numpy as np
from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import fitting_conv_case, seed


@exercise("02_convolution", "conv_forward")
def groups(rng):
    case, data, filters = fitting_conv_case(rng, stride=2, pad=2), seed(rng), int(rng.integers(3, 7))
    return [
        Group(_("the check's five cases"), 2, lambda fn: checks.check_conv_forward(fn)),
        Group(_("hidden: float32, a filter that is not square, stride 2, padding 2"), 1,
              lambda fn: checks.check_conv_forward(fn, cases=[case], seed=data, dtype=np.float32, filters=filters)),
    ]
