"""Numerics: the update rules and what they run on. Imports NumPy (and SciPy lazily), never
the figures or the teaching layer.

* ``pieces``      the three knobs: directions ``m_t`` and scales ``sigma_t``
* ``optimizers``  each named optimizer as one combination of pieces, as in ``torch.optim``
* ``schedules``   learning rates ``eta_t`` as functions of the step, and ``ReduceLROnPlateau``
* ``problems``    loss surfaces and small models with analytic gradients
* ``runner``      ``run`` / ``sweep`` / ``compare``: whole trajectories as arrays
"""

from . import pieces, problems, schedules
from .optimizers import SGD, Adagrad, AdagradMean, Adam, AdamW, Optimizer, RMSprop, RMSpropLecture
from .runner import Trajectory, compare, run, sweep
from .schedules import ReduceLROnPlateau

__all__ = [
    "SGD", "Adagrad", "AdagradMean", "RMSprop", "RMSpropLecture", "Adam", "AdamW",
    "Optimizer",
    "ReduceLROnPlateau", "Trajectory", "run", "sweep", "compare",
    "pieces", "problems", "schedules",
]
