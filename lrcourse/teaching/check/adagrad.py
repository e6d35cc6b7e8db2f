r"""Checkers for the exercises of chapter 2 (Adagrad).

* ``adagrad_step``: one step of PyTorch's sum form,
  :math:`s \leftarrow s + g^2`, :math:`\theta \leftarrow \theta - \eta\, g / (\sqrt{s} + \epsilon)`.
* ``adagrad_mean_step``: one step of the lecture's mean form,
  :math:`\sigma = \sqrt{s / t} + \epsilon` with ``t`` the number of this step.
* ``adagrad_distance``: how far Adagrad travels in 100 steps on a constant slope.

The references are computed with :class:`lrcourse.Adagrad`, not with the formulas the
notebook shows, so a slip in the chapter cannot hide a slip in the checker.
"""

import numpy as np

from ...numerics import Adagrad
from ._core import AnswerChecker, FunctionChecker

# ------------------------------------------------------------ exercise 2.1


def _adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):
    """Reference: ``lrcourse.Adagrad`` started from the given accumulator."""
    opt = Adagrad(lr=lr, eps=eps)
    opt.load_state_dict({"step": 0, "state": {"sum": state_sum}})
    new_theta = opt.step(theta, grad)
    return new_theta, opt.state_dict()["state"]["sum"]


def _step_cases(rng):
    def case(d, eps_low=1e-3, eps_high=0.5, sum_high=3.0):
        return (rng.normal(size=d), rng.normal(scale=2.0, size=d),
                rng.uniform(0.0, sum_high, size=d), float(rng.uniform(0.01, 1.0)),
                float(rng.uniform(eps_low, eps_high)))

    zeros = np.zeros(3)
    return [
        ("the first step (empty accumulator)",
         (np.array([1.0, -2.0, 0.5]), np.array([0.5, -4.0, 2.0]), zeros, 0.1, 1e-10)),
        ("a zero gradient", (np.ones(3), zeros, np.array([0.0, 1.0, 4.0]), 0.1, 1e-10)),
        ("a large eps", (np.array([0.0, 1.0]), np.array([1.0, -1.0]),
                         np.array([0.0, 0.25]), 0.5, 0.5)),
        ("a single parameter", (np.array([2.0]), np.array([-3.0]), np.array([7.0]), 1.0, 1e-8)),
    ] + [(f"random case {i}", case(int(rng.integers(1, 6)))) for i in range(20)]


def _wrong_eps_inside(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + grad * grad
    return theta - lr * grad / np.sqrt(new_sum + eps), new_sum


def _wrong_no_eps(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + grad * grad
    with np.errstate(divide="ignore", invalid="ignore"):
        return theta - lr * grad / np.sqrt(new_sum), new_sum


def _wrong_not_squared(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + grad
    with np.errstate(invalid="ignore"):
        return theta - lr * grad / (np.sqrt(new_sum) + eps), new_sum


def _wrong_abs(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + np.abs(grad)
    return theta - lr * grad / (np.sqrt(new_sum) + eps), new_sum


def _wrong_old_sum(theta, grad, state_sum, lr=0.01, eps=1e-10):
    with np.errstate(divide="ignore", invalid="ignore"):
        new_theta = theta - lr * grad / (np.sqrt(state_sum) + eps)
    return new_theta, state_sum + grad * grad


def _wrong_mean_over_params(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + grad * grad
    return theta - lr * grad / (np.sqrt(np.mean(new_sum)) + eps), new_sum


def _wrong_sign(theta, grad, state_sum, lr=0.01, eps=1e-10):
    new_sum = state_sum + grad * grad
    return theta + lr * grad / (np.sqrt(new_sum) + eps), new_sum


def _wrong_theta_only(theta, grad, state_sum, lr=0.01, eps=1e-10):
    return _adagrad_step(theta, grad, state_sum, lr, eps)[0]


adagrad_step = FunctionChecker(
    "adagrad_step", _adagrad_step, _step_cases,
    title="Exercise 2.1 (Adagrad's update)", chapter=2, outputs=("new_theta", "new_sum"),
    mistakes=[
        (_wrong_theta_only, "you returned only the new parameters; return the pair "
         "(new_theta, new_state_sum) so the next step can use the new sum"),
        (_wrong_eps_inside, "eps is inside the square root (Keras's placement); PyTorch "
         "adds it outside: np.sqrt(state_sum) + eps"),
        (_wrong_no_eps, "eps is missing: divide by np.sqrt(new_sum) + eps, so that a "
         "parameter whose gradients were all zero does not divide 0 by 0"),
        (_wrong_not_squared, "the gradient is added to the sum without being squared; "
         "the accumulator grows by grad**2"),
        (_wrong_abs, "the accumulator grew by |grad|, not grad**2"),
        (_wrong_old_sum, "the step used the old sum: add grad**2 to the accumulator first, "
         "then divide by the root of the new sum (that is why the first step is not a "
         "division by eps)"),
        (_wrong_mean_over_params, "you averaged the accumulator over the parameters "
         "(np.mean), which gives every parameter the same scale; Adagrad keeps one sum "
         "per parameter and divides each gradient by the root of its own sum"),
        (_wrong_sign, "the step goes uphill: subtract lr * grad / sigma, do not add it"),
    ],
    hints=[
        "First update the accumulator: state_sum + grad**2 (element-wise, one entry "
        "per parameter).",
        "sigma = np.sqrt(new_sum) + eps: eps goes outside the root, as in PyTorch.",
        "Return a tuple: (theta - lr * grad / sigma, new_sum). Do not modify the inputs.",
    ])

# ------------------------------------------------------------ exercise 2.2


def _adagrad_mean_step(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
    """Reference: the mean form is the sum form with eta and eps scaled by sqrt(t).

    eta * sqrt(t) / (sqrt(s) + eps * sqrt(t)) = eta / (sqrt(s / t) + eps), exactly.
    """
    root_t = np.sqrt(t)
    opt = Adagrad(lr=lr * root_t, eps=eps * root_t)
    opt.load_state_dict({"step": t - 1, "state": {"sum": state_sum}})
    new_theta = opt.step(theta, grad)
    return new_theta, opt.state_dict()["state"]["sum"]


def _mean_cases(rng):
    def case(d):
        t = int(rng.integers(2, 40))
        grads_so_far = rng.normal(scale=1.5, size=(t - 1, d))
        return (rng.normal(size=d), rng.normal(scale=1.5, size=d),
                np.sum(grads_so_far**2, axis=0), t, float(rng.uniform(0.01, 1.0)),
                float(rng.uniform(1e-3, 0.3)))

    return [
        ("step 4 of a run", (np.array([1.0, -1.0]), np.array([0.5, 2.0]),
                             np.array([0.75, 12.0]), 4, 0.1, 1e-10)),
        ("the first step (t = 1, empty accumulator)",
         (np.array([1.0, -2.0, 0.5]), np.array([0.5, -4.0, 2.0]), np.zeros(3), 1, 0.1, 1e-10)),
        ("a zero gradient at step 3",
         (np.ones(2), np.zeros(2), np.array([1.0, 4.0]), 3, 0.1, 1e-10)),
        ("a large eps at step 2", (np.array([0.0, 1.0]), np.array([1.0, -1.0]),
                                   np.array([0.0, 0.25]), 2, 0.5, 0.5)),
    ] + [(f"random case {i}", case(int(rng.integers(1, 6)))) for i in range(20)]


def _mean_variant(count, eps_inside=False, square=True, old_sum=False, no_eps=False):
    """A wrong mean-form step: divide by ``count(t)`` instead of ``t``, etc."""

    def wrong(theta, grad, state_sum, t, lr=0.01, eps=1e-10):
        new_sum = state_sum + (grad * grad if square else grad)
        used = state_sum if old_sum else new_sum
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = used / count(t)
            sigma = np.sqrt(mean + eps) if eps_inside else np.sqrt(mean) + eps * (not no_eps)
            return theta - lr * grad / sigma, new_sum

    return wrong


adagrad_mean_step = FunctionChecker(
    "adagrad_mean_step", _adagrad_mean_step, _mean_cases,
    title="Exercise 2.2 (the lecture's mean form)", chapter=2,
    outputs=("new_theta", "new_sum"),
    mistakes=[
        (_mean_variant(lambda t: 1), "this is the sum form (PyTorch's Adagrad): the mean "
         "form divides the accumulated sum by the number of steps t before the root"),
        (_mean_variant(lambda t: t - 1), "off by one in the step count: after adding this "
         "step's gradient the sum holds t squared gradients, so divide by t, not t - 1"),
        (_mean_variant(lambda t: t + 1), "off by one in the step count: t is already the "
         "number of this step (counting from 1), so divide by t, not t + 1"),
        (_mean_variant(lambda t: t, eps_inside=True), "eps is inside the square root; add "
         "it outside: np.sqrt(new_sum / t) + eps"),
        (_mean_variant(lambda t: t, no_eps=True), "eps is missing: divide by "
         "np.sqrt(new_sum / t) + eps, so that a zero sum does not give 0 / 0"),
        (_mean_variant(lambda t: t, square=False), "the gradient is added to the sum "
         "without being squared"),
        (_mean_variant(lambda t: t, old_sum=True), "the step used the old sum: add "
         "grad**2 first, then divide the new sum by t"),
        (_mean_variant(lambda t: t - 1, old_sum=True), "the step used the old sum (of "
         "t - 1 gradients): add grad**2 first, then divide the new sum by t"),
    ],
    hints=[
        "Add grad**2 to the sum first; the new sum holds t squared gradients.",
        "sigma = np.sqrt(new_sum / t) + eps: the root of the mean, eps outside the root.",
        "At t = 1 the mean and the sum forms agree; they differ from the second step on.",
    ])

# ------------------------------------------------------------ exercise 2.3

SLOPE_GRAD, SLOPE_LR, SLOPE_STEPS = 3.0, 0.1, 100


def _distance_on_slope(optimizer, steps=SLOPE_STEPS, grad=SLOPE_GRAD):
    """How far ``optimizer`` moves a parameter whose gradient is always ``grad``."""
    theta = np.zeros(1)
    g = np.array([grad])
    for _ in range(steps):
        theta = optimizer.step(theta, g)
    return float(-theta[0])


adagrad_distance = AnswerChecker(
    "adagrad_distance", lambda: _distance_on_slope(Adagrad(lr=SLOPE_LR)),
    title="Exercise 2.3 (how far does Adagrad go on a constant slope?)", chapter=2,
    learner_name="distance",
    rtol=1e-6,
    mistakes=[
        (SLOPE_LR * SLOPE_GRAD * SLOPE_STEPS, "that is plain gradient descent, "
         "lr * g * steps; Adagrad divides each step by sqrt(sum of g**2)"),
        (SLOPE_LR * SLOPE_STEPS, "that is the mean form: with a constant gradient its sigma "
         "stays |g|, so every step is exactly lr. The sum form's sigma grows like sqrt(t)"),
        (2 * SLOPE_LR * np.sqrt(SLOPE_STEPS), "2 * lr * sqrt(T) is the integral "
         "approximation of lr * sum(1/sqrt(k)); compute the sum itself"),
        (SLOPE_LR / np.sqrt(SLOPE_STEPS), "that is the size of the last step only, "
         "lr / sqrt(100); the question asks for the total distance"),
    ],
    hints=[
        "After k identical gradients g, sigma = sqrt(k * g**2) = |g| sqrt(k).",
        "So step k moves the parameter by lr * g / (|g| sqrt(k)) = lr / sqrt(k): the "
        "value of g does not matter.",
        "Add up lr / sqrt(k) for k = 1, ..., 100 (np.arange(1, 101)).",
    ])
