"""The checkers of chapter 3 (RMSprop): right answers pass, known mistakes are named."""

import numpy as np
import pytest

from lrcourse import Adagrad, RMSprop, check
from lrcourse.teaching.check import rmsprop as topic

# ------------------------------------------------------------------ helpers


def _right_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return theta - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def _wrong_step(average, *, eps_inside=False, old=False, sign=-1):
    """A wrong RMSprop step: ``average(v, g2, alpha)`` is the learner's accumulator."""

    def step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        new = average(square_avg, grad, alpha)
        used = square_avg if old else new
        sigma = np.sqrt(used + eps) if eps_inside else np.sqrt(used) + eps
        return theta + sign * lr * grad / sigma, new

    return step


def _ema(v, g, a):
    return a * v + (1 - a) * g * g


# ------------------------------------------------------------- references


def test_step_reference_matches_a_run_of_rmsprop():
    """Chaining the reference reproduces lrcourse.RMSprop over a whole run."""
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(40, 4))
    opt = RMSprop(lr=0.05, alpha=0.9, eps=1e-3)
    theta_opt = theta_ref = np.zeros(4)
    square_avg = np.zeros(4)
    for g in grads:
        theta_opt = opt.step(theta_opt, g)
        theta_ref, square_avg = topic._rmsprop_step(theta_ref, g, square_avg, 0.05, 0.9, 1e-3)
    np.testing.assert_allclose(theta_ref, theta_opt, rtol=1e-12)
    weights = 0.1 * 0.9 ** np.arange(len(grads))[::-1]  # closed form of the average
    np.testing.assert_allclose(square_avg, weights @ grads**2, rtol=1e-12)


def test_step_reference_agrees_with_the_hand_written_step():
    for _, args in topic._rmsprop_cases(np.random.default_rng(0)):
        expected = _right_step(*args)
        actual = topic._rmsprop_step(*args)
        np.testing.assert_allclose(actual[0], expected[0], rtol=1e-12)
        np.testing.assert_allclose(actual[1], expected[1], rtol=1e-12)


def test_fade_steps_expected_value_is_the_closed_form():
    # sigma_k = alpha**(k/2) sigma_0 < sigma_0 / 10  <=>  k > 2 ln 10 / ln(1/alpha)
    closed = int(np.floor(2 * np.log(10) / -np.log(0.9))) + 1
    assert check.rmsprop_fade_steps.value() == closed == 44


# --------------------------------------------------------- exercise 3.1


def test_step_right_answer_passes():
    result = check.rmsprop_step(_right_step)
    assert result.passed and result.status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (_wrong_step(_ema, eps_inside=True), "eps is inside the square root"),
    (_wrong_step(lambda v, g, a: (1 - a) * v + a * g * g), "alpha and 1 - alpha are swapped"),
    (_wrong_step(_ema, old=True), "divides by the average from before this step"),
    (_wrong_step(lambda v, g, a: v + g * g), "this is Adagrad's sum"),
    (_wrong_step(lambda v, g, a: a * v + (1 - a) * g), "the gradient is not squared"),
    (_wrong_step(_ema, sign=+1), "the step goes uphill"),
])
def test_step_known_mistakes_are_named(wrong, cause, failed_with):
    with np.errstate(all="ignore"):
        failed_with(check.rmsprop_step(wrong), cause)


def test_step_unknown_mistake_fails_without_a_cause():
    result = check.rmsprop_step(lambda th, g, v, lr=0.01, alpha=0.99, eps=1e-8: (th, v))
    assert result.status == "failed" and "expected" in result.message
    assert "likely cause" not in result.message


def test_step_returning_only_theta_fails():
    result = check.rmsprop_step(lambda *args: _right_step(*args)[0])
    assert result.status == "failed"


def test_step_not_implemented_and_error(broken, not_implemented):
    assert check.rmsprop_step(not_implemented).status == "not implemented"
    result = check.rmsprop_step(broken)
    assert result.status == "error" and "NameError" in result.message


# ------------------------------------------- exercise 3.1: a learner's slips


def test_step_in_place_update_fails_and_names_the_inputs(says):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        theta -= lr * grad / (np.sqrt(square_avg) + eps)
        return theta, square_avg

    says(check.rmsprop_step(rmsprop_step), "changed its input theta and square_avg in place")


def test_step_wrong_shape_says_shape(says):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        v = alpha * square_avg + (1 - alpha) * grad**2
        return theta - lr * grad / (np.sqrt(v) + eps), v.reshape(1, -1)

    says(check.rmsprop_step(rmsprop_step), "new_square_avg has the wrong shape",
         "expected shape (3,), got shape (1, 3)")


def test_step_float32_says_dtype(says):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        v = alpha * square_avg + (1 - alpha) * grad**2
        return (theta - lr * grad / (np.sqrt(v) + eps)).astype(np.float32), v

    says(check.rmsprop_step(rmsprop_step), "dtype", "float32")


def test_step_near_miss_says_how_near(says):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        v = alpha * square_avg + (1 - alpha) * grad**2
        return np.round(theta - lr * grad / (np.sqrt(v) + eps), 6), v

    says(check.rmsprop_step(rmsprop_step), "near miss", "relative error of 1e-07")


def test_step_number_typed_in_for_an_argument_is_named(failed_with):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        v = alpha * square_avg + (1 - alpha) * grad**2
        return theta - lr * grad / (np.sqrt(v) + 1e-8), v

    failed_with(check.rmsprop_step(rmsprop_step), "right for eps=1e-08")


def test_step_forgotten_eps_is_named(failed_with):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg = alpha * square_avg + (1 - alpha) * grad**2
        return theta - lr * grad / np.sqrt(square_avg), square_avg

    with np.errstate(all="ignore"):
        failed_with(check.rmsprop_step(rmsprop_step), "eps is missing")


def test_step_swapped_return_values_are_named(failed_with):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg = alpha * square_avg + (1 - alpha) * grad**2
        return square_avg, theta - lr * grad / (np.sqrt(square_avg) + eps)

    failed_with(check.rmsprop_step(rmsprop_step), "wrong order: return new_theta, new_square_avg")


def test_step_without_alpha_says_which_arguments(says):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, eps=1e-8):
        square_avg = 0.99 * square_avg + 0.01 * grad**2
        return theta - lr * grad / (np.sqrt(square_avg) + eps), square_avg

    says(check.rmsprop_step(rmsprop_step),
         "Expected: rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-08)")


def test_step_error_points_at_the_learners_line(line_of):
    def rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
        square_avg = alpha * square_avg + (1 - alpha) * np.dot(grad, grad.T[:1])
        return theta - lr * grad / (np.sqrt(square_avg) + eps), square_avg

    result = check.rmsprop_step(rmsprop_step)
    assert result.status == "error" and "ValueError" in result.message, result.message
    assert f"line {line_of(rmsprop_step, 'np.dot')}" in result.message, result.message
    assert "test_check_rmsprop.py" in result.message


def test_fade_steps_near_miss_and_shape(says):
    says(check.rmsprop_fade_steps(np.array([44])), "shape")
    says(check.rmsprop_fade_steps(44.3), "near miss")


# --------------------------------------------------------- exercise 3.2


def test_fade_steps_right_answer_passes():
    assert check.rmsprop_fade_steps(int(np.ceil(2 * np.log(10) / -np.log(0.9)))).passed
    assert check.rmsprop_fade_steps(44.0).passed


@pytest.mark.parametrize("wrong, cause", [
    (43, "off by one"),
    (45, "off by one"),
    (22, "this is when v (the average of squares) falls below a tenth"),
    (21, "this is when v (the average of squares) falls below a tenth"),
    (10, "1 / (1 - alpha) is the memory's typical length"),
])
def test_fade_steps_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.rmsprop_fade_steps(wrong), cause)


def test_fade_steps_not_implemented_and_wrong_type():
    assert check.rmsprop_fade_steps(...).status == "not implemented"
    assert check.rmsprop_fade_steps(None).status == "not implemented"
    result = check.rmsprop_fade_steps("soon")
    assert result.status == "failed" and not result.passed


# --------------------------------------------------------- exercise 3.3


def test_adagrad_lr_expected_value_matches_a_run():
    """Over a short run, RMSprop(0.1, 0.999) and Adagrad(expected lr) take the same path."""
    lr = check.rmsprop_adagrad_lr.value()
    assert lr == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-12)
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(20, 3))
    rms, ada = RMSprop(lr=0.1, alpha=0.999), Adagrad(lr=lr)
    a = b = np.zeros(3)
    for g in grads:
        a, b = rms.step(a, g), ada.step(b, g)
    np.testing.assert_allclose(a, b, rtol=0.02)


def test_adagrad_lr_right_answer_passes():
    assert check.rmsprop_adagrad_lr(0.1 / np.sqrt(1 - 0.999)).passed
    assert check.rmsprop_adagrad_lr(3.16).passed  # rounded by hand


@pytest.mark.parametrize("wrong, cause", [
    (100.0, "the square root is missing"),
    (0.1 * np.sqrt(0.001), "upside down"),
    (0.1, "the same eta would give the same steps only if"),
])
def test_adagrad_lr_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.rmsprop_adagrad_lr(wrong), cause)


def test_adagrad_lr_near_miss_and_shape(says):
    says(check.rmsprop_adagrad_lr(3.1), "near miss")  # 0.1 / sqrt(0.001), badly rounded
    says(check.rmsprop_adagrad_lr(np.array([3.16, 3.16])), "shape")


def test_adagrad_lr_not_implemented():
    assert check.rmsprop_adagrad_lr(...).status == "not implemented"


def test_chapter_3_checkers_are_registered_in_order():
    names = [c.name for c in check.for_chapter(3)]
    assert names == ["rmsprop_step", "rmsprop_fade_steps", "rmsprop_adagrad_lr"]
    for c in check.for_chapter(3):
        assert c.title.startswith("Exercise 3.") and c.hints
