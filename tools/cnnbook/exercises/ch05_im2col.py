"""Chapter 5: ``my_im2col`` and ``my_col2im``."""

import numpy as np
from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import fitting_conv_case, seed


def _overlap(case):
    _, (FH, FW), S, _ = case
    return FH > S or FW > S


@exercise("05_im2col", "my_im2col")
def im2col_groups(rng):
    case, data = fitting_conv_case(rng, stride=2, pad=2), seed(rng)
    return [
        Group(_("the check's five cases"), 2, lambda fn: checks.check_im2col(fn)),
        Group(_("hidden: float32, a filter that is not square, stride 2, padding 2"), 1,
              lambda fn: checks.check_im2col(fn, cases=[case], seed=data, dtype=np.float32)),
    ]


@exercise("05_im2col", "my_col2im")
def col2im_groups(rng):
    plain = [c for c in checks.CONV_CASES if not _overlap(c)]
    overlapping = [c for c in checks.CONV_CASES if _overlap(c)]
    hidden, data = fitting_conv_case(rng, stride=1, pad=2, square=True), seed(rng)
    return [
        Group(_("the check's patches that do not overlap"), 1, lambda fn: checks.check_col2im(fn, cases=plain)),
        Group(_("the check's overlapping patches"), 1, lambda fn: checks.check_col2im(fn, cases=overlapping)),
        Group(_("hidden: stride 1, padding 2 (up to nine patches overlap)"), 1,
              lambda fn: checks.check_col2im(fn, cases=[hidden], seed=data)),
    ]
