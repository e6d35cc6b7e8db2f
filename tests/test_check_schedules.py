"""The checkers of chapter 5 (scheduling): right answers pass, known mistakes are named."""

import math

import numpy as np
import pytest

from lrcourse import AdagradMean, check, problems, run, schedules
from lrcourse.teaching.check import schedules as topic

# ------------------------------------------------------------------ helpers


def _right_warmup_cosine(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / W
    if t > T:
        return floor
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * (t - W) / (T - W)))


# ------------------------------------------------------------- references


@pytest.mark.parametrize("W, T, peak, floor", [(1, 20, 0.3, 0.01), (10, 100, 0.6, 0.06),
                                               (37, 250, 1e-3, 0.0)])
def test_warmup_reference_is_the_closed_form(W, T, peak, floor):
    for t in range(T + 30):
        assert topic._warmup_cosine_lr(t, peak, W, T, floor) == pytest.approx(
            _right_warmup_cosine(t, peak, W, T, floor), rel=1e-12, abs=1e-15)


def test_warmup_reference_decays_like_lrcourse_warmup_cosine():
    """After the warmup the reference is lrcourse's warmup_cosine (PyTorch's numbers)."""
    W, T, peak, floor = 12, 90, 0.4, 0.02
    theirs = schedules.warmup_cosine(peak, W, T, eta_min=floor)
    for t in range(W, T + 1):
        assert topic._warmup_cosine_lr(t, peak, W, T, floor) == pytest.approx(
            theirs(t), rel=1e-12)


def test_warmup_landmarks():
    ref = topic._warmup_cosine_lr
    assert ref(0, 0.6, 10, 100, 0.06) == pytest.approx(0.06)    # peak / W
    assert ref(9, 0.6, 10, 100, 0.06) == pytest.approx(0.6)     # the peak at t = W - 1
    assert ref(10, 0.6, 10, 100, 0.06) == pytest.approx(0.6)    # and at t = W
    assert ref(55, 0.6, 10, 100, 0.06) == pytest.approx(0.33)   # half-way: the mean
    assert ref(100, 0.6, 10, 100, 0.06) == pytest.approx(0.06)  # the floor at T
    assert ref(500, 0.6, 10, 100, 0.06) == pytest.approx(0.06)  # and after


def test_burst_expected_value_is_a_burst():
    """The expected answer, recomputed by hand: the first step 100 times above the best."""
    tr = run(AdagradMean(lr=topic.BURST_LR), problems.curved_ravine(), steps=topic.BURST_STEPS)
    t = check.mean_form_burst_step.value()
    assert t > 0
    assert tr.loss[t] > 100 * tr.loss[:t].min()
    assert all(tr.loss[s] <= 100 * tr.loss[:s + 1].min() for s in range(t))
    # the burst follows the step size of w2 passing 2 / h2
    h2 = problems.curved_ravine().info["curvatures"][1]
    crossing = int(np.argmax(tr.step_size[:, 1] > 2 / h2))
    assert 0 < crossing < t


# --------------------------------------------------------- exercise 5.1


def test_warmup_right_answer_passes():
    result = check.warmup_cosine_lr(_right_warmup_cosine)
    assert result.passed and result.status == "passed"


def test_warmup_numpy_answer_passes():
    def with_numpy(t, peak, warmup_steps, total_steps, floor=0.0):
        W, T = warmup_steps, total_steps
        progress = np.clip((t - W) / (T - W), 0.0, 1.0)
        cosine = floor + 0.5 * (peak - floor) * (1 + np.cos(np.pi * progress))
        return np.where(t < W, peak * (t + 1) / W, cosine)

    assert check.warmup_cosine_lr(with_numpy).passed


def _learner(warmup, cosine, after_the_end):
    """A learner's schedule, one branch per part of the exercise."""

    def warmup_cosine_lr(t, peak, warmup_steps, total_steps, floor=0.0):
        W, T = warmup_steps, total_steps
        if t < W:
            return warmup(t, peak, W)
        if t <= T:
            return cosine(t, peak, W, T, floor)
        return after_the_end(t, peak, W, T, floor)

    return warmup_cosine_lr


def _warmup(t, peak, W):
    return peak * (t + 1) / W


def _cosine(t, peak, W, T, floor):
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * (t - W) / (T - W)))


def _floor(t, peak, W, T, floor):
    return floor


@pytest.mark.parametrize("wrong, cause", [
    (_learner(lambda t, peak, W: peak * t / W, _cosine, _floor), "off by one in the warmup"),
    (_learner(lambda t, peak, W: peak * (t + 1) / (W + 1), _cosine, _floor),
     "never reaches the peak"),
    (_learner(_warmup, lambda t, peak, W, T, floor: floor + 0.5 * (peak - floor) * (
        1 + math.cos(math.pi * t / T)), _floor), "whole horizon"),
    (_learner(_warmup, lambda t, peak, W, T, floor: _cosine(t, peak, W, T, 0.0),
              lambda *a: 0.0), "the floor is missing"),
    (_learner(_warmup, lambda t, peak, W, T, floor: floor + _cosine(t, peak, W, T, 0.0),
              _floor), "on top of the full cosine"),
    (_learner(_warmup, _cosine, _cosine), "climbs back up"),
])
def test_warmup_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.warmup_cosine_lr(wrong), cause)


def test_warmup_one_wrong_part_costs_only_its_point():
    """As a grader scores it: the cases of each part, judged outside the learner's code."""
    checker = check.warmup_cosine_lr
    wrong = _learner(_warmup, _cosine, lambda *a: 0.0)  # forgets the floor after T
    verdicts = []
    for case in checker.cases(np.random.default_rng(2024)):
        output, after = checker.run_learner(wrong, case.args)
        verdict = checker.compare(output, checker.reference(*case.args), case.args, after)
        verdicts.append((case, verdict.passed))
    assert checker.score(verdicts) == 2 and checker.points == 3


def test_warmup_mistakes_written_independently_are_named(failed_with):
    """The same slips, written the way a learner would, not copied from the module."""
    def from_zero(t, peak, warmup_steps, total_steps, floor=0.0):
        if t < warmup_steps:
            return peak * t / warmup_steps
        return _right_warmup_cosine(t, peak, warmup_steps, total_steps, floor)

    def no_clamp(t, peak, warmup_steps, total_steps, floor=0.0):
        W, T = warmup_steps, total_steps
        if t < W:
            return peak * (t + 1) / W
        return floor + (peak - floor) * (1 + math.cos(math.pi * (t - W) / (T - W))) / 2

    failed_with(check.warmup_cosine_lr(from_zero), "off by one in the warmup")
    failed_with(check.warmup_cosine_lr(no_clamp), "climbs back up")


def test_warmup_unknown_mistake_fails_without_a_cause():
    result = check.warmup_cosine_lr(lambda t, peak, W, T, floor=0.0: 2 * peak)
    assert result.status == "failed" and "likely cause" not in result.message


def test_warmup_not_implemented(not_implemented):
    result = check.warmup_cosine_lr(not_implemented)
    assert result.status == "not implemented" and not result.passed


def test_warmup_error_is_reported_not_raised(broken):
    result = check.warmup_cosine_lr(broken)
    assert result.status == "error" and "NameError" in result.message


def test_warmup_not_a_function():
    assert check.warmup_cosine_lr(0.1).status == "failed"


def test_warmup_slips_written_by_a_learner(says, line_of):
    def as_array(t, peak, warmup_steps, total_steps, floor=0.0):
        return np.array([_right_warmup_cosine(t, peak, warmup_steps, total_steps, floor)])

    def float32(t, peak, warmup_steps, total_steps, floor=0.0):
        return np.float32(_right_warmup_cosine(t, peak, warmup_steps, total_steps, floor))

    def rounded_pi(t, peak, warmup_steps, total_steps, floor=0.0):
        W, T = warmup_steps, total_steps
        if t < W:
            return peak * (t + 1) / W
        if t > T:
            return floor
        return floor + 0.5 * (peak - floor) * (1 + math.cos(3.1416 * (t - W) / (T - W)))

    def no_floor_argument(t, peak, warmup_steps, total_steps):
        return _right_warmup_cosine(t, peak, warmup_steps, total_steps)

    def divides_by_zero(t, peak, warmup_steps, total_steps, floor=0.0):
        W, T = warmup_steps, total_steps
        progress = (t - W) / (T - T)
        return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))

    says(check.warmup_cosine_lr(as_array), "shape", "expected shape (), got shape (1,)")
    says(check.warmup_cosine_lr(float32), "dtype", "float32")
    says(check.warmup_cosine_lr(rounded_pi), "near miss", "relative error of 1e-07")
    says(check.warmup_cosine_lr(no_floor_argument),
         "Expected: warmup_cosine_lr(t, peak, warmup_steps, total_steps, floor=0.0)")
    result = check.warmup_cosine_lr(divides_by_zero)
    assert result.status == "error" and "ZeroDivisionError" in result.message
    assert f"line {line_of(divides_by_zero, '(T - T)')}" in result.message


# --------------------------------------------------------- exercise 5.2


def _burst_by_hand(lr):
    """The first loss 100 times above the best so far, found with a plain loop."""
    tr = run(AdagradMean(lr=lr), problems.curved_ravine(), steps=600)
    best = np.inf
    for t, loss in enumerate(tr.loss):
        best = min(best, loss)
        if loss > 100 * best:
            return t
    return -1


def _first_unstable_by_hand(lr):
    problem = problems.curved_ravine()
    tr = run(AdagradMean(lr=lr), problem, steps=600)
    limit = 2 / problem.info["curvatures"][1]
    return next(t for t, size in enumerate(tr.step_size[:, 1]) if size > limit)


def test_burst_right_answer_passes():
    result = check.mean_form_burst_step(_burst_by_hand(0.1))
    assert result.passed and result.status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (lambda: _burst_by_hand(0.2), "the chapter's setting"),
    (lambda: _first_unstable_by_hand(0.1), "first exceeds 2 / h2"),
])
def test_burst_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.mean_form_burst_step(wrong()), cause)


@pytest.mark.parametrize("shift", [-10, -1, 1, 10])
def test_burst_a_few_steps_off_still_counts(shift):
    # the burst grows out of rounding: another machine's arithmetic may move it a few steps
    assert check.mean_form_burst_step(_burst_by_hand(0.1) + shift).passed


@pytest.mark.parametrize("shift", [-40, 40])
def test_burst_far_off_fails(shift, says):
    says(check.mean_form_burst_step(_burst_by_hand(0.1) + shift), "not yet right")


def test_burst_not_implemented():
    result = check.mean_form_burst_step(...)
    assert result.status == "not implemented" and not result.passed


def test_burst_wrong_type_fails_without_raising(says):
    says(check.mean_form_burst_step("soon"), "expected a number, got the text 'soon'")
    says(check.mean_form_burst_step(np.array([_burst_by_hand(0.1)])), "shape")


# --------------------------------------------------------- exercise 5.3


def _plateau_by_hand(losses, lr, factor, patience, threshold):
    """The rule as the exercise states it, written independently of lrcourse."""
    best, bad = float("inf"), 0
    for value in losses:
        if value < best * (1 - threshold):
            best, bad = value, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
    return lr


def test_plateau_expected_value():
    expected = check.plateau_final_lr.value()
    assert expected == pytest.approx(0.025)
    assert expected == pytest.approx(_plateau_by_hand(topic.PLATEAU_LOSSES,
                                                      **topic.PLATEAU_ARGS))


def test_plateau_right_answer_passes():
    assert check.plateau_final_lr(0.025).passed
    assert check.plateau_final_lr(0.1 * 0.5**2).passed


@pytest.mark.parametrize("wrong, cause", [
    (0.0125, "more than `patience`"),
    (0.05, "0.655 is not an improvement"),
    (0.00625, "starts again from zero"),
    (0.1, "does cut the rate"),
])
def test_plateau_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.plateau_final_lr(wrong), cause)


def test_plateau_mistake_values_are_distinct():
    values = [m[0]() if callable(m[0]) else m[0] for m in check.plateau_final_lr.mistakes]
    assert len(set(values + [check.plateau_final_lr.value()])) == len(values) + 1


def test_plateau_not_implemented():
    assert check.plateau_final_lr(...).status == "not implemented"


def test_plateau_near_miss_says_so(says):
    says(check.plateau_final_lr(0.0250001), "near miss")


def test_plateau_unknown_wrong_answer_has_no_cause():
    result = check.plateau_final_lr(0.03)
    assert result.status == "failed" and "likely cause" not in result.message


def test_checkers_belong_to_chapter_5():
    names = [c.name for c in check.for_chapter(5)]
    assert names == ["warmup_cosine_lr", "mean_form_burst_step", "plateau_final_lr"]
