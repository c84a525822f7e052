"""Appendix Scaling: ``combine_replica_gradients``."""

import numpy as np

from ..grading import Group, _, exercise


def _gradient(X, y, w):
    return X.T @ (X @ w - y) / len(X)


def _check(fn):
    r = np.random.default_rng(1)
    X, y, w = r.standard_normal((12, 3)), r.standard_normal(12), r.standard_normal(3)
    for sizes in ([6, 6], [4, 4, 4], [7, 5], [5, 4, 3]):
        bounds = np.cumsum([0] + sizes)
        grads = [_gradient(X[a:b], y[a:b], w) for a, b in zip(bounds[:-1], bounds[1:])]
        got = fn(grads, sizes)
        assert np.allclose(np.asarray(got, dtype=float), _gradient(X, y, w)), _("slices of {sizes}: not the gradient over all 12 rows", sizes=sizes)


@exercise("scaling", "combine_replica_gradients")
def groups(rng):
    a, b = float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3))
    big, small = int(rng.integers(5, 20)), int(rng.integers(1, 3))

    def hidden(fn):
        g1, g2 = np.full((3, 2), a), np.full((3, 2), b)
        want = (big * g1 + small * g2) / (big + small)
        got = np.asarray(fn([g1, g2], [big, small]), dtype=float)
        assert got.shape == (3, 2), _("2-D gradients: shape {got}, expected (3, 2)", got=got.shape)
        assert np.allclose(got, want), _("slices of {big} and {small} rows: wrong weighted mean", big=big, small=small)
        assert np.allclose(np.asarray(fn([g2], [small]), dtype=float), g2), _("one replica: its own gradient")

    return [Group(_("the check's equal and unequal slices"), 2, _check),
            Group(_("hidden: 2-D gradients, very unequal slices, one replica"), 1, hidden)]
