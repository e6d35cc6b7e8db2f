"""The checkers of chapter 6 (comparison): right answers pass, known mistakes are named."""

import numpy as np
import pytest

from lrcourse import Adam, check, problems, sweep
from lrcourse.teaching.check import comparison as topic

# ------------------------------------------------------------------ helpers


def _right_steps(losses, target):
    below = np.asarray(losses, dtype=float) <= target
    return int(np.argmax(below)) if below.any() else -1


def _right_best(lrs, final_losses):
    final = np.asarray(final_losses, dtype=float)
    finite = np.isfinite(final)
    if not finite.any():
        return float("nan")
    return float(np.asarray(lrs, dtype=float)[np.argmin(np.where(finite, final, np.inf))])


# ------------------------------------------------------------- references


def test_steps_reference_matches_a_hand_written_loop():
    rng = np.random.default_rng(3)
    for _ in range(50):
        losses = rng.uniform(0, 5, size=int(rng.integers(1, 30)))
        target = float(rng.uniform(0, 5))
        expected = next((i for i, v in enumerate(losses) if v <= target), -1)
        assert topic._steps_to_target(losses, target) == expected


def test_steps_reference_agrees_with_a_real_run():
    tr = sweep(lambda lr: Adam(lr=lr), [0.01, 0.3], problems.ravine(), steps=60)
    for j in range(2):
        assert topic._steps_to_target(tr.loss[:, j], 1.0) == tr.steps_to(1.0)[j]


def test_best_reference_ignores_diverged_runs():
    lrs = np.array([0.01, 0.1, 1.0, 10.0])
    assert topic._best_learning_rate(lrs, [np.nan, 0.5, 0.2, np.inf]) == 1.0
    assert np.isnan(topic._best_learning_rate(lrs, [np.nan, np.inf, np.nan, np.inf]))


def test_sparse_race_answer_is_a_known_optimizer_that_reached_the_target():
    steps = topic.sparse_minibatch_steps()
    assert set(steps) == set(topic.RACE_OPTIMIZERS)
    winner = check.sparse_minibatch_winner.value()
    assert steps[winner] >= 0
    assert all(steps[winner] <= v for v in steps.values() if v >= 0)


def test_adam_memory_is_two_float32_buffers_per_parameter():
    assert check.adam_state_gigabytes.value() == pytest.approx(2 * 4 * 10**9 / 1e9)


# --------------------------------------------------------- exercise 6.1


def test_steps_right_answer_passes():
    result = check.steps_to_target(_right_steps)
    assert result.passed and result.status == "passed"


def _steps_counting_from_one(losses, target):
    for t, loss in enumerate(losses, start=1):
        if loss <= target:
            return t
    return -1


def _steps_strict(losses, target):
    for t, loss in enumerate(losses):
        if loss < target:
            return t
    return -1


def _steps_len_when_never(losses, target):
    for t, loss in enumerate(losses):
        if loss <= target:
            return t
    return len(losses)


def _steps_none_when_never(losses, target):
    for t, loss in enumerate(losses):
        if loss <= target:
            return t


@pytest.mark.parametrize("wrong, cause", [
    (_steps_counting_from_one, "off by one"),
    (_steps_strict, "< instead of <="),
    (_steps_len_when_never, "not len(losses)"),
    (lambda losses, target: int(np.argmax(np.asarray(losses) <= target)),
     "all-False array is 0"),
    (_steps_none_when_never, "not None"),
    (lambda losses, target: max([t for t, v in enumerate(losses) if v <= target],
                                default=-1), "last index"),
])
def test_steps_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.steps_to_target(wrong), cause)


def test_steps_not_implemented_and_error(broken, not_implemented):
    assert check.steps_to_target(not_implemented).status == "not implemented"
    result = check.steps_to_target(broken)
    assert result.status == "error" and "NameError" in result.message


def test_steps_slips_written_by_a_learner(says, line_of):
    def sorts_in_place(losses, target):
        losses.sort()  # "the smallest loss first"
        return _right_steps(losses, target)

    def as_array(losses, target):
        return np.flatnonzero(np.asarray(losses) <= target)[:1]

    def list_method_on_an_array(losses, target):
        return losses.index(next(v for v in losses if v <= target))

    def target_first(target, losses):
        return _right_steps(losses, target)

    says(check.steps_to_target(sorts_in_place), "changed its input losses in place")
    says(check.steps_to_target(as_array), "shape", "expected shape (), got shape (1,)")
    result = check.steps_to_target(list_method_on_an_array)
    assert result.status == "error" and "AttributeError" in result.message
    assert f"line {line_of(list_method_on_an_array, 'losses.index')}" in result.message
    says(check.steps_to_target(target_first), "differs")


# --------------------------------------------------------- exercise 6.2


def test_best_right_answer_passes():
    result = check.best_learning_rate(_right_best)
    assert result.passed and result.status == "passed"


def _finite(final_losses):
    final = np.array(final_losses, dtype=float)
    final[~np.isfinite(final)] = np.inf
    return final


@pytest.mark.parametrize("wrong, cause", [
    (lambda lrs, final: float(lrs[np.argmin(final)]), "first NaN"),
    (lambda lrs, final: int(np.argmin(_finite(final))), "index of the best run"),
    (lambda lrs, final: float(np.min(_finite(final))), "best final loss"),
    (lambda lrs, final: float(lrs[np.argmax(np.where(np.isfinite(final), final, -np.inf))]),
     "largest final loss"),
    (lambda lrs, final: float(np.max(np.asarray(lrs)[np.isfinite(final)])),
     "largest rate that did not diverge"),
])
def test_best_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.best_learning_rate(wrong), cause)


def test_best_not_implemented_and_error(broken, not_implemented):
    assert check.best_learning_rate(not_implemented).status == "not implemented"
    result = check.best_learning_rate(broken)
    assert result.status == "error" and "NameError" in result.message


def test_best_slips_written_by_a_learner(says):
    def replaces_nan_in_place(lrs, final_losses):
        final_losses[~np.isfinite(final_losses)] = np.inf
        return float(lrs[np.argmin(final_losses)])

    def float32(lrs, final_losses):
        return np.float32(_right_best(lrs, final_losses))

    def one_argument(sweep):
        return sweep

    says(check.best_learning_rate(replaces_nan_in_place), "final_losses in place")
    says(check.best_learning_rate(float32), "dtype", "float32")
    says(check.best_learning_rate(one_argument),
         "Expected: best_learning_rate(lrs, final_losses)")


def test_best_partial_credit_for_finite_sweeps_only():
    checker = check.best_learning_rate

    def ignores_divergence(lrs, final_losses):
        return float(lrs[np.argmin(final_losses)])

    verdicts = []
    for case in checker.cases(np.random.default_rng(99)):
        output, after = checker.run_learner(ignores_divergence, case.args)
        verdicts.append((case, checker.compare(output, checker.reference(*case.args),
                                               case.args, after).passed))
    assert checker.score(verdicts) == checker.parts["finite runs"] == 1


# --------------------------------------------------------- exercise 6.3


def test_sparse_winner_right_answer_passes_in_any_case():
    assert check.sparse_minibatch_winner("Adagrad").passed  # what chapter 6 measures
    assert check.sparse_minibatch_winner("  ADAGRAD ").passed


@pytest.mark.parametrize("wrong, cause", [
    ("RMSprop", "moving average does not keep growing"),
    ("adam", "second moment is a moving average"),
    ("AdamW", "plus weight decay"),
    ("Momentum", "once in five batches"),
    ("SGD", "no rate reached the target"),
])
def test_sparse_winner_known_mistakes_are_named(wrong, cause, failed_with):
    assert wrong.lower() != check.sparse_minibatch_winner.value().lower()
    failed_with(check.sparse_minibatch_winner(wrong), cause)


def test_sparse_winner_misspelt_lists_the_choices(says):
    result = check.sparse_minibatch_winner("Adagard")
    says(result, "'Adagard' is not one of the choices", "'SGD', 'Momentum', 'Adagrad', "
         "'RMSprop', 'Adam', 'AdamW'", "Did you mean 'Adagrad'?")
    says(check.sparse_minibatch_winner("RMS prop"), "not one of the choices")


def test_sparse_winner_not_implemented():
    assert check.sparse_minibatch_winner(...).status == "not implemented"
    assert check.sparse_minibatch_winner(None).status == "not implemented"


# --------------------------------------------------------- exercise 6.5


def test_adam_memory_right_answer_passes():
    assert check.adam_state_gigabytes(8).passed
    assert check.adam_state_gigabytes(8.0).passed


@pytest.mark.parametrize("wrong, cause", [
    (4, "that is one buffer"),
    (12, "the parameters themselves"),
    (16, "the parameters and the gradients"),
    (2, "number of floats in billions"),
    (64, "gigabits"),
    (0, "not free"),
])
def test_adam_memory_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.adam_state_gigabytes(wrong), cause)


def test_adam_memory_near_miss_and_shape(says):
    says(check.adam_state_gigabytes(8.0001), "near miss")
    says(check.adam_state_gigabytes([4, 4]), "shape")


def test_adam_memory_not_implemented():
    assert check.adam_state_gigabytes(...).status == "not implemented"
