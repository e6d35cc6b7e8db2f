"""Argument checks shared by optimizers, schedules and the runner.

Every check raises ``ValueError`` naming the argument and the allowed range, so a
learner who types ``Adam(lr=-1)`` reads what to change instead of a traceback from
deep inside NumPy. Hyperparameters may be arrays (one value per run of a batched
sweep); a check then applies to every element.
"""

import numpy as np


def _values(x, name):
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return arr


def at_least(x, low, name):
    """Check ``x >= low`` (element-wise) and return ``x`` unchanged."""
    if np.any(_values(x, name) < low):
        raise ValueError(f"{name} must be >= {low}, got {x!r}")
    return x


def positive(x, name):
    """Check ``x > 0`` (element-wise)."""
    if np.any(_values(x, name) <= 0):
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def in_range(x, low, high, name, *, high_open=True, low_open=False):
    """Check ``low <= x < high`` (or with the given open/closed ends)."""
    v = _values(x, name)
    bad_low = np.any(v <= low) if low_open else np.any(v < low)
    bad_high = np.any(v >= high) if high_open else np.any(v > high)
    if bad_low or bad_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, got {x!r}")
    return x


def positive_int(x, name, *, allow_zero=False):
    """Check that ``x`` is an integer > 0 (or >= 0)."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {x!r}")
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be an integer {bound}, got {x!r}")
    return int(x)


def learning_rate(lr):
    """A learning rate is a number >= 0, an array of them, or a schedule ``t -> lr``."""
    if callable(lr):
        return lr
    return at_least(lr, 0.0, "lr")
