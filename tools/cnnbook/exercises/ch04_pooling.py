"""Chapter 4: ``maxpool_backward`` (points for windows that do not overlap, and for those that do)."""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


def maxpool_groups(rng):
    """The check's cases split by overlap, and hidden overlapping windows on a non-square input."""
    plain = [c for c in checks.POOL_CASES if c[1] <= c[2]]
    overlapping = [c for c in checks.POOL_CASES if c[1] > c[2]]
    N, C = int(rng.integers(1, 3)), int(rng.integers(2, 4))
    OH, OW = int(rng.integers(3, 5)), int(rng.integers(2, 5))
    hidden = [((N, C, 2 * OH + 1, 2 * OW + 2), 3, 2)]
    data = seed(rng)
    return [
        Group(_("the check's windows that do not overlap"), 1, lambda fn: checks.check_maxpool_backward(fn, cases=plain)),
        Group(_("the check's overlapping windows"), 1, lambda fn: checks.check_maxpool_backward(fn, cases=overlapping)),
        Group(_("hidden: overlapping 3x3 windows, stride 2, a non-square input"), 1,
              lambda fn: checks.check_maxpool_backward(fn, cases=hidden, seed=data)),
    ]


exercise("04_pooling", "maxpool_backward")(maxpool_groups)
