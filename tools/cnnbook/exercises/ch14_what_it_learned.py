"""Chapter 14: ``my_grad_cam`` (Grad-CAM from a layer's output and the class score's gradient)."""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


@exercise("14_what_it_learned", "my_grad_cam")
def groups(rng):
    N, K = int(rng.integers(2, 5)), int(rng.integers(20, 65))
    h, w = int(rng.integers(3, 8)), int(rng.integers(3, 8))
    w = w + 1 if w == h else w                                # a map that is not square
    data = seed(rng)
    return [
        Group(_("the check's four cases"), 2, lambda fn: checks.check_grad_cam(fn)),
        Group(_("hidden: more channels, several images, a map that is not square"), 1,
              lambda fn: checks.check_grad_cam(fn, cases=[(N, h, w, K), (1, 1, 1, K)], seed=data)),
    ]
