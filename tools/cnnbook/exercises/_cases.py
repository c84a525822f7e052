"""Random cases shared by the chapters' graders."""


def seed(rng):
    """A seed for a check's own data generator, from the exercise's generator."""
    return int(rng.integers(2**31))


def conv_case(rng, *, stride, pad, square=False):
    """``((N, C, H, W), (FH, FW), stride, pad)`` with a filter that fits the padded input exactly."""
    FH = int(rng.integers(2, 5))
    FW = FH if square else int(rng.choice([f for f in range(2, 6) if f != FH]))
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    OH, OW = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    H, W = (OH - 1) * stride + FH - 2 * pad, (OW - 1) * stride + FW - 2 * pad
    if min(H, W) < 1:
        H, W = H + 2 * stride, W + 2 * stride
    return (N, C, max(H, FH - 2 * pad, 1), max(W, FW - 2 * pad, 1)), (FH, FW), stride, pad


def fits(case):
    (N, C, H, W), (FH, FW), S, P = case
    return (H + 2 * P - FH) % S == 0 and (W + 2 * P - FW) % S == 0 and H + 2 * P >= FH and W + 2 * P >= FW


def fitting_conv_case(rng, **kwargs):
    while True:
        case = conv_case(rng, **kwargs)
        if fits(case):
            return case
