r"""Optimizers: each one a combination of a direction, a scale and a schedule.

.. math::

    \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} \odot m_t

=============  ==============================  ==================================  =========
optimizer      direction ``m_t``               scale ``sigma_t``                   chapter
=============  ==============================  ==================================  =========
SGD            gradient, or momentum           1                                   1
Adagrad        gradient                        root of the *sum* of squares        2
AdagradMean    gradient                        root of the *mean* of squares       2, 5
RMSprop        gradient                        root of a moving average            3
Adam / AdamW   moving average (debiased)       root of a moving average (debiased) 4
=============  ==============================  ==================================  =========

Names, arguments, defaults and the placement of ``eps`` follow ``torch.optim``; the
test suite checks every optimizer against PyTorch to a relative error of 1e-10.

Usage::

    opt = Adam(lr=0.1)
    theta = opt.step(theta, grad)   # returns new parameters; inputs are not modified
    opt.state["exp_avg"]            # state by PyTorch's names
    opt.reset()                     # forget the history
"""

import numpy as np

from . import _validate as validate
from .pieces import Gradient, Momentum, MovingAverage, RootMean, RootMovingAverage, RootSum, Unit


class Optimizer:
    """One update rule assembled from a direction, a scale and a learning rate.

    Parameters
    ----------
    lr : float, array or callable
        The learning rate ``eta``: a number, an array that broadcasts against the
        parameters (one rate per run of a batched sweep), or a schedule ``t -> lr``
        where ``t`` counts completed steps from 0 (``lrcourse.schedules``).
    direction, scale : pieces from :mod:`lrcourse.pieces`.
    weight_decay : L2 penalty added to the gradient before anything else.
    decoupled_weight_decay : AdamW's decay, ``theta *= 1 - eta_t * wd``, applied to
        the parameters instead of the gradient.
    step_momentum : an optional :class:`~lrcourse.pieces.Momentum` applied to the scaled
        step ``m_t / sigma_t`` (RMSprop's ``momentum`` argument).

    After each step, ``last`` holds what the step used: ``lr`` (``eta_t``),
    ``direction`` (``m_t``) and ``scale`` (``sigma_t``); ``step_size()`` gives
    ``eta_t / sigma_t``, the per-parameter effective learning rate.
    """

    def __init__(self, lr, direction, scale, *, weight_decay=0.0,
                 decoupled_weight_decay=0.0, step_momentum=None):
        self.lr = validate.learning_rate(lr)
        self.direction = direction
        self.scale = scale
        self.weight_decay = validate.at_least(weight_decay, 0.0, "weight_decay")
        self.decoupled_weight_decay = validate.at_least(decoupled_weight_decay, 0.0, "weight_decay")
        self.step_momentum = step_momentum
        self.reset()

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

    @property
    def state(self):
        """A snapshot of the state by name (``step`` plus PyTorch's buffer names).

        The arrays are copies, so a list of snapshots taken during a run holds each
        step's values (the live buffers are updated in place).
        """
        out = {"step": self.t}
        for piece in self._pieces():
            out.update({k: None if v is None else np.array(v, copy=True)
                        for k, v in piece.state.items()})
        return out

    def learning_rate(self, t):
        """``eta`` for the step that follows ``t`` completed steps."""
        return self.lr(t) if callable(self.lr) else self.lr

    def step(self, params, grads):
        """Return the parameters after one update; ``params`` and ``grads`` are not modified."""
        params = np.asarray(params, dtype=float)
        grads = np.asarray(grads, dtype=float)
        if params.shape != grads.shape:
            raise ValueError(
                f"grads has shape {grads.shape} but params has shape {params.shape}; "
                "they must match")
        eta = self.learning_rate(self.t)
        self.t += 1
        g = grads + self.weight_decay * params if np.any(self.weight_decay) else grads
        if np.any(self.decoupled_weight_decay):
            params = params * (1 - eta * self.decoupled_weight_decay)
        m = self.direction.update(g, self.t)
        sigma = self.scale.update(g, self.t)
        scaled = isinstance(sigma, np.ndarray)
        step = m / sigma if scaled else m
        if self.step_momentum is not None:
            step = self.step_momentum.update(step, self.t)  # its buffer: not ours to modify
        self.last = {"lr": eta, "direction": m, "scale": sigma}
        if scaled and self.step_momentum is None and np.ndim(eta) == 0:
            step *= eta  # a fresh array: scale it in place (Adam on 1e6 parameters)
        else:
            step = eta * step
        return params - step

    def step_size(self):
        """``eta_t / sigma_t`` of the last step, per parameter (the effective learning rate)."""
        last = self.last
        return last["lr"] / np.broadcast_to(last["scale"], np.shape(last["direction"]))

    def __repr__(self):
        return (f"{type(self).__name__}(lr={self.lr!r}, direction={self.direction!r}, "
                f"scale={self.scale!r})")


class SGD(Optimizer):
    r"""Gradient descent, with optional momentum, as ``torch.optim.SGD``.

    .. math::

        \theta_{t+1} = \theta_t - \eta_t\, m_t, \qquad
        m_t = g_t \ \text{(or heavy-ball momentum, see pieces.Momentum)}

    Chapter 1 uses it to show why one learning rate for every parameter is not enough.
    """

    def __init__(self, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        direction = (Momentum(momentum, dampening, nesterov)
                     if np.any(np.asarray(momentum) != 0) or nesterov else Gradient())
        validate.at_least(momentum, 0.0, "momentum")
        super().__init__(lr, direction, Unit(), weight_decay=weight_decay)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011) in PyTorch's sum form, as ``torch.optim.Adagrad``.

    .. math::

        \eta_t = \frac{\eta}{1 + (t - 1)\,\text{lr\_decay}}, \qquad
        \sigma_t = \sqrt{s_0 + \textstyle\sum_{\tau \le t} g_\tau^2} + \epsilon, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} g_t

    .. warning:: The lecture notes divide by the root of the *mean* of past squared
       gradients; that is :class:`AdagradMean`, not this class.

    Chapter 2.
    """

    def __init__(self, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        self.lr_decay = validate.at_least(lr_decay, 0.0, "lr_decay")
        super().__init__(lr, Gradient(), RootSum(eps, initial_accumulator_value),
                         weight_decay=weight_decay)

    def learning_rate(self, t):
        return super().learning_rate(t) / (1 + t * self.lr_decay)


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
        super().__init__(lr, Gradient(), RootMean(eps), weight_decay=weight_decay)


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton, 2012), as ``torch.optim.RMSprop``.

    .. math::

        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
        \sigma_t = \sqrt{v_t} + \epsilon, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} g_t

    With ``centered=True`` the squared mean gradient is subtracted inside the root;
    with ``momentum > 0`` the scaled step ``g_t / sigma_t`` is averaged by momentum
    before it is applied (PyTorch's placement). Chapter 3.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        validate.at_least(momentum, 0.0, "momentum")
        step_momentum = Momentum(momentum) if np.any(np.asarray(momentum) != 0) else None
        super().__init__(lr, Gradient(), RootMovingAverage(alpha, eps, centered=centered),
                         weight_decay=weight_decay, step_momentum=step_momentum)


class RMSpropLecture(Optimizer):
    r"""The lecture's RMSprop: the average of squared gradients starts at the first one.

    .. math::

        \sigma_0 = \sqrt{g_0^2} = |g_0|, \qquad
        \sigma_t = \sqrt{\alpha\, \sigma_{t-1}^2 + (1-\alpha)\, g_t^2}, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t + \epsilon} g_t

    (gradients numbered from ``g_0``, the gradient at the start ``theta_0``).
    :class:`RMSprop` (PyTorch's form) starts its average at zero instead, so its first
    ``sigma`` is only ``sqrt(1 - alpha) |g_0|`` and its first steps are about
    ``1 / sqrt(1 - alpha)`` times ``eta`` (10 eta for ``alpha = 0.99``); here the first
    step is exactly ``eta`` per parameter (``eta * sign(g_0)``). ``eps`` is added
    outside the root, as in PyTorch, only so a zero gradient does not divide by zero.
    There is no PyTorch equivalent; it sits beside :class:`AdagradMean`, the lecture's
    Adagrad. Chapter 3.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, Gradient(), RootMovingAverage(alpha, eps, initial="first"),
                         weight_decay=weight_decay)


def _check_betas(betas):
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    validate.in_range(beta1, 0.0, 1.0, "betas[0]")
    validate.in_range(beta2, 0.0, 1.0, "betas[1]")
    return beta1, beta2


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``: momentum steers, RMSprop sizes the step.

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

        \theta_{t+1} = \theta_t - \eta_t\,
            \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    .. warning:: ``eps`` is added after the bias-corrected root, as in PyTorch; the
       paper's pseudo-code adds it to :math:`\sqrt{\hat v_t}`, which is the same thing.
       Keras's ``epsilon`` sits at a different place and has a different default.

    ``amsgrad=True`` uses the running maximum of :math:`v_t` (Reddi et al., 2018);
    ``weight_decay`` adds ``wd * theta`` to the gradient (L2, not AdamW). Chapter 4.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, bias_correction=True):
        beta1, beta2 = _check_betas(betas)
        super().__init__(
            lr, MovingAverage(beta1, debias=bias_correction),
            RootMovingAverage(beta2, eps, debias=bias_correction, amsgrad=amsgrad,
                              name="exp_avg_sq", alpha_name="betas[1]"),
            **self._decay(weight_decay))

    @staticmethod
    def _decay(weight_decay):
        return {"weight_decay": weight_decay}


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``: decoupled weight decay.

    .. math::

        \theta_t \leftarrow \theta_t (1 - \eta_t \lambda), \quad \text{then the Adam step}

    Unlike ``Adam(weight_decay=...)``, the decay never passes through the adaptive
    scale, so every parameter shrinks at the same relative rate. Note PyTorch's default
    ``weight_decay=1e-2``. Chapter 4.
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(lr, betas, eps, weight_decay, amsgrad)

    @staticmethod
    def _decay(weight_decay):
        return {"decoupled_weight_decay": weight_decay}
