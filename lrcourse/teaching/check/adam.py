"""Checkers for the exercises of chapter 4 (Adam).

* ``adam_first_move``: how far Adam's first step moves each parameter (an answer).
* ``adam_step``: one Adam update with explicit state (a function).
* ``adamw_step``: one AdamW update, decoupled weight decay (a function).

The references call :class:`lrcourse.Adam` and :class:`lrcourse.AdamW` after putting
them in the state the learner's function receives, so they are independent of the
chapter's own code.
"""

import numpy as np

import lrcourse

from ._core import AnswerChecker, FunctionChecker

# ------------------------------------------------------------- references


def _primed(opt, m, v, t):
    """``opt`` in the state it has after ``t - 1`` steps that left averages ``m`` and ``v``."""
    opt.load_state_dict({"step": t - 1, "state": {"exp_avg": m, "exp_avg_sq": v}})
    return opt


def _take_step(opt, theta, grad, m, v, t):
    new = _primed(opt, m, v, t).step(theta, grad)
    state = opt.state_dict()["state"]
    return new, state["exp_avg"], state["exp_avg_sq"]


def _adam_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    opt = lrcourse.Adam(lr=lr, betas=(beta1, beta2), eps=eps)
    return _take_step(opt, theta, grad, m, v, t)


def _adamw_step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                weight_decay=1e-2):
    opt = lrcourse.AdamW(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    return _take_step(opt, theta, grad, m, v, t)


# ------------------------------------------------------- known wrong answers


def _wrong_adam(*, correct_m=True, correct_v=True, eps_inside=False, shift=0, square=True,
                swap=False, return_hat=False, no_eps=False):
    """An Adam step with one known mistake switched on."""

    def step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if swap:
            beta1, beta2 = beta2, beta1
        with np.errstate(all="ignore"):
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * (grad * grad if square else grad)
            k = t + shift
            m_hat = m / (1 - beta1**k) if correct_m else m
            v_hat = v / (1 - beta2**k) if correct_v else v
            sigma = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps * (not no_eps)
            theta = theta - lr * m_hat / sigma
        return (theta, m_hat, v_hat) if return_hat else (theta, m, v)

    return step


_ADAM_MISTAKES = [
    (_wrong_adam(correct_m=False, correct_v=False),
     "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) before "
     "using them; without it the first steps are several times too long"),
    (_wrong_adam(correct_m=False),
     "only v is bias-corrected; m needs its own correction, m / (1 - beta1**t)"),
    (_wrong_adam(correct_v=False),
     "only m is bias-corrected; v needs its own correction, v / (1 - beta2**t)"),
    (_wrong_adam(eps_inside=True),
     "eps is inside the square root; PyTorch (and lrcourse) add it after the root: "
     "sqrt(v_hat) + eps"),
    (_wrong_adam(no_eps=True),
     "eps is missing: divide by sqrt(v_hat) + eps; without it a tiny or zero gradient "
     "gives a step of full size lr, or 0 / 0"),
    (_wrong_adam(shift=-1),
     "off by one in the step count: the corrections use t itself (t = 1 on the first "
     "step), not t - 1"),
    (_wrong_adam(shift=1),
     "off by one in the step count: t is already the number of this step (1 on the "
     "first step); use beta**t, not beta**(t + 1)"),
    (_wrong_adam(square=False),
     "the second average must track the squared gradient: (1 - beta2) * grad**2"),
    (_wrong_adam(swap=True),
     "beta1 and beta2 are swapped: beta1 (0.9) averages the gradients, beta2 (0.999) "
     "their squares"),
    (_wrong_adam(return_hat=True),
     "return the raw averages m and v as the new state, not the bias-corrected ones; "
     "the corrections are recomputed from t at every step"),
    (lambda theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: (
        2 * theta - _adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)[0],
        *_adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)[1:]),
     "wrong sign: the step goes against the averaged gradient, theta - lr * m_hat / sigma"),
]


def _wrong_adamw(kind):
    """An AdamW step with one known mistake in the weight decay."""

    def step(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
             weight_decay=1e-2):
        theta = np.asarray(theta, dtype=float)
        if kind == "l2":
            return _adam_step(theta, grad + weight_decay * theta, m, v, t, lr, beta1, beta2,
                              eps)
        if kind == "none":
            return _adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)
        if kind == "no_eps":
            return _wrong_adam(no_eps=True)(theta * (1 - lr * weight_decay), grad, m, v, t,
                                            lr, beta1, beta2, eps)
        if kind == "after":
            new, m, v = _adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps)
            return new * (1 - lr * weight_decay), m, v
        factor = {"no_lr": 1 - weight_decay, "sign": 1 + lr * weight_decay}[kind]
        return _adam_step(theta * factor, grad, m, v, t, lr, beta1, beta2, eps)

    return step


_ADAMW_MISTAKES = [
    (_wrong_adamw("l2"),
     "weight_decay * theta was added to the gradient: that is Adam's L2 penalty, which "
     "the scale sigma then divides. AdamW shrinks the weights directly: "
     "theta * (1 - lr * weight_decay)"),
    (_wrong_adamw("none"),
     "the weight decay is missing: this is a plain Adam step"),
    (_wrong_adamw("no_lr"),
     "the decay factor is 1 - lr * weight_decay (PyTorch's AdamW scales the decay by the "
     "learning rate), not 1 - weight_decay"),
    (_wrong_adamw("no_eps"),
     "eps is missing: divide by sqrt(v_hat) + eps; without it a zero gradient gives "
     "0 / 0"),
    (_wrong_adamw("after"),
     "the decay is applied after the Adam step; PyTorch's AdamW shrinks theta first, "
     "then takes the Adam step"),
    (_wrong_adamw("sign"),
     "the weights grow instead of shrinking: multiply by 1 - lr * weight_decay"),
]


# ------------------------------------------------------------------- inputs


def _random_state(rng, size, t):
    """Averages that a real run could have reached after ``t - 1`` steps."""
    if t == 1:
        return np.zeros(size), np.zeros(size)
    scale = 10.0 ** rng.uniform(-3, 1, size)
    m = rng.normal(0, 1, size) * scale
    v = (np.abs(rng.normal(0, 1, size)) + 0.5) * scale**2
    return m, v


def _zeros():
    """A fresh zero vector: no two arguments may share an array (a learner may update
    m and v in place)."""
    return np.zeros(3)


def _adam_cases(rng):
    cases = [
        ("the first step (t = 1, m = v = 0)",
         (np.array([0.5, -1.0, 2.0]), np.array([0.3, -2.0, 0.01]), _zeros(), _zeros(), 1,
          0.1, 0.9, 0.999, 1e-8)),
        ("a later step (t = 5) with existing averages",
         (np.array([0.5, -1.0, 2.0]), np.array([0.3, -2.0, 0.01]),
          np.array([0.2, -1.0, 0.05]), np.array([0.05, 3.0, 0.01]), 5,
          0.1, 0.9, 0.999, 1e-8)),
        ("tiny gradients (1e-6), where eps matters",
         (np.array([1.0, -1.0, 0.0]), np.array([1e-6, -2e-6, 5e-7]), _zeros(), _zeros(), 1,
          0.01, 0.9, 0.999, 1e-8)),
        ("a zero gradient at step 3 (momentum keeps moving)",
         (np.array([1.0, 2.0, 3.0]), _zeros(), np.array([0.1, -0.2, 0.3]),
          np.array([0.02, 0.05, 0.1]), 3, 0.01, 0.9, 0.999, 1e-8)),
        ("step 1000, where the corrections are close to 1",
         (np.array([1.0, 2.0, 3.0]), np.array([0.5, -0.5, 1.0]),
          np.array([0.4, -0.4, 0.9]), np.array([0.3, 0.3, 0.8]), 1000,
          1e-3, 0.9, 0.999, 1e-8)),
    ]
    for i in range(20):
        size = int(rng.integers(1, 6))
        t = int(rng.choice([1, 2, 3, int(rng.integers(4, 300))]))
        m, v = _random_state(rng, size, t)
        grad = rng.normal(0, 1, size) * 10.0 ** rng.uniform(-4, 2, size)
        args = (rng.normal(0, 2, size), grad, m, v, t, float(10.0 ** rng.uniform(-4, -0.5)),
                float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999)),
                float(rng.choice([1e-8, 1e-6, 1e-3])))
        cases.append((f"random case {i + 1}", args))
    return cases


def _adamw_cases(rng):
    theta = np.array([2.0, -1.0, 0.5])
    cases = [
        ("a zero gradient at t = 1 (only the decay acts)",
         (theta, _zeros(), _zeros(), _zeros(), 1, 0.1, 0.9, 0.999, 1e-8, 0.5)),
        ("the first step with a gradient",
         (theta, np.array([0.3, -2.0, 0.01]), _zeros(), _zeros(), 1,
          0.1, 0.9, 0.999, 1e-8, 0.5)),
        ("weight_decay = 0 (AdamW is then Adam)",
         (theta, np.array([0.3, -2.0, 0.01]), _zeros(), _zeros(), 1,
          0.1, 0.9, 0.999, 1e-8, 0.0)),
        ("a later step (t = 7) with existing averages",
         (theta, np.array([1.0, -0.5, 0.2]), np.array([0.5, -0.2, 0.1]),
          np.array([1.0, 0.3, 0.05]), 7, 0.05, 0.9, 0.999, 1e-8, 0.1)),
    ]
    for i in range(20):
        size = int(rng.integers(1, 6))
        t = int(rng.choice([1, 2, int(rng.integers(3, 300))]))
        m, v = _random_state(rng, size, t)
        grad = rng.normal(0, 1, size) * 10.0 ** rng.uniform(-3, 1, size)
        args = (rng.normal(0, 2, size), grad, m, v, t, float(10.0 ** rng.uniform(-3, -0.5)),
                float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999)), 1e-8,
                float(rng.uniform(0.01, 0.5)))
        cases.append((f"random case {i + 1}", args))
    return cases


# ----------------------------------------------------------------- checkers


def _first_moves(**adam_kwargs):
    """|theta_1 - theta_0| of Adam(lr=0.05) on the linear regression from the seed's start."""
    problem = lrcourse.problems.linear_regression()
    trajectory = lrcourse.run(lrcourse.Adam(lr=0.05, **adam_kwargs), problem, steps=1)
    return np.abs(trajectory.params[1] - trajectory.params[0])


def _gradient_descent_moves():
    problem = lrcourse.problems.linear_regression()
    return 0.05 * np.abs(problem.grad(problem.start))


adam_first_move = AnswerChecker(
    "adam_first_move", lambda: _first_moves(), title="Exercise 4.1 (Adam's first step)",
    chapter=4, learner_name="first_move",
    mistakes=[
        (0.05, "right size, but give one distance per parameter, as an array of two "
               "numbers (bias, weight)"),
        (_gradient_descent_moves,
         "that is gradient descent's first step, lr * |g|. Adam divides the (corrected) "
         "average by sigma_1, which on the first step is |g_1| + eps"),
        (lambda: _first_moves(bias_correction=False),
         "that is the step without bias correction, lr * (1 - beta1) / sqrt(1 - beta2), "
         "about 3.16 * lr"),
        (np.array([0.005, 0.005]),
         "only v was bias-corrected; the first average m_1 = (1 - beta1) g_1 needs its "
         "own correction too"),
    ],
    hints=["On the first step, what are the bias-corrected averages m_hat_1 and v_hat_1 "
           "in terms of g_1?",
           "m_hat_1 / sqrt(v_hat_1) = g_1 / |g_1|: the size of the gradient cancels."],
    rtol=0.02)  # a prediction: rounded values (0.05, 0.158) count


adam_step = FunctionChecker(
    "adam_step", _adam_step, _adam_cases, title="Exercise 4.2 (Adam's update)", chapter=4,
    outputs=("new_theta", "m", "v"), mistakes=_ADAM_MISTAKES,
    hints=["Update the two averages first, then correct copies of them with t, then step.",
           "m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t), and the step is "
           "lr * m_hat / (sqrt(v_hat) + eps).",
           "Return the new theta and the raw (uncorrected) m and v."])


adamw_step = FunctionChecker(
    "adamw_step", _adamw_step, _adamw_cases, title="Exercise 4.3 (AdamW's update)",
    chapter=4, outputs=("new_theta", "m", "v"), mistakes=_ADAMW_MISTAKES,
    hints=["AdamW changes one thing: the weights shrink before the Adam step, and the "
           "gradient stays as it is.",
           "theta = theta * (1 - lr * weight_decay), then an ordinary Adam step."])
