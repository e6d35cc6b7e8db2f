"""Schedules: the combinators (with_warmup, inverse_time_lr) and the step convention.

PyTorch's numbers for every factory are in test_reference.py; here each combinator is
checked against its formula written out by hand.
"""

import re

import numpy as np
import pytest

import lrcourse
from lrcourse import schedules as S

T = np.arange(300)


@pytest.mark.parametrize("make", [
    lambda: S.cosine_annealing_lr(0.1, T_max=200, eta_min=1e-3),
    lambda: S.step_lr(0.3, step_size=40, gamma=0.5),
    lambda: S.exponential_lr(0.05, gamma=0.99),
    lambda: S.constant(0.2),
])
@pytest.mark.parametrize("warmup, start", [(1, 0.01), (10, 0.01), (37, 0.5)])
def test_with_warmup_is_a_linear_ramp_then_the_schedule_from_its_start(make, warmup, start):
    schedule = make()
    warmed = S.with_warmup(schedule, warmup, start_factor=start)
    peak = schedule(0)
    ramp = peak * (start + (1 - start) * T[:warmup] / warmup)
    np.testing.assert_allclose(warmed(T[:warmup]), ramp, rtol=1e-14)
    np.testing.assert_allclose(warmed(T[warmup:]), schedule(T[warmup:] - warmup), rtol=1e-14)
    assert warmed(warmup) == peak


def test_with_warmup_of_a_number_ends_at_that_number():
    """Warmup alone ends at the peak rate: it does not decay."""
    warmed = S.with_warmup(0.1, 20)
    np.testing.assert_allclose(warmed(T[20:]), 0.1, rtol=0)
    assert warmed(0) == pytest.approx(0.001, rel=1e-14)


def test_warmup_cosine_is_with_warmup_of_cosine():
    a = S.warmup_cosine(0.1, 10, 100, eta_min=1e-3, warmup_start_factor=0.05)
    b = S.with_warmup(S.cosine_annealing_lr(0.1, 90, eta_min=1e-3), 10, start_factor=0.05)
    np.testing.assert_allclose(a(T), b(T), rtol=1e-15)


@pytest.mark.parametrize("bad, message", [
    (lambda: S.with_warmup(S.constant(0.1), 0), "warmup_steps must be an integer > 0"),
    (lambda: S.with_warmup(S.constant(0.1), 10, start_factor=0), "start_factor must be in"),
    (lambda: S.with_warmup(S.ReduceLROnPlateau(0.1), 10), "cannot be ReduceLROnPlateau"),
    (lambda: S.with_warmup(S.cosine_annealing_lr, 10), "calling cosine_annealing_lr(0) failed"),
    (lambda: S.with_warmup("0.1", 10), "must be a number"),
    (lambda: S.inverse_time_lr(0.1, -1), "lr_decay must be >= 0"),
    (lambda: S.inverse_time_lr(S.ReduceLROnPlateau(0.1), 0.1), "use one of the two"),
])
def test_combinators_refuse_bad_input(bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bad()


def test_adagrad_lr_decay_is_the_inverse_time_schedule():
    """PyTorch's Adagrad: clr = lr / (1 + (step - 1) lr_decay), step counted from 1."""
    opt = lrcourse.Adagrad(lr=0.3, lr_decay=0.05)
    step = T + 1
    np.testing.assert_allclose([opt.learning_rate(int(t)) for t in T],
                               0.3 / (1 + (step - 1) * 0.05), rtol=1e-15)
    scheduled = lrcourse.Adagrad(lr=S.exponential_lr(0.3, 0.99), lr_decay=0.05)
    np.testing.assert_allclose(scheduled.lr(T), 0.3 * 0.99**T / (1 + T * 0.05), rtol=1e-14)
    assert "learning_rate" not in vars(lrcourse.Adagrad), "a schedule, not an override"


def test_the_first_step_uses_eta_of_zero_and_adam_bias_correction_of_one():
    """The step convention: step t + 1 moves theta_t with eta(t); Adam's first t is 1."""
    schedule = S.linear_lr(1.0, start_factor=0.25, total_iters=4)  # 0.25, 0.4375, ...
    opt = lrcourse.Adam(lr=schedule, betas=(0.5, 0.5), eps=1e-300)
    x1 = opt.step(np.zeros(1), np.array([2.0]))
    assert opt.last["lr"] == schedule(0) == 0.25
    # t = 1: m_hat = g, v_hat = g^2, so the step is eta(0) * sign(g)
    np.testing.assert_allclose(x1, [-0.25], rtol=1e-15)
    x2 = opt.step(x1, np.array([2.0]))
    assert opt.last["lr"] == schedule(1)
    np.testing.assert_allclose(x2 - x1, [-schedule(1)], rtol=1e-15)


def test_a_schedule_is_called_with_completed_steps():
    seen = []

    def spy(t):
        seen.append(int(t))
        return 0.1

    opt = lrcourse.SGD(lr=spy)
    seen.clear()  # the optimizer tries the schedule once when it is made
    x = np.zeros(2)
    for _ in range(3):
        x = opt.step(x, np.ones(2))
    assert seen == [0, 1, 2]
