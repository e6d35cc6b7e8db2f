r"""Numerics: the update rules and what they run on. Imports NumPy (and SciPy lazily), never
the figures or the teaching layer.

* ``pieces``      the three knobs: directions ``m_t`` and scales ``sigma_t``
* ``optimizers``  each named optimizer as one combination of pieces, as in ``torch.optim``,
  and ``OptimizerProtocol``, what the rest of the course needs from an optimizer
* ``schedules``   learning rates ``eta_t`` as functions of the step, and ``ReduceLROnPlateau``
* ``problems``    loss surfaces and small models with analytic gradients
* ``runner``      ``run`` / ``sweep`` / ``compare``: whole trajectories as arrays

The step convention, the same in every module, chapter and checker: ``t`` counts
*completed* steps from 0, and step ``t + 1`` moves :math:`\theta_t` to
:math:`\theta_{t+1}`. So the first step is :math:`\theta_1 - \theta_0`, it uses the
gradient at :math:`\theta_0` and the rate ``eta(0)`` (a schedule is called with the
number of completed steps), and Adam's bias correction at the first step uses
``t = 1`` (the pieces are told the number of the step being taken).
"""

from . import pieces, problems, schedules
from .optimizers import (
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
from .runner import Trajectory, compare, run, sweep
from .schedules import ReduceLROnPlateau

__all__ = [
    "SGD", "Adagrad", "AdagradMean", "RMSprop", "RMSpropLecture", "Adam", "AdamW",
    "Optimizer", "OptimizerProtocol", "ReduceLROnPlateau", "Trajectory", "run", "sweep",
    "compare", "pieces", "problems", "schedules",
]
