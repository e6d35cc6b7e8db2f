"""The checkers of chapter 2 (Adagrad): right answers pass, known mistakes are named."""

import numpy as np
import pytest
from checking import broken as _broken
from checking import failed_with as _failed_with
from checking import not_implemented as _not_implemented

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
def test_step_known_mistakes_are_named(wrong, cause):
    with np.errstate(all="ignore"):
        _failed_with(check.adagrad_step(wrong), cause)


def test_step_unknown_mistake_fails_without_a_cause():
    result = check.adagrad_step(lambda th, g, s, lr=0.01, eps=1e-10: (th, s))
    assert result.status == "failed" and "expected" in result.message


def test_step_not_implemented_and_error():
    assert check.adagrad_step(_not_implemented).status == "not implemented"
    result = check.adagrad_step(_broken)
    assert result.status == "error" and "NameError" in result.message


def test_step_checker_does_not_let_inputs_be_modified():
    def in_place(theta, grad, state_sum, lr=0.01, eps=1e-10):
        state_sum += grad * grad
        theta -= lr * grad / (np.sqrt(state_sum) + eps)
        return theta, state_sum

    assert check.adagrad_step(in_place).passed  # the checker passes private copies


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
def test_mean_step_known_mistakes_are_named(wrong, cause):
    with np.errstate(all="ignore"):
        _failed_with(check.adagrad_mean_step(wrong), cause)


def test_mean_step_not_implemented_and_error():
    assert check.adagrad_mean_step(_not_implemented).status == "not implemented"
    assert check.adagrad_mean_step(_broken).status == "error"


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
def test_distance_known_mistakes_are_named(wrong, cause):
    _failed_with(check.adagrad_distance(wrong), cause)


def test_distance_not_implemented_and_wrong_type():
    assert check.adagrad_distance(...).status == "not implemented"
    assert check.adagrad_distance(None).status == "not implemented"
    result = check.adagrad_distance("far")
    assert result.status == "failed" and not result.passed


def test_chapter_2_checkers_are_registered_in_order():
    names = [c.name for c in check.for_chapter(2)]
    assert names == ["adagrad_step", "adagrad_mean_step", "adagrad_distance"]
    for c in check.for_chapter(2):
        assert c.title.startswith("Exercise 2.") and c.hints
