"""Chapter 12: ``random_crop`` (random shifts with reflect padding)."""

import numpy as np

from ..grading import Group, _, exercise


def _check(fn):
    batch = np.random.default_rng(12).uniform(0, 1, (16, 32, 32, 3)).astype(np.float32)
    crops = fn(batch, 4, np.random.default_rng(0))
    assert crops is not None, _("{function} returned None: did you forget `return`?", function="random_crop")
    crops = np.asarray(crops)
    assert crops.shape == batch.shape and crops.dtype == batch.dtype, _("same shape and dtype as the input")
    assert np.array_equal(np.asarray(fn(batch, 0, np.random.default_rng(0))), batch), _("pad=0 must return the images")
    assert not np.array_equal(crops, batch), _("with pad=4 most crops must differ from the originals")


def _hidden(fn, n, size, pad, seed):
    images = np.arange(n * size * size, dtype=np.float32).reshape(n, size, size, 1)
    crops = np.asarray(fn(images, pad, np.random.default_rng(seed)))
    assert crops.shape == images.shape, _("pad={pad}: shape {got}, expected {want}", pad=pad, got=crops.shape, want=images.shape)
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    offsets = set()
    k = 2 * pad + 1
    for i in range(n):
        found = [(dy, dx) for dy in range(k) for dx in range(k)
                 if np.array_equal(crops[i], padded[i, dy:dy + size, dx:dx + size])]
        assert found, _("pad={pad}: crop {i} is not a {size}x{size} window of the image padded with mode 'reflect'",
                         pad=pad, i=i, size=size)
        offsets.update(found)
    assert len(offsets) == k * k, _("pad={pad}: every offset from 0 to {top} in each direction must occur; seen {seen}",
                                     pad=pad, top=2 * pad, seen=sorted(offsets))
    uint8 = np.random.default_rng(seed).integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)
    assert np.asarray(fn(uint8, 2, np.random.default_rng(1))).dtype == np.uint8, _("keep the dtype (uint8 images)")


@exercise("12_overfitting", "random_crop")
def groups(rng):
    pad, size, seed = int(rng.integers(1, 3)), int(rng.integers(4, 7)), int(rng.integers(2**31))
    return [Group(_("the check: shape, dtype, pad=0, crops that differ"), 2, _check),
            Group(_("hidden: every crop a window of the reflect-padded image, every offset, uint8"), 1,
                  lambda fn: _hidden(fn, 400, size, pad, seed))]
