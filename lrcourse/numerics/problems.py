r"""Loss surfaces and small models with analytic gradients.

Every problem takes parameters of shape ``(..., d)``: a single point ``(d,)``, or a
batch of points ``(B, d)`` evaluated at once (a sweep, a contour grid). Each has a
start (``start``) and, where one is known, its minimum (``minimum``, ``min_loss``);
the 2-D ones also a plotting window (``xlim``, ``ylim``). ``hvp(x, v)``, the
Hessian times a vector, is exact for every problem; the small ones also give the
whole matrix (``hessian(x)``).

==============================  ==================================================  =======
problem                         what it shows                                       chapter
==============================  ==================================================  =======
``ravine(condition, angle)``    one learning rate cannot suit a steep and a flat    1, 2
                                axis; turned by ``angle``, a per-coordinate scale
                                no longer helps
``saddle()``                    a saddle point, ``L = (1 - w1 w2)^2``               1
``rosenbrock()``                a curved valley                                     tests, 6
``shifting_slope()``            curvature that changes along the path               3
``linear_regression()``         the lecture notes' 100 points, y = 4 + 3x + noise   4, 5
``sparse_regression()``         rare features that plain SGD barely updates         2
``digits_softmax()``            a real-data model: the 8x8 digits, convex           5, 6
``digits_mlp()``                a neural network on the same digits, not convex     1, 4-6
``curved_ravine()``             a bending valley: the mean-form Adagrad bursts      5
                                late
==============================  ==================================================  =======

The digits (``data/digits.npz``) are the test set of the UCI "Optical Recognition of
Handwritten Digits" data (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), as bundled with
scikit-learn; ``data/README.md`` says more.
"""

import functools as _functools
from dataclasses import dataclass as _dataclass
from dataclasses import field as _field
from pathlib import Path as _Path

import numpy as np

from . import _validate

DATA = _Path(__file__).with_name("data")


def _read_only(x):
    """A float copy that cannot be changed in place (``x -= ...`` raises at once)."""
    if x is None:
        return None
    x = np.array(x, dtype=float)
    x.flags.writeable = False
    return x


@_dataclass
class Problem:
    r"""A differentiable loss.

    ``loss(x)`` returns shape ``x.shape[:-1]``; ``grad(x)`` returns ``x.shape``.
    Problems built on data (``n_samples > 0``) also accept ``idx``, an array of sample
    indices, to evaluate a mini-batch: ``loss(x, idx)``, ``grad(x, idx)``.
    ``hvp(x, v)`` is the Hessian-vector product :math:`\nabla^2 L(x)\,v`, for every
    problem with a Hessian.

    ``start``, ``minimum`` and the arrays in ``info`` are read-only: an in-place update
    such as ``x = problem.start; x -= lr * g`` fails at once instead of silently moving
    the start of every later run. Copy first (``x = problem.start.copy()``).
    ``minimum`` is ``None`` when no minimum is known (a non-convex network).
    """

    name: str
    dim: int
    loss_fn: object = _field(repr=False)
    grad_fn: object = _field(repr=False)
    minimum: np.ndarray = _field(repr=False)
    hessian_fn: object = _field(default=None, repr=False)
    xlim: tuple = None
    ylim: tuple = None
    start: np.ndarray = _field(default=None, repr=False)
    n_samples: int = 0
    info: dict = _field(default_factory=dict, repr=False)
    hvp_fn: object = _field(default=None, repr=False)

    def __post_init__(self):
        self.minimum = _read_only(self.minimum)
        self.start = _read_only(self.start)
        for value in self.info.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def _point(self, x, name="parameters"):
        x = np.asarray(x, dtype=float)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(
                f"{self.name}: {name} must have last dimension {self.dim}, "
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
            raise ValueError(f"{self.name} has no analytic Hessian matrix"
                             + (": use hvp(x, v)" if self.hvp_fn is not None else ""))
        return self.hessian_fn(self._point(x))

    def hvp(self, x, v, idx=None):
        """The Hessian at ``x`` times the vector ``v``, exactly (no finite differences).

        ``x`` and ``v`` broadcast against each other (shape ``(..., d)``); the result has
        their common shape. ``idx`` (problems with data) takes the Hessian of the
        mini-batch loss. This is all an iterative eigensolver needs, e.g.
        ``scipy.sparse.linalg.eigsh`` on a ``LinearOperator`` whose ``matvec`` is
        ``lambda v: problem.hvp(x, v)``, without ever forming the ``d x d`` matrix.
        """
        x, v = np.broadcast_arrays(self._point(x), self._point(v, "v"))
        if self.hvp_fn is not None:
            return self.hvp_fn(x, v, *self._args(idx))
        if self.hessian_fn is None:
            raise ValueError(f"{self.name} has no Hessian")
        if idx is not None:
            raise ValueError(f"{self.name}: hvp on a mini-batch (idx) is not available")
        return np.einsum("...ij,...j->...i", self.hessian_fn(x), v)

    @property
    def min_loss(self):
        if self.minimum is None:
            raise ValueError(f"{self.name} has no known minimum, so no min_loss")
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


def ravine(condition=20.0, flat_curvature=0.1, angle=0.0):
    r"""A quadratic ravine with a chosen condition number, aligned with the axes or rotated.

    .. math::

        L(w) = \tfrac12\, w^\top R\,\mathrm{diag}(h_1, h_2)\,R^\top w, \qquad
        h_1 = \text{flat\_curvature}, \quad h_2 = \text{condition} \cdot h_1

    where :math:`R` rotates by ``angle`` degrees (counter-clockwise): the flat direction
    of the valley is :math:`(\cos\alpha, \sin\alpha)`. With ``angle=0`` (the default)
    :math:`L = \frac12 (h_1 w_1^2 + h_2 w_2^2)`. The minimum is the origin at every
    angle. The start and the plotting window turn with the valley (the window is the
    box around the turned aligned window), so a rotated ravine is the aligned one seen
    in other coordinates: gradient descent, which does not care about coordinates,
    takes the same steps on both; a scale per coordinate (Adagrad, RMSprop, Adam) does not.

    Gradient descent is stable only for ``lr < 2 / h2``; along the flat direction it
    then shrinks the error by ``1 - lr * h1`` per step, slower the larger the condition
    number. ``info["curvatures"]`` is ``(h1, h2)``, ``info["axes"]`` is :math:`R` (its
    columns are the flat and the steep direction), ``info["angle"]`` the angle.
    """
    _validate.at_least(condition, 1.0, "condition")
    _validate.positive(flat_curvature, "flat_curvature")
    _validate.in_range(angle, -360.0, 360.0, "angle (in degrees)", high_open=False)
    h = np.array([flat_curvature, condition * flat_curvature])
    start, half_width = np.array([-10.0, 3.0]), np.array([11.0, 4.0])
    name = f"ravine (condition {condition:g})"
    if angle % 360 == 0:  # the axis-aligned ravine, evaluated without a rotation
        R = np.eye(2)
        H = np.diag(h)

        def loss(x):
            return 0.5 * (x * x) @ h

        def grad(x):
            return x * h
    else:
        a = np.deg2rad(angle)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        H = (R * h) @ R.T
        start, half_width = R @ start, np.abs(R) @ half_width
        name = f"ravine (condition {condition:g}, rotated {angle:g}°)"

        def loss(x):
            return 0.5 * np.einsum("...i,...i->...", x @ H, x)

        def grad(x):
            return x @ H

    return Problem(
        name=name, dim=2, loss_fn=loss, grad_fn=grad,
        hessian_fn=lambda x: np.broadcast_to(H, x.shape[:-1] + (2, 2)).copy(),
        minimum=np.zeros(2), xlim=(-float(half_width[0]), float(half_width[0])),
        ylim=(-float(half_width[1]), float(half_width[1])), start=start,
        info={"curvatures": h, "axes": R, "angle": float(angle)})


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
    _validate.positive(steep, "steep")
    _validate.positive(sharpness, "sharpness")
    _validate.positive(gentle, "gentle")

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

    def hvp(theta, v, idx=None):
        if idx is None:
            return 2.0 * v @ A
        Xi = X[idx]
        return 2.0 / Xi.shape[0] * (v @ Xi.T) @ Xi

    return Problem(name=name, dim=d, loss_fn=loss, grad_fn=grad, hessian_fn=hessian, hvp_fn=hvp,
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
    _validate.positive_int(n, "n")
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
    _validate.positive_int(n, "n")
    _validate.positive_int(dim, "dim")
    _validate.in_range(rare_prob, 0.0, 1.0, "rare_prob", low_open=True)
    rng = np.random.default_rng(seed)
    X = (rng.random((n, dim)) < rare_prob) * rng.uniform(0.5, 1.5, (n, dim))
    X[:, :frequent] = rng.uniform(0.5, 1.5, (n, frequent))
    truth = np.ones(dim)
    return _least_squares_problem("sparse regression", X, X @ truth, start=np.zeros(dim),
                                  info={"truth": truth, "frequent": frequent})


SOFTMAX_MINIMUM = DATA / "digits_softmax_minimum.npz"


@_functools.cache
def _digits():
    """The 8x8 digits shipped with the package: images (1797, 64) in 0..16, labels 0..9."""
    with np.load(DATA / "digits.npz") as data:
        images, labels = data["images"].astype(float), data["labels"].astype(int)
    images.flags.writeable = labels.flags.writeable = False  # shared by every problem
    return images, labels


def _digits_split(test_fraction, seed):
    """Indices ``(train, test)``: a seeded shuffle, the first ``test_fraction`` for testing."""
    _validate.in_range(test_fraction, 0.0, 1.0, "test_fraction", low_open=True)
    n = len(_digits()[1])
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    return order[n_test:], order[:n_test]


#: The most multiply-adds a matrix product of the digits models does in one call. OpenBLAS
#: runs a product of up to 2**18 of them on one thread and a larger one on every core;
#: for products of this size its threads save little on an idle machine and cost
#: several times the product on a busy one, where they spin waiting for each other.
_ONE_CALL = 2**18


def _product(A, B):
    """``A @ B`` for ``A`` (..., m, k) and ``B`` (..., k, n), as products of at most
    ``_ONE_CALL`` multiply-adds each: ``A``'s rows a block at a time where ``m >= k``,
    else a sum over blocks of ``k`` (the data's samples, in a gradient), which rounds
    differently from one product, as another BLAS kernel would."""
    m, k = A.shape[-2:]
    n = B.shape[-1]
    if m * k * n <= _ONE_CALL:
        return A @ B
    if m >= k:
        block = max(1, _ONE_CALL // (k * n))
        return np.concatenate([A[..., i:i + block, :] @ B for i in range(0, m, block)],
                              axis=-2)
    block = max(1, _ONE_CALL // (m * n))
    out = A[..., :block] @ B[..., :block, :]
    for i in range(block, k, block):
        out += A[..., i:i + block] @ B[..., i:i + block, :]
    return out


def _softmax(z):
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def _cross_entropy(z, y):
    """Mean cross-entropy of the logits ``z`` (..., m, 10) against the labels ``y`` (m,).

    Per row: log-sum-exp of the logits minus the label's logit, both taken after
    subtracting the row's largest logit. (Summing one-hot rows times the log-softmax
    gives the same numbers, every other term being zero, at twice the work.)
    """
    s = z - z.max(axis=-1, keepdims=True)
    own = s[..., np.arange(len(y)), y]
    return -np.mean(own - np.log(np.exp(s, out=s).sum(axis=-1)), axis=-1)


def _minus_one_hot(p, y):
    """``p`` (..., m, 10) minus the one-hot rows of the labels ``y`` (m,), in place."""
    p[..., np.arange(len(y)), y] -= 1.0
    return p


def _accuracy_fn(scores, X_all, labels, train, test):
    """``accuracy(theta, split)``: the fraction of ``split`` ("train" or "test") classified
    correctly by the largest of ``scores(theta, X)``."""
    rows = {"train": train, "test": test}

    def accuracy(theta, split="test"):
        if split not in rows:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        r = rows[split]
        pred = np.argmax(scores(np.asarray(theta, dtype=float), X_all[r]), axis=-1)
        return np.mean(pred == labels[r], axis=-1)

    return accuracy


def digits_softmax(l2=1e-3, test_fraction=0.25, seed=0):
    r"""Multinomial logistic regression on the 8x8 digits (1797 images).

    Parameters are the flattened ``(64 + 1) x 10`` weight matrix (with bias row), so
    ``dim = 650``. The loss is the mean cross-entropy on the training split plus
    :math:`\frac{\lambda}{2}\lVert W\rVert^2`; ``info`` holds an
    ``accuracy(theta, split)`` function (``split`` is ``"train"`` or ``"test"``) and
    the image indices of each split (``info["train"]``, ``info["test"]``; ``idx``
    counts within the training split).
    ``seed`` shuffles the images before the split. The data ship with ``lrcourse``:
    nothing is downloaded.

    The minimum is not known in closed form. For the default arguments it ships with
    the package (solved once, to a gradient norm below 1e-12, and checked by the tests);
    for any other arguments it is solved here, by L-BFGS polished by Newton steps,
    which takes a few seconds.
    """
    _validate.at_least(l2, 0.0, "l2")
    images, labels = _digits()
    train, test = _digits_split(test_fraction, seed)
    X_all = np.c_[images / 16.0, np.ones(len(labels))]
    X, y = X_all[train], labels[train]
    k, c = X.shape[1], 10

    def logits(theta, Xi):
        return _product(Xi, theta.reshape(theta.shape[:-1] + (k, c)))

    def loss(theta, idx=slice(None)):
        return _cross_entropy(logits(theta, X[idx]), y[idx]) + 0.5 * l2 * np.sum(
            theta * theta, axis=-1)

    def grad(theta, idx=slice(None)):
        Xi = X[idx]
        dz = _minus_one_hot(_softmax(logits(theta, Xi)), y[idx]) / Xi.shape[0]
        return _product(Xi.T, dz).reshape(theta.shape) + l2 * theta

    def hvp(theta, v, idx=slice(None)):
        Xi = X[idx]
        p, rz = _softmax(logits(theta, Xi)), logits(v, Xi)
        # the softmax's Jacobian applied to the change of the logits along v
        rdz = p * (rz - np.sum(p * rz, axis=-1, keepdims=True)) / Xi.shape[0]
        return _product(Xi.T, rdz).reshape(theta.shape) + l2 * v

    start = np.zeros(k * c)
    minimum = _shipped_softmax_minimum(l2, test_fraction, seed)
    if minimum is None:
        minimum = _solve_minimum(loss, grad, hvp, start)
    return Problem(name="digits softmax", dim=k * c, loss_fn=loss, grad_fn=grad,
                   hvp_fn=hvp, minimum=minimum, start=start, n_samples=len(train),
                   info={"accuracy": _accuracy_fn(logits, X_all, labels, train, test),
                         "l2": l2, "train": train, "test": test})


def _shipped_softmax_minimum(l2, test_fraction, seed):
    """The shipped minimum if it was solved for these arguments, else ``None``."""
    if not SOFTMAX_MINIMUM.exists():  # only while tools/make_digits_minimum.py writes it
        return None
    with np.load(SOFTMAX_MINIMUM) as saved:
        if (saved["l2"], saved["test_fraction"], saved["seed"]) == (l2, test_fraction, seed):
            return saved["minimum"]
    return None


def _solve_minimum(loss, grad, hvp, start):
    """L-BFGS to near the minimum, then Newton steps to a gradient at the level of rounding.

    Each Newton step solves :math:`H d = -g` by conjugate gradients on exact
    Hessian-vector products (the Hessian is positive definite: the loss is convex, and
    strictly so with ``l2 > 0``); each cuts the gradient by about 1e-5.
    """
    from scipy.optimize import minimize
    from scipy.sparse.linalg import LinearOperator, cg

    x = minimize(loss, start, jac=grad, method="L-BFGS-B",
                 options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15}).x
    for _ in range(3):
        H = LinearOperator((x.size, x.size), matvec=_functools.partial(hvp, x), dtype=float)
        x = x + cg(H, -grad(x))[0]
    return x


def digits_mlp(hidden=32, l2=1e-4, seed=0, test_fraction=0.25, *, init_scale=1.0):
    r"""A neural network on the 8x8 digits: one hidden layer of ``tanh`` units, softmax out.

    .. math::

        z = \tanh(x W_1 + b_1)\, W_2 + b_2, \qquad
        L(\theta) = \text{mean cross-entropy}(z, y) + \tfrac{\lambda}{2}\lVert\theta\rVert^2

    The parameters are flattened into one vector ``theta`` in the order ``W1`` (64 x
    hidden, row-major), ``b1``, ``W2`` (hidden x 10), ``b2``; with 32 hidden units,
    ``dim = 2410``. ``info["layers"](theta)`` unflattens them, ``info["shapes"]`` lists
    them. Gradient and Hessian-vector products (``hvp``) are exact: backpropagation,
    and its forward-mode derivative along ``v`` (Pearlmutter's R-operator).

    The split into training and test images is ``digits_softmax()``'s (the same test
    images for every ``seed``); mini-batches (``idx``) and ``info["accuracy"](theta,
    split)`` work as there. ``seed`` draws the start: weights normal with standard
    deviation ``init_scale / sqrt(fan_in)``, biases zero. ``init_scale`` near 0 starts
    the network near the origin, a saddle point of the loss.

    Unlike the softmax model, the loss is not convex: it has many minima and none is
    known in closed form, so ``minimum`` is ``None`` (and ``min_loss`` is an error).
    Compare runs by their loss and accuracy instead.
    """
    _validate.positive_int(hidden, "hidden")
    _validate.at_least(l2, 0.0, "l2")
    _validate.at_least(init_scale, 0.0, "init_scale")
    images, labels = _digits()
    train, test = _digits_split(test_fraction, 0)
    X_all = images / 16.0
    X, y = X_all[train], labels[train]
    n_in, c = X.shape[1], 10
    shapes = {"W1": (n_in, hidden), "b1": (hidden,), "W2": (hidden, c), "b2": (c,)}
    ends = np.cumsum([np.prod(s) for s in shapes.values()])

    def layers(theta):
        theta = np.asarray(theta, dtype=float)
        parts = np.split(theta, ends[:-1], axis=-1)
        return [p.reshape(theta.shape[:-1] + s) for p, s in zip(parts, shapes.values())]

    def flat(parts, like):
        return np.concatenate([p.reshape(like.shape[:-1] + (-1,)) for p in parts], axis=-1)

    def forward(W1, b1, W2, b2, Xi):
        # in place: on arrays of (samples x hidden) a new allocation costs more than the sum
        a = _product(Xi, W1)
        a += b1[..., None, :]
        h = np.tanh(a, out=a)
        return h, _product(h, W2) + b2[..., None, :]

    def scores(theta, Xi):
        return forward(*layers(theta), Xi)[1]

    def loss(theta, idx=slice(None)):
        return _cross_entropy(scores(theta, X[idx]), y[idx]) + 0.5 * l2 * np.sum(
            theta * theta, axis=-1)

    def grad(theta, idx=slice(None)):
        W1, b1, W2, b2 = layers(theta)
        Xi = X[idx]
        h, z = forward(W1, b1, W2, b2, Xi)
        dz = _minus_one_hot(_softmax(z), y[idx]) / Xi.shape[0]
        da = _product(dz, np.swapaxes(W2, -1, -2))
        da *= 1 - h * h
        parts = [_product(Xi.T, da), da.sum(axis=-2), _product(np.swapaxes(h, -1, -2), dz),
                 dz.sum(axis=-2)]
        return flat(parts, theta) + l2 * theta

    def hvp(theta, v, idx=slice(None)):
        W1, b1, W2, b2 = layers(theta)
        V1, c1, V2, c2 = layers(v)
        Xi = X[idx]
        h, z = forward(W1, b1, W2, b2, Xi)
        p = _softmax(z)
        dz = _minus_one_hot(p.copy(), y[idx]) / Xi.shape[0]
        # forward: how a, h and z change along v (the R-operator) ...
        slope = 1 - h * h
        rh = slope * (_product(Xi, V1) + c1[..., None, :])
        rz = _product(rh, W2) + _product(h, V2) + c2[..., None, :]
        rdz = p * (rz - np.sum(p * rz, axis=-1, keepdims=True)) / Xi.shape[0]
        # ... then the same along the backward pass of ``grad``
        dh = _product(dz, np.swapaxes(W2, -1, -2))
        rdh = _product(rdz, np.swapaxes(W2, -1, -2)) + _product(dz, np.swapaxes(V2, -1, -2))
        rda = rdh * slope - 2 * h * rh * dh
        parts = [_product(Xi.T, rda), rda.sum(axis=-2),
                 _product(np.swapaxes(rh, -1, -2), dz) + _product(np.swapaxes(h, -1, -2), rdz),
                 rdz.sum(axis=-2)]
        return flat(parts, theta) + l2 * v

    rng = np.random.default_rng(seed)
    start = np.concatenate([
        init_scale / np.sqrt(n_in) * rng.standard_normal(n_in * hidden), np.zeros(hidden),
        init_scale / np.sqrt(hidden) * rng.standard_normal(hidden * c), np.zeros(c)])
    return Problem(name=f"digits MLP ({hidden} tanh units)", dim=int(ends[-1]),
                   loss_fn=loss, grad_fn=grad, hvp_fn=hvp, minimum=None, start=start,
                   n_samples=len(train),
                   info={"accuracy": _accuracy_fn(scores, X_all, labels, train, test),
                         "l2": l2, "train": train, "test": test, "hidden": hidden,
                         "shapes": shapes, "layers": layers})


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
    _validate.positive(flat_curvature, "flat_curvature")
    _validate.positive(steep_curvature, "steep_curvature")
    _validate.at_least(amplitude, 0.0, "amplitude")
    _validate.positive(wavenumber, "wavenumber")
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
