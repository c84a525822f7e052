"""numerical_gradient and rel_error, the instruments of the gradient checks."""

import numpy as np
import pytest

from cnnlib import numerical_gradient, rel_error


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    x_before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x_before**2, rtol=1e-8, atol=1e-10)  # central difference, h = 1e-5
    np.testing.assert_array_equal(x, x_before)  # every entry restored exactly


def test_numerical_gradient_perturbs_the_array_that_f_reads():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([1.0, -1.0])
    grad = numerical_gradient(lambda: float(v @ W @ v), W)
    np.testing.assert_allclose(grad, np.outer(v, v), rtol=1e-9)


def test_numerical_gradient_refuses_float32_and_integers():
    with pytest.raises(TypeError, match="only meaningful in float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="needs a float array; got int64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.int64))


def test_rel_error():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error([1.0, 0.0], [1.1, 0.0]) == pytest.approx(0.1 / 2.1)  # the worst entry; 0 vs 0 is 0
    assert rel_error([1e-9], [-1e-9]) == pytest.approx(2e-9 / 1e-8)  # tiny entries against the 1e-8 floor
    with pytest.raises(ValueError, match=r"shapes differ: \(3,\) vs \(1, 3\)"):
        rel_error(np.ones(3), np.ones((1, 3)))
