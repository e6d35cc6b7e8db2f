"""Checkers for the exercises of chapter 3 (RMSprop).

* ``rmsprop_step``: one RMSprop update with its squared-gradient average (exercise 3.1).
* ``rmsprop_fade_steps``: how many zero-gradient steps until sigma falls below a tenth
  of its value (exercise 3.2).
* ``rmsprop_adagrad_lr``: the Adagrad learning rate that RMSprop with alpha near 1
  imitates over a short run (exercise 3.3).

The references are computed with :class:`lrcourse.RMSprop`, not copied from the chapter.
"""

import numpy as np

from ...numerics.optimizers import RMSprop
from ._core import AnswerChecker, FunctionChecker


def _rmsprop_step(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    """Reference: one step of ``lrcourse.RMSprop`` started from the given average."""
    opt = RMSprop(lr=lr, alpha=alpha, eps=eps)
    opt.load_state_dict({"step": 0, "state": {"square_avg": square_avg}})
    new_theta = opt.step(theta, grad)
    return new_theta, opt.state_dict()["state"]["square_avg"]


def _rmsprop_cases(rng):
    def case(n, scale=1.0):
        theta = rng.normal(size=n)
        grad = scale * rng.normal(size=n)
        square_avg = rng.uniform(0.0, 2.0, size=n) * scale**2
        return theta, grad, square_avg

    edge = [
        ("a zero gradient and a zero average",
         (np.ones(3), np.zeros(3), np.zeros(3), 0.1, 0.9, 1e-8)),
        ("a large eps (0.5) next to small averages",
         (np.zeros(3), np.array([0.1, -0.2, 0.3]), np.array([0.01, 0.04, 0.0]),
          0.1, 0.9, 0.5)),
        ("the first step, from a zero average",
         (np.zeros(3), np.array([2.0, -0.5, 10.0]), np.zeros(3), 0.1, 0.9, 1e-8)),
        ("alpha = 0 (the average is just the last squared gradient)",
         (np.ones(2), np.array([3.0, -4.0]), np.array([1.0, 1.0]), 0.01, 0.0, 1e-8)),
        ("a gradient that suddenly grows after a small average",
         (np.zeros(2), np.array([5.0, -5.0]), np.array([1e-4, 1e-2]), 0.01, 0.99, 1e-8)),
    ]
    rand = []
    for i in range(20):
        n = int(rng.integers(1, 6))
        theta, grad, square_avg = case(n, scale=10.0 ** rng.uniform(-2, 1))
        lr = float(10.0 ** rng.uniform(-3, 0))
        alpha = float(rng.choice([0.8, 0.9, 0.95, 0.99, 0.999]))
        eps = float(10.0 ** rng.uniform(-8, -1))
        rand.append((f"random case {i + 1}", (theta, grad, square_avg, lr, alpha, eps)))
    return edge + rand


def _eps_inside(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / np.sqrt(v + eps), v


def _no_eps(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return theta - lr * grad / np.sqrt(v), v


def _alpha_swapped(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = (1 - alpha) * square_avg + alpha * grad**2
    return theta - lr * grad / (np.sqrt(v) + eps), v


def _old_average(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / (np.sqrt(square_avg) + eps), v


def _adagrad_sum(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = square_avg + grad**2
    return theta - lr * grad / (np.sqrt(v) + eps), v


def _not_squared(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad
    with np.errstate(invalid="ignore"):  # the root of a negative average is nan
        return theta - lr * grad / (np.sqrt(v) + eps), v


def _plus_sign(theta, grad, square_avg, lr=0.01, alpha=0.99, eps=1e-8):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta + lr * grad / (np.sqrt(v) + eps), v


rmsprop_step = FunctionChecker(
    "rmsprop_step", _rmsprop_step, _rmsprop_cases,
    title="Exercise 3.1 (RMSprop's update)", chapter=3,
    outputs=("new_theta", "new_square_avg"),
    mistakes=[
        (_eps_inside, "eps is inside the square root; PyTorch adds it outside: "
                      "sqrt(square_avg) + eps"),
        (_no_eps, "eps is missing: divide by np.sqrt(square_avg) + eps, so that a zero "
                  "average does not give 0 / 0"),
        (_alpha_swapped, "alpha and 1 - alpha are swapped: the old average keeps the weight "
                         "alpha and the new squared gradient gets 1 - alpha"),
        (_old_average, "the step divides by the average from before this step; update "
                       "square_avg with the new gradient first, then divide by its root"),
        (_adagrad_sum, "this is Adagrad's sum (square_avg + grad**2), not RMSprop's moving "
                       "average alpha * square_avg + (1 - alpha) * grad**2"),
        (_not_squared, "the gradient is not squared in the average: use grad**2"),
        (_plus_sign, "the step goes uphill: subtract lr * grad / sigma from theta"),
    ],
    hints=[
        "First update the average: square_avg = alpha * square_avg + (1 - alpha) * grad**2.",
        "Then divide by its root plus eps, with eps outside the root: "
        "np.sqrt(square_avg) + eps.",
        "Return a pair: (new_theta, new_square_avg).",
    ])


def _fade_steps(alpha=0.9, warmup=400):
    """Steps of zero gradient until sigma < sigma_before / 10, counted with lrcourse."""
    opt = RMSprop(lr=0.0, alpha=alpha)
    theta, one = np.zeros(1), np.ones(1)
    for _ in range(warmup):  # a long run of gradient 1: square_avg settles at 1
        theta = opt.step(theta, one)
    before = opt.last["scale"][0]
    for k in range(1, 10 * warmup):
        theta = opt.step(theta, 0 * one)
        if opt.last["scale"][0] < before / 10:
            return k
    raise RuntimeError("sigma did not fall below a tenth")


rmsprop_fade_steps = AnswerChecker(
    "rmsprop_fade_steps", _fade_steps,
    title="Exercise 3.2 (how fast RMSprop forgets)", chapter=3,
    learner_name="steps_until_tenth",
    mistakes=[
        (43, "off by one: sigma must be *below* a tenth, so round the solution of "
             "alpha**(k/2) = 1/10 up, not down"),
        (22, "this is when v (the average of squares) falls below a tenth; sigma is its "
             "square root, so it needs alpha**(k/2) < 1/10"),
        (21, "this is when v (the average of squares) falls below a tenth, rounded down; "
             "sigma is its square root, so it needs alpha**(k/2) < 1/10"),
        (10, "1 / (1 - alpha) is the memory's typical length, not the time to fall "
             "by a factor of ten; solve alpha**(k/2) < 1/10"),
        (45, "off by one: k = 44 already gives alpha**(k/2) < 1/10"),
    ],
    hints=[
        "With zero gradients, each step multiplies v by alpha: v_k = alpha**k * v_0.",
        "sigma is the square root of v (eps is negligible here), so sigma_k = alpha**(k/2) "
        "* sigma_0.",
        "Solve alpha**(k/2) < 1/10 for the smallest whole k: np.log helps.",
    ])


def _adagrad_lr(lr=0.1, alpha=0.999):
    """The Adagrad learning rate that RMSprop(lr, alpha) imitates over a short run."""
    return lr / np.sqrt(1 - alpha)


rmsprop_adagrad_lr = AnswerChecker(
    "rmsprop_adagrad_lr", _adagrad_lr,
    title="Exercise 3.3 (RMSprop near alpha = 1)", chapter=3, rtol=5e-3,
    learner_name="adagrad_lr",
    mistakes=[
        (lambda: 0.1 / (1 - 0.999), "the square root is missing: v_t is about (1 - alpha) "
                                    "times Adagrad's sum, and sigma is the root of v_t"),
        (lambda: 0.1 * np.sqrt(1 - 0.999), "upside down: sigma_t is about sqrt(1 - alpha) "
                                           "times Adagrad's sigma, so eta is *divided* by it"),
        (0.1, "the same eta would give the same steps only if v_t equalled Adagrad's sum; "
              "it is (1 - alpha) times that sum"),
    ],
    hints=[
        "Over a run much shorter than 1/(1 - alpha) steps, alpha**k is about 1 for every "
        "gradient seen so far.",
        "Then v_t is about (1 - alpha) * sum of g**2, so sigma_t is about "
        "sqrt(1 - alpha) * sqrt(sum of g**2).",
        "Write eta / sigma_t as (something) / sqrt(sum of g**2): the something is "
        "Adagrad's learning rate.",
    ])
