"""Run an optimizer on a problem and keep the whole trajectory.

``run`` is the one loop of the course. It records, at every step, the parameters, the
loss, the gradient's norm, the learning rate ``eta_t``, the per-parameter step size
``eta_t / sigma_t`` and the direction ``m_t``. It also runs a *batch* of settings at
once: give the optimizer array hyperparameters of shape ``(B, 1)`` (or a start of shape
``(B, d)``) and every array gains a batch axis, so a sweep over 256 learning rates is
one call (``sweep``).

A run whose loss or parameters become non-finite, or whose loss grows past ``blowup``
times its starting value (plus one), is *diverged*: a single run stops and
its trajectory ends there; in a batch, the diverged runs are frozen (filled with NaN
from that step on) while the others go on. ``diverged_at`` says at which step.

The runner uses only :class:`~lrcourse.numerics.optimizers.OptimizerProtocol` from the
optimizer, and ``loss``, ``grad``, ``dim``, ``start`` and ``n_samples`` from the problem.
"""

from dataclasses import dataclass

import numpy as np

from . import _validate
from .optimizers import OptimizerProtocol


@dataclass(repr=False)
class Trajectory:
    """What happened during a run; the first axis of every array is time.

    ``params``: ``(T+1, *batch, d)``; ``loss``: ``(T+1, *batch)`` (full-data loss at
    each point); ``grad_norm``, ``lr``: ``(T, *batch)`` (the gradient used by step
    ``t`` and the rate it was applied with); ``step_size`` (``eta_t / sigma_t``) and
    ``direction`` (``m_t``): ``(T, *batch, d)``.
    ``diverged_at``: for a single run, the step at which it diverged or ``None``; for
    a batch, an integer array with ``-1`` for runs that did not diverge.
    """

    name: str
    params: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    step_size: np.ndarray
    direction: np.ndarray
    diverged_at: object

    @property
    def steps(self):
        return len(self.lr)

    @property
    def diverged(self):
        if isinstance(self.diverged_at, np.ndarray):
            return self.diverged_at >= 0
        return self.diverged_at is not None

    @property
    def final_loss(self):
        """The last finite loss of each run (``inf`` for a run that diverged)."""
        last = self.loss[-1]
        return np.where(self.diverged, np.inf, last) if np.ndim(last) else (
            np.inf if self.diverged else float(last))

    def steps_to(self, target):
        """First step at which the loss is <= ``target`` (``-1`` if never)."""
        below = self.loss <= target
        first = np.argmax(below, axis=0)
        out = np.where(below.any(axis=0), first, -1)
        return int(out) if out.ndim == 0 else out

    def describe(self):
        """One line for a figure legend or a printout."""
        if np.ndim(self.loss[-1]):
            n = int(np.sum(self.diverged))
            return f"{self.name}: {np.size(self.diverged) - n} runs finished, {n} diverged"
        if self.diverged:
            return f"{self.name}: diverged at step {self.diverged_at}"
        return f"{self.name}: loss {self.loss[-1]:.4g} after {self.steps} steps"

    def __repr__(self):
        return f"<Trajectory {self.describe()}; params of shape {self.params.shape}>"


def _check_optimizer(optimizer):
    if isinstance(optimizer, OptimizerProtocol) and not isinstance(optimizer, type):
        return
    if isinstance(optimizer, type):
        raise ValueError(f"optimizer must be an optimizer, got the class {optimizer.__name__}; "
                         f"create one: run({optimizer.__name__}(lr=0.1), problem)")
    if _is_problem(optimizer):
        raise ValueError(f"optimizer must be an optimizer, got the problem {optimizer.name!r}; "
                         "the optimizer comes first: run(optimizer, problem)")
    raise ValueError(f"optimizer must be an optimizer such as Adam(lr=0.1), got "
                     f"{_validate._shown(optimizer)}")


def _is_problem(x):
    return all(hasattr(x, a) for a in ("loss", "grad", "dim", "start"))


def _check_problem(problem):
    if _is_problem(problem):
        return
    if isinstance(problem, OptimizerProtocol):
        raise ValueError(f"problem must be a problem, got the optimizer {problem!r}; "
                         "the optimizer comes first: run(optimizer, problem)")
    if callable(problem):
        name = getattr(problem, "__name__", "problem")
        raise ValueError(f"problem must be a problem, got the function {name}; call it to "
                         f"make one, e.g. problems.{name}()")
    raise ValueError(f"problem must be a problem such as problems.ravine(), got "
                     f"{_validate._shown(problem)}")


def run(optimizer, problem, x0=None, steps=100, *, batch_size=None, seed=0, name=None,
        blowup=1e8):
    """Run ``optimizer`` on ``problem`` from ``x0`` (default ``problem.start``).

    ``steps=0`` gives a trajectory of the starting point alone. ``batch_size`` draws a
    random mini-batch of that many samples for each gradient (problems with data only),
    from a generator seeded with ``seed``. If the optimizer's ``lr`` is a
    ``ReduceLROnPlateau``, it is stepped with the loss after every update. A loss above
    ``blowup * (starting loss + 1)`` counts as diverged (a geometric blow-up long before
    it overflows). Returns a :class:`Trajectory`.
    """
    _check_optimizer(optimizer)
    _check_problem(problem)
    x = _validate.point(problem.start if x0 is None else x0, "x0", problem.dim)
    steps = _validate.positive_int(steps, "steps", allow_zero=True)
    _validate.positive_int(seed, "seed", allow_zero=True)
    _validate.positive(blowup, "blowup")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be a string, got {_validate._shown(name)}")
    if batch_size is not None:
        if not problem.n_samples:
            raise ValueError(f"batch_size needs a problem with data; {problem.name} has none")
        _validate.positive_int(batch_size, "batch_size")
        if batch_size > problem.n_samples:
            raise ValueError(f"batch_size must be <= {problem.n_samples} (the number of "
                             f"samples), got {batch_size}")
    rng = np.random.default_rng(seed)
    plateau = getattr(getattr(optimizer, "lr", None), "step", None)
    if plateau is not None and x.ndim > 1:
        raise ValueError("a ReduceLROnPlateau learning rate follows one run's loss: "
                         f"give a single starting point, not a batch of shape {x.shape}")
    optimizer.reset()

    xs, losses, norms, lrs, sizes, directions = [x], [problem.loss(x)], [], [], [], []
    limit = blowup * (np.abs(losses[0]) + 1)
    alive = np.ones(np.shape(losses[0]), dtype=bool)
    diverged_at = np.full(alive.shape, -1)
    with np.errstate(all="ignore"):
        for t in range(steps):
            idx = None if batch_size is None else rng.choice(problem.n_samples, batch_size,
                                                             replace=False)
            g = problem.grad(x, idx)
            x_new = optimizer.step(x, g)
            loss = problem.loss(x_new)
            ok = (np.isfinite(loss) & np.all(np.isfinite(x_new), axis=-1)
                  & (np.abs(loss) <= limit))
            newly = alive & ~ok
            diverged_at[newly] = t + 1
            alive &= ok
            if alive.ndim and newly.any():  # freeze the diverged runs of a batch
                x_new = np.where(alive[..., None], x_new, np.nan)
                loss = np.where(alive, loss, np.nan)
            last = optimizer.last
            xs.append(x_new)
            losses.append(loss)
            norms.append(np.linalg.norm(g, axis=-1))
            lrs.append(last["lr"])
            sizes.append(last["lr"] / np.asarray(last["scale"]))
            # a copy: an optimizer may hand out a buffer that its next step overwrites
            directions.append(np.array(last["direction"]))
            x = x_new
            if not alive.any():
                break
            if plateau is not None:
                plateau(float(loss))

    n_points = len(xs)
    if not alive.ndim and not alive:  # a single diverged run ends at its last finite point
        n_points -= 1
    shape = np.shape(xs[-1])
    return Trajectory(
        name=name or type(optimizer).__name__,
        params=_stacked(xs[:n_points], shape),
        loss=_stacked(losses[:n_points], shape[:-1]),
        grad_norm=_stacked(norms, shape[:-1]),
        lr=_stacked([_first_parameter(v) for v in lrs], shape[:-1]),
        step_size=_stacked(sizes, shape),
        direction=_stacked(directions, shape),
        diverged_at=(int(diverged_at) if diverged_at >= 0 else None)
        if not diverged_at.ndim else diverged_at,
    )


def _stacked(values, shape):
    """``values`` (each broadcasting to ``shape``) as one new array ``(len(values), *shape)``.

    Filling a preallocated array costs one assignment per step; broadcasting each value
    to a view first cost several times that, and a run records six values per step.
    """
    dtype = np.result_type(*{np.asarray(v).dtype for v in values}) if values else float
    out = np.empty((len(values),) + shape, dtype=dtype)
    for i, v in enumerate(values):
        out[i] = v
    return out


def _first_parameter(lr):
    """The rate of a run's first parameter: ``lr`` may hold one per parameter."""
    lr = np.asarray(lr)
    return lr[..., 0] if lr.ndim else lr


def sweep(make_optimizer, values, problem, x0=None, steps=100, **kwargs):
    """Run one optimizer per value of a hyperparameter, all at once.

    ``make_optimizer(v)`` receives the values as a column array of shape ``(B, 1)``
    and returns an optimizer, e.g. ``sweep(lambda lr: Adam(lr=lr), lrs, problem)``.
    The start is shared by all runs. Returns one batched :class:`Trajectory`.
    """
    if isinstance(make_optimizer, OptimizerProtocol) or not callable(make_optimizer):
        raise ValueError("make_optimizer must be a function value -> optimizer, such as "
                         f"lambda lr: Adam(lr=lr), got {_validate._shown(make_optimizer)}")
    _check_problem(problem)
    values = _validate.numbers(values, "values")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"values must be a non-empty 1-D sequence, got shape {values.shape}")
    start = _validate.point(problem.start if x0 is None else x0, "x0", problem.dim)
    start = np.broadcast_to(start, values.shape + (problem.dim,))
    return run(make_optimizer(values[:, None]), problem, start, steps, **kwargs)


def compare(optimizers, problem, x0=None, steps=100, **kwargs):
    """Run several optimizers (a dict ``name -> optimizer``) from the same start."""
    if not isinstance(optimizers, dict):
        raise ValueError("optimizers must be a dict name -> optimizer, such as "
                         "{'SGD': SGD(lr=0.1), 'Adam': Adam(lr=0.1)}, got "
                         f"{_validate._shown(optimizers)}")
    return {name: run(opt, problem, x0, steps, name=name, **kwargs)
            for name, opt in optimizers.items()}
