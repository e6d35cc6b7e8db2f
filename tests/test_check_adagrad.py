"""The checkers of chapter 2 (Adagrad): right answers pass, known mistakes are named."""

import numpy as np
import pytest

from lrcourse import Adagrad, AdagradMean, check
from lrcourse.teaching.check import adagrad as topic

# ------------------------------------------------------------------ helpers


def _right_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
    state_sum = state_sum + grad * grad
    return theta - lr * grad / (np.sqrt(state_sum) + eps), state_sum


def _right_mean_step(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
    state_sum = state_sum + grad * grad
    return theta - lr * grad / (np.sqrt(state_sum / t) + eps), state_sum


# ------------------------------------------------------------- references


def test_step_reference_matches_a_run_of_adagrad():
    """Chaining the reference reproduces lrcourse.Adagrad over a whole run."""
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(30, 4))
    opt = Adagrad(lr=0.3, eps=1e-3)
    theta_opt = theta_ref = np.zeros(4)
    state_sum = np.zeros(4)
    for g in grads:
        theta_opt = opt.step(theta_opt, g)
        theta_ref, state_sum = topic._adagrad_step(theta_ref, g, state_sum, 0.3, 1e-3)
    np.testing.assert_allclose(theta_ref, theta_opt, rtol=1e-12)
    np.testing.assert_allclose(state_sum, np.sum(grads**2, axis=0), rtol=1e-12)


def test_mean_step_reference_matches_a_run_of_adagrad_mean():
    rng = np.random.default_rng(2)
    grads = rng.normal(size=(30, 3))
    opt = AdagradMean(lr=0.2, eps=1e-2)
    theta_opt = theta_ref = np.ones(3)
    state_sum = np.zeros(3)
    for t, g in enumerate(grads, start=1):
        theta_opt = opt.step(theta_opt, g)
        theta_ref, state_sum = topic._adagrad_mean_step(theta_ref, g, state_sum, t, 0.2, 1e-2)
    np.testing.assert_allclose(theta_ref, theta_opt, rtol=1e-12)


def test_distance_expected_value_is_the_closed_form():
    k = np.arange(1, topic.SLOPE_STEPS + 1)
    assert check.adagrad_distance.value() == pytest.approx(
        topic.SLOPE_LR * np.sum(1 / np.sqrt(k)), rel=1e-9)


# --------------------------------------------------------- exercise 2.1


def test_step_right_answer_passes():
    result = check.adagrad_step(_right_step)
    assert result.passed and result.status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (lambda th, g, s, lr=0.01, eps=1e-10: _right_step(th, g, s, lr, eps)[0],
     "returned only the new parameters"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th - lr * g / np.sqrt(s + g * g + eps), s + g * g), "eps is inside the square root"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th - lr * g / (np.sqrt(s + g) + eps), s + g), "without being squared"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th - lr * g / (np.sqrt(s + abs(g)) + eps), s + abs(g)), "|grad|, not grad**2"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th - lr * g / (np.sqrt(s) + eps), s + g * g), "the step used the old sum"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th - lr * g / (np.sqrt(np.mean(s + g * g)) + eps), s + g * g),
     "averaged the accumulator over the parameters"),
    (lambda th, g, s, lr=0.01, eps=1e-10: (
        th + lr * g / (np.sqrt(s + g * g) + eps), s + g * g), "the step goes uphill"),
])
def test_step_known_mistakes_are_named(wrong, cause, failed_with):
    with np.errstate(all="ignore"):
        failed_with(check.adagrad_step(wrong), cause)


def test_step_unknown_mistake_fails_without_a_cause():
    result = check.adagrad_step(lambda th, g, s, lr=0.01, eps=1e-10: (th, s))
    assert result.status == "failed" and "expected" in result.message


def test_step_not_implemented_and_error(broken, not_implemented):
    assert check.adagrad_step(not_implemented).status == "not implemented"
    result = check.adagrad_step(broken)
    assert result.status == "error" and "NameError" in result.message


# ------------------------------------------- exercise 2.1: a learner's slips


def test_step_in_place_update_fails_and_names_the_input(says):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        state_sum += grad**2
        return theta - lr * grad / (np.sqrt(state_sum) + eps), state_sum

    says(check.adagrad_step(adagrad_step), "changed its input state_sum in place",
         "state_sum = state_sum + ...")


def test_step_wrong_shape_says_shape(says):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        new_sum = state_sum + grad**2
        new_theta = theta - lr * grad / (np.sqrt(new_sum) + eps)
        return np.array([new_theta]), new_sum

    says(check.adagrad_step(adagrad_step), "new_theta has the wrong shape",
         "expected shape (3,), got shape (1, 3)")


def test_step_float32_says_dtype(says):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        new_sum = np.float32(state_sum + grad**2)
        return theta - lr * grad / (np.sqrt(new_sum) + eps), new_sum

    result = check.adagrad_step(adagrad_step)
    says(result, "dtype", "float32")


def test_step_near_miss_says_how_near_and_the_tolerance(says):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        new_sum = state_sum + grad**2
        return np.round(theta - lr * grad / (np.sqrt(new_sum) + eps), 4), new_sum

    says(check.adagrad_step(adagrad_step), "near miss", "relative error",
         "relative error of 1e-07", "absolute error of 1e-10")


def test_step_forgotten_eps_is_named(failed_with):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        state_sum = state_sum + grad**2
        return theta - lr * grad / np.sqrt(state_sum), state_sum

    with np.errstate(all="ignore"):
        failed_with(check.adagrad_step(adagrad_step), "eps is missing")


def test_step_swapped_return_values_are_named(failed_with):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        state_sum = state_sum + grad**2
        return state_sum, theta - lr * grad / (np.sqrt(state_sum) + eps)

    failed_with(check.adagrad_step(adagrad_step), "wrong order: return new_theta, new_sum")


def test_step_missing_argument_says_which_arguments(says):
    def adagrad_step(theta, grad, lr=0.01, eps=1e-10):
        return theta - lr * grad / (np.abs(grad) + eps)

    says(check.adagrad_step(adagrad_step), "adagrad_step(theta, grad, lr=0.01, eps=1e-10)",
         "Expected: adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10)")


def test_step_error_inside_numpy_points_at_the_learners_line(line_of):
    def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
        new_sum = state_sum + grad**2
        sigma = np.sqrt(np.reshape(new_sum, (2, -1))) + eps
        return theta - lr * grad / sigma, new_sum

    result = check.adagrad_step(adagrad_step)
    assert result.status == "error" and "ValueError" in result.message
    assert f"test_check_adagrad.py\", line {line_of(adagrad_step, 'np.reshape')}" \
        in result.message, result.message
    assert "np.sqrt(np.reshape(new_sum, (2, -1))) + eps" in result.message
    assert "fromnumeric" not in result.message and "_core.py" not in result.message


# --------------------------------------------------------- exercise 2.2


def test_mean_step_right_answer_passes():
    assert check.adagrad_mean_step(_right_mean_step).passed


def _mean_wrong(count=lambda t: t, eps_inside=False, square=True, old=False):
    def wrong(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
        new = state_sum + (grad * grad if square else grad)
        used = (state_sum if old else new) / count(t)
        sigma = np.sqrt(used + eps) if eps_inside else np.sqrt(used) + eps
        return theta - lr * grad / sigma, new

    return wrong


@pytest.mark.parametrize("wrong, cause", [
    (_mean_wrong(count=lambda t: 1), "this is the sum form"),
    (_mean_wrong(count=lambda t: t - 1), "divide by t, not t - 1"),
    (_mean_wrong(count=lambda t: t + 1), "divide by t, not t + 1"),
    (_mean_wrong(eps_inside=True), "eps is inside the square root"),
    (_mean_wrong(square=False), "without being squared"),
    (_mean_wrong(old=True), "the step used the old sum"),
    (_mean_wrong(count=lambda t: t - 1, old=True), "the step used the old sum"),
])
def test_mean_step_known_mistakes_are_named(wrong, cause, failed_with):
    with np.errstate(all="ignore"):
        failed_with(check.adagrad_mean_step(wrong), cause)


def test_mean_step_not_implemented_and_error(broken, not_implemented):
    assert check.adagrad_mean_step(not_implemented).status == "not implemented"
    assert check.adagrad_mean_step(broken).status == "error"


def test_mean_step_forgotten_eps_and_off_by_one_written_by_a_learner(failed_with):
    def no_eps(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
        state_sum = state_sum + grad**2
        return theta - lr * grad / np.sqrt(state_sum / t), state_sum

    def steps_so_far(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
        state_sum = state_sum + grad**2
        sigma = np.sqrt(state_sum / (t - 1)) + eps
        return theta - lr * grad / sigma, state_sum

    with np.errstate(all="ignore"):
        failed_with(check.adagrad_mean_step(no_eps), "eps is missing")
        failed_with(check.adagrad_mean_step(steps_so_far), "off by one in the step count")


def test_mean_step_in_place_fails(says):
    def adagrad_mean_step(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
        state_sum += grad**2
        theta = theta - lr * grad / (np.sqrt(state_sum / t) + eps)
        return theta, state_sum

    says(check.adagrad_mean_step(adagrad_mean_step), "state_sum in place")


# --------------------------------------------------------- exercise 2.3


def test_distance_right_answer_passes():
    k = np.arange(1, 101)
    assert check.adagrad_distance(0.1 * np.sum(1 / np.sqrt(k))).passed


@pytest.mark.parametrize("wrong, cause", [
    (30.0, "plain gradient descent"),
    (10.0, "that is the mean form"),
    (2.0, "integral approximation"),
    (0.01, "the size of the last step only"),
])
def test_distance_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.adagrad_distance(wrong), cause)


def test_distance_not_implemented_and_wrong_type():
    assert check.adagrad_distance(...).status == "not implemented"
    assert check.adagrad_distance(None).status == "not implemented"
    result = check.adagrad_distance("far")
    assert result.status == "failed" and not result.passed


def test_distance_rounded_answer_is_a_near_miss_without_the_answer(says):
    k = np.arange(1, 101)
    exact = 0.1 * np.sum(1 / np.sqrt(k))
    result = check.adagrad_distance(round(exact, 2))
    says(result, "near miss", "relative error of 1e-06")
    assert f"{exact:.6g}" not in result.message


def test_distance_as_an_array_says_shape(says):
    k = np.arange(1, 101)
    says(check.adagrad_distance(np.array([0.1 * np.sum(1 / np.sqrt(k)), 0.0])), "shape")


def test_chapter_2_checkers_are_registered_in_order():
    names = [c.name for c in check.for_chapter(2)]
    assert names == ["adagrad_step", "adagrad_mean_step", "adagrad_distance"]
    for c in check.for_chapter(2):
        assert c.title.startswith("Exercise 2.") and c.hints
