"""Checkers for the exercises of chapter 1: gradient descent and critical points.

* ``gd_path``: gradient descent written by hand, compared with :class:`lrcourse.SGD`.
* ``classify_critical_point``: minimum, maximum, saddle or degenerate, from a Hessian's
  eigenvalues.
* ``largest_stable_lr``: the stability limit ``2 / h_max`` of a quadratic ravine.
"""

import numpy as np

from ...numerics import problems
from ...numerics.optimizers import SGD
from ._core import AnswerChecker, FunctionChecker

# ----------------------------------------------------------------- gd_path


class _Gradient:
    """The gradient of ``problems.<factory>(**kwargs)``, named so in a checker's message.

    It pickles as the factory and its arguments, so a grader can send cases into a
    sandbox, and a deep copy is the same object (the problem is not the learner's to
    change).
    """

    def __init__(self, factory, **kwargs):
        self.factory, self.kwargs = factory, kwargs
        self.problem = getattr(problems, factory)(**kwargs)

    def __call__(self, theta):
        return self.problem.grad(theta)

    def __reduce__(self):
        return _gradient, (self.factory, self.kwargs)

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"<gradient of {self.problem.name}>"


def _gradient(factory, kwargs):
    return _Gradient(factory, **kwargs)


def _gd_path(theta0, grad, lr, steps):
    """Reference: ``steps`` updates of :class:`lrcourse.SGD`; rows are theta_0 .. theta_steps."""
    opt = SGD(lr=lr)
    theta = np.asarray(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta = opt.step(theta, grad(theta))
        path.append(theta)
    return np.array(path)


def _gd_path_cases(rng):
    ravine = _Gradient("ravine", condition=10.0)
    cases = [
        ("zero steps (the path is just the start)", (np.array([-10.0, 3.0]), ravine, 0.1, 0)),
        ("one step on the ravine", (np.array([-10.0, 3.0]), ravine, 0.1, 1)),
        ("five steps on the ravine", (np.array([-10.0, 3.0]), ravine, 0.1, 5)),
        ("ten steps near the saddle", (np.array([0.3, -0.2]), _Gradient("saddle"), 0.05, 10)),
        ("a 20-parameter problem", (np.zeros(20), _Gradient("sparse_regression"), 0.1, 3)),
    ]
    for i in range(15):
        gradient = _Gradient("ravine", condition=float(rng.uniform(2, 50)))
        start = rng.uniform(-5, 5, 2)
        lr = float(rng.uniform(0.01, 1.5) / gradient.problem.info["curvatures"][1])
        cases.append((f"random case {i}", (start, gradient, lr, int(rng.integers(2, 25)))))
    return cases


def _gd_path_wrong_sign(theta0, grad, lr, steps):
    path = [np.asarray(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] + lr * grad(path[-1]))
    return np.array(path)


def _gd_path_no_start(theta0, grad, lr, steps):
    return _gd_path(theta0, grad, lr, steps)[1:]


def _gd_path_one_extra(theta0, grad, lr, steps):
    return _gd_path(theta0, grad, lr, steps + 1)


def _gd_path_one_short(theta0, grad, lr, steps):
    return _gd_path(theta0, grad, lr, max(steps - 1, 0))


def _gd_path_stale_gradient(theta0, grad, lr, steps):
    g0 = grad(np.asarray(theta0, dtype=float))
    return np.array([theta0 - k * lr * g0 for k in range(steps + 1)])


def _gd_path_same_object(theta0, grad, lr, steps):
    final = _gd_path(theta0, grad, lr, steps)[-1]
    return np.array([final] * (steps + 1))


def _gd_path_final_only(theta0, grad, lr, steps):
    return _gd_path(theta0, grad, lr, steps)[-1]


gd_path = FunctionChecker(
    "gd_path", _gd_path, _gd_path_cases,
    title="Exercise 1.1 (gradient descent by hand)", chapter=1,
    mistakes=[
        (_gd_path_wrong_sign, "the step goes uphill: gradient descent subtracts "
                              "lr * grad (theta - lr * g), it does not add it"),
        (_gd_path_no_start, "the path should begin with theta0 itself, so it has "
                            "steps + 1 rows"),
        (_gd_path_one_extra, "one step too many: the path has steps + 1 rows, the first "
                             "being theta0, so the loop runs exactly `steps` times"),
        (_gd_path_one_short, "one step too few: the loop must run `steps` times "
                             "(range(steps)), giving steps + 1 rows with theta0"),
        (_gd_path_stale_gradient, "the gradient is computed once, at theta0; compute "
                                  "grad(theta) again at every new point"),
        (_gd_path_same_object, "every row is the final point: `theta -= ...` changes one "
                               "array in place, and every list entry refers to it; write "
                               "`theta = theta - lr * g` to make a new array each step"),
        (_gd_path_final_only, "only the final point was returned; return the whole path, "
                              "one row per point, shape (steps + 1, d)"),
    ],
    hints=["Start a list with theta0; append each new point; finish with np.array(list).",
           "One step is theta = theta - lr * grad(theta): a new array, the gradient "
           "taken at the current point.",
           "With steps = 0 the answer is an array with one row, theta0."])


# ----------------------------------------------------------------- classify_critical_point

LABELS = ("minimum", "maximum", "saddle", "degenerate")


def _classify(eigenvalues, tol):
    positive, negative = np.any(eigenvalues > tol), np.any(eigenvalues < -tol)
    if positive and negative:
        return "saddle"
    if np.all(eigenvalues > tol):
        return "minimum"
    if np.all(eigenvalues < -tol):
        return "maximum"
    return "degenerate"


def _classify_critical_point(hessian, tol=1e-8):
    """Reference: the signs of the Hessian's eigenvalues, |lambda| <= tol counting as 0."""
    return _classify(np.linalg.eigvalsh(np.asarray(hessian, dtype=float)), tol)


def _symmetric(rng, eigenvalues):
    q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues), len(eigenvalues))))
    return q @ np.diag(eigenvalues) @ q.T


def _classify_cases(rng):
    saddle = problems.saddle()
    cases = [
        ("the saddle's Hessian at the origin", (saddle.hessian(np.zeros(2)), 1e-8)),
        ("a positive diagonal with larger off-diagonal entries",
         (np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-8)),
        ("a 1x1 Hessian [[3]]", (np.array([[3.0]]), 1e-8)),
        ("a 1x1 Hessian [[-1]]", (np.array([[-1.0]]), 1e-8)),
        ("diag(2, -1e-12): a zero that came out slightly negative",
         (np.diag([2.0, -1e-12]), 1e-8)),
        ("the saddle's Hessian at (1, 1), on the valley of minima",
         (saddle.hessian(np.ones(2)), 1e-8)),
        ("a rotated diag(2, 0)", (_symmetric(rng, [2.0, 0.0]), 1e-8)),
        ("diag(1, -1, -1)", (np.diag([1.0, -1.0, -1.0]), 1e-8)),
        ("the zero matrix", (np.zeros((2, 2)), 1e-8)),
        ("diag(1, -1, 0): both signs decide, whatever the zero", (np.diag([1.0, -1.0, 0.0]),
                                                                   1e-8)),
        ("an eigenvalue of 1e-3 with tol = 1e-2", (np.diag([2.0, 1e-3]), 1e-2)),
        ("small but clear curvatures", (np.diag([-1.0, -1e-3]), 1e-8)),
    ]
    for i in range(25):
        n = int(rng.integers(2, 6))
        signs = rng.choice([-1.0, 0.0, 1.0], size=n, p=[0.4, 0.2, 0.4])
        if i % 5 == 0:  # a definite matrix now and then
            signs = np.full(n, 1.0 if i % 10 else -1.0)
        eigenvalues = signs * rng.uniform(0.1, 3.0, n)
        cases.append((f"random {n}x{n} case {i}", (_symmetric(rng, eigenvalues), 1e-8)))
    return cases


def _classify_by_diagonal(hessian, tol=1e-8):
    return _classify(np.diag(np.asarray(hessian, dtype=float)), tol)


def _classify_zero_as_positive(hessian, tol=1e-8):
    eigenvalues = np.linalg.eigvalsh(np.asarray(hessian, dtype=float))
    if np.all(eigenvalues >= -tol):
        return "minimum"
    if np.all(eigenvalues <= tol):
        return "maximum"
    return "saddle"


def _classify_without_tol(hessian, tol=1e-8):
    return _classify(np.linalg.eigvalsh(np.asarray(hessian, dtype=float)), 0.0)


def _classify_by_determinant(hessian, tol=1e-8):
    hessian = np.asarray(hessian, dtype=float)
    det, trace = np.linalg.det(hessian), np.trace(hessian)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "minimum" if trace > 0 else "maximum"


classify_critical_point = FunctionChecker(
    "classify_critical_point", _classify_critical_point, _classify_cases,
    title="Exercise 1.2 (classify a critical point)", chapter=1, choices=LABELS,
    mistakes=[
        (_classify_zero_as_positive, "a zero eigenvalue was counted as positive (or "
                                     "negative); with no eigenvalues of both signs, a zero "
                                     "one means the second-order test cannot decide: "
                                     "answer 'degenerate'"),
        (_classify_without_tol, "eigenvalues were compared with 0 instead of tol; a "
                                "computed zero is about 1e-16 with either sign, so treat "
                                "|lambda| <= tol as zero"),
        (_classify_by_diagonal, "the diagonal entries are not the curvatures: the "
                                "off-diagonal entries matter too. Use the eigenvalues "
                                "(np.linalg.eigvalsh)"),
        (_classify_by_determinant, "the determinant-and-trace rule holds for 2x2 matrices "
                                   "only; in more dimensions count the signs of all "
                                   "eigenvalues"),
    ],
    hints=["np.linalg.eigvalsh(hessian) gives the eigenvalues of a symmetric matrix.",
           "Decide 'saddle' first: one eigenvalue above tol and one below -tol.",
           "If no eigenvalue is negative but one is within tol of zero, the answer is "
           "'degenerate', not 'minimum'."])


# ----------------------------------------------------------------- largest_stable_lr

#: The ravine of exercise 1.3.
EXERCISE_RAVINE = {"condition": 40.0, "flat_curvature": 0.5}


def _curvatures():
    return problems.ravine(**EXERCISE_RAVINE).info["curvatures"]


largest_stable_lr = AnswerChecker(
    "largest_stable_lr", lambda: 2.0 / _curvatures().max(),
    title="Exercise 1.3 (the largest stable learning rate)", chapter=1, rtol=1e-3,
    learner_name="largest_stable_lr",
    mistakes=[
        (lambda: 1.0 / _curvatures().max(),
         "1 / h_max removes the steep error in one step (1 - lr * h = 0), but larger rates "
         "still converge while |1 - lr * h| < 1, that is up to 2 / h_max"),
        (lambda: 2.0 / _curvatures().min(),
         "2 / h_min is the limit of the flat direction; the steep direction diverges "
         "long before, at 2 / h_max"),
        (lambda: 1.0 / _curvatures().min(),
         "that uses the flat curvature h_min; the steep direction (h_max) sets the limit"),
    ],
    hints=["Along each axis, gradient descent multiplies the error by 1 - lr * h_i.",
           "The error shrinks when |1 - lr * h_i| < 1; which axis gives the tightest bound?",
           "The curvatures are the Hessian's eigenvalues: np.linalg.eigvalsh("
           "problem.hessian(problem.start))."])
