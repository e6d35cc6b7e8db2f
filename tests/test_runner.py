"""The runner: run, sweep and compare against hand-written loops and closed forms."""

import re

import numpy as np
import pytest

from lrcourse import SGD, Adagrad, Adam, ReduceLROnPlateau, RMSprop, compare, problems, run, sweep


def hand_loop(opt, p, x0, steps):
    """The straightforward loop the runner must agree with; also keeps each m_t."""
    x, xs, directions = np.array(x0, dtype=float), [np.array(x0, dtype=float)], []
    for _ in range(steps):
        x = opt.step(x, p.grad(x))
        xs.append(x)
        directions.append(np.array(opt.last["direction"]))
    return np.array(xs), np.array(directions)


def test_run_records_the_same_path_as_a_hand_loop():
    p = problems.rosenbrock()
    tr = run(Adam(lr=0.05), p, steps=300)
    params, directions = hand_loop(Adam(lr=0.05), p, p.start, 300)
    np.testing.assert_array_equal(tr.params, params)
    np.testing.assert_array_equal(tr.direction, directions)
    np.testing.assert_allclose(tr.loss, p.loss(tr.params))
    grads = p.grad(tr.params[:-1])
    np.testing.assert_allclose(tr.grad_norm, np.linalg.norm(grads, axis=-1))
    assert tr.lr.shape == (300,) and np.all(tr.lr == 0.05)
    assert tr.step_size.shape == tr.direction.shape == (300, 2)


def test_direction_is_adams_debiased_average_of_the_gradients():
    p = problems.ravine()
    tr = run(Adam(lr=0.1, betas=(0.8, 0.999)), p, steps=30)
    grads = p.grad(tr.params[:-1])
    m, expected = np.zeros(2), []
    for t, g in enumerate(grads, start=1):
        m = 0.8 * m + 0.2 * g
        expected.append(m / (1 - 0.8**t))
    np.testing.assert_allclose(tr.direction, expected, rtol=1e-12)


def test_direction_of_plain_methods_is_the_gradient():
    p = problems.saddle()
    for opt in (SGD(lr=0.05), Adagrad(lr=0.1), RMSprop(lr=0.01)):
        tr = run(opt, p, steps=40)
        np.testing.assert_array_equal(tr.direction, p.grad(tr.params[:-1]))


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
    assert batch.params.shape == (201, 7, 2) and batch.direction.shape == (200, 7, 2)
    for k, lr in enumerate(lrs):
        single = run(RMSprop(lr=lr, alpha=0.9), p, steps=200)
        np.testing.assert_allclose(batch.params[:, k], single.params, rtol=1e-13)
        np.testing.assert_allclose(batch.direction[:, k], single.direction, rtol=1e-13)


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


def test_zero_steps_give_the_starting_point_alone():
    p = problems.ravine()
    tr = run(Adam(lr=0.1), p, steps=0)
    np.testing.assert_array_equal(tr.params, [p.start])
    assert tr.loss.shape == (1,) and tr.loss[0] == p.loss(p.start)
    assert tr.steps == 0 and tr.lr.shape == (0,) and tr.direction.shape == (0, 2)
    batch = sweep(lambda lr: Adam(lr=lr), [0.1, 0.2, 0.3], p, steps=0)
    assert batch.params.shape == (1, 3, 2) and batch.step_size.shape == (0, 3, 2)


def test_repr_is_one_short_line():
    tr = run(Adam(lr=0.1), problems.ravine(), steps=500)
    batch = sweep(lambda lr: Adam(lr=lr), np.geomspace(1e-3, 1, 64), problems.ravine(),
                  steps=500)
    for text in (repr(tr), repr(batch)):
        assert len(text) < 200 and "\n" not in text
    assert "Adam" in repr(tr) and "(501, 2)" in repr(tr) and "(501, 64, 2)" in repr(batch)


def test_minibatch_run_is_deterministic_and_uses_batches():
    p = problems.linear_regression()
    a = run(SGD(lr=0.05), p, steps=30, batch_size=10, seed=4)
    b = run(SGD(lr=0.05), p, steps=30, batch_size=10, seed=4)
    c = run(SGD(lr=0.05), p, steps=30)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.allclose(a.params, c.params)


def test_plateau_schedule_follows_the_loss_of_the_run():
    p = problems.linear_regression()
    tr = run(Adam(lr=ReduceLROnPlateau(0.5, factor=0.5, patience=2)), p, steps=200)
    # a hand loop: the same plateau rule fed the loss after every step
    plateau, x, rates = ReduceLROnPlateau(0.5, factor=0.5, patience=2), p.start, []
    opt = Adam(lr=plateau)
    for _ in range(200):
        rates.append(opt.learning_rate(opt.state_dict()["step"]))
        x = opt.step(x, p.grad(x))
        plateau.step(p.loss(x))
    np.testing.assert_array_equal(tr.lr, rates)
    assert tr.lr[-1] < tr.lr[0]


def test_plateau_schedule_needs_a_single_run():
    with pytest.raises(ValueError, match="single starting point"):
        run(Adam(lr=ReduceLROnPlateau(0.1)), problems.saddle(), np.zeros((3, 2)), steps=5)


def test_compare_runs_each_optimizer_from_the_same_start():
    p = problems.saddle()
    runs = compare({"SGD": SGD(lr=0.05), "Adam": Adam(lr=0.05)}, p, steps=20)
    assert list(runs) == ["SGD", "Adam"] and runs["Adam"].name == "Adam"
    for name, opt in (("SGD", SGD(lr=0.05)), ("Adam", Adam(lr=0.05))):
        np.testing.assert_array_equal(runs[name].params, run(opt, p, steps=20).params)


# ----------------------------------------------------------- misuse, at the call

ravine = problems.ravine()
MISUSES = [
    # what a learner types, and the words the error must say
    (lambda: run(Adam, ravine), "optimizer must be an optimizer, got the class Adam"),
    (lambda: run(ravine, Adam(lr=0.1)), "the optimizer comes first"),
    (lambda: run(Adam(lr=0.1), problems.ravine), "got the function ravine; call it"),
    (lambda: run(Adam(lr=0.1), "ravine"), "problem must be a problem"),
    (lambda: run("Adam", ravine), "optimizer must be an optimizer"),
    (lambda: run(Adam(lr=0.1), ravine, [np.nan, 1.0]), "x0 must be finite"),
    (lambda: run(Adam(lr=0.1), ravine, [1.0, 2.0, 3.0]), "x0 must have last dimension 2"),
    (lambda: run(Adam(lr=0.1), ravine, "start"), "x0 must be a number"),
    (lambda: run(Adam(lr=0.1), ravine, steps=-1), "steps must be an integer >= 0"),
    (lambda: run(Adam(lr=0.1), ravine, steps=2.5), "steps must be an integer"),
    (lambda: run(Adam(lr=0.1), ravine, steps="100"), "steps must be an integer"),
    (lambda: run(Adam(lr=0.1), ravine, steps=True), "steps must be an integer"),
    (lambda: run(Adam(lr=0.1), ravine, 100), "x0 must have last dimension 2"),
    (lambda: run(Adam(lr=0.1), ravine, batch_size=4), "batch_size needs a problem with data"),
    (lambda: run(SGD(lr=0.1), problems.linear_regression(), batch_size=0),
     "batch_size must be an integer > 0"),
    (lambda: run(SGD(lr=0.1), problems.linear_regression(), batch_size=1000),
     "batch_size must be <= 100"),
    (lambda: run(Adam(lr=0.1), ravine, seed=1.5), "seed must be an integer"),
    (lambda: run(Adam(lr=0.1), ravine, name=3), "name must be a string"),
    (lambda: run(Adam(lr=0.1), ravine, blowup=0), "blowup must be > 0"),
    (lambda: run(Adam(lr=np.array([0.1, 0.2, 0.3])), ravine),
     "lr has shape (3,), which does not fit params of shape (2,)"),
    (lambda: sweep(Adam(lr=0.1), [0.1, 0.2], ravine), "make_optimizer must be a function"),
    (lambda: sweep(lambda lr: Adam(lr=lr), [], ravine), "values must be a non-empty 1-D"),
    (lambda: sweep(lambda lr: Adam(lr=lr), [[0.1, 0.2]], ravine),
     "values must be a non-empty 1-D"),
    (lambda: sweep(lambda lr: Adam(lr=lr), [0.1, np.nan], ravine), "values must be finite"),
    (lambda: sweep(lambda lr: Adam(lr=lr), [0.1, 0.2], problems.ravine),
     "got the function ravine"),
    (lambda: compare([SGD(lr=0.1), Adam(lr=0.1)], ravine),
     "optimizers must be a dict name -> optimizer"),
    (lambda: compare({"Adam": Adam}, ravine), "got the class Adam"),
]


@pytest.mark.parametrize("call, message", MISUSES, ids=[m for _, m in MISUSES])
def test_misuse_fails_at_the_call_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
