"""Test-session setup shared by the unit tests and nbval.

Environment variables set here are inherited by the notebook kernels that
nbval starts, so they apply to the chapters too.
"""

import os

# TensorFlow's C++ start-up messages go to stderr, which nbval would compare;
# this must be set before the kernels start (setting it inside a kernel is too late).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
