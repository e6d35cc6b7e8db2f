"""The optimizers, each checked against a hand-written loop of its formula."""

import re

import numpy as np
import pytest

import lrcourse


def lecture_rmsprop_loop(x0, grads, lr, alpha, eps):
    """The lecture's formula, written out: sigma_0 = |g_0|, then the weighted root."""
    x, sigma = np.array(x0, dtype=float), None
    xs = [x]
    for g in grads:
        sigma = np.sqrt(g**2) if sigma is None else np.sqrt(alpha * sigma**2 + (1 - alpha) * g**2)
        x = x - lr / (sigma + eps) * g
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9, 0.99])
def test_rmsprop_lecture_is_the_lecture_formula(alpha):
    rng = np.random.default_rng(5)
    grads = rng.standard_normal((60, 4)) * 10.0 ** rng.uniform(-3, 2, size=(60, 4))
    x0 = rng.standard_normal(4)
    opt = lrcourse.RMSpropLecture(lr=0.05, alpha=alpha, eps=1e-8)
    xs = [x0]
    for g in grads:
        xs.append(opt.step(xs[-1], g))
    np.testing.assert_allclose(xs, lecture_rmsprop_loop(x0, grads, 0.05, alpha, 1e-8),
                               rtol=1e-12, atol=1e-15)


def test_rmsprop_lecture_first_step_is_lr_while_torch_form_is_ten_times_larger():
    g = np.array([3.0, -1e-3])
    lecture = lrcourse.RMSpropLecture(lr=0.1, alpha=0.99).step(np.zeros(2), g)
    torch_form = lrcourse.RMSprop(lr=0.1, alpha=0.99).step(np.zeros(2), g)
    np.testing.assert_allclose(lecture, -0.1 * np.sign(g), rtol=1e-5)
    np.testing.assert_allclose(torch_form, -0.1 / np.sqrt(0.01) * np.sign(g), rtol=1e-4)


ALL = {
    "SGD": lambda: lrcourse.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": lambda: lrcourse.Adagrad(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    "AdagradMean": lambda: lrcourse.AdagradMean(lr=0.1),
    "RMSprop": lambda: lrcourse.RMSprop(lr=0.01, momentum=0.5, centered=True),
    "RMSpropLecture": lambda: lrcourse.RMSpropLecture(lr=0.01, weight_decay=0.1),
    "Adam": lambda: lrcourse.Adam(lr=lrcourse.schedules.warmup_cosine(0.1, 5, 50),
                                  amsgrad=True),
    "AdamW": lambda: lrcourse.AdamW(lr=0.05, weight_decay=0.1),
}


def gradients(shape, steps=40, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((steps, *shape)) * 10.0 ** rng.uniform(-3, 2, (steps, *shape))
    g[rng.random(g.shape) < 0.1] = 0.0
    return g


# ------------------------------------------------------------------ the protocol


@pytest.mark.parametrize("name", ALL)
def test_every_optimizer_follows_the_protocol(name):
    opt = ALL[name]()
    assert isinstance(opt, lrcourse.OptimizerProtocol)
    assert opt.last == {} and opt.state_dict() == {"step": 0, "state": {}}
    theta = opt.step(np.ones(3), np.array([1.0, -2.0, 0.5]))
    assert theta.shape == (3,) and set(opt.last) == {"lr", "direction", "scale"}
    assert opt.last["lr"] == opt.learning_rate(0)
    assert opt.state_dict()["step"] == 1
    opt.reset()
    assert opt.last == {} and opt.state_dict() == {"step": 0, "state": {}}


def test_a_class_or_a_problem_is_not_an_optimizer():
    assert not isinstance(lrcourse.problems.ravine(), lrcourse.OptimizerProtocol)
    assert not isinstance(object(), lrcourse.OptimizerProtocol)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (3, 1, 2)])
@pytest.mark.parametrize("name", ALL)
def test_saved_mid_run_and_loaded_into_a_fresh_optimizer_continues_the_same(name, shape):
    grads = gradients(shape)
    x0 = np.ones(shape)
    whole, x = ALL[name](), x0
    for g in grads:
        x = whole.step(x, g)
    first, y = ALL[name](), x0
    for g in grads[:17]:
        y = first.step(y, g)
    saved = first.state_dict()
    for g in grads[:5]:  # what happens to the first one afterwards does not matter
        first.step(y, g)
    second = ALL[name]()
    second.load_state_dict(saved)
    for g in grads[17:]:
        y = second.step(y, g)
    np.testing.assert_array_equal(y, x)


def test_state_dict_holds_copies_and_load_copies_in():
    opt = lrcourse.Adam(lr=0.1)
    opt.step(np.zeros(2), np.ones(2))
    saved = opt.state_dict()
    saved["state"]["exp_avg"][:] = 99.0
    assert np.all(opt.state_dict()["state"]["exp_avg"] < 1)
    mine = {"step": 3, "state": {"exp_avg": np.array([0.1, 0.2]),
                                 "exp_avg_sq": np.array([0.01, 0.04])}}
    opt.load_state_dict(mine)
    opt.step(np.zeros(2), np.ones(2))
    np.testing.assert_array_equal(mine["state"]["exp_avg"], [0.1, 0.2])


def test_load_state_dict_is_adams_formula_from_there():
    """Primed with m, v after t - 1 steps, the next step is the paper's step number t."""
    m, v, t, g = np.array([0.5, -0.2]), np.array([0.3, 0.01]), 7, np.array([1.0, -3.0])
    opt = lrcourse.Adam(lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    opt.load_state_dict({"step": t - 1, "state": {"exp_avg": m, "exp_avg_sq": v}})
    new = opt.step(np.zeros(2), g)
    m1, v1 = 0.9 * m + 0.1 * g, 0.99 * v + 0.01 * g * g
    expected = -0.01 * (m1 / (1 - 0.9**t)) / (np.sqrt(v1 / (1 - 0.99**t)) + 1e-8)
    np.testing.assert_allclose(new, expected, rtol=1e-12)


@pytest.mark.parametrize("bad, message", [
    ({"step": 1}, "keys 'step' and 'state'"),
    ([1, 2], "keys 'step' and 'state'"),
    ({"step": -1, "state": {}}, "state_dict['step'] must be an integer >= 0"),
    ({"step": 1, "state": {"sum": np.ones(2)}}, "Adam keeps only ['exp_avg', 'exp_avg_sq']"),
    ({"step": 1, "state": {"exp_avg": "zero"}}, "state_dict['state']['exp_avg'] must be"),
])
def test_load_state_dict_refuses_what_it_cannot_use(bad, message):
    opt = lrcourse.Adam()
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.load_state_dict(bad)


def test_a_loaded_buffer_of_the_wrong_shape_is_named():
    opt = lrcourse.Adagrad()
    opt.load_state_dict({"step": 1, "state": {"sum": np.ones(3)}})
    with pytest.raises(ValueError, match=re.escape("state 'sum' has shape (3,), but the "
                                                   "gradients need shape (2,)")):
        opt.step(np.zeros(2), np.ones(2))


# ------------------------------------------------------------------ the formula


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_step_is_theta_minus_eta_over_sigma_times_m(shape):
    """What ``last`` reports is what the step did: theta - eta / sigma * m."""
    for make in ALL.values():
        opt = make()
        if opt.step_momentum is not None:  # RMSprop's momentum averages m / sigma
            continue
        x = np.full(shape, 0.5)
        for g in gradients(shape, steps=10):
            new = opt.step(x, g)
            wd = opt.decoupled_weight_decay
            last = opt.last
            expected = x * (1 - last["lr"] * wd) - last["lr"] / last["scale"] * last["direction"]
            np.testing.assert_allclose(new, expected, rtol=1e-14, atol=1e-300)
            x = new


def test_scalar_parameters_are_not_plain_sgd():
    """0-d parameters: Adagrad's first step is lr * sign(g), not lr * g."""
    for opt in (lrcourse.Adagrad(lr=0.1), lrcourse.RMSpropLecture(lr=0.1),
                lrcourse.Adam(lr=0.1)):
        np.testing.assert_allclose(opt.step(np.array(1.0), np.array(100.0)), 0.9, rtol=1e-6)


def test_pieces_use_their_own_argument_names():
    """Adam maps betas onto the pieces; a piece's own error names its own argument."""
    with pytest.raises(ValueError, match=re.escape("beta must be in [0.0, 1.0)")):
        lrcourse.pieces.MovingAverage(1.5)
    with pytest.raises(ValueError, match=re.escape("alpha must be in [0.0, 1.0)")):
        lrcourse.pieces.RootMovingAverage(1.0, 1e-8, name="exp_avg_sq")
    adam = lrcourse.Adam(betas=(0.8, 0.9))
    assert adam.direction.beta == 0.8 and adam.scale.alpha == 0.9


def test_repr_shows_the_arguments_as_given():
    assert repr(lrcourse.Adam(lr=0.1)) == ("Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-08, "
                                           "weight_decay=0.0, amsgrad=False)")
    assert repr(lrcourse.Adagrad(lr_decay=0.5)).startswith("Adagrad(lr=0.01, lr_decay=0.5")


# ------------------------------------------------------------ convergence table

TWO_D = {
    "ravine": lambda: lrcourse.problems.ravine(condition=30),
    "saddle": lrcourse.problems.saddle,
    "rosenbrock": lrcourse.problems.rosenbrock,
    "shifting_slope": lrcourse.problems.shifting_slope,
    "linear_regression": lrcourse.problems.linear_regression,
}

SGD, Adagrad, AdagradMean = lrcourse.SGD, lrcourse.Adagrad, lrcourse.AdagradMean
RMSprop, Adam, AdamW = lrcourse.RMSprop, lrcourse.Adam, lrcourse.AdamW
CONVERGENCE = [
    # (optimizer, problem, steps, tolerance on the distance to the minimum)
    (lambda: SGD(lr=0.3), "ravine", 3000, 1e-6),
    (lambda: SGD(lr=0.05, momentum=0.9), "ravine", 2000, 1e-6),
    (lambda: Adagrad(lr=1.0), "ravine", 3000, 1e-6),
    (lambda: AdagradMean(lr=0.3), "ravine", 3000, 1e-6),
    (lambda: RMSprop(lr=0.01), "ravine", 3000, 5e-2),  # hovers within ~lr
    (lambda: lrcourse.RMSpropLecture(lr=0.01), "ravine", 3000, 5e-2),
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
    tr = lrcourse.run(make(), p, steps=steps)
    assert not tr.diverged
    if tol is None:  # the saddle's minima form a curve: reach zero loss
        assert tr.loss[-1] < 1e-8
    else:
        assert np.linalg.norm(tr.params[-1] - p.minimum) < tol


def test_adagrad_beats_sgd_on_sparse_features():
    p = lrcourse.problems.sparse_regression()
    best = {}
    for name, make in {"SGD": lambda lr: SGD(lr=lr), "Adagrad": lambda lr: Adagrad(lr=lr)}.items():
        sw = lrcourse.sweep(make, np.geomspace(1e-3, 3, 16), p, steps=300)
        best[name] = np.nanmin(np.where(sw.diverged, np.inf, sw.loss[-1]))
    assert best["Adagrad"] < 0.1 * best["SGD"]
