"""The checkers of chapter 1 (critical points): right answers pass, known mistakes are named."""

import numpy as np
import pytest

from lrcourse import SGD, check, problems, run
from lrcourse.teaching.check import gradient_descent as topic

# ------------------------------------------------------------- exercise 1.1: gd_path


def _right_path(theta0, grad, lr, steps):
    path = [np.asarray(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * grad(path[-1]))
    return np.array(path)


def _path_in_place(theta0, grad, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta -= lr * grad(theta)
        path.append(theta)
    return np.array(path)


def test_gd_path_reference_matches_the_runner():
    """The reference agrees with lrcourse.run, an independent loop, on the ravine."""
    ravine = problems.ravine(condition=30.0)
    trajectory = run(SGD(lr=0.05), ravine, steps=40)
    path = topic._gd_path(ravine.start, ravine.grad, 0.05, 40)
    np.testing.assert_allclose(path, trajectory.params, rtol=1e-12)


def test_gd_path_reference_is_the_closed_form_on_a_quadratic():
    ravine = problems.ravine(condition=8.0, flat_curvature=0.25)
    h = ravine.info["curvatures"]
    t = np.arange(31)[:, None]
    path = topic._gd_path(ravine.start, ravine.grad, 0.3, 30)
    np.testing.assert_allclose(path, ravine.start * (1 - 0.3 * h) ** t, rtol=1e-10)


def test_gd_path_right_answer_passes():
    result = check.gd_path(_right_path)
    assert result.passed and result.status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (lambda th, g, lr, n: _right_path(th, g, -lr, n), "goes uphill"),
    (lambda th, g, lr, n: _right_path(th, g, lr, n)[1:], "begin with theta0"),
    (lambda th, g, lr, n: _right_path(th, g, lr, n + 1), "one step too many"),
    (lambda th, g, lr, n: np.array([th - k * lr * g(th) for k in range(n + 1)]),
     "computed once"),
    (_path_in_place, "changes one array in place"),
    (lambda th, g, lr, n: _right_path(th, g, lr, n)[-1], "only the final point"),
])
def test_gd_path_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.gd_path(wrong), cause)


def test_gd_path_not_implemented_and_errors(broken, not_implemented):
    assert check.gd_path(not_implemented).status == "not implemented"
    result = check.gd_path(broken)
    assert result.status == "error" and "NameError" in result.message
    assert check.gd_path(42).status == "failed"


# -------------------------------------------- exercise 1.1: a learner's slips


def test_gd_path_in_place_update_of_theta0_fails(says):
    def gd_path(theta0, grad, lr, steps):
        path = [theta0.copy()]
        for _ in range(steps):
            theta0 -= lr * grad(theta0)
            path.append(theta0.copy())
        return np.array(path)

    says(check.gd_path(gd_path), "changed its input theta0 in place")


def test_gd_path_off_by_one_in_the_loop_is_named(failed_with):
    def gd_path(theta0, grad, lr, steps):
        path = [theta0]
        for _ in range(1, steps):
            path.append(path[-1] - lr * grad(path[-1]))
        return np.array(path)

    failed_with(check.gd_path(gd_path), "one step too few")


def test_gd_path_list_of_rows_with_an_extra_axis_says_shape(says):
    def gd_path(theta0, grad, lr, steps):
        path = [theta0]
        for _ in range(steps):
            path.append(path[-1] - lr * grad(path[-1]))
        return np.array([path])

    says(check.gd_path(gd_path), "wrong shape", "expected shape (1, 2), got shape (1, 1, 2)")


def test_gd_path_float32_says_dtype(says):
    def gd_path(theta0, grad, lr, steps):
        path = np.zeros((steps + 1, len(theta0)), dtype=np.float32)
        path[0] = theta0
        for k in range(steps):
            path[k + 1] = path[k] - lr * grad(path[k])
        return path

    says(check.gd_path(gd_path), "dtype", "float32")


def test_gd_path_near_miss_says_how_near(says):
    def gd_path(theta0, grad, lr, steps):
        path = [theta0]
        for _ in range(steps):
            path.append(path[-1] - round(lr, 3) * grad(path[-1]))
        return np.array(path)

    says(check.gd_path(gd_path), "near miss", "relative error of 1e-07")


def test_gd_path_error_in_the_gradient_call_points_at_the_learners_line(line_of):
    def gd_path(theta0, grad, lr, steps):
        path = [theta0]
        for _ in range(steps):
            path.append(path[-1] - lr * grad(path[-1][0]))
        return np.array(path)

    result = check.gd_path(gd_path)
    assert result.status == "error", result.message
    assert f"line {line_of(gd_path, 'grad(path[-1][0])')}" in result.message, result.message
    assert "problems.py" not in result.message


def test_gd_path_arguments_in_another_order_still_need_four(says):
    def gd_path(theta0, grad, steps):
        return np.array([theta0])

    says(check.gd_path(gd_path), "Expected: gd_path(theta0, grad, lr, steps)")


# ------------------------------------------------- exercise 1.2: classify_critical_point


def _right_classify(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if eigenvalues.max() > tol and eigenvalues.min() < -tol:
        return "saddle"
    if eigenvalues.min() > tol:
        return "minimum"
    if eigenvalues.max() < -tol:
        return "maximum"
    return "degenerate"


def test_classify_reference_on_known_matrices():
    saddle = problems.saddle()
    ref = topic._classify_critical_point
    assert ref(saddle.hessian(np.zeros(2))) == "saddle"
    assert ref(saddle.hessian(np.ones(2))) == "degenerate"
    assert ref(np.diag([1.0, 2.0])) == "minimum"
    assert ref(-np.eye(3)) == "maximum"
    assert ref(np.diag([1.0, -1.0, 0.0])) == "saddle"
    assert ref(np.diag([1.0, 1e-3]), 1e-2) == "degenerate"


def test_classify_cases_cover_every_answer():
    answers = {topic._classify_critical_point(*args)
               for _, args in topic._classify_cases(np.random.default_rng(0))}
    assert answers == set(topic.LABELS)


def test_classify_right_answer_passes():
    result = check.classify_critical_point(_right_classify)
    assert result.passed and result.status == "passed"


def test_classify_accepts_any_capitalisation():
    assert check.classify_critical_point(lambda h, tol=1e-8: _right_classify(h, tol).upper())


def _by_diagonal(hessian, tol=1e-8):
    d = np.diag(hessian)
    if d.max() > tol and d.min() < -tol:
        return "saddle"
    return "minimum" if d.min() > tol else "maximum" if d.max() < -tol else "degenerate"


def _by_determinant(hessian, tol=1e-8):
    det = np.linalg.det(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if np.trace(hessian) > 0 else "maximum"


def _zero_counts_as_positive(hessian, tol=1e-8):
    ev = np.linalg.eigvalsh(hessian)
    if ev.min() >= -tol:
        return "minimum"
    if ev.max() <= tol:
        return "maximum"
    return "saddle"


@pytest.mark.parametrize("wrong, cause", [
    (_by_diagonal, "diagonal entries are not the curvatures"),
    (_by_determinant, "2x2 matrices only"),
    (_zero_counts_as_positive, "zero eigenvalue was counted as positive"),
    (lambda h, tol=1e-8: _right_classify(h, 0.0), "compared with 0 instead of tol"),
])
def test_classify_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.classify_critical_point(wrong), cause)


def test_classify_reports_the_words():
    result = check.classify_critical_point(lambda h, tol=1e-8: "minimum")
    assert result.status == "failed"
    assert "'saddle'" in result.message and "'minimum'" in result.message


def test_classify_other_answers_fail_without_raising():
    assert check.classify_critical_point(lambda h, tol=1e-8: None).status == "failed"
    assert check.classify_critical_point(lambda h, tol=1e-8: "flat").status == "failed"


def test_classify_not_implemented_and_errors(broken, not_implemented):
    assert check.classify_critical_point(not_implemented).status == "not implemented"
    result = check.classify_critical_point(broken)
    assert result.status == "error" and "NameError" in result.message
    assert check.classify_critical_point("saddle").status == "failed"


def test_classify_misspelt_word_lists_the_choices(says):
    def classify_critical_point(hessian, tol=1e-8):
        ev = np.linalg.eigvalsh(hessian)
        if ev.max() > tol and ev.min() < -tol:
            return "saddle point"
        return _right_classify(hessian, tol)

    says(check.classify_critical_point(classify_critical_point),
         "'saddle point' is not one of the choices", "'minimum', 'maximum', 'saddle', "
         "'degenerate'", "Did you mean 'saddle'?")


def test_classify_in_place_change_of_the_hessian_fails(says):
    def classify_critical_point(hessian, tol=1e-8):
        hessian[np.abs(hessian) < tol] = 0.0
        return _right_classify(hessian, tol)

    says(check.classify_critical_point(classify_critical_point), "hessian in place")


def test_classify_error_points_at_the_learners_line(line_of):
    def classify_critical_point(hessian, tol=1e-8):
        ev = np.linalg.eigvalsh(hessian[0])
        return "saddle" if ev.min() < 0 < ev.max() else "minimum"

    result = check.classify_critical_point(classify_critical_point)
    assert result.status == "error", result.message
    assert f"line {line_of(classify_critical_point, 'eigvalsh')}" in result.message


# ------------------------------------------------- exercise 1.3: largest_stable_lr


def test_stable_lr_expected_is_two_over_the_largest_eigenvalue():
    ravine = problems.ravine(**topic.EXERCISE_RAVINE)
    h_max = np.linalg.eigvalsh(ravine.hessian(ravine.start)).max()
    assert check.largest_stable_lr.value() == pytest.approx(2 / h_max, rel=1e-12)


def test_stable_lr_is_where_gradient_descent_starts_to_diverge():
    ravine = problems.ravine(**topic.EXERCISE_RAVINE)
    limit = check.largest_stable_lr.value()
    below = run(SGD(lr=0.99 * limit), ravine, steps=3000)
    above = run(SGD(lr=1.01 * limit), ravine, steps=3000)
    assert not below.diverged and below.loss[-1] < 1e-6 * below.loss[0]
    assert above.diverged


def test_stable_lr_right_answer_passes():
    assert check.largest_stable_lr(0.1).passed
    assert check.largest_stable_lr(2 / 20.0).status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (1 / 20.0, "removes the steep error in one step"),
    (2 / 0.5, "limit of the flat direction"),
    (1 / 0.5, "uses the flat curvature"),
])
def test_stable_lr_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.largest_stable_lr(wrong), cause)


def test_stable_lr_not_implemented_and_other_answers():
    assert check.largest_stable_lr(...).status == "not implemented"
    assert check.largest_stable_lr(None).status == "not implemented"
    result = check.largest_stable_lr(0.3)
    assert result.status == "failed" and "likely cause" not in result.message


def test_stable_lr_near_miss_and_shape(says):
    says(check.largest_stable_lr(0.0995), "near miss")
    says(check.largest_stable_lr(np.array([0.1, 4.0])), "shape")


def test_chapter_one_checkers_are_registered():
    names = [c.name for c in check.for_chapter(1)]
    assert names == ["gd_path", "classify_critical_point", "largest_stable_lr"]
