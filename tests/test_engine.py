"""Problems, runner and plotting, checked against independent computations."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import SGD, Adagrad, AdagradMean, Adam, AdamW, RMSprop, compare, problems, run, sweep  # noqa: E402
from lrcourse import plotting as lp  # noqa: E402

TWO_D = {
    "ravine": lambda: problems.ravine(condition=30),
    "saddle": problems.saddle,
    "rosenbrock": problems.rosenbrock,
    "shifting_slope": problems.shifting_slope,
    "linear_regression": problems.linear_regression,
}
ALL = {**TWO_D, "sparse_regression": problems.sparse_regression}


def numeric_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_finite_differences(name):
    p = ALL[name]()
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = p.minimum + rng.normal(size=p.dim)
        np.testing.assert_allclose(p.grad(x), numeric_grad(p.loss, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", TWO_D)
def test_hessian_matches_finite_differences(name):
    p = TWO_D[name]()
    x = p.minimum + np.array([0.3, -0.2])
    rows = [numeric_grad(lambda z, i=i: p.grad(z)[i], x) for i in range(2)]
    np.testing.assert_allclose(p.hessian(x), np.array(rows), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_minimum_is_a_minimum(name):
    p = ALL[name]()
    assert np.linalg.norm(p.grad(p.minimum)) < 1e-8
    rng = np.random.default_rng(2)
    around = p.minimum + 1e-3 * rng.normal(size=(50, p.dim))
    assert np.all(p.loss(around) >= p.min_loss - 1e-12)


def test_losses_are_vectorised_over_leading_axes():
    for p in (f() for f in ALL.values()):
        pts = p.minimum + np.random.default_rng(3).normal(size=(4, 3, p.dim))
        one_by_one = np.array([[p.loss(x) for x in row] for row in pts])
        np.testing.assert_allclose(p.loss(pts), one_by_one, rtol=1e-12)
        assert p.grad(pts).shape == pts.shape


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


def test_digits_softmax_gradient_and_accuracy():
    p = problems.digits_softmax()
    rng = np.random.default_rng(0)
    x = 0.01 * rng.normal(size=p.dim)
    idx = np.arange(40)
    i = rng.choice(p.dim, 6, replace=False)
    full = numeric_grad(lambda z: p.loss(z, idx), x)
    np.testing.assert_allclose(p.grad(x, idx)[i], full[i], rtol=1e-5, atol=1e-8)
    assert p.info["accuracy"](p.minimum, "test") > 0.9


# ------------------------------------------------------------------- runner


def hand_loop(opt, p, x0, steps):
    """The straightforward loop the runner must agree with."""
    x, xs = np.array(x0, dtype=float), [np.array(x0, dtype=float)]
    for _ in range(steps):
        x = opt.step(x, p.grad(x))
        xs.append(x)
    return np.array(xs)


def test_run_records_the_same_path_as_a_hand_loop():
    p = problems.rosenbrock()
    tr = run(Adam(lr=0.05), p, steps=300)
    np.testing.assert_array_equal(tr.params, hand_loop(Adam(lr=0.05), p, p.start, 300))
    np.testing.assert_allclose(tr.loss, p.loss(tr.params))
    grads = p.grad(tr.params[:-1])
    np.testing.assert_allclose(tr.grad_norm, np.linalg.norm(grads, axis=-1))
    assert tr.lr.shape == (300,) and np.all(tr.lr == 0.05)
    assert tr.step_size.shape == (300, 2)


def test_step_size_is_eta_over_sigma():
    p = problems.ravine()
    tr = run(Adagrad(lr=0.5), p, steps=20)
    grads = p.grad(tr.params[:-1])
    sigma = np.sqrt(np.cumsum(grads**2, axis=0)) + 1e-10
    np.testing.assert_allclose(tr.step_size, 0.5 / sigma, rtol=1e-12)


def test_batched_sweep_equals_single_runs():
    p = problems.ravine(condition=50)
    lrs = np.geomspace(1e-3, 0.5, 7)
    batch = sweep(lambda lr: RMSprop(lr=lr, alpha=0.9), lrs, p, steps=200)
    assert batch.params.shape == (201, 7, 2)
    for k, lr in enumerate(lrs):
        single = run(RMSprop(lr=lr, alpha=0.9), p, steps=200)
        np.testing.assert_allclose(batch.params[:, k], single.params, rtol=1e-13)


def test_batch_of_starting_points():
    p = problems.saddle()
    starts = np.array([[0.5, 0.4], [-1.0, 1.5], [1.2, -0.3]])
    batch = run(SGD(lr=0.05), p, starts, steps=50)
    for k in range(3):
        np.testing.assert_allclose(batch.params[:, k], run(SGD(lr=0.05), p, starts[k],
                                                            steps=50).params)


def test_divergence_single_run_stops_and_reports_step():
    p = problems.ravine(condition=10, flat_curvature=1.0)  # steep curvature 10
    tr = run(SGD(lr=0.5), p, steps=1000)  # 1 - 0.5*10 = -4: grows 4x per step
    assert tr.diverged and 5 < tr.diverged_at < 40
    assert len(tr.params) == tr.diverged_at and np.all(np.isfinite(tr.loss))
    assert "diverged at step" in tr.describe()
    assert tr.final_loss == np.inf


def test_divergence_in_a_batch_freezes_only_that_run():
    p = problems.ravine(condition=10, flat_curvature=1.0)
    batch = sweep(lambda lr: SGD(lr=lr), [0.05, 0.5], p, steps=200)
    assert batch.diverged_at[0] == -1 and batch.diverged_at[1] > 0
    assert np.isnan(batch.loss[-1, 1]) and np.isfinite(batch.loss[-1, 0])
    assert list(batch.diverged) == [False, True]


def test_steps_to_target():
    p = problems.ravine(condition=1, flat_curvature=1.0)
    tr = run(SGD(lr=0.5), p, steps=60)  # the error halves each step: loss quarters
    target = p.loss(p.start) * 0.25**10
    assert tr.steps_to(target * (1 + 1e-9)) == 10
    assert tr.steps_to(-1.0) == -1


def test_minibatch_run_is_deterministic_and_uses_batches():
    p = problems.linear_regression()
    a = run(SGD(lr=0.05), p, steps=30, batch_size=10, seed=4)
    b = run(SGD(lr=0.05), p, steps=30, batch_size=10, seed=4)
    c = run(SGD(lr=0.05), p, steps=30)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.allclose(a.params, c.params)


def test_plateau_schedule_needs_a_single_run():
    from lrcourse import ReduceLROnPlateau
    with pytest.raises(ValueError, match="single starting point"):
        run(Adam(lr=ReduceLROnPlateau(0.1)), problems.saddle(), np.zeros((3, 2)), steps=5)


def test_digits_minimum_is_computed_on_first_use():
    p = problems.digits_softmax()
    assert "minimum" not in p.__dict__
    first = p.minimum
    assert p.minimum is first and np.linalg.norm(p.grad(first)) < 1e-5


def test_runner_rejects_bad_input():
    with pytest.raises(ValueError, match="steps"):
        run(SGD(lr=0.1), problems.saddle(), steps=-1)
    with pytest.raises(ValueError, match="batch_size"):
        run(SGD(lr=0.1), problems.saddle(), steps=5, batch_size=4)
    with pytest.raises(ValueError, match="last dimension 2"):
        run(SGD(lr=0.1), problems.saddle(), np.zeros(3), steps=5)


# ------------------------------------------------------------ convergence table

CONVERGENCE = [
    # (optimizer, problem, steps, tolerance on the distance to the minimum)
    (lambda: SGD(lr=0.3), "ravine", 3000, 1e-6),
    (lambda: SGD(lr=0.05, momentum=0.9), "ravine", 2000, 1e-6),
    (lambda: Adagrad(lr=1.0), "ravine", 3000, 1e-6),
    (lambda: AdagradMean(lr=0.3), "ravine", 3000, 1e-6),
    (lambda: RMSprop(lr=0.01), "ravine", 3000, 5e-2),  # hovers within ~lr
    (lambda: Adam(lr=0.1), "ravine", 3000, 1e-4),
    (lambda: AdamW(lr=0.1, weight_decay=0.0), "ravine", 3000, 1e-4),
    (lambda: SGD(lr=1e-3, momentum=0.9), "rosenbrock", 20000, 1e-3),
    (lambda: Adam(lr=0.02), "rosenbrock", 20000, 1e-3),
    (lambda: RMSprop(lr=1e-3), "rosenbrock", 20000, 5e-2),
    (lambda: Adagrad(lr=0.5), "rosenbrock", 20000, 1e-2),
    (lambda: SGD(lr=0.1), "linear_regression", 3000, 1e-6),
    (lambda: Adam(lr=0.1), "linear_regression", 3000, 1e-4),
    (lambda: Adagrad(lr=1.0), "linear_regression", 3000, 1e-4),
    (lambda: RMSprop(lr=0.01), "linear_regression", 3000, 2e-2),
    (lambda: Adam(lr=0.1), "shifting_slope", 3000, 1e-3),
    (lambda: RMSprop(lr=0.01), "shifting_slope", 3000, 2e-2),
    (lambda: SGD(lr=0.05), "saddle", 2000, None),
    (lambda: Adam(lr=0.05), "saddle", 2000, None),
]


@pytest.mark.parametrize("make, name, steps, tol", CONVERGENCE,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(CONVERGENCE)])
def test_each_optimizer_reaches_the_minimum(make, name, steps, tol):
    p = TWO_D[name]()
    tr = run(make(), p, steps=steps)
    assert not tr.diverged
    if tol is None:  # the saddle's minima form a curve: reach zero loss
        assert tr.loss[-1] < 1e-8
    else:
        assert np.linalg.norm(tr.params[-1] - p.minimum) < tol


def test_adagrad_beats_sgd_on_sparse_features():
    p = problems.sparse_regression()
    best = {}
    for name, make in {"SGD": lambda lr: SGD(lr=lr), "Adagrad": lambda lr: Adagrad(lr=lr)}.items():
        sw = sweep(make, np.geomspace(1e-3, 3, 16), p, steps=300)
        best[name] = np.nanmin(np.where(sw.diverged, np.inf, sw.loss[-1]))
    assert best["Adagrad"] < 0.1 * best["SGD"]


# ------------------------------------------------------------------ plotting


def test_colours_are_one_per_optimizer():
    assert lp.color("Adam") != lp.color("AdamW") != lp.color("Adagrad")
    assert lp.color("Adam + cosine") == lp.color("Adam")
    assert lp.color("AdagradMean") != lp.color("Adagrad")


def test_contour_labels_diverged_runs_and_draws_no_nan():
    p = problems.ravine(condition=10, flat_curvature=1.0)
    runs = compare({"SGD": SGD(lr=0.5), "Adam": Adam(lr=0.1)}, p, steps=100)
    ax = lp.contour(p, list(runs.values()))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("diverged at step" in s for s in labels)
    (x0, x1), (y0, y1) = p.xlim, p.ylim
    for line in ax.get_lines():
        xy = line.get_xydata()
        assert np.all(np.isfinite(xy))
        inside = (xy[:-1, 0] >= x0) & (xy[:-1, 0] <= x1) & (xy[:-1, 1] >= y0) & (xy[:-1, 1] <= y1)
        assert inside.all()  # a path is drawn until it leaves the window, not beyond
    assert ax.get_xlabel() and ax.get_ylabel()
    lp.curves(list(runs.values()), "loss")
    one = lp.curves(list(runs.values()), "step_size", component=1)
    assert len(one.get_lines()) == 2 and "w_{2}" in one.get_ylabel()
    every = lp.curves(list(runs.values()), "step_size")
    styles = {(line.get_color(), line.get_linestyle()) for line in every.get_lines()}
    assert len(every.get_lines()) == 4 and len(styles) == 4
    with pytest.raises(ValueError, match="what"):
        lp.curves(list(runs.values()), "momentum")
    plt.close("all")
