"""Chapter 10: ``confusion_matrix``."""

import numpy as np

from ..grading import Group, _, exercise


def _compare(fn, t, y, num_classes, case):
    want = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(want, (np.asarray(t), np.asarray(y)), 1)
    got = fn(t, y, num_classes=num_classes)
    assert got is not None, _("{function} returned None: did you forget `return`?", function="confusion_matrix")
    got = np.asarray(got)
    assert got.shape == want.shape, _("{case}: shape {got}, expected {want}", case=case, got=got.shape, want=want.shape)
    assert np.array_equal(got, want), _("{case}: expected {want}, got {got} (rows: true class)", case=case,
                                        want=want.tolist(), got=got.tolist())


@exercise("10_alexnet_scratch_cifar10", "confusion_matrix")
def groups(rng):
    def check(fn):
        _compare(fn, np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3, _("the small case"))
        r = np.random.default_rng(10)
        _compare(fn, r.integers(0, 10, 10_000), r.integers(0, 10, 10_000), 10, _("10,000 predictions"))

    a, b = (int(v) for v in rng.choice(5, 2, replace=False))
    t, y = [a, a, a, b], [b, b, b, b]  # plain lists, one pair three times, classes that never occur
    return [Group(_("the check's small case and 10,000 predictions"), 2, check),
            Group(_("hidden: plain lists, num_classes=5 with classes that never occur, a repeated pair"), 1,
                  lambda fn: _compare(fn, t, y, 5, f"t={t}, y={y}, num_classes=5"))]
