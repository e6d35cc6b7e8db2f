r"""Loss surfaces and small models with analytic gradients.

Every problem takes parameters of shape ``(..., d)``: a single point ``(d,)``, or a
batch of points ``(B, d)`` evaluated at once (a sweep, a contour grid). Each knows its
minimum (``minimum``, ``min_loss``) and, when it is 2-D, a plotting window
(``xlim``, ``ylim``) and its Hessian.

=======================  =====================================================  =======
problem                  what it shows                                          chapter
=======================  =====================================================  =======
``ravine(condition)``    one learning rate cannot suit a steep and a flat axis   1, 2
``saddle()``             a saddle point, ``L = (1 - w1 w2)^2``                   1
``rosenbrock()``         a curved valley                                         tests, 6
``shifting_slope()``     curvature that changes along the path                  3
``linear_regression()``  the lecture notes' 100 points, y = 4 + 3x + noise       4, 5
``sparse_regression()``  rare features that plain SGD barely updates             2
``digits_softmax()``     a real-data model: scikit-learn's bundled digits        5, 6
``curved_ravine()``      a bending valley: the mean-form Adagrad bursts late    5
=======================  =====================================================  =======
"""

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _validate as validate


@dataclass
class Problem:
    """A differentiable loss.

    ``loss(x)`` returns shape ``x.shape[:-1]``; ``grad(x)`` returns ``x.shape``.
    Problems built on data (``n_samples > 0``) also accept ``idx``, an array of sample
    indices, to evaluate a mini-batch: ``loss(x, idx)``, ``grad(x, idx)``. ``minimum``
    may be given as a function of the problem, run the first time it is read.
    """

    name: str
    dim: int
    loss_fn: object = field(repr=False)
    grad_fn: object = field(repr=False)
    minimum: np.ndarray = field(repr=False)
    hessian_fn: object = field(default=None, repr=False)
    xlim: tuple = None
    ylim: tuple = None
    start: np.ndarray = field(default=None, repr=False)
    n_samples: int = 0
    info: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if callable(self.minimum):  # a solver: run it on first use of ``minimum``
            self.__dict__["_solve"] = self.__dict__.pop("minimum")

    def __getattr__(self, name):
        solve = self.__dict__.get("_solve")
        if name == "minimum" and solve is not None:
            self.minimum = solve(self)
            del self.__dict__["_solve"]
            return self.minimum
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _point(self, x):
        x = np.asarray(x, dtype=float)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(
                f"{self.name}: parameters must have last dimension {self.dim}, "
                f"got shape {x.shape}")
        return x

    def _args(self, idx):
        if idx is None:
            return ()
        if not self.n_samples:
            raise ValueError(f"{self.name} has no data: idx must be None")
        return (np.asarray(idx),)

    def loss(self, x, idx=None):
        return self.loss_fn(self._point(x), *self._args(idx))

    def grad(self, x, idx=None):
        return self.grad_fn(self._point(x), *self._args(idx))

    def hessian(self, x):
        if self.hessian_fn is None:
            raise ValueError(f"{self.name} has no analytic Hessian")
        return self.hessian_fn(self._point(x))

    @property
    def min_loss(self):
        return float(self.loss(self.minimum))

    def grid(self, n=200):
        """Loss on an ``n x n`` grid over the plotting window (no Python loops).

        Returns ``(W1, W2, L)``, each of shape ``(n, n)``, ready for ``contour``.
        """
        if self.dim != 2 or self.xlim is None:
            raise ValueError(f"{self.name} is not a 2-D problem with a plotting window")
        w1, w2 = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return w1, w2, self.loss(np.stack([w1, w2], axis=-1))


def _stack(*parts):
    return np.stack(np.broadcast_arrays(*parts), axis=-1)


def ravine(condition=20.0, flat_curvature=0.1):
    r"""An axis-aligned quadratic ravine with a chosen condition number.

    .. math::

        L(w) = \tfrac12 \left(h_1 w_1^2 + h_2 w_2^2\right), \qquad
        h_1 = \text{flat\_curvature}, \quad h_2 = \text{condition} \cdot h_1

    Gradient descent is stable only for ``lr < 2 / h2``; along ``w1`` it then shrinks
    the error by ``1 - lr * h1`` per step, slower the larger the condition number.
    """
    validate.at_least(condition, 1.0, "condition")
    validate.positive(flat_curvature, "flat_curvature")
    h = np.array([flat_curvature, condition * flat_curvature])
    return Problem(
        name=f"ravine (condition {condition:g})", dim=2,
        loss_fn=lambda x: 0.5 * (x * x) @ h,
        grad_fn=lambda x: x * h,
        hessian_fn=lambda x: np.broadcast_to(np.diag(h), x.shape[:-1] + (2, 2)).copy(),
        minimum=np.zeros(2), xlim=(-11.0, 11.0), ylim=(-4.0, 4.0),
        start=np.array([-10.0, 3.0]), info={"curvatures": h})


def saddle():
    r"""The lecture's one-neuron network with no bias: :math:`L(w) = (1 - w_1 w_2)^2`.

    The origin is a saddle point (Hessian eigenvalues -2 and +2); every point of the
    hyperbola :math:`w_1 w_2 = 1` is a global minimum.
    """

    def loss(x):
        return (1 - x[..., 0] * x[..., 1]) ** 2

    def grad(x):
        r = 1 - x[..., 0] * x[..., 1]
        return _stack(-2 * r * x[..., 1], -2 * r * x[..., 0])

    def hessian(x):
        w1, w2 = x[..., 0], x[..., 1]
        off = 4 * w1 * w2 - 2
        return np.stack([_stack(2 * w2**2, off), _stack(off, 2 * w1**2)], axis=-2)

    return Problem(name="saddle", dim=2, loss_fn=loss, grad_fn=grad, hessian_fn=hessian,
                   minimum=np.array([1.0, 1.0]), xlim=(-2.0, 2.0), ylim=(-2.0, 2.0),
                   start=np.array([-0.5, 0.4]))


def rosenbrock(a=1.0, b=100.0):
    r"""Rosenbrock's valley: :math:`L(w) = (a - w_1)^2 + b (w_2 - w_1^2)^2`.

    A narrow curved valley with its minimum at ``(a, a^2)``; the convergence tests use it.
    """

    def loss(x):
        return (a - x[..., 0]) ** 2 + b * (x[..., 1] - x[..., 0] ** 2) ** 2

    def grad(x):
        w1, w2 = x[..., 0], x[..., 1]
        return _stack(-2 * (a - w1) - 4 * b * w1 * (w2 - w1**2), 2 * b * (w2 - w1**2))

    def hessian(x):
        w1, w2 = x[..., 0], x[..., 1]
        off = -4 * b * w1
        return np.stack([_stack(2 - 4 * b * (w2 - w1**2) + 8 * b * w1**2, off),
                         _stack(off, 2 * b + 0 * w1)], axis=-2)

    return Problem(name="Rosenbrock", dim=2, loss_fn=loss, grad_fn=grad, hessian_fn=hessian,
                   minimum=np.array([a, a * a]), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0),
                   start=np.array([-1.5, 2.0]))


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def shifting_slope(steep=20.0, sharpness=2.0, gentle=0.1, target=6.0):
    r"""A surface whose slope changes along the path: a steep wall, then a gentle floor.

    .. math::

        L(w) = \frac{s}{k}\,\mathrm{softplus}(-k w_1)
               + \frac{c}{2}(w_1 - a)^2 + \frac{1}{2} w_2^2

    For :math:`w_1 < 0` the gradient along :math:`w_1` is about :math:`-s` (steep);
    past :math:`w_1 = 0` it is only :math:`c\,(w_1 - a)` (gentle). An optimizer that
    remembers the steep part for ever (Adagrad) crawls on the floor; one that forgets
    (RMSprop) speeds up again.
    """
    validate.positive(steep, "steep")
    validate.positive(sharpness, "sharpness")
    validate.positive(gentle, "gentle")

    def loss(x):
        w1, w2 = x[..., 0], x[..., 1]
        wall = steep / sharpness * _softplus(-sharpness * w1)
        return wall + 0.5 * gentle * (w1 - target) ** 2 + 0.5 * w2**2

    def grad(x):
        w1, w2 = x[..., 0], x[..., 1]
        return _stack(-steep * _sigmoid(-sharpness * w1) + gentle * (w1 - target), w2)

    def hessian(x):
        w1 = x[..., 0]
        s = _sigmoid(-sharpness * w1)
        d11 = steep * sharpness * s * (1 - s) + gentle
        return np.stack([_stack(d11, 0 * w1), _stack(0 * w1, 1 + 0 * w1)], axis=-2)

    w1 = target
    for _ in range(50):  # Newton's method for the exact minimum along w1
        w1 -= grad(np.array([w1, 0.0]))[0] / hessian(np.array([w1, 0.0]))[0, 0]
    return Problem(name="shifting slope", dim=2, loss_fn=loss, grad_fn=grad,
                   hessian_fn=hessian, minimum=np.array([w1, 0.0]), xlim=(-4.0, 8.0),
                   ylim=(-3.0, 3.0), start=np.array([-3.0, 2.0]))


def _least_squares_problem(name, X, y, start, xlim=None, ylim=None, info=None):
    r"""Mean squared error of a linear model ``X @ theta`` on data, with mini-batches.

    On the full data the loss is evaluated in its quadratic form around the minimum,
    :math:`L(\theta) = (\theta - \theta^*)^\top A (\theta - \theta^*) + L^*` with
    :math:`A = X^\top X / n`: exact for least squares, free of cancellation near the
    minimum, and independent of ``n``, so a 200 x 200 contour grid costs microseconds
    per point. Mini-batches (``idx``) use the residuals directly.
    """
    n, d = X.shape
    A = X.T @ X / n
    minimum = np.linalg.lstsq(X, y, rcond=None)[0]
    r_min = X @ minimum - y
    min_loss = float(np.mean(r_min * r_min))

    def loss(theta, idx=None):
        if idx is None:
            e = theta - minimum
            return np.einsum("...i,...i->...", e @ A, e) + min_loss
        r = theta @ X[idx].T - y[idx]
        return np.mean(r * r, axis=-1)

    def grad(theta, idx=None):
        if idx is None:
            return 2.0 * (theta - minimum) @ A
        Xi = X[idx]
        r = theta @ Xi.T - y[idx]
        return 2.0 / Xi.shape[0] * r @ Xi

    def hessian(theta):
        return np.broadcast_to(2.0 * A, theta.shape[:-1] + (d, d)).copy()

    return Problem(name=name, dim=d, loss_fn=loss, grad_fn=grad, hessian_fn=hessian,
                   minimum=minimum, xlim=xlim, ylim=ylim, start=start, n_samples=n,
                   info={"X": X, "y": y, **(info or {})})


def linear_regression(n=100, seed=0):
    r"""The lecture notes' data: ``x ~ U(0, 2)``, ``y = 4 + 3 x + N(0, 1)``, seeded.

    Parameters are ``theta = (bias, weight)``; the loss is the mean squared error
    :math:`L(\theta) = \frac1n \lVert X\theta - y\rVert^2` with ``X = [1, x]``. With
    the defaults the data are exactly those of ``np.random.seed(0)`` followed by
    ``2 * rand(100, 1)`` and ``randn(100, 1)``, the start is the notes' ``randn(2, 1)``
    drawn next, and the minimum is the least-squares solution.
    """
    validate.positive_int(n, "n")
    rng = np.random.RandomState(seed)
    x = 2 * rng.rand(n, 1)
    y = 4 + 3 * x + rng.randn(n, 1)
    X = np.c_[np.ones((n, 1)), x]
    start = rng.randn(2)  # the notes' starting point: the next draws of the same stream
    return _least_squares_problem("linear regression", X, y[:, 0], start=start,
                                  xlim=(-1.0, 10.0), ylim=(-2.0, 5.0), info={"x": x[:, 0]})


def sparse_regression(n=500, dim=20, frequent=2, rare_prob=0.02, seed=0):
    r"""A linear model where most features are rarely non-zero.

    The first ``frequent`` features are present in every sample; each other feature is
    non-zero in about ``rare_prob`` of the samples. True weights are all 1, and the
    targets are noise-free, so the minimum is ``theta = 1`` with loss 0. Plain SGD
    updates a rare weight only on the few samples that contain it; Adagrad's scale,
    small for those weights, gives them large steps (chapter 2).
    """
    validate.positive_int(n, "n")
    validate.positive_int(dim, "dim")
    validate.in_range(rare_prob, 0.0, 1.0, "rare_prob", low_open=True)
    rng = np.random.default_rng(seed)
    X = (rng.random((n, dim)) < rare_prob) * rng.uniform(0.5, 1.5, (n, dim))
    X[:, :frequent] = rng.uniform(0.5, 1.5, (n, frequent))
    truth = np.ones(dim)
    return _least_squares_problem("sparse regression", X, X @ truth, start=np.zeros(dim),
                                  info={"truth": truth, "frequent": frequent})


def digits_softmax(l2=1e-3, test_fraction=0.25, seed=0):
    r"""Multinomial logistic regression on scikit-learn's bundled 8x8 digits (1797 images).

    Parameters are the flattened ``(64 + 1) x 10`` weight matrix (with bias row), so
    ``dim = 650``. The loss is the mean cross-entropy on the training split plus
    :math:`\frac{\lambda}{2}\lVert W\rVert^2`; ``info`` holds the test split and an
    ``accuracy(theta, split)`` function. The data ship inside scikit-learn: nothing is
    downloaded. The minimum is not known in closed form; ``minimum`` is a long,
    accurate L-BFGS solution computed on first use.
    """
    images, labels = _bundled_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = order[:n_test], order[n_test:]
    X_all = np.c_[images / 16.0, np.ones(len(labels))]
    Y_all = np.eye(10)[labels]
    X, Y = X_all[train], Y_all[train]
    k, c = X.shape[1], 10

    def logits(theta, Xi):
        return Xi @ theta.reshape(theta.shape[:-1] + (k, c))

    def loss(theta, idx=slice(None)):
        z = logits(theta, X[idx])
        z = z - z.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return -np.mean(np.sum(Y[idx] * logp, axis=-1), axis=-1) + 0.5 * l2 * np.sum(
            theta * theta, axis=-1)

    def grad(theta, idx=slice(None)):
        Xi = X[idx]
        z = logits(theta, Xi)
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        g = np.swapaxes(Xi, -1, -2) @ (p - Y[idx]) / Xi.shape[0]
        return g.reshape(theta.shape) + l2 * theta

    def accuracy(theta, split="test"):
        rows = test if split == "test" else train
        pred = np.argmax(logits(np.asarray(theta), X_all[rows]), axis=-1)
        return np.mean(pred == labels[rows], axis=-1)

    return Problem(name="digits softmax", dim=k * c, loss_fn=loss, grad_fn=grad,
                   minimum=_minimize, start=np.zeros(k * c), n_samples=len(train),
                   info={"accuracy": accuracy, "l2": l2})


def _bundled_digits():
    """scikit-learn's 8x8 digits, read from the file it ships (no sklearn import, no download)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("digits_softmax needs scikit-learn installed (it ships the data)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")
    return data[:, :-1], data[:, -1].astype(int)


def _minimize(problem):
    from scipy.optimize import minimize

    res = minimize(problem.loss, problem.start, jac=problem.grad, method="L-BFGS-B",
                   options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15})
    return res.x


def curved_ravine(flat_curvature=0.2, steep_curvature=10.0, amplitude=1.0, wavenumber=0.15):
    r"""A ravine whose floor bends: a flat direction along a curved, steep-walled valley.

    .. math::

        L(w) = \tfrac12 h_1 w_1^2 + \tfrac12 h_2 \bigl(w_2 - a \sin(k w_1)\bigr)^2,
        \qquad h_1 = \text{flat\_curvature},\ h_2 = \text{steep\_curvature}

    The valley floor is the curve :math:`w_2 = a \sin(k w_1)`, not parallel to an axis
    (as the valleys of real loss surfaces are not); the minimum is the origin, with loss
    0. Across the valley the curvature is :math:`\partial^2 L / \partial w_2^2 = h_2`
    everywhere, so a step of :math:`\eta_t / \sigma_t > 2 / h_2` along :math:`w_2` is
    unstable (up to a correction of order :math:`(ak)^2` from the tilt of the floor).
    Chapter 5 uses it for the late-training bursts of the lecture's mean-form Adagrad,
    whose step grows past :math:`2/h_2` once the path has reached the floor, and for
    how a decaying schedule prevents them.
    """
    validate.positive(flat_curvature, "flat_curvature")
    validate.positive(steep_curvature, "steep_curvature")
    validate.at_least(amplitude, 0.0, "amplitude")
    validate.positive(wavenumber, "wavenumber")
    h1, h2, a, k = flat_curvature, steep_curvature, amplitude, wavenumber

    def loss(x):
        w1, w2 = x[..., 0], x[..., 1]
        return 0.5 * h1 * w1**2 + 0.5 * h2 * (w2 - a * np.sin(k * w1)) ** 2

    def grad(x):
        w1, w2 = x[..., 0], x[..., 1]
        r = w2 - a * np.sin(k * w1)
        return _stack(h1 * w1 - h2 * r * a * k * np.cos(k * w1), h2 * r)

    def hessian(x):
        w1, w2 = x[..., 0], x[..., 1]
        r = w2 - a * np.sin(k * w1)
        slope = a * k * np.cos(k * w1)
        d11 = h1 + h2 * slope**2 + h2 * r * a * k * k * np.sin(k * w1)
        return np.stack([_stack(d11, -h2 * slope), _stack(-h2 * slope, h2 + 0 * w1)], axis=-2)

    return Problem(name="curved ravine", dim=2, loss_fn=loss, grad_fn=grad,
                   hessian_fn=hessian, minimum=np.zeros(2), xlim=(-12.0, 2.0),
                   ylim=(-1.5, 1.5), start=np.array([-10.0, -0.5]),
                   info={"curvatures": np.array([h1, h2]), "amplitude": a,
                         "wavenumber": k})
