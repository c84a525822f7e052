"""Padding worked out by hand for the tests, independently of cnnlib.resolve_padding."""


def pads_by_hand(H, W, FH, FW, stride, pad):
    """((top, bottom), (left, right)) worked out here, independently of cnnlib.resolve_padding:
    'same' as TensorFlow (output ceil(n / stride), the odd unit of padding at the end)."""
    if pad == "valid":
        return (0, 0), (0, 0)
    if pad == "same":
        out = []
        for n, f in ((H, FH), (W, FW)):
            total = max((-(-n // stride) - 1) * stride + f - n, 0)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    if isinstance(pad, int):
        return (pad, pad), (pad, pad)
    return tuple(map(tuple, pad))
