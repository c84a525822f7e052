"""The exercise check of the chapter "How a network learns: optimizers and initialisation"
(check_momentum_step): it passes right answers, including one that uses cnnlib's own optimizer,
and fails a stub and each typical mistake with a message that names it."""

import numpy as np
import pytest

import cnnlib
from cnnlib import checks


def momentum_step(param, grad, velocity, lr, momentum):
    new_velocity = momentum * velocity - lr * grad
    return param + new_velocity, new_velocity


def momentum_step_by_cnnlib(param, grad, velocity, lr, momentum):
    """The same step through the package's readable optimizer (its state dict holds v)."""
    p, state = param.copy(), {"v": velocity.copy()}
    cnnlib.reference.Momentum(learning_rate=lr, momentum=momentum).step(p, grad, state)
    return p, state["v"]


def test_accepts_right_answers_with_any_hyperparameters(capsys):
    checks.check_momentum_step(momentum_step)
    checks.check_momentum_step(momentum_step_by_cnnlib)
    checks.check_momentum_step(momentum_step, steps=7, seed=3, lr=0.003, momentum=0.5, shape=(3, 4))
    out = capsys.readouterr().out
    assert out.count("all 4 cases agree with the reference") == 2 and "all 7 cases" in out


WRONG = {
    "plain SGD": (lambda p, g, v, lr, mu: (p - lr * g, mu * v - lr * g), "plain SGD"),
    "old velocity": (lambda p, g, v, lr, mu: (p + v, mu * v - lr * g), "OLD velocity"),
    "Nesterov": (lambda p, g, v, lr, mu: (p + mu * (mu * v - lr * g) - lr * g, mu * v - lr * g), "Nesterov"),
    "opposite sign": (lambda p, g, v, lr, mu: (p - (mu * v + lr * g), mu * v + lr * g), "opposite sign"),
    "no velocity returned": (lambda p, g, v, lr, mu: p - lr * g, r"tuple \(new_param, new_velocity\)"),
    "no return": (lambda p, g, v, lr, mu: None, r"tuple \(new_param, new_velocity\)"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_names_each_typical_mistake(name):
    fn, message = WRONG[name]
    with pytest.raises(checks.CheckFailed, match=message):
        checks.check_momentum_step(fn)


def test_a_stub_is_not_written_yet():
    def stub(param, grad, velocity, lr, momentum):
        raise NotImplementedError("write momentum_step")

    with pytest.raises(checks.CheckFailed, match="not written yet"):
        checks.check_momentum_step(stub)


def test_a_wrong_momentum_is_found_in_the_velocity():
    def forgets(param, grad, velocity, lr, momentum):
        new_velocity = 0.5 * velocity - lr * grad  # ignores the momentum it is given
        return param + new_velocity, new_velocity

    checks.check_momentum_step(forgets, lr=0.1, momentum=0.5)  # right by accident
    with pytest.raises(checks.CheckFailed, match=r"momentum_step \(velocity\), step 2"):
        checks.check_momentum_step(forgets)

