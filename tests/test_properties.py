"""Invariants of the update rules and schedules, checked on random input (hypothesis).

Each property is compared with a closed form or a hand-written loop, never with
lrcourse's own earlier output. The parameters come in every shape the course uses: a
single number (0-d), a vector, a matrix and a batch of runs.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lrcourse
from lrcourse import schedules as S

fast = settings(max_examples=50, deadline=None)

lrs = st.floats(1e-4, 1.0)
betas = st.floats(0.0, 0.999)
dims = st.integers(1, 6)
# a number, a vector, a matrix, a batch of matrices
shapes = st.one_of(st.just(()), dims.map(lambda d: (d,)),
                   st.tuples(st.integers(1, 3), dims), st.tuples(st.integers(1, 3),
                                                                 st.integers(1, 3), dims))


def gradient_sequences(low=-6, high=3):
    """(steps, *shape) gradients spanning orders of magnitude, with signs and zeros."""
    def build(args):
        n, shape, seed, zero_p = args
        rng = np.random.default_rng(seed)
        g = rng.standard_normal((n, *shape)) * 10.0 ** rng.uniform(low, high, (n, *shape))
        g[rng.random((n, *shape)) < zero_p] = 0.0
        return g
    return st.tuples(st.integers(1, 40), shapes, st.integers(0, 2**32 - 1),
                     st.sampled_from([0.0, 0.2])).map(build)


def run(opt, x0, grads):
    xs = [np.asarray(x0, dtype=float)]
    for g in grads:
        xs.append(opt.step(xs[-1], g))
    return np.array(xs)


# ------------------------------------------------------------------ optimizers


@fast
@given(lr=lrs, b1=betas, b2=betas, g=hnp.arrays(float, shapes, elements=st.floats(-1e6, 1e6)))
def test_adam_first_step_is_lr_times_sign(lr, b1, b2, g):
    x0 = np.linspace(-1, 1, g.size).reshape(g.shape)
    step = lrcourse.Adam(lr=lr, betas=(b1, b2), eps=1e-12).step(x0, g) - x0
    assert np.all(np.abs(step) <= lr * (1 + 1e-12))
    big = np.abs(g) > 1e-6
    np.testing.assert_allclose(step[big], -lr * np.sign(g[big]), rtol=1e-5)
    assert np.all(step[g == 0] == 0)


@fast
@given(lr=lrs, lr_decay=st.sampled_from([0.0, 0.01, 1.0]),
       acc=st.sampled_from([0.0, 0.1]), grads=gradient_sequences())
def test_adagrad_step_size_never_increases(lr, lr_decay, acc, grads):
    opt = lrcourse.Adagrad(lr=lr, lr_decay=lr_decay, initial_accumulator_value=acc)
    x, sizes, xs = np.zeros(grads.shape[1:]), [], []
    for g in grads:
        x = opt.step(x, g)
        xs.append(x)
        sizes.append(opt.last["lr"] / opt.last["scale"])
    sizes = np.array(sizes)
    t = np.arange(len(grads)).reshape((-1,) + (1,) * (grads.ndim - 1))
    expected = lr / (1 + t * lr_decay) / (np.sqrt(acc + np.cumsum(grads**2, axis=0)) + 1e-10)
    np.testing.assert_allclose(sizes, expected, rtol=1e-13)
    np.testing.assert_allclose(np.array(xs), -np.cumsum(expected * grads, axis=0),
                               rtol=1e-10, atol=1e-12 * lr * len(grads))
    assert np.all(np.diff(sizes, axis=0) <= 0)


@fast
@given(lr=lrs, grads=gradient_sequences(low=-3))
def test_adagrad_mean_is_adagrad_with_lr_growing_like_sqrt_t(lr, grads):
    """RootMean's relation: eta / sqrt(mean) = eta * sqrt(t) / sqrt(sum) (t counted from 1)."""
    x0 = np.ones(grads.shape[1:])
    mean_form = run(lrcourse.AdagradMean(lr=lr, eps=1e-300), x0, grads)
    sum_form = run(lrcourse.Adagrad(lr=lambda t: lr * np.sqrt(t + 1), eps=1e-300), x0, grads)
    np.testing.assert_allclose(mean_form, sum_form, rtol=1e-12, atol=1e-14)


@fast
@given(lr=lrs, eps=st.sampled_from([1e-8, 1e-3, 1.0]), grads=gradient_sequences())
def test_rmsprop_without_memory_divides_by_the_gradient_size(lr, eps, grads):
    x0 = np.zeros(grads.shape[1:])
    xs = run(lrcourse.RMSprop(lr=lr, alpha=0.0, eps=eps), x0, grads)
    expected = x0 - np.cumsum(lr * grads / (np.abs(grads) + eps), axis=0)
    np.testing.assert_allclose(xs[1:], expected, rtol=1e-12, atol=1e-12 * lr * len(grads))


@fast
@given(lr=lrs, wd=st.sampled_from([0.0, 0.1]), grads=gradient_sequences())
def test_sgd_without_momentum_is_plain_gradient_descent(lr, wd, grads):
    x = np.linspace(-1, 1, grads[0].size).reshape(grads.shape[1:])
    opt = lrcourse.SGD(lr=lr, momentum=0.0, weight_decay=wd)
    for g in grads:
        expected = x - lr * (g + wd * x)
        x = opt.step(x, g)
        np.testing.assert_array_equal(x, expected)


@fast
@given(lr=lrs, mu=st.floats(0.01, 0.99), damp=st.floats(0.0, 0.9), grads=gradient_sequences())
def test_sgd_momentum_is_the_heavy_ball_loop(lr, mu, damp, grads):
    """torch.optim.SGD's buffer: the first one is the gradient itself, undampened."""
    x = np.zeros(grads.shape[1:])
    opt, buf = lrcourse.SGD(lr=lr, momentum=mu, dampening=damp), None
    for g in grads:
        buf = g.copy() if buf is None else mu * buf + (1 - damp) * g
        expected = x - lr * buf
        x = opt.step(x, g)
        np.testing.assert_allclose(x, expected, rtol=1e-14, atol=1e-300)


@fast
@given(c=st.floats(1e-2, 1e2), seed=st.integers(0, 2**32 - 1))
def test_scaling_the_loss_leaves_adam_alone_but_not_sgd(c, seed):
    """Adam divides the gradient by its own size; SGD's step grows with the loss scale."""
    rng = np.random.default_rng(seed)
    A = np.diag([0.3, 1.0, 3.0])
    x0 = rng.uniform(1.5, 3.0, 3)  # 50 steps of Adam cannot bring |grad| near eps

    def trajectory(opt, scale, steps=50):
        xs = [x0]
        for _ in range(steps):
            xs.append(opt.step(xs[-1], scale * (A @ xs[-1])))
        return np.array(xs)

    adam = [trajectory(lrcourse.Adam(lr=0.01), s) for s in (1.0, c)]
    np.testing.assert_allclose(adam[1], adam[0], rtol=0, atol=1e-3 * 0.01)  # 0.1% of a step
    if abs(np.log(c)) > 0.5:
        sgd = [trajectory(lrcourse.SGD(lr=0.01), s) for s in (1.0, c)]
        assert np.max(np.abs(sgd[1] - sgd[0])) > 1e-3


@fast
@given(lr=lrs, b1=betas, b2=betas, grads=gradient_sequences())
def test_adam_is_the_paper_loop(lr, b1, b2, grads):
    """Kingma & Ba's Algorithm 1, written out by hand, with eps after the debiased root."""
    eps = 1e-8
    x, m, v = np.zeros(grads.shape[1:]), 0.0, 0.0
    opt = lrcourse.Adam(lr=lr, betas=(b1, b2), eps=eps)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x = opt.step(x, g)
        np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12 * lr * t)


@fast
@given(lr=lrs, alpha=st.floats(0.0, 0.999), grads=gradient_sequences(low=-3))
def test_rmsprop_lecture_is_the_lecture_loop(lr, alpha, grads):
    """sigma_0 = |g_0|, then sigma_t = sqrt(alpha sigma_{t-1}^2 + (1 - alpha) g_t^2)."""
    eps = 1e-8
    x, sigma = np.zeros(grads.shape[1:]), None
    opt = lrcourse.RMSpropLecture(lr=lr, alpha=alpha, eps=eps)
    for g in grads:
        sigma = np.abs(g) if sigma is None else np.sqrt(alpha * sigma**2 + (1 - alpha) * g**2)
        expected = x - lr * g / (sigma + eps)
        x = opt.step(x, g)
        np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)  # each example checks every element of its shape
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_every_element_moves_as_if_it_were_alone(shape, seed):
    """The rules are element-wise: a matrix of parameters is many 0-d parameters."""
    rng = np.random.default_rng(seed)
    grads = rng.standard_normal((20, *shape)) * 10.0 ** rng.uniform(-3, 2, (20, *shape))
    x0 = rng.standard_normal(shape)
    for make in (lambda: lrcourse.Adagrad(lr=0.1, lr_decay=0.01),
                 lambda: lrcourse.RMSprop(lr=0.01, momentum=0.5, centered=True),
                 lambda: lrcourse.Adam(lr=0.1, amsgrad=True, weight_decay=0.1),
                 lambda: lrcourse.AdagradMean(lr=0.1), lambda: lrcourse.RMSpropLecture(lr=0.1),
                 lambda: lrcourse.SGD(lr=0.1, momentum=0.9, nesterov=True)):
        together = run(make(), x0, grads)
        for i in np.ndindex(shape):
            alone = run(make(), x0[i], grads[(slice(None), *i)])
            np.testing.assert_array_equal(together[(slice(None), *i)], alone)


# ------------------------------------------------------------------ schedules

steps = st.integers(1, 300)


@fast
@given(lr=lrs, step_size=steps, gamma=st.floats(0.01, 1.0))
def test_step_lr_never_increases(lr, step_size, gamma):
    curve = S.step_lr(lr, step_size, gamma)(np.arange(1000))
    assert curve[0] == lr
    assert np.all(np.diff(curve) <= 0)
    assert np.all(curve[:step_size] == lr)


@fast
@given(lr=lrs, T_max=steps, frac=st.floats(0.0, 1.0))
def test_cosine_stays_between_eta_min_and_lr(lr, T_max, frac):
    eta_min = frac * lr
    curve = S.cosine_annealing_lr(lr, T_max, eta_min)(np.arange(3 * T_max + 1))
    tol = 1e-15 * lr
    assert np.all(curve >= eta_min - tol) and np.all(curve <= lr + tol)
    np.testing.assert_allclose(curve[[0, 2 * T_max]], lr, rtol=1e-15)
    np.testing.assert_allclose(curve[[T_max, 3 * T_max]], eta_min, rtol=0, atol=tol)
    assert np.all(np.diff(curve[:T_max + 1]) <= tol)


@fast
@given(lr=lrs, warmup=st.integers(1, 100), decay=steps, frac=st.floats(0.0, 1.0),
       start=st.floats(0.01, 1.0))
def test_warmup_cosine_peaks_at_lr(lr, warmup, decay, frac, start):
    total = warmup + decay
    schedule = S.warmup_cosine(lr, warmup, total, eta_min=frac * lr, warmup_start_factor=start)
    curve = schedule(np.arange(total + 1))
    assert curve.max() <= lr * (1 + 1e-15)
    np.testing.assert_allclose(curve[warmup], lr, rtol=1e-15)
    np.testing.assert_allclose(curve[0], start * lr, rtol=1e-15)
    np.testing.assert_allclose(curve[total], frac * lr, rtol=1e-12, atol=1e-15 * lr)
    assert np.all(np.diff(curve[:warmup + 1]) >= -1e-15 * lr)
    # after the warmup it is the cosine schedule restarted at t = warmup
    tail = S.cosine_annealing_lr(lr, decay, frac * lr)(np.arange(decay + 1))
    np.testing.assert_array_equal(curve[warmup:], tail)


@fast
@given(lr=lrs, warmup=st.integers(1, 200))
def test_inverse_sqrt_is_the_transformer_schedule_scaled_to_peak_lr(lr, warmup):
    t = np.arange(2000)
    curve = S.inverse_sqrt(lr, warmup)(t)
    d_model, step = 512, t + 1.0
    vaswani = d_model**-0.5 * np.minimum(step**-0.5, step * warmup**-1.5)
    np.testing.assert_allclose(curve / vaswani, curve[0] / vaswani[0], rtol=1e-12)
    assert np.argmax(curve) == warmup - 1
    np.testing.assert_allclose(curve.max(), lr, rtol=1e-15)


@fast
@given(lr=lrs, gamma=st.floats(0.5, 1.0), milestones=st.lists(steps, min_size=1, max_size=4,
                                                               unique=True))
def test_multistep_counts_the_milestones_passed(lr, gamma, milestones):
    milestones = sorted(milestones)
    t = np.arange(400)
    passed = np.array([sum(m <= k for m in milestones) for k in t])
    np.testing.assert_allclose(S.multistep_lr(lr, milestones, gamma)(t), lr * gamma**passed,
                               rtol=1e-14)


@fast
@given(lr=lrs, cuts=st.lists(st.integers(1, 100), min_size=2, max_size=2, unique=True))
def test_sequential_restarts_each_schedule_at_its_milestone(lr, cuts):
    a, b = sorted(cuts)
    parts = [S.exponential_lr(lr, 0.9), S.linear_lr(lr, 0.2, 1.0, 7), S.step_lr(lr, 3, 0.5)]
    joined = S.sequential(parts, [a, b])
    t = np.arange(200)
    expected = np.where(t < a, parts[0](t), np.where(t < b, parts[1](np.maximum(t - a, 0)),
                                                     parts[2](np.maximum(t - b, 0))))
    np.testing.assert_array_equal(joined(t), expected)
    assert [joined(int(k)) for k in (a, b)] == [parts[1](0), parts[2](0)]


@fast
@given(lr=lrs, factor=st.floats(0.0, 0.99), patience=st.integers(0, 5),
       cooldown=st.integers(0, 3), min_lr=st.floats(0.0, 1e-2),
       metrics=st.lists(st.floats(-10, 10), min_size=1, max_size=100))
def test_plateau_never_goes_below_min_lr_and_never_rises(lr, factor, patience, cooldown,
                                                         min_lr, metrics):
    plateau = S.ReduceLROnPlateau(lr, factor=factor, patience=patience, cooldown=cooldown,
                                  min_lr=min_lr)
    rates = np.array([plateau(0)] + [plateau.step(m) for m in metrics])
    assert rates[0] == lr
    assert np.all(rates >= min(lr, min_lr))
    assert np.all(np.diff(rates) <= 0)
    changed = np.diff(rates) != 0
    assert np.all(np.abs(np.diff(rates))[changed] > plateau.eps)


@fast
@given(lr=lrs, patience=st.integers(0, 10), value=st.floats(1e-3, 1e3),
       mode=st.sampled_from(["min", "max"]), threshold_mode=st.sampled_from(["rel", "abs"]))
def test_plateau_reduces_after_patience_plus_one_flat_steps(lr, patience, value, mode,
                                                            threshold_mode):
    plateau = S.ReduceLROnPlateau(lr, mode=mode, factor=0.5, patience=patience, eps=0.0,
                                  threshold_mode=threshold_mode)
    rates = [plateau.step(value) for _ in range(patience + 2)]
    assert rates[:-1] == [lr] * (patience + 1)
    assert rates[-1] == lr * 0.5


@fast
@given(value=st.floats(-1e3, -1e-3), threshold=st.floats(1e-4, 0.5))
def test_plateau_rel_min_counts_a_flat_negative_metric_as_improving(value, threshold):
    """PyTorch's quirk, kept: the bar best * (1 - threshold) lies above a negative best."""
    plateau = S.ReduceLROnPlateau(1.0, patience=0, threshold=threshold)
    assert [plateau.step(value) for _ in range(10)] == [1.0] * 10
