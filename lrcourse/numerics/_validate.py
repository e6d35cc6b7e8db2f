"""Argument checks shared by optimizers, schedules, problems and the runner.

Every check raises ``ValueError`` naming the argument, what was expected and what was
given, so a learner who types ``Adam(lr=-1)`` or ``Adam(lr="0.1")`` reads what to change
instead of a traceback from deep inside NumPy. Hyperparameters may be arrays (one value
per run of a batched sweep); a check then applies to every element. ``True`` and
``"0.1"`` are not numbers here, although NumPy would convert them.
"""

import numpy as np


def _shown(x):
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def numbers(x, name):
    """``x`` as a float array, if it is a finite number or an array of them."""
    if isinstance(x, (bool, np.bool_, str, bytes)) or callable(x):
        raise ValueError(f"{name} must be a number, got {_shown(x)} "
                         f"(a {type(x).__name__})")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {_shown(x)}") from None
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a number (or an array of numbers), got {_shown(x)}")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_shown(x)}")
    return arr


def at_least(x, low, name):
    """Check ``x >= low`` (element-wise) and return ``x`` unchanged."""
    if np.any(numbers(x, name) < low):
        raise ValueError(f"{name} must be >= {low}, got {_shown(x)}")
    return x


def positive(x, name):
    """Check ``x > 0`` (element-wise)."""
    if np.any(numbers(x, name) <= 0):
        raise ValueError(f"{name} must be > 0, got {_shown(x)}")
    return x


def in_range(x, low, high, name, *, high_open=True, low_open=False):
    """Check ``low <= x < high`` (or with the given open/closed ends)."""
    v = numbers(x, name)
    bad_low = np.any(v <= low) if low_open else np.any(v < low)
    bad_high = np.any(v >= high) if high_open else np.any(v > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {_shown(x)}")
    return x


def positive_int(x, name, *, allow_zero=False):
    """Check that ``x`` is an integer > 0 (or >= 0)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {_shown(x)}")
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be an integer {bound}, got {_shown(x)}")
    return int(x)


def flag(x, name):
    """Check that ``x`` is ``True`` or ``False`` (a string such as ``"False"`` is not)."""
    if not isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {_shown(x)}")
    return bool(x)


def pair(x, name):
    """Check that ``x`` is a pair ``(a, b)``; return it as a tuple."""
    if isinstance(x, (tuple, list)) and len(x) == 2 or (
            isinstance(x, np.ndarray) and x.shape[:1] == (2,)):
        return x[0], x[1]
    raise ValueError(f"{name} must be a pair such as (0.9, 0.999), got {_shown(x)}")


def learning_rate(lr, name="lr"):
    """A learning rate is a number >= 0, an array of them, or a schedule ``t -> lr``.

    A schedule is tried once at ``t = 0``, so that passing the factory instead of a
    schedule (``lr=schedules.cosine_annealing_lr``) fails here, not at the first step.
    """
    if isinstance(lr, type):
        raise ValueError(f"{name} must be a number or a schedule, got the class "
                         f"{lr.__name__}; create one, e.g. {name}={lr.__name__}(0.1)")
    if not callable(lr):
        return at_least(lr, 0.0, name)
    try:
        first = lr(0)
    except Exception as error:  # any failure here means: not a schedule t -> lr
        called = getattr(lr, "__name__", type(lr).__name__)
        raise ValueError(
            f"{name} must be a number or a schedule t -> lr, but calling {called}(0) failed "
            f"({type(error).__name__}: {error}); pass a schedule made by a factory, e.g. "
            f"{name}=schedules.cosine_annealing_lr(0.1, T_max=100), not the factory itself"
        ) from None
    at_least(first, 0.0, f"{name}(0)")
    return lr


def point(x, name, dim):
    """A finite float array of shape ``(..., dim)``: a starting point or a batch of them."""
    arr = numbers(x, name)
    if arr.shape[-1:] != (dim,):
        raise ValueError(f"{name} must have last dimension {dim} (the problem's number of "
                         f"parameters), got shape {arr.shape}")
    return arr
