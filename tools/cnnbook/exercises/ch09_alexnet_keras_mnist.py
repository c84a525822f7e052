"""Chapter 9: ``same_output_shapes`` (output sizes of AlexNet's layers under 'same' padding)."""

from ..grading import Group, _, exercise

LAYERS = [(4, 96), (2, None), (1, 256), (2, None), (1, 384), (1, 384), (1, 256), (2, None)]


def _expected(h, w, c):
    shapes = []
    for stride, filters in LAYERS:  # 'same' padding: ceil(n / stride)
        h, w = -(-h // stride), -(-w // stride)
        c = filters or c
        shapes.append((h, w, c))
    return shapes


def _compare(fn, shapes):
    for shape in shapes:
        got = fn(shape)
        assert got is not None, _("{function} returned None: did you forget `return`?", function="same_output_shapes")
        got = [tuple(int(v) for v in s) for s in got]
        assert len(got) == 8, _("input {shape}: expected 8 shapes (one per conv and pooling layer), got {n}", shape=shape,
                                 n=len(got))
        want = _expected(*shape)
        for i, (a, b) in enumerate(zip(got, want)):
            assert a == b, _("input {shape}, layer {i} of 8: you computed {got}, expected {want}", shape=shape, i=i + 1,
                              got=a, want=b)


@exercise("09_alexnet_keras_mnist", "same_output_shapes")
def groups(rng):
    # sizes of the form 4k + 1: ceil(n / 4) is k + 1, not k (rounding to the nearest gets it wrong)
    hidden = [(4 * int(rng.integers(25, 75)) + 1, 4 * int(rng.integers(8, 20)) + 1, 3),
              (4 * int(rng.integers(1, 4)) + 1,) * 2 + (2,)]
    return [
        Group(_("the check's three inputs"), 2, lambda fn: _compare(fn, [(28, 28, 1), (1, 28, 28), (32, 32, 3)])),
        Group(_("hidden: inputs whose sizes are not multiples of the strides"), 1, lambda fn: _compare(fn, hidden)),
    ]
