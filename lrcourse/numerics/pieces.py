r"""The pieces every optimizer in the course is built from.

Every optimizer is one element-wise update rule (the course's organizing formula):

.. math::

    \theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} \odot m_t

* a **direction** ``m_t``: the gradient itself, or an average of past gradients
  (:class:`Gradient`, :class:`Momentum`, :class:`MovingAverage`);
* a per-parameter **scale** ``sigma_t``: one, or the root of accumulated squared
  gradients (:class:`Unit`, :class:`RootSum`, :class:`RootMean`,
  :class:`RootMovingAverage`);
* a **schedule** ``eta_t``: a number or a function of the step (``lrcourse.schedules``).

A piece is a small object with ``update(g, t)`` (``t`` counts steps from 1), a
``state`` dict whose names follow ``torch.optim`` (``exp_avg``, ``sum``, ...) and
``reset()``. Pieces never modify their inputs. Hyperparameters may be arrays that
broadcast against the parameters, which is how the runner sweeps many settings at once.
"""

import numpy as np

from . import _validate as validate


class Piece:
    """Base class: named state arrays, created lazily on the first update."""

    state_names = ()

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget all history, as if no step had been taken."""
        self.state = {name: None for name in self.state_names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper().items())
        return f"{type(self).__name__}({args})"

    def hyper(self):
        return {}


# ---------------------------------------------------------------- directions


class Gradient(Piece):
    r"""The plain direction: :math:`m_t = g_t` (gradient descent, Adagrad, RMSprop)."""

    def update(self, g, t):
        return g


class Momentum(Piece):
    r"""Heavy-ball momentum, exactly as ``torch.optim.SGD`` applies it.

    .. math::

        b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t, \qquad
        m_t = b_t \ \text{or, with Nesterov,}\ m_t = g_t + \mu\, b_t

    ``mu`` is ``momentum`` and ``tau`` is ``dampening``. Note that the first buffer is
    the gradient itself, not ``(1 - tau) * g`` (PyTorch's convention). Used by
    :class:`lrcourse.SGD` and, applied to the already-scaled step, by RMSprop with
    ``momentum > 0``. Chapter 4 contrasts it with Adam's :class:`MovingAverage`.
    """

    state_names = ("momentum_buffer",)

    def __init__(self, momentum, dampening=0.0, nesterov=False):
        self.momentum = validate.at_least(momentum, 0.0, "momentum")
        self.dampening = validate.at_least(dampening, 0.0, "dampening")
        if nesterov and (np.any(np.asarray(momentum) <= 0) or np.any(np.asarray(dampening) != 0)):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)
        super().__init__()

    def hyper(self):
        return dict(momentum=self.momentum, dampening=self.dampening, nesterov=self.nesterov)

    def update(self, g, t):
        buf = self.state["momentum_buffer"]
        if buf is None:
            buf = np.array(g, dtype=float, copy=True)
        else:
            buf = self.momentum * buf + (1 - self.dampening) * g
        self.state["momentum_buffer"] = buf
        return g + self.momentum * buf if self.nesterov else buf


class MovingAverage(Piece):
    r"""Adam's first moment: an exponential moving average of the gradients.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad m_0 = 0, \qquad
        \hat m_t = \frac{m_t}{1 - \beta_1^t}

    The bias correction :math:`\hat m_t` undoes the pull towards the zero start
    (Kingma & Ba, 2015, section 3); ``debias=False`` shows what goes wrong without it
    (chapter 4).
    """

    state_names = ("exp_avg",)

    def __init__(self, beta, debias=True):
        self.beta = validate.in_range(beta, 0.0, 1.0, "betas[0]")
        self.debias = bool(debias)
        super().__init__()

    def hyper(self):
        return dict(beta=self.beta, debias=self.debias)

    def update(self, g, t):
        m = self.state["exp_avg"]
        if m is None:
            m = self.state["exp_avg"] = np.zeros(np.broadcast_shapes(g.shape, np.shape(self.beta)))
        m -= g  # in place: m = g + beta (m - g), the same average without temporaries
        m *= self.beta
        m += g
        return m / (1 - self.beta**t) if self.debias else m.copy()


# -------------------------------------------------------------------- scales


class Unit(Piece):
    r"""No per-parameter scaling: :math:`\sigma_t = 1` (gradient descent)."""

    def update(self, g, t):
        return 1.0


class RootSum(Piece):
    r"""Adagrad's scale (Duchi et al., 2011), PyTorch's sum form.

    .. math::

        s_t = s_0 + \sum_{\tau=1}^{t} g_\tau^2, \qquad \sigma_t = \sqrt{s_t} + \epsilon

    ``s_0`` is ``initial_accumulator_value``. ``eps`` is added *outside* the square
    root, as in ``torch.optim.Adagrad`` (Keras adds it inside). :math:`\sigma_t` can
    only grow, so the step :math:`\eta/\sigma_t` only shrinks (chapter 2).
    """

    state_names = ("sum",)

    def __init__(self, eps=1e-10, initial_accumulator_value=0.0):
        self.eps = validate.positive(eps, "eps")
        self.initial_accumulator_value = validate.at_least(
            initial_accumulator_value, 0.0, "initial_accumulator_value"
        )
        super().__init__()

    def hyper(self):
        return dict(eps=self.eps, initial_accumulator_value=self.initial_accumulator_value)

    def update(self, g, t):
        s = self.state["sum"]
        s = np.zeros_like(g) + self.initial_accumulator_value if s is None else s
        s = s + g * g
        self.state["sum"] = s
        return np.sqrt(s) + self.eps


class RootMean(Piece):
    r"""The lecture's Adagrad scale: the root *mean* square of all past gradients.

    .. math::

        \sigma_t = \sqrt{\frac{1}{t} \sum_{\tau=1}^{t} g_\tau^2} + \epsilon
                 = \frac{\sqrt{s_t}}{\sqrt{t}} + \epsilon

    Relation to the sum form: ignoring ``eps``, ``eta / sigma_t`` here equals
    ``eta * sqrt(t) / sqrt(s_t)``, i.e. PyTorch's Adagrad with a learning rate that
    *grows* like ``sqrt(t)``. When the gradients become small late in training the
    mean falls and the step grows: the late-training bursts of chapter 5.
    """

    state_names = ("sum",)

    def __init__(self, eps=1e-10):
        self.eps = validate.positive(eps, "eps")
        super().__init__()

    def hyper(self):
        return dict(eps=self.eps)

    def update(self, g, t):
        s = self.state["sum"]
        s = g * g if s is None else s + g * g
        self.state["sum"] = s
        return np.sqrt(s / t) + self.eps


class RootMovingAverage(Piece):
    r"""The scale of RMSprop (Tieleman & Hinton, 2012) and Adam (Kingma & Ba, 2015).

    .. math::

        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2, \quad v_0 = 0, \qquad
        \sigma_t = \sqrt{v_t} + \epsilon

    Options, each matching ``torch.optim``:

    * ``centered`` (RMSprop): subtract the squared mean gradient,
      :math:`\sigma_t = \sqrt{v_t - \bar g_t^2} + \epsilon`;
    * ``debias`` (Adam): :math:`\sigma_t = \sqrt{v_t}/\sqrt{1 - \alpha^t} + \epsilon`,
      the bias correction applied *before* ``eps`` is added;
    * ``amsgrad`` (Reddi et al., 2018): use the running maximum of :math:`v_t`.

    The state is named ``square_avg`` (RMSprop) or ``exp_avg_sq`` (Adam) after PyTorch.
    """

    def __init__(self, alpha, eps, *, centered=False, debias=False, amsgrad=False,
                 name="square_avg", alpha_name="alpha", initial="zero"):
        self.alpha = validate.in_range(alpha, 0.0, 1.0, alpha_name)
        if initial not in ("zero", "first"):
            raise ValueError(f"initial must be 'zero' or 'first', got {initial!r}")
        self.initial = initial
        self.eps = validate.positive(eps, "eps")
        self.centered, self.debias, self.amsgrad = bool(centered), bool(debias), bool(amsgrad)
        self.name = name
        self.state_names = (name,) + (("grad_avg",) if centered else ()) + (
            ("max_exp_avg_sq",) if amsgrad else ())
        super().__init__()

    def hyper(self):
        return dict(alpha=self.alpha, eps=self.eps, centered=self.centered,
                    debias=self.debias, amsgrad=self.amsgrad)

    def update(self, g, t):
        v = self.state[self.name]
        if v is None and self.initial == "first":
            v = self.state[self.name] = np.array(np.broadcast_to(
                g * g, np.broadcast_shapes(g.shape, np.shape(self.alpha))))
        else:
            if v is None:
                v = self.state[self.name] = np.zeros(
                    np.broadcast_shapes(g.shape, np.shape(self.alpha)))
            square = g * g
            square *= 1 - self.alpha
            v *= self.alpha  # in place: large parameter vectors stay fast
            v += square
        if self.centered:
            a = self.state["grad_avg"]
            a = np.zeros_like(g) if a is None else a
            a = a + (1 - self.alpha) * (g - a)
            self.state["grad_avg"] = a
            v = v - a * a
        if self.amsgrad:
            vmax = self.state["max_exp_avg_sq"]
            v = v.copy() if vmax is None else np.maximum(vmax, v)
            self.state["max_exp_avg_sq"] = v
        root = np.sqrt(v)
        if self.debias:
            root *= 1 / np.sqrt(1 - self.alpha**t)
        root += self.eps
        return root
