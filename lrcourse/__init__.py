"""lrcourse: the helper package of the course "Learning smarter: adaptive learning rates".

Every optimizer is one update rule, ``theta <- theta - eta_t / sigma_t * m_t``, built
from a direction ``m_t``, a per-parameter scale ``sigma_t`` and a schedule ``eta_t``
(``lrcourse.pieces``, ``lrcourse.schedules``). The optimizers match ``torch.optim``
digit for digit; the problems, the runner and the plotting helpers are what the
chapters are drawn with.

>>> from lrcourse import Adam, run, problems
>>> trajectory = run(Adam(lr=0.1), problems.linear_regression(), steps=200)

The package has three layers, one folder each; imports only go downwards:

* ``lrcourse.numerics``  pieces, optimizers, schedules, problems, runner (NumPy only)
* ``lrcourse.figures``   plotting, views, scrubber, interactive widgets
* ``lrcourse.teaching``  exercise checkers, grading, the student edition

Every optimizer follows one protocol, ``lrcourse.OptimizerProtocol``: ``step(params,
grads)`` returns new parameters, ``reset()``, ``state_dict()`` / ``load_state_dict()``
(PyTorch's buffer names), ``learning_rate(t)`` and, after a step, ``last`` (``lr``,
``direction``, ``scale``). Steps are counted one way everywhere: ``t`` completed steps,
the first step moves ``theta_0`` to ``theta_1`` with ``eta(0)`` (``lrcourse.numerics``).

The flat names below are what the chapters use. ``plotting``, ``interactive`` and
``check`` load on first use, so ``import lrcourse`` stays free of matplotlib.
"""

import importlib as _importlib
import sys as _sys

from .numerics import pieces, problems, schedules
from .numerics.optimizers import (
    SGD,
    Adagrad,
    AdagradMean,
    Adam,
    AdamW,
    Optimizer,
    OptimizerProtocol,
    RMSprop,
    RMSpropLecture,
)
from .numerics.runner import Trajectory, compare, run, sweep
from .numerics.schedules import ReduceLROnPlateau

_LAYERED = {
    "plotting": "lrcourse.figures.plotting",
    "interactive": "lrcourse.figures.interactive",
    "check": "lrcourse.teaching.check",
}


def __getattr__(name):
    if name not in _LAYERED:
        raise AttributeError(f"module 'lrcourse' has no attribute {name!r}")
    module = _importlib.import_module(_LAYERED[name])
    # `from lrcourse.check import ...` then finds the same module object.
    _sys.modules[f"{__name__}.{name}"] = module
    globals()[name] = module
    return module


__all__ = [
    "SGD", "Adagrad", "AdagradMean", "RMSprop", "RMSpropLecture", "Adam", "AdamW",
    "Optimizer", "OptimizerProtocol",
    "ReduceLROnPlateau", "Trajectory", "run", "sweep", "compare",
    "pieces", "problems", "schedules", "plotting", "interactive", "check",
]
__version__ = "0.2.0"


def __dir__():
    # Tab completion shows the learners' names, the lazily loaded ones included.
    return sorted(__all__ + ["__version__"])
