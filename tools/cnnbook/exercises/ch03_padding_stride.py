"""Chapter 3: ``conv_output_size``."""

from cnnlib import checks

from ..grading import Group, _, exercise


@exercise("03_padding_stride", "conv_output_size")
def groups(rng):
    fitting = []
    while len(fitting) < 3:  # (H + 2P - F) divisible by a stride of 2 to 4
        F, S, P, k = int(rng.integers(1, 8)), int(rng.integers(2, 5)), int(rng.integers(0, 3)), int(rng.integers(1, 20))
        H = F - 2 * P + S * k
        if H >= 1:
            fitting.append((H, F, S, P))
    H = int(rng.integers(1, 5))
    too_large = (H, H + int(rng.integers(1, 4)), 1, 0)  # the filter is larger than the input
    return [
        Group(_("the check's seven cases"), 2, lambda fn: checks.check_conv_output_size(fn)),
        Group(_("hidden: strides of 2 to 4, and a filter larger than the input (ValueError)"), 1,
              lambda fn: checks.check_conv_output_size(fn, cases=fitting, misfit=too_large)),
    ]
