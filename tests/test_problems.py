"""Problems: derivatives against finite differences, the rotated ravine against closed
forms, the shipped data and minimum against independent checks, read-only arrays."""

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.optimize import minimize

from lrcourse.numerics import problems

SMALL_MLP = {"hidden": 3, "l2": 1e-3, "seed": 1}
FACTORIES = {
    "ravine": lambda: problems.ravine(condition=30),
    "ravine rotated": lambda: problems.ravine(condition=30, flat_curvature=0.2, angle=30),
    "saddle": problems.saddle,
    "rosenbrock": problems.rosenbrock,
    "shifting_slope": problems.shifting_slope,
    "linear_regression": problems.linear_regression,
    "sparse_regression": problems.sparse_regression,
    "curved_ravine": problems.curved_ravine,
    "digits_softmax": problems.digits_softmax,
    "digits_mlp": lambda: problems.digits_mlp(**SMALL_MLP),
}
PROBLEMS = {name: make() for name, make in FACTORIES.items()}
WITH_MATRIX = [name for name, p in PROBLEMS.items() if p.hessian_fn is not None]
SHAPES = [(), (3,), (2, 2)]


def around(p, shape, seed, scale=0.3):
    """Points near the start of ``p``, of shape ``shape + (d,)``."""
    rng = np.random.default_rng(seed)
    return p.start + scale * rng.standard_normal(shape + (p.dim,))


def directional(f, x, u, h=1e-5):
    """Central difference of ``f`` along ``u``: about ``f'(x) u``."""
    return (f(x + h * u) - f(x - h * u)) / (2 * h)


def each_point(f, x):
    """``f`` applied to one point at a time: the reference for batched evaluation."""
    flat = x.reshape(-1, x.shape[-1])
    return np.array([f(point) for point in flat]).reshape(x.shape[:-1] + np.shape(f(flat[0])))


# ------------------------------------------------------------------ derivatives


@pytest.mark.parametrize("name", PROBLEMS)
def test_gradient_matches_finite_differences_along_random_directions(name):
    p = PROBLEMS[name]
    for seed in range(3):
        x = around(p, (), seed)
        u = np.random.default_rng(10 + seed).standard_normal(p.dim)
        expected = directional(p.loss, x, u)
        assert p.grad(x) @ u == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", ["saddle", "ravine rotated", "curved_ravine", "digits_mlp"])
def test_gradient_matches_finite_differences_coordinate_by_coordinate(name):
    p = PROBLEMS[name]
    x = around(p, (), 4)
    coords = np.random.default_rng(5).choice(p.dim, min(p.dim, 12), replace=False)
    numeric = [directional(p.loss, x, np.eye(p.dim)[i]) for i in coords]
    np.testing.assert_allclose(p.grad(x)[coords], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", PROBLEMS)
def test_hvp_matches_finite_differences_of_the_gradient(name):
    p = PROBLEMS[name]
    for seed in range(3):
        x = around(p, (), seed)
        v = np.random.default_rng(20 + seed).standard_normal(p.dim)
        expected = directional(p.grad, x, v)
        np.testing.assert_allclose(p.hvp(x, v), expected, rtol=1e-5,
                                   atol=1e-6 * np.abs(expected).max())


@pytest.mark.parametrize("name", WITH_MATRIX)
def test_hessian_matches_finite_differences_and_hvp(name):
    p = PROBLEMS[name]
    x = around(p, (), 6)
    columns = [directional(p.grad, x, e) for e in np.eye(p.dim)]
    H = p.hessian(x)
    np.testing.assert_allclose(H, np.array(columns).T, rtol=1e-5, atol=1e-6)
    v = np.random.default_rng(7).standard_normal(p.dim)
    np.testing.assert_allclose(p.hvp(x, v), H @ v, rtol=1e-12, atol=1e-12)


def test_small_network_hessian_from_hvp_is_the_finite_difference_hessian():
    p = problems.digits_mlp(hidden=2, seed=3)
    idx = np.arange(0, 200, 7)
    x = around(p, (), 8, scale=0.5)
    from_hvp = np.array([p.hvp(x, e, idx) for e in np.eye(p.dim)])
    numeric = np.array([directional(lambda z: p.grad(z, idx), x, e) for e in np.eye(p.dim)])
    scale = np.abs(numeric).max()
    np.testing.assert_allclose(from_hvp, numeric, atol=1e-6 * scale)
    np.testing.assert_allclose(from_hvp, from_hvp.T, atol=1e-12 * scale)  # a Hessian


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", PROBLEMS)
def test_batched_points_give_what_each_point_gives(name, shape):
    p = PROBLEMS[name]
    x = around(p, shape, 9)
    v = np.random.default_rng(11).standard_normal(p.dim)  # one v for every point
    np.testing.assert_allclose(p.loss(x), each_point(p.loss, x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p.grad(x), each_point(p.grad, x), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(p.hvp(x, v), each_point(lambda z: p.hvp(z, v), x),
                               rtol=1e-10, atol=1e-13)
    assert p.loss(x).shape == shape and p.grad(x).shape == x.shape


@pytest.mark.parametrize("name", ["linear_regression", "digits_softmax", "digits_mlp"])
def test_minibatch_derivatives_are_those_of_the_minibatch_loss(name):
    p = PROBLEMS[name]
    idx = np.array([5, 0, 17, 99, 42])
    x = around(p, (2,), 12)
    u = np.random.default_rng(13).standard_normal(p.dim)
    expected = directional(lambda z: p.loss(z, idx), x, u)
    np.testing.assert_allclose(p.grad(x, idx) @ u, expected, rtol=1e-6)
    np.testing.assert_allclose(p.hvp(x, u, idx),
                               directional(lambda z: p.grad(z, idx), x, u),
                               rtol=1e-5, atol=1e-7)


def test_hvp_rejects_a_vector_of_the_wrong_length():
    with pytest.raises(ValueError, match="v must have last dimension 2"):
        problems.saddle().hvp(np.zeros(2), np.ones(3))


# ------------------------------------------------------------------ the ravine


def test_aligned_ravine_is_the_textbook_quadratic():
    p = problems.ravine(condition=20.0, flat_curvature=0.1)
    w = np.array([[-3.0, 1.5], [2.0, -0.25]])
    np.testing.assert_array_equal(p.loss(w), 0.5 * (0.1 * w[:, 0] ** 2 + 2.0 * w[:, 1] ** 2))
    np.testing.assert_array_equal(p.grad(w), w * [0.1, 2.0])
    np.testing.assert_array_equal(p.hessian(w[0]), [[0.1, 0.0], [0.0, 2.0]])
    assert (p.xlim, p.ylim) == ((-11.0, 11.0), (-4.0, 4.0))
    np.testing.assert_array_equal(p.start, [-10.0, 3.0])
    assert p.name == "ravine (condition 20)"


@pytest.mark.parametrize("angle", [30.0, 45.0, 90.0, -60.0])
def test_rotated_ravine_has_the_same_curvatures_along_turned_axes(angle):
    p = problems.ravine(condition=20.0, flat_curvature=0.1, angle=angle)
    a = np.deg2rad(angle)
    flat, steep = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    H = p.hessian(np.zeros(2))
    np.testing.assert_allclose(H @ flat, 0.1 * flat, atol=1e-15)
    np.testing.assert_allclose(H @ steep, 2.0 * steep, atol=1e-15)
    np.testing.assert_allclose(p.grad(p.minimum), 0.0, atol=0)
    assert p.min_loss == 0.0
    # the start is the aligned start turned, inside a window around the turned window
    aligned = problems.ravine(condition=20.0, flat_curvature=0.1)
    np.testing.assert_allclose(p.start, -10 * flat + 3 * steep, rtol=1e-14)
    assert p.loss(p.start) == pytest.approx(aligned.loss(aligned.start), rel=1e-14)
    corners = np.array([[x, y] for x in aligned.xlim for y in aligned.ylim])
    turned = corners[:, :1] * flat + corners[:, 1:] * steep
    assert np.all(np.abs(turned[:, 0]) <= p.xlim[1] + 1e-12)
    assert np.all(np.abs(turned[:, 1]) <= p.ylim[1] + 1e-12)
    assert p.xlim[0] == -p.xlim[1] and p.ylim[0] == -p.ylim[1]


def hand_gd(p, lr, steps):
    x, losses = p.start.copy(), [p.loss(p.start)]
    for _ in range(steps):
        x = x - lr * p.grad(x)
        losses.append(p.loss(x))
    return np.array(losses)


def hand_adagrad(p, lr, steps, eps=1e-10):
    x, total, losses = p.start.copy(), np.zeros(p.dim), [p.loss(p.start)]
    for _ in range(steps):
        g = p.grad(x)
        total = total + g * g
        x = x - lr * g / (np.sqrt(total) + eps)
        losses.append(p.loss(x))
    return np.array(losses)


def steps_to(losses, target):
    below = np.flatnonzero(losses <= target)
    return int(below[0]) if below.size else np.inf


def test_gradient_descent_does_not_see_the_rotation_but_adagrad_does():
    aligned, turned = problems.ravine(), problems.ravine(angle=45)
    # closed form: GD's error is (I - lr H)^t e_0, and turning H and e_0 together turns
    # every iterate, so each loss is the same
    for lr in (0.3, 0.9):
        np.testing.assert_allclose(hand_gd(turned, lr, 200), hand_gd(aligned, lr, 200),
                                   rtol=1e-9, atol=1e-300)
        assert steps_to(hand_gd(turned, lr, 400), 1e-6) == steps_to(hand_gd(aligned, lr, 400),
                                                                      1e-6)
    # a scale per coordinate fits the aligned axes only: best over a range of rates
    lrs = (1.0, 2.0, 3.0, 5.0, 8.0)
    best_aligned = min(steps_to(hand_adagrad(aligned, lr, 1000), 1e-6) for lr in lrs)
    best_turned = min(steps_to(hand_adagrad(turned, lr, 1000), 1e-6) for lr in lrs)
    assert 4 * best_aligned < best_turned, (best_aligned, best_turned)


def test_ravine_rejects_a_bad_angle():
    with pytest.raises(ValueError, match="angle"):
        problems.ravine(angle="45")
    with pytest.raises(ValueError, match="angle"):
        problems.ravine(angle=np.nan)


# ------------------------------------------------------------------ read-only arrays


@pytest.mark.parametrize("name", PROBLEMS)
def test_shared_arrays_cannot_be_changed_in_place(name):
    p = PROBLEMS[name]
    arrays = {"start": p.start, "minimum": p.minimum}
    arrays.update((f"info[{k!r}]", v) for k, v in p.info.items() if isinstance(v, np.ndarray))
    for label, value in arrays.items():
        if value is None:
            continue
        with pytest.raises(ValueError, match="read-only"):
            value -= 1  # what a learner's loop `x = problem.start; x -= lr * g` does
        assert value.copy().flags.writeable, label


def test_problem_copies_keep_their_arrays_and_stay_read_only():
    p = problems.linear_regression()
    scaled = dataclasses.replace(p, loss_fn=lambda x, *a: 100 * p.loss_fn(x, *a))
    np.testing.assert_array_equal(scaled.minimum, p.minimum)
    assert not scaled.start.flags.writeable
    assert scaled.loss(p.start) == pytest.approx(100 * p.loss(p.start), rel=1e-14)


# ------------------------------------------------------------------ the digits


def test_digits_data_are_the_uci_test_set():
    images, labels = problems._digits()
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 16 and np.all(images == np.round(images))
    # the class counts of optdigits.tes, as listed in the data set's description
    np.testing.assert_array_equal(np.bincount(labels),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_digits_load_without_scikit_learn():
    script = textwrap.dedent("""
        import sys

        class NoSklearn:
            def find_spec(self, name, path=None, target=None):
                if name == "sklearn" or name.startswith("sklearn."):
                    raise ImportError("scikit-learn is not installed")

        sys.meta_path.insert(0, NoSklearn())
        from lrcourse.numerics import problems
        softmax, mlp = problems.digits_softmax(), problems.digits_mlp()
        assert softmax.n_samples == mlp.n_samples == 1348
        assert 0.9 < softmax.info["accuracy"](softmax.minimum) < 1
        assert not any(m.split(".")[0] == "sklearn" for m in sys.modules)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_both_digits_models_use_the_same_seeded_split():
    softmax, mlp = problems.digits_softmax(), problems.digits_mlp(seed=5)
    order = np.random.default_rng(0).permutation(1797)
    np.testing.assert_array_equal(softmax.info["test"], order[:449])
    np.testing.assert_array_equal(softmax.info["train"], order[449:])
    for key in ("train", "test"):
        np.testing.assert_array_equal(mlp.info[key], softmax.info[key])


def test_shipped_softmax_minimum_is_the_minimum_on_this_machine(monkeypatch):
    def no_solving(*args):
        raise AssertionError("the default digits problem solved its minimum again")

    monkeypatch.setattr(problems, "_solve_minimum", no_solving)
    p = problems.digits_softmax()
    g = np.linalg.norm(p.grad(p.minimum))
    # The loss is l2-strongly convex, so |theta - theta*| <= |g| / l2 and
    # L(theta) - L* <= |g|^2 / (2 l2): a tiny gradient certifies the minimum.
    assert g / p.info["l2"] < 1e-8, g
    fresh = minimize(p.loss, np.zeros(p.dim), jac=p.grad, method="L-BFGS-B",
                     options={"maxiter": 3000, "gtol": 1e-9, "ftol": 1e-14})
    assert p.min_loss <= fresh.fun + 1e-12
    assert np.linalg.norm(p.minimum - fresh.x) < 10 * np.linalg.norm(fresh.jac) / p.info["l2"]
    assert 0.94 < p.info["accuracy"](p.minimum, "test") < 0.98


def test_other_softmax_arguments_solve_their_own_minimum():
    p = problems.digits_softmax(l2=0.05)
    g = np.linalg.norm(p.grad(p.minimum))
    assert g / 0.05 < 1e-8, g
    assert p.min_loss > problems.digits_softmax().min_loss  # stronger penalty, higher floor


def test_network_loss_is_a_hand_written_forward_pass():
    p = problems.digits_mlp(hidden=5, l2=1e-3, seed=2)
    images, labels = problems._digits()
    W1, b1, W2, b2 = p.info["layers"](p.start)
    assert [a.shape for a in (W1, b1, W2, b2)] == list(p.info["shapes"].values())
    idx = np.array([3, 1, 4, 1, 5])
    total = 0.0
    for i in idx:  # one image at a time, the plain formulas
        row = p.info["train"][i]
        z = np.tanh(images[row] / 16 @ W1 + b1) @ W2 + b2
        total += np.log(np.sum(np.exp(z))) - z[labels[row]]
    expected = total / len(idx) + 0.5e-3 * np.sum(p.start**2)
    assert p.loss(p.start, idx) == pytest.approx(expected, rel=1e-12)
    correct = [np.argmax(np.tanh(images[r] / 16 @ W1 + b1) @ W2 + b2) == labels[r]
               for r in p.info["test"]]
    assert p.info["accuracy"](p.start, "test") == pytest.approx(np.mean(correct), abs=1e-15)


@pytest.mark.parametrize("shape", [(40,), (3, 40), (2, 3, 40)])
def test_cross_entropy_and_its_gradient_are_the_one_hot_formulas_exactly(shape):
    """The models pick each row's label instead of multiplying by one-hot rows: the
    numbers must be the one-hot formulas' to the last bit, so no run changes."""
    rng = np.random.default_rng(7)
    z = rng.normal(scale=30.0, size=shape + (10,))  # up to rates that overflow exp
    labels = rng.integers(0, 10, shape[-1])
    one_hot = np.eye(10)[labels]
    shifted = z - z.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    expected = -np.mean(np.sum(one_hot * log_softmax, axis=-1), axis=-1)
    before = z.copy()
    np.testing.assert_array_equal(problems._cross_entropy(z, labels), expected)
    np.testing.assert_array_equal(z, before)  # the logits are left as they were
    p = problems._softmax(z)
    np.testing.assert_array_equal(problems._minus_one_hot(p.copy(), labels), p - one_hot)


class _Counted(np.ndarray):
    """An array that records the multiply-adds of every matrix product it takes part in."""

    calls = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = [np.asarray(x) for x in inputs]
        if ufunc is np.matmul:  # NumPy calls the BLAS once per matrix of a stack
            a, b = inputs
            _Counted.calls.append(a.shape[-2] * a.shape[-1] * b.shape[-1])
        return getattr(ufunc, method)(*inputs, **kwargs)


@pytest.mark.parametrize("a, b", [
    ((1348, 64), (3, 64, 32)),      # the network's first layer, three starts at once
    ((64, 1348), (3, 1348, 32)),    # its gradient: a sum over the samples
    ((3, 1348, 10), (3, 10, 32)),   # back through the second layer
    ((32, 449), (449, 10)),         # one start, the test images
    ((1348, 65), (6, 65, 10)),      # the softmax model's logits, a sweep of six rates
    ((65, 1348), (1348, 10)),       # and its gradient
    ((64, 64), (64, 32)),           # a mini-batch: one product as it is
    ((5, 1), (1, 7)),
])
def test_products_are_the_matrix_product_in_calls_that_run_on_one_thread(a, b):
    """The digits models' products are split so that none does more than ``_ONE_CALL``
    multiply-adds (OpenBLAS runs those on one thread), and give the product's numbers
    up to rounding."""
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal(a), rng.standard_normal(b)
    _Counted.calls = []
    out = problems._product(A.view(_Counted), B.view(_Counted))
    np.testing.assert_allclose(np.asarray(out), A @ B, rtol=1e-13, atol=1e-12)
    assert _Counted.calls and max(_Counted.calls) <= problems._ONE_CALL, _Counted.calls


def test_network_start_is_seeded_and_scaled():
    p, same, other = (problems.digits_mlp(seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(p.start, same.start)
    assert not np.allclose(p.start, other.start)
    W1, b1, W2, b2 = p.info["layers"](p.start)
    assert W1.std() == pytest.approx(1 / 8, rel=0.05)  # 1 / sqrt(64 inputs)
    assert W2.std() == pytest.approx(1 / np.sqrt(32), rel=0.15)
    assert not b1.any() and not b2.any()
    tiny = problems.digits_mlp(init_scale=1e-3)
    np.testing.assert_allclose(tiny.start, 1e-3 * p.start, rtol=1e-12)
    assert p.dim == 64 * 32 + 32 + 32 * 10 + 10


def test_network_has_no_known_minimum_and_says_so():
    p = problems.digits_mlp()
    assert p.minimum is None
    with pytest.raises(ValueError, match="no known minimum"):
        p.min_loss  # noqa: B018
    with pytest.raises(ValueError, match="hvp"):
        p.hessian(p.start)
    with pytest.raises(ValueError, match="split"):
        p.info["accuracy"](p.start, "validation")
    with pytest.raises(ValueError, match="hidden"):
        problems.digits_mlp(hidden=0)


def test_network_learns_with_plain_gradient_descent():
    p = problems.digits_mlp()
    x = p.start.copy()
    start_loss = p.loss(x)
    for _ in range(100):
        x = x - 0.5 * p.grad(x)
    # from chance (ln 10 = 2.30) to most digits right: the gradient points downhill
    assert start_loss == pytest.approx(np.log(10), abs=0.1)
    assert p.loss(x) < 0.5 * start_loss
    assert p.info["accuracy"](x, "test") > 0.8


# Minima, the notes' data, the saddle and the digits model's accuracy.
WITH_KNOWN_MINIMUM = {
    "ravine": lambda: problems.ravine(condition=30),
    "saddle": problems.saddle,
    "rosenbrock": problems.rosenbrock,
    "shifting_slope": problems.shifting_slope,
    "linear_regression": problems.linear_regression,
    "sparse_regression": problems.sparse_regression,
}


@pytest.mark.parametrize("name", WITH_KNOWN_MINIMUM)
def test_minimum_is_a_minimum(name):
    p = WITH_KNOWN_MINIMUM[name]()
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
