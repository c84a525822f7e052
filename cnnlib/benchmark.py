"""Transitional (issue 20): chapter 5's old name for :mod:`cnnlib.timing`.  Removed at the end of the restructure."""

from .timing import conv_vs_naive, time_interleaved  # noqa: F401
