"""Optimizers: step for step the same as their ``keras.optimizers`` namesakes, in place.

Five steps from the same float32 parameters with a fixed sequence of gradients;
after every step the parameters agree with Keras's (``keras.Variable`` +
``optimizer.apply_gradients``) to ``rtol=1e-5, atol=1e-6``: float32 round-off
of the same formulas evaluated in a different order.  The hyper-parameters are
not the defaults and are large enough that every term matters (epsilon 1e-3
next to gradients ~0.5, so where epsilon goes shows), and the parameters move
by far more than the tolerance.
"""

import numpy as np
import pytest

from cnnlib import SGD, AdaGrad, Adadelta, Adam, Affine, Momentum, Nesterov, RMSprop

F32 = np.float32
STEPS = 5

# (id, scratch optimizer, Keras class name, Keras keyword arguments)
TWINS = [
    ("SGD", lambda: SGD(learning_rate=0.1), "SGD", dict(learning_rate=0.1)),
    ("Momentum", lambda: Momentum(learning_rate=0.05, momentum=0.8), "SGD", dict(learning_rate=0.05, momentum=0.8)),
    ("SGD momentum", lambda: SGD(learning_rate=0.05, momentum=0.8), "SGD", dict(learning_rate=0.05, momentum=0.8)),
    ("Nesterov", lambda: Nesterov(learning_rate=0.05, momentum=0.8), "SGD",
     dict(learning_rate=0.05, momentum=0.8, nesterov=True)),
    ("SGD nesterov", lambda: SGD(learning_rate=0.05, momentum=0.8, nesterov=True), "SGD",
     dict(learning_rate=0.05, momentum=0.8, nesterov=True)),
    ("AdaGrad", lambda: AdaGrad(learning_rate=0.1, initial_accumulator_value=0.2, epsilon=1e-3), "Adagrad",
     dict(learning_rate=0.1, initial_accumulator_value=0.2, epsilon=1e-3)),
    ("RMSprop", lambda: RMSprop(learning_rate=0.01, rho=0.8, epsilon=1e-3), "RMSprop",
     dict(learning_rate=0.01, rho=0.8, epsilon=1e-3)),
    ("Adam", lambda: Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3), "Adam",
     dict(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3)),
    ("Adadelta", lambda: Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-3), "Adadelta",
     dict(learning_rate=1.0, rho=0.9, epsilon=1e-3)),
    ("Adam weight_decay", lambda: Adam(learning_rate=0.01, weight_decay=0.1), "Adam",
     dict(learning_rate=0.01, weight_decay=0.1)),
    ("Momentum weight_decay", lambda: Momentum(learning_rate=0.05, momentum=0.8, weight_decay=0.2), "SGD",
     dict(learning_rate=0.05, momentum=0.8, weight_decay=0.2)),
]  # fmt: skip


def start_and_gradients(seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.standard_normal((3, 4)).astype(F32), "b": rng.standard_normal(4).astype(F32)}
    grads = [{k: (rng.standard_normal(v.shape) * 0.5).astype(F32) for k, v in params.items()} for _ in range(STEPS)]
    return params, grads


@pytest.mark.keras
@pytest.mark.parametrize("name, make, keras_name, keras_kwargs", TWINS, ids=[t[0] for t in TWINS])
def test_steps_match_keras(keras, assert_close, name, make, keras_name, keras_kwargs):
    params, grads = start_and_gradients()
    start = {k: v.copy() for k, v in params.items()}
    variables = {k: keras.Variable(v.copy(), dtype="float32") for k, v in params.items()}
    opt, opt_k = make(), getattr(keras.optimizers, keras_name)(**keras_kwargs)
    for step, g in enumerate(grads, 1):
        opt.update(params, g)
        opt_k.apply_gradients([(g[k], variables[k]) for k in params])
        for k in params:
            # float32 round-off of the same formulas (module docstring)
            assert_close(params[k], variables[k].numpy(), 1e-5, 1e-6, f"{name} {k} after step {step}")
    moved = max(np.abs(params[k] - start[k]).max() for k in params)
    assert moved > 1e-2, f"{name} moved the parameters by only {moved}: the comparison would prove little"
    assert opt.iterations == STEPS


@pytest.mark.keras
@pytest.mark.parametrize(
    "make, keras_name, attributes",
    [
        (SGD, "SGD", ["learning_rate", "momentum", "nesterov"]),
        (AdaGrad, "Adagrad", ["learning_rate", "initial_accumulator_value", "epsilon"]),
        (RMSprop, "RMSprop", ["learning_rate", "rho", "epsilon"]),
        (Adam, "Adam", ["learning_rate", "beta_1", "beta_2", "epsilon"]),
        (Adadelta, "Adadelta", ["learning_rate", "rho", "epsilon"]),
    ],
    ids=["SGD", "AdaGrad", "RMSprop", "Adam", "Adadelta"],
)
def test_defaults_are_keras_defaults(keras, make, keras_name, attributes):
    ours, theirs = make(), getattr(keras.optimizers, keras_name)()
    for a in attributes:
        assert float(getattr(ours, a)) == pytest.approx(float(getattr(theirs, a)), rel=1e-6), a
    assert ours.weight_decay == theirs.weight_decay is None


def test_momentum_and_nesterov_are_sgd_with_momentum():
    m, n = Momentum(), Nesterov()
    assert (m.learning_rate, m.momentum, m.nesterov) == (0.01, 0.9, False)
    assert (n.learning_rate, n.momentum, n.nesterov) == (0.01, 0.9, True)


@pytest.mark.parametrize("make", [t[1] for t in TWINS], ids=[t[0] for t in TWINS])
def test_update_is_in_place(make):
    params, grads = start_and_gradients()
    layer = Affine(params["W"], params["b"])  # holds the same arrays
    arrays = dict(params)
    before = {k: v.copy() for k, v in params.items()}
    make().update(params, grads[0])
    for k in params:
        assert params[k] is arrays[k]
        assert layer.params[k] is arrays[k]
        assert not np.array_equal(params[k], before[k]), f"{k} did not change"
    for g in grads[0].values():  # the gradients are not consumed
        assert np.isfinite(g).all()


def test_sgd_by_hand():
    p = {"w": np.array([1.0, -2.0], F32)}
    SGD(learning_rate=0.5).update(p, {"w": np.array([0.2, -0.4], F32)})
    np.testing.assert_array_equal(p["w"], np.array([0.9, -1.8], F32))


def test_adam_first_step_moves_by_the_learning_rate():
    # bias correction: after one step m_hat = g and v_hat = g^2, so the step is
    # lr * g / (|g| + eps'), with Keras's "epsilon hat" eps' = eps / sqrt(1 - beta_2)
    p = {"w": np.array([1.0, 1.0, 1.0], np.float64)}
    g = np.array([0.5, -3.0, 1e-4])
    Adam(learning_rate=0.01, beta_2=0.999, epsilon=1e-6).update(p, {"w": g})
    eps_hat = 1e-6 / np.sqrt(1 - 0.999)
    np.testing.assert_allclose(p["w"], 1 - 0.01 * g / (np.abs(g) + eps_hat), rtol=1e-12)  # float64 round-off
    assert 1 - p["w"][2] < 0.8 * 0.01  # eps' (3.2e-5) visibly shortens the step of the 1e-4 gradient


def test_bad_updates_are_clear_errors():
    p = {"W": np.ones((3, 4), F32), "b": np.zeros(4, F32)}
    with pytest.raises(KeyError, match=r"these differ: \['b'\]"):
        SGD().update(p, {"W": np.ones((3, 4), F32)})
    # a (4,) gradient would broadcast over a (3, 4) parameter; it must not
    with pytest.raises(ValueError, match=r"gradient for 'W' has shape \(4,\), parameter has \(3, 4\)"):
        Adam().update(p, {"W": np.ones(4, F32), "b": np.zeros(4, F32)})
    np.testing.assert_array_equal(p["W"], 1)
    with pytest.raises(ValueError, match="learning_rate must be positive; got 0"):
        RMSprop(learning_rate=0)


def snapshot(opt, params):
    """Copies of everything ``update`` may change: the parameters, the per-parameter state, the step count."""
    return (
        {k: v.copy() for k, v in params.items()},
        {k: {n: a.copy() for n, a in slots.items()} for k, slots in opt.state.items()},
        opt.iterations,
    )


def assert_unchanged(opt, params, before, what):
    params_before, state_before, iterations = before
    for k in params:
        np.testing.assert_array_equal(params[k], params_before[k], err_msg=f"{what}: params[{k!r}] changed")
    assert opt.state.keys() == state_before.keys(), f"{what}: state created for {set(opt.state) - set(state_before)}"
    for k, slots in opt.state.items():
        assert slots.keys() == state_before[k].keys(), f"{what}: state[{k!r}] gained {set(slots) - set(state_before[k])}"
        for n, a in slots.items():
            np.testing.assert_array_equal(a, state_before[k][n], err_msg=f"{what}: state[{k!r}][{n!r}] changed")
    assert opt.iterations == iterations, f"{what}: iterations changed"


@pytest.mark.parametrize("make", [t[1] for t in TWINS], ids=[t[0] for t in TWINS])
def test_a_bad_update_changes_nothing(make):
    """``update`` is all or nothing: a missing key or a gradient of the wrong shape, even the
    last one, is an error before any parameter or optimizer state is touched."""
    rng = np.random.default_rng(0)
    params = {
        "W": rng.standard_normal((3, 4)).astype(F32),
        "b": rng.standard_normal(4).astype(F32),
        "z": rng.standard_normal((2, 5)).astype(F32),  # last: updated after all the others
    }
    good = lambda: {k: rng.standard_normal(v.shape).astype(F32) for k, v in params.items()}  # noqa: E731
    opt = make()
    opt.update(params, good())  # the state exists (momenta, accumulators) and has moved
    opt.update(params, good())
    before = snapshot(opt, params)

    bad = good()
    bad["z"] = np.ones(5, F32)  # would broadcast over (2, 5)
    with pytest.raises(ValueError, match=r"gradient for 'z' has shape \(5,\), parameter has \(2, 5\)"):
        opt.update(params, bad)
    assert_unchanged(opt, params, before, "wrong shape")

    bad["z"] = np.ones((5, 2), F32)  # the same size, another shape
    with pytest.raises(ValueError, match=r"gradient for 'z' has shape \(5, 2\), parameter has \(2, 5\)"):
        opt.update(params, bad)
    assert_unchanged(opt, params, before, "transposed")

    missing = good()
    del missing["z"]
    with pytest.raises(KeyError, match=r"these differ: \['z'\]"):
        opt.update(params, missing)
    assert_unchanged(opt, params, before, "missing key")

    # a fresh optimizer must not even create its state
    fresh = make()
    with pytest.raises(ValueError, match="gradient for 'z'"):
        fresh.update(params, {**good(), "z": np.ones(5, F32)})
    assert fresh.state == {} and fresh.iterations == 0
    assert_unchanged(opt, params, before, "fresh optimizer")

    opt.update(params, good())  # and the optimizer still works
    assert opt.iterations == 3
