"""Appendix Performance: ``maxpool_backward`` by offsets (graded as chapter 4's)."""

from ..grading import exercise
from .ch04_pooling import maxpool_groups

exercise("performance", "maxpool_backward")(maxpool_groups)
