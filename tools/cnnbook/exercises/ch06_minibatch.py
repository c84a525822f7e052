"""Chapter 6: ``softmax_cross_entropy_grad`` and ``adam_step``."""

from cnnlib import checks

from ..grading import Group, _, exercise
from ._cases import seed


@exercise("06_minibatch", "softmax_cross_entropy_grad")
def softmax_groups(rng):
    cases, data = [(int(rng.integers(2, 6)), int(rng.integers(3, 8)))], seed(rng)
    return [
        Group(_("the check's four cases"), 2, lambda fn: checks.check_softmax_cross_entropy_grad(fn)),
        Group(_("hidden: logits in the thousands (np.exp overflows unless the row maximum is subtracted)"), 1,
              lambda fn: checks.check_softmax_cross_entropy_grad(fn, cases=cases, seed=data, scale=1000.0)),
    ]


@exercise("06_minibatch", "adam_step")
def adam_groups(rng):
    hyper = dict(lr=float(rng.choice([0.003, 0.02, 0.1])), beta1=float(rng.choice([0.8, 0.85, 0.95])),
                 beta2=float(rng.choice([0.99, 0.995, 0.9])), eps=float(rng.choice([1e-5, 1e-6, 1e-4])))
    shape, data = (int(rng.integers(2, 5)), int(rng.integers(2, 4))), seed(rng)
    return [
        Group(_("the check's four steps"), 2, lambda fn: checks.check_adam_step(fn)),
        Group(_("hidden: other hyperparameters, a 2-D parameter, seven steps"), 1,
              lambda fn: checks.check_adam_step(fn, steps=7, seed=data, shape=shape, **hyper)),
    ]
