"""Problems: each minimum is a minimum, the notes' data, the saddle, digits accuracy."""

import numpy as np
import pytest

from lrcourse import problems

WITH_MINIMUM = {
    "ravine": lambda: problems.ravine(condition=30),
    "saddle": problems.saddle,
    "rosenbrock": problems.rosenbrock,
    "shifting_slope": problems.shifting_slope,
    "linear_regression": problems.linear_regression,
    "sparse_regression": problems.sparse_regression,
}


@pytest.mark.parametrize("name", WITH_MINIMUM)
def test_minimum_is_a_minimum(name):
    p = WITH_MINIMUM[name]()
    assert np.linalg.norm(p.grad(p.minimum)) < 1e-8
    rng = np.random.default_rng(2)
    around = p.minimum + 1e-3 * rng.normal(size=(50, p.dim))
    assert np.all(p.loss(around) >= p.min_loss - 1e-12)


def test_linear_regression_is_the_notes_data():
    # The notes: np.random.seed(0); X = 2*rand(100,1); y = 4 + 3X + randn(100,1);
    # theta = randn(2,1); regenerated here with the legacy global generator.
    np.random.seed(0)  # noqa: NPY002 (the notes' legacy generator)
    x = 2 * np.random.rand(100, 1)  # noqa: NPY002 (the notes' legacy generator)
    y = 4 + 3 * x + np.random.randn(100, 1)  # noqa: NPY002 (the notes' legacy generator)
    theta0 = np.random.randn(2, 1)  # noqa: NPY002 (the notes' legacy generator)
    p = problems.linear_regression()
    np.testing.assert_array_equal(p.info["x"], x[:, 0])
    np.testing.assert_array_equal(p.info["y"], y[:, 0])
    np.testing.assert_array_equal(p.start, theta0[:, 0])
    Xb = np.c_[np.ones(100), x[:, 0]]
    np.testing.assert_allclose(p.minimum, np.linalg.solve(Xb.T @ Xb, Xb.T @ y[:, 0]))
    theta = np.array([1.0, 2.0])
    assert p.loss(theta) == pytest.approx(np.mean((Xb @ theta - y[:, 0]) ** 2), rel=1e-12)


def test_minibatch_loss_and_gradient_use_only_those_samples():
    p = problems.linear_regression()
    X, y = p.info["X"], p.info["y"]
    idx = np.array([3, 17, 42])
    theta = np.array([0.5, -1.0])
    r = X[idx] @ theta - y[idx]
    assert p.loss(theta, idx) == pytest.approx(np.mean(r**2), rel=1e-12)
    np.testing.assert_allclose(p.grad(theta, idx), 2 / 3 * X[idx].T @ r, rtol=1e-12)


def test_saddle_hessian_at_origin():
    eig = np.linalg.eigvalsh(problems.saddle().hessian(np.zeros(2)))
    np.testing.assert_allclose(eig, [-2.0, 2.0])


def test_digits_softmax_minimum_classifies_the_test_set():
    p = problems.digits_softmax()
    assert np.linalg.norm(p.grad(p.minimum)) < 1e-5
    assert p.info["accuracy"](p.minimum, "test") > 0.9
