"""The checkers of chapter 4 (Adam): right answers pass, known mistakes are named."""

import numpy as np
import pytest

from lrcourse import Adam, AdamW, check, problems, run
from lrcourse.teaching.check import adam as topic

# ------------------------------------------------------------------ helpers


def _right_adam(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _right_adamw(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=1e-2):
    return _right_adam(theta * (1 - lr * weight_decay), grad, m, v, t, lr, beta1, beta2, eps)


def _adam_variant(*, correct_m=True, correct_v=True, eps_inside=False, shift=0,
                  square=True, swap=False, return_hat=False, sign=1):
    """A hand-written wrong Adam step, independent of the checker's mistake models."""

    def step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        b1, b2 = (beta2, beta1) if swap else (beta1, beta2)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * (grad**2 if square else grad)
        m_hat = m / (1 - b1 ** (t + shift)) if correct_m else m
        v_hat = v / (1 - b2 ** (t + shift)) if correct_v else v
        sigma = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        new = theta - sign * lr * m_hat / sigma
        return (new, m_hat, v_hat) if return_hat else (new, m, v)

    return step


# ------------------------------------------------------------- references


def test_adam_reference_matches_a_run_of_adam():
    """Chaining the reference step reproduces lrcourse.Adam over a whole run."""
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(40, 4)) * np.array([1e-3, 1.0, 10.0, 100.0])
    opt = Adam(lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    theta_opt = theta_ref = np.ones(4)
    m = v = np.zeros(4)
    for t, g in enumerate(grads, start=1):
        theta_opt = opt.step(theta_opt, g)
        theta_ref, m, v = topic._adam_step(theta_ref, g, m, v, t, 0.05, 0.8, 0.99, 1e-6)
    np.testing.assert_allclose(theta_ref, theta_opt, rtol=1e-12)
    np.testing.assert_allclose(m, opt.state_dict()["state"]["exp_avg"], rtol=1e-12)
    np.testing.assert_allclose(v, opt.state_dict()["state"]["exp_avg_sq"], rtol=1e-12)


def test_adamw_reference_matches_a_run_of_adamw():
    rng = np.random.default_rng(4)
    grads = rng.normal(size=(40, 3))
    opt = AdamW(lr=0.1, weight_decay=0.3)
    theta_opt = theta_ref = np.array([1.0, -2.0, 3.0])
    m = v = np.zeros(3)
    for t, g in enumerate(grads, start=1):
        theta_opt = opt.step(theta_opt, g)
        theta_ref, m, v = topic._adamw_step(theta_ref, g, m, v, t, 0.1, 0.9, 0.999, 1e-8, 0.3)
    np.testing.assert_allclose(theta_ref, theta_opt, rtol=1e-12)


def test_references_match_the_hand_written_steps():
    for _, args in topic._adam_cases(np.random.default_rng(0)):
        for got, want in zip(topic._adam_step(*args), _right_adam(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    for _, args in topic._adamw_cases(np.random.default_rng(0)):
        for got, want in zip(topic._adamw_step(*args), _right_adamw(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_first_move_expected_value_is_the_learning_rate():
    """The closed form: on the first step Adam moves each parameter by lr |g| / (|g| + eps)."""
    problem = problems.linear_regression()
    g = np.abs(problem.grad(problem.start))
    expected = check.adam_first_move.value()
    np.testing.assert_allclose(expected, 0.05 * g / (g + 1e-8), rtol=1e-12)
    assert expected.shape == (2,)


# --------------------------------------------------------- exercise 4.1


def test_first_move_right_answers_pass():
    assert check.adam_first_move(np.array([0.05, 0.05])).passed
    trajectory = run(Adam(lr=0.05), problems.linear_regression(), steps=1)
    assert check.adam_first_move(np.abs(trajectory.params[1] - trajectory.params[0])).passed


@pytest.mark.parametrize("wrong, cause", [
    (0.05, "one distance per parameter"),
    (0.05 * np.abs(problems.linear_regression().grad(problems.linear_regression().start)),
     "gradient descent's first step"),
    (np.full(2, 0.05 * 0.1 / np.sqrt(0.001)), "without bias correction"),
    (np.array([0.158, 0.158]), "without bias correction"),  # rounded by hand
    (np.array([0.005, 0.005]), "only v was bias-corrected"),
])
def test_first_move_known_mistakes_are_named(wrong, cause, failed_with):
    failed_with(check.adam_first_move(wrong), cause)


def test_first_move_accepts_rounding_but_not_a_wrong_size():
    assert check.adam_first_move(np.array([0.0501, 0.0499])).passed
    assert not check.adam_first_move(np.array([0.06, 0.05])).passed


def test_first_move_not_implemented_and_unknown():
    assert check.adam_first_move(...).status == "not implemented"
    assert check.adam_first_move(None).status == "not implemented"
    result = check.adam_first_move(np.array([1.0, 2.0]))
    assert result.status == "failed" and "likely cause" not in result.message


# --------------------------------------------------------- exercise 4.2


def test_adam_step_right_answer_passes():
    result = check.adam_step(_right_adam)
    assert result.passed and result.status == "passed"


@pytest.mark.parametrize("wrong, cause", [
    (_adam_variant(correct_m=False, correct_v=False), "no bias correction"),
    (_adam_variant(correct_m=False), "only v is bias-corrected"),
    (_adam_variant(correct_v=False), "only m is bias-corrected"),
    (_adam_variant(eps_inside=True), "eps is inside the square root"),
    (_adam_variant(shift=-1), "not t - 1"),
    (_adam_variant(shift=1), "not beta**(t + 1)"),
    (_adam_variant(square=False), "the squared gradient"),
    (_adam_variant(swap=True), "beta1 and beta2 are swapped"),
    (_adam_variant(return_hat=True), "not the bias-corrected ones"),
    (_adam_variant(sign=-1), "wrong sign"),
])
def test_adam_step_known_mistakes_are_named(wrong, cause, failed_with):
    with np.errstate(all="ignore"):
        failed_with(check.adam_step(wrong), cause)


def test_adam_step_unknown_mistake_fails_without_a_cause():
    result = check.adam_step(lambda theta, grad, m, v, t, *rest: (theta, m, v))
    assert result.status == "failed" and "likely cause" not in result.message


def test_adam_step_not_implemented_and_error(broken, not_implemented):
    assert check.adam_step(not_implemented).status == "not implemented"
    result = check.adam_step(broken)
    assert result.status == "error" and "NameError" in result.message


# ------------------------------------------- exercise 4.2: a learner's slips


def test_adam_step_in_place_update_fails(says):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad**2
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return theta, m, v

    says(check.adam_step(adam_step), "changed its input m and v in place")


def test_adam_step_wrong_shape_says_shape(says):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        new_theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        return new_theta[:, None], m, v

    says(check.adam_step(adam_step), "new_theta has the wrong shape",
         "expected shape (3,), got shape (3, 1)")


def test_adam_step_float32_says_dtype(says):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = np.asarray(beta1 * m + (1 - beta1) * grad, dtype=np.float32)
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    says(check.adam_step(adam_step), "dtype", "float32")


def test_adam_step_near_miss_says_how_near(says):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - beta2**t)  # 0.9 typed in for beta1
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    says(check.adam_step(adam_step), "near miss", "relative error of 1e-07")


def test_adam_step_forgotten_eps_is_named(failed_with):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v

    with np.errstate(all="ignore"):
        failed_with(check.adam_step(adam_step), "eps is missing")


def test_adam_step_swapped_return_values_are_named(failed_with):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), v, m

    failed_with(check.adam_step(adam_step), "wrong order: return new_theta, m, v")


def test_adam_step_off_by_one_in_t_is_named(failed_with):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        t = t + 1  # "the next step"
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    failed_with(check.adam_step(adam_step), "off by one in the step count")


def test_adam_step_without_t_says_which_arguments(says):
    def adam_step(theta, grad, m, v, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return theta, m, v

    says(check.adam_step(adam_step), "Expected: adam_step(theta, grad, m, v, t, lr=0.001")


def test_adam_step_error_points_at_the_learners_line(line_of):
    def adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat, np.stack([m, v[:1]])

    result = check.adam_step(adam_step)
    assert result.status == "error" and "ValueError" in result.message, result.message
    assert f"line {line_of(adam_step, 'np.stack')}" in result.message, result.message


def test_first_move_misshapen_and_near_answers(says):
    says(check.adam_first_move(np.array([[0.05, 0.05]])), "shape", "(1, 2)")
    says(check.adam_first_move(np.array([0.05, 0.048])), "near miss")


# --------------------------------------------------------- exercise 4.3


def test_adamw_step_right_answer_passes():
    assert check.adamw_step(_right_adamw).passed


def _adamw_variant(kind):
    def step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
             weight_decay=1e-2):
        if kind == "l2":
            return _right_adam(theta, grad + weight_decay * theta, m, v, t, lr, beta1, beta2,
                               eps)
        if kind == "none":
            return _right_adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
        if kind == "after":
            new, m, v = _right_adam(theta, grad, m, v, t, lr, beta1, beta2, eps)
            return new - lr * weight_decay * new, m, v
        factor = 1 - weight_decay if kind == "no_lr" else 1 + lr * weight_decay
        return _right_adam(theta * factor, grad, m, v, t, lr, beta1, beta2, eps)

    return step


@pytest.mark.parametrize("kind, cause", [
    ("l2", "Adam's L2 penalty"),
    ("none", "the weight decay is missing"),
    ("no_lr", "not 1 - weight_decay"),
    ("after", "applied after the Adam step"),
    ("sign", "the weights grow"),
])
def test_adamw_step_known_mistakes_are_named(kind, cause, failed_with):
    failed_with(check.adamw_step(_adamw_variant(kind)), cause)


def test_adamw_step_not_implemented_and_error(broken, not_implemented):
    assert check.adamw_step(not_implemented).status == "not implemented"
    assert check.adamw_step(broken).status == "error"


def test_adamw_step_slips_written_by_a_learner(says, failed_with):
    def in_place(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=1e-2):
        theta *= 1 - lr * weight_decay
        return _right_adam(theta, grad, m, v, t, lr, beta1, beta2, eps)

    def no_eps(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
               weight_decay=1e-2):
        theta = theta * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v

    def no_weight_decay_argument(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999,
                                 eps=1e-8):
        return _right_adam(theta, grad, m, v, t, lr, beta1, beta2, eps)

    says(check.adamw_step(in_place), "changed its input theta in place")
    with np.errstate(all="ignore"):
        failed_with(check.adamw_step(no_eps), "eps is missing")
    says(check.adamw_step(no_weight_decay_argument), "weight_decay=0.01)")


def test_chapter_4_checkers_are_registered_in_order():
    names = [c.name for c in check.for_chapter(4)]
    assert names == ["adam_first_move", "adam_step", "adamw_step"]
    for i, c in enumerate(check.for_chapter(4), start=1):
        assert c.title.startswith(f"Exercise 4.{i} ") and c.hints
