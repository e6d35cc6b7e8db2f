"""lrcourse: the helper package of the course "Learning smarter: adaptive learning rates".

Every optimizer is one update rule, ``theta <- theta - eta_t / sigma_t * m_t``, built
from a direction ``m_t``, a per-parameter scale ``sigma_t`` and a schedule ``eta_t``
(``lrcourse.pieces``, ``lrcourse.schedules``). The optimizers match ``torch.optim``
digit for digit; the problems, the runner and the plotting helpers are what the
chapters are drawn with.

>>> from lrcourse import Adam, run, problems
>>> trajectory = run(Adam(lr=0.1), problems.linear_regression(), steps=200)
"""

from . import pieces, problems, schedules
from .optimizers import SGD, Adagrad, AdagradMean, Adam, AdamW, Optimizer, RMSprop
from .runner import Trajectory, compare, run, sweep
from .schedules import ReduceLROnPlateau

__all__ = [
    "SGD", "Adagrad", "AdagradMean", "RMSprop", "Adam", "AdamW", "Optimizer",
    "ReduceLROnPlateau", "Trajectory", "run", "sweep", "compare",
    "pieces", "problems", "schedules",
]
__version__ = "0.1.0"
