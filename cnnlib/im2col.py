"""Transitional (issue 20): the old module name, until chapter 3 and the classroom tests import from
``cnnlib.geometry``, ``cnnlib.reference`` and ``cnnlib.fast_im2col``.  Removed at the end of the restructure."""

from .fast_im2col import col2im_t, im2col_t, pad_input  # noqa: F401
from .geometry import conv_output_size, resolve_padding, window_arguments  # noqa: F401
from .reference import col2im, im2col  # noqa: F401
