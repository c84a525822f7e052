"""Chapter 6a: ``conv_input_grad`` (the input gradient as a convolution).

The answer may use cnnlib's forward convolution (the chapter's own answer does); the
library's backward passes and col2im are switched off.
"""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed

SWITCHED_OFF = (
    "cnnlib.reference.Convolution.backward", "cnnlib.reference.col2im",
    "cnnlib.fast_layers.Convolution.backward", "cnnlib.fast_im2col.col2im_t", "cnnlib.col2im",
    "cnnlib.Convolution.backward",
)


@exercise("06a_inside_a_conv_layer", "conv_input_grad", block=False, preload=("cnnlib",), refuse=SWITCHED_OFF)
def groups(rng):
    C, FN = int(rng.integers(2, 4)), int(rng.integers(4, 7))
    case, data = [((2, C, int(rng.integers(6, 10)), int(rng.integers(5, 9))), (FN, 5), 2)], seed(rng)
    return [
        Group(_("the check's five cases"), 2, lambda fn: checks.check_conv_input_grad(fn)),
        Group(_("hidden: 5x5 filters, more filters than channels, padding 2, a non-square input"), 1,
              lambda fn: checks.check_conv_input_grad(fn, cases=case, seed=data)),
    ]
