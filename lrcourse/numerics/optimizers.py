r"""Optimizers: each one a combination of a direction, a scale and a schedule.

.. math::

    \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} \odot m_t

==============  ==============================  ===================================  =======
optimizer       direction ``m_t``               scale ``sigma_t``                    chapter
==============  ==============================  ===================================  =======
SGD             gradient, or momentum           1                                    1
Adagrad         gradient                        root of the *sum* of squares         2
AdagradMean     gradient                        root of the *mean* of squares        2, 5
RMSprop         gradient                        root of a moving average from 0      3
RMSpropLecture  gradient                        root of a moving average from g_0^2  3
Adam / AdamW    moving average (debiased)       root of a moving average (debiased)  4
==============  ==============================  ===================================  =======

Names, arguments, defaults and the placement of ``eps`` follow ``torch.optim``; the
test suite checks every optimizer against PyTorch to a relative error of 1e-10, for
parameters of every shape (a number, a vector, a matrix, a batch of runs).
``AdagradMean`` and ``RMSpropLecture`` are the lecture notes' forms, which PyTorch
does not have.

**The protocol.** What the runner, the figures and the exercise checkers use from an optimizer is
written down as :class:`OptimizerProtocol`; every optimizer here follows it::

    opt = Adam(lr=0.1)
    theta = opt.step(theta, grad)   # the new parameters; the inputs are not modified
    opt.last                        # what that step used: {"lr", "direction", "scale"}
    opt.learning_rate(t)            # eta for the step after t completed steps
    saved = opt.state_dict()        # {"step": 1, "state": {"exp_avg": ..., ...}} (copies)
    opt.load_state_dict(saved)      # continue from there, as torch.optim does
    opt.reset()                     # forget the history

Steps are counted as in :mod:`lrcourse.numerics`: ``t`` completed steps so far, and
the step taken now uses ``eta(t)``.
"""

from typing import Protocol, runtime_checkable

import numpy as np

from . import _validate, schedules
from .pieces import Gradient, Momentum, MovingAverage, RootMean, RootMovingAverage, RootSum, Unit


@runtime_checkable
class OptimizerProtocol(Protocol):
    """What :func:`lrcourse.run`, the figures and the checkers need from an optimizer.

    ``step(params, grads)``
        Return the parameters after one update; ``params`` and ``grads`` (arrays of the
        same shape, any shape) are not modified.
    ``reset()``
        Forget all history, as if no step had been taken.
    ``state_dict()``
        ``{"step": t, "state": {name: array}}``: the number of completed steps and
        copies of the buffers, named as in ``torch.optim`` (``momentum_buffer``,
        ``sum``, ``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``,
        ``max_exp_avg_sq``). A buffer appears once the first step has made it.
    ``load_state_dict(state_dict)``
        Continue from a saved state: the next step is the one after ``step`` completed
        steps, with those buffers (copied in).
    ``learning_rate(t)``
        ``eta`` for the step that follows ``t`` completed steps.
    ``last``
        After a step, a dict with what it used: ``"lr"`` (``eta_t``), ``"direction"``
        (``m_t``) and ``"scale"`` (``sigma_t``, a number or an array that broadcasts
        against the parameters); ``{}`` before the first step.
    """

    last: dict

    def step(self, params, grads): ...

    def reset(self): ...

    def state_dict(self): ...

    def load_state_dict(self, state_dict): ...

    def learning_rate(self, t): ...


class Optimizer:
    """One update rule assembled from a direction, a scale and a learning rate.

    It follows :class:`OptimizerProtocol`. ``state`` is a flat read-only snapshot for
    looking at (``{"step": t, "exp_avg": ..., ...}``, ``None`` for a buffer not made
    yet); ``state_dict`` / ``load_state_dict`` save and restore.

    Parameters
    ----------
    lr : float, array or callable
        The learning rate ``eta``: a number, an array that broadcasts against the
        parameters (one rate per run of a batched sweep, shape ``(B, 1)``), or a
        schedule ``t -> lr`` (:mod:`lrcourse.schedules`).
    direction, scale : Piece
        Pieces from :mod:`lrcourse.pieces`.
    weight_decay : float
        L2 penalty, ``wd * theta`` added to the gradient before anything else.
    decoupled_weight_decay : float
        AdamW's decay, ``theta *= 1 - eta_t * wd``, applied to the parameters instead
        of the gradient.
    step_momentum : Momentum, optional
        Momentum applied to the scaled step ``m_t / sigma_t`` (RMSprop's ``momentum``).
    """

    def __init__(self, lr, direction, scale, *, weight_decay=0.0,
                 decoupled_weight_decay=0.0, step_momentum=None):
        self.lr = _validate.learning_rate(lr)
        self.direction = direction
        self.scale = scale
        self.weight_decay = _validate.at_least(weight_decay, 0.0, "weight_decay")
        self.decoupled_weight_decay = _validate.at_least(decoupled_weight_decay, 0.0,
                                                        "weight_decay")
        self.step_momentum = step_momentum
        self._checked_shape = None
        self.reset()

    _args = None  # a named optimizer keeps the arguments it was called with

    def arguments(self):
        """The arguments this optimizer was made with, by name (for ``repr`` and errors)."""
        if self._args is not None:
            return self._args
        return dict(lr=self.lr, direction=self.direction, scale=self.scale)

    def _pieces(self):
        return [p for p in (self.direction, self.scale, self.step_momentum) if p is not None]

    def reset(self):
        """Clear all state: the step count and every piece's history."""
        self.t = 0
        self.last = {}
        for piece in self._pieces():
            piece.reset()
        if hasattr(self.lr, "reset"):
            self.lr.reset()

    def state_dict(self):
        """``{"step": t, "state": {torch buffer name: copy}}``, as in ``torch.optim``."""
        state = {}
        for piece in self._pieces():
            state.update({k: v.copy() for k, v in piece.state.items() if v is not None})
        return {"step": self.t, "state": state}

    def load_state_dict(self, state_dict):
        """Continue from ``state_dict`` (made by :meth:`state_dict`); the arrays are copied."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"step", "state"}:
            raise ValueError("state_dict must be a dict with keys 'step' and 'state', as "
                             f"made by state_dict(), got {_validate._shown(state_dict)}")
        step = _validate.positive_int(state_dict["step"], "state_dict['step']", allow_zero=True)
        owners = {name: piece for piece in self._pieces() for name in piece.state}
        unknown = set(state_dict["state"]) - set(owners)
        if unknown:
            raise ValueError(f"state_dict['state'] has {sorted(unknown)}, but "
                             f"{type(self).__name__} keeps only {sorted(owners)}")
        arrays = {name: _validate.numbers(value, f"state_dict['state'][{name!r}]")
                  for name, value in state_dict["state"].items()}
        for piece in self._pieces():
            piece.reset()
        for name, value in arrays.items():
            owners[name].state[name] = value
        self.t = step
        self.last = {}

    @property
    def state(self):
        """A snapshot by name: ``step`` plus PyTorch's buffer names (copies, or ``None``)."""
        out = {"step": self.t}
        for piece in self._pieces():
            out.update({k: None if v is None else v.copy() for k, v in piece.state.items()})
        return out

    def learning_rate(self, t):
        """``eta`` for the step that follows ``t`` completed steps."""
        return self.lr(t) if callable(self.lr) else self.lr

    def step(self, params, grads):
        r"""Return :math:`\theta_{t+1} = \theta_t - \eta_t / \sigma_t \odot m_t`.

        ``params`` and ``grads`` (the gradient at ``params``) are not modified.
        """
        theta, g = self._inputs(params, grads)
        eta = self.learning_rate(self.t)  # t steps done: this one uses eta(t)
        self.t += 1  # the pieces number this step t = 1, 2, ... (Adam's bias correction)
        if _nonzero(self.weight_decay):
            g = g + self.weight_decay * theta
        if _nonzero(self.decoupled_weight_decay):
            theta = theta * (1 - eta * self.decoupled_weight_decay)
        m = self.direction.update(g, self.t)
        sigma = self.scale.update(g, self.t)
        self.last = {"lr": eta, "direction": m, "scale": sigma}
        if self.step_momentum is not None:  # PyTorch's RMSprop averages the scaled step
            return theta - eta * self.step_momentum.update(m / sigma, self.t)
        step = eta / sigma
        if all(isinstance(a, np.ndarray) and a.shape == theta.shape and a.flags.c_contiguous
               for a in (step, m, theta)):
            # eta / sigma is a new array of the full shape: finishing the step in it saves
            # two allocations per step (Adam on a million parameters). C-ordered only, as
            # NumPy's new arrays would be: the problem's matrix products round by memory order
            step *= m
            return np.subtract(theta, step, out=step)
        return theta - step * m

    def _inputs(self, params, grads):
        theta = _array(params, "params")
        g = _array(grads, "grads")
        if theta.shape != g.shape:
            raise ValueError(f"grads has shape {g.shape} but params has shape "
                             f"{theta.shape}; they must match")
        if theta.shape != self._checked_shape:
            self._check_broadcast(theta.shape)
        return theta, g

    def _check_broadcast(self, shape):
        """Array hyperparameters (one value per run) must broadcast against the parameters."""
        for name, value in _flat(self.arguments()):
            if callable(value) or np.ndim(value) == 0:
                continue
            try:
                np.broadcast_shapes(np.shape(value), shape)
            except ValueError:
                raise ValueError(
                    f"{name} has shape {np.shape(value)}, which does not fit params of shape "
                    f"{shape}; for a batch of B runs give one value per run as a column, "
                    f"shape (B, 1)") from None
        self._checked_shape = shape

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.arguments().items())
        return f"{type(self).__name__}({args})"


def _array(x, name):
    """``x`` as a float array; NaN passes (a diverging run), text and ``None`` do not."""
    try:
        arr = np.asarray(x) if x is not None else np.asarray(x, dtype=object)
    except ValueError:  # a ragged list
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an array of numbers, got {_validate._shown(x)}")
    return arr.astype(float, copy=False)


def _nonzero(x):
    """``np.any(x)``, without NumPy's overhead for the usual plain number."""
    return bool(x) if isinstance(x, (int, float)) else bool(np.any(x))


def _flat(arguments):
    """``(name, value)`` pairs, a pair such as ``betas`` as ``betas[0]``, ``betas[1]``."""
    for name, value in arguments.items():
        if isinstance(value, tuple):
            yield from ((f"{name}[{i}]", v) for i, v in enumerate(value))
        else:
            yield name, value


class SGD(Optimizer):
    r"""Gradient descent, with optional momentum, as ``torch.optim.SGD``.

    .. math::

        \theta_{t+1} = \theta_t - \eta_t\, m_t, \qquad
        m_t = g_t \ \text{(or heavy-ball momentum, see pieces.Momentum)}

    Chapter 1 uses it to show why one learning rate for every parameter is not enough.
    """

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        self._args = dict(lr=lr, momentum=momentum, dampening=dampening,
                          weight_decay=weight_decay, nesterov=nesterov)
        _validate.at_least(momentum, 0.0, "momentum")
        _validate.at_least(dampening, 0.0, "dampening")
        _validate.flag(nesterov, "nesterov")
        direction = (Momentum(momentum, dampening, nesterov)
                     if np.any(np.asarray(momentum) != 0) or nesterov else Gradient())
        super().__init__(lr, direction, Unit(), weight_decay=weight_decay)



class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011) in PyTorch's sum form, as ``torch.optim.Adagrad``.

    .. math::

        \eta_t = \frac{\eta}{1 + t\,\text{lr\_decay}}, \qquad
        \sigma_t = \sqrt{s_0 + \textstyle\sum_{\tau \le t} g_\tau^2} + \epsilon, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} g_t

    ``lr_decay`` is a schedule, :func:`lrcourse.schedules.inverse_time_lr` (``t``
    completed steps: no decay at the first step).

    .. warning:: The lecture notes divide by the root of the *mean* of past squared
       gradients; that is :class:`AdagradMean`, not this class.

    Chapter 2.
    """

    def __init__(self, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        self._args = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        _validate.at_least(lr_decay, 0.0, "lr_decay")
        rate = schedules.inverse_time_lr(lr, lr_decay) if np.any(lr_decay) else lr
        super().__init__(rate, Gradient(), RootSum(eps, initial_accumulator_value),
                         weight_decay=weight_decay)



class AdagradMean(Optimizer):
    r"""The lecture's Adagrad: divide by the root *mean* square of past gradients.

    .. math::

        \sigma_t = \sqrt{\tfrac{1}{t}\textstyle\sum_{\tau=1}^{t} g_\tau^2} + \epsilon,
        \qquad \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} g_t

    This is :class:`Adagrad` with a learning rate multiplied by ``sqrt(t)`` (see
    :class:`lrcourse.pieces.RootMean`). Because the mean can fall when gradients become
    small, the step can grow late in training and burst out of a valley (chapter 5);
    the sum form cannot do that. There is no PyTorch equivalent.
    """

    def __init__(self, lr=1e-2, weight_decay=0.0, eps=1e-10):
        self._args = dict(lr=lr, weight_decay=weight_decay, eps=eps)
        super().__init__(lr, Gradient(), RootMean(eps), weight_decay=weight_decay)



class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012), as ``torch.optim.RMSprop``.

    .. math::

        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad v_0 = 0, \qquad
        \sigma_t = \sqrt{v_t} + \epsilon, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} g_t

    Starting the average at zero makes the first ``sigma`` only ``sqrt(1 - alpha)``
    times the gradient's size, so the first steps are about ``eta / sqrt(1 - alpha)``
    (10 eta for ``alpha = 0.99``); the lecture's form, :class:`RMSpropLecture`, starts
    at the first squared gradient instead. With ``centered=True`` the squared mean
    gradient is subtracted inside the root; with ``momentum > 0`` the scaled step
    ``g_t / sigma_t`` is averaged by momentum before it is applied (PyTorch's
    placement). Chapter 3.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        self._args = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                          momentum=momentum, centered=centered)
        _validate.at_least(momentum, 0.0, "momentum")
        step_momentum = Momentum(momentum) if np.any(np.asarray(momentum) != 0) else None
        super().__init__(lr, Gradient(), RootMovingAverage(alpha, eps, centered=centered),
                         weight_decay=weight_decay, step_momentum=step_momentum)



class RMSpropLecture(Optimizer):
    r"""The lecture's RMSprop: the average of squared gradients starts at the first one.

    .. math::

        \sigma_0 = \sqrt{g_0^2} = |g_0|, \qquad
        \sigma_t = \sqrt{\alpha\, \sigma_{t-1}^2 + (1-\alpha)\, g_t^2}, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t + \epsilon} g_t

    (the lecture numbers gradients from ``g_0``, the gradient at the start
    ``theta_0``). :class:`RMSprop` (PyTorch's form) starts its average at zero instead,
    so its first ``sigma`` is only ``sqrt(1 - alpha) |g_0|`` and its first steps are
    about ``1 / sqrt(1 - alpha)`` times ``eta`` (10 eta for ``alpha = 0.99``); here the
    first step moves every parameter by exactly ``eta`` (``eta * sign(g_0)``). ``eps``
    is added outside the root, as in PyTorch, only so that a zero gradient does not
    divide by zero. There is no PyTorch equivalent; it sits beside :class:`AdagradMean`,
    the lecture's Adagrad. Chapter 3.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        self._args = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay)
        super().__init__(lr, Gradient(), RootMovingAverage(alpha, eps, initial="first"),
                         weight_decay=weight_decay)



class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``: momentum steers, RMSprop sizes the step.

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

        \theta_{t+1} = \theta_t - \eta_t\,
            \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    with ``t = 1`` at the first step. ``betas = (beta1, beta2)`` go to the two pieces,
    :class:`~lrcourse.pieces.MovingAverage` (``beta = beta1``) and
    :class:`~lrcourse.pieces.RootMovingAverage` (``alpha = beta2``).

    .. warning:: ``eps`` is added after the bias-corrected root, as in PyTorch; the
       paper's pseudo-code adds it to :math:`\sqrt{\hat v_t}`, which is the same thing.
       Keras's ``epsilon`` sits at a different place and has a different default.

    ``amsgrad=True`` uses the running maximum of :math:`v_t` (Reddi et al., 2018);
    ``weight_decay`` adds ``wd * theta`` to the gradient (L2, not AdamW);
    ``bias_correction=False`` (not in PyTorch) shows what the correction is for.
    Chapter 4.
    """

    decoupled = False

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, bias_correction=True):
        self._args = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                          amsgrad=amsgrad)
        beta1, beta2 = _validate.pair(betas, "betas")
        _validate.in_range(beta1, 0.0, 1.0, "betas[0]")
        _validate.in_range(beta2, 0.0, 1.0, "betas[1]")
        _validate.flag(amsgrad, "amsgrad")
        _validate.flag(bias_correction, "bias_correction")
        decay = "decoupled_weight_decay" if self.decoupled else "weight_decay"
        super().__init__(
            lr, MovingAverage(beta1, debias=bias_correction),
            RootMovingAverage(beta2, eps, debias=bias_correction, amsgrad=amsgrad,
                              name="exp_avg_sq"),
            **{decay: weight_decay})



class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``: decoupled weight decay.

    .. math::

        \theta_t \leftarrow \theta_t (1 - \eta_t \lambda), \quad \text{then the Adam step}

    Unlike ``Adam(weight_decay=...)``, the decay never passes through the adaptive
    scale, so every parameter shrinks at the same relative rate. Note PyTorch's default
    ``weight_decay=1e-2``. Chapter 4.
    """

    decoupled = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad)
