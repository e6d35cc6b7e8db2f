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

A piece is a small object with ``update(g, t)``, where ``t`` is the number of the step
being taken (1 for the first step, see the step convention in :mod:`lrcourse.numerics`),
a ``state`` dict of buffers named as in ``torch.optim`` (``exp_avg``, ``sum``, ...) and
``reset()``. Its arguments are its own (``beta``, ``alpha``): an optimizer maps its
arguments (``betas=(beta1, beta2)``) onto them.

One buffer policy holds for every piece:

* a buffer is created on the first update, with the shape of the gradient broadcast
  against the piece's hyperparameters (so an array of hyperparameters, one per run of
  a batched sweep, gives one buffer per run);
* from then on it is updated **in place**, so a million parameters cost no new arrays
  for the state (the values in ``state`` are the live buffers: copy them to keep them,
  as ``Optimizer.state_dict`` does);
* ``update`` never modifies its input and never returns one of its buffers, so what it
  returns may be kept, recorded or modified by the caller.
"""

import numpy as np

from . import _validate


class Piece:
    """Base class: named state buffers, created on the first update (see the policy above)."""

    state_names = ()

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget all history, as if no step had been taken."""
        self.state = {name: None for name in self.state_names}
        self._shapes = None  # (gradient's shape, buffers' shape), kept between steps

    def hyper(self):
        """The hyperparameters by name (for ``repr`` and the buffers' shape)."""
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper().items())
        return f"{type(self).__name__}({args})"

    def _buffer(self, name, g, initial):
        """The buffer ``name``, created from ``initial`` (a number or an array) on first use.

        Its shape is the gradient's broadcast against the hyperparameters. A buffer put
        in ``state`` from outside (``load_state_dict``) that is smaller but broadcasts,
        such as one value per run, is expanded once; one that does not fit is refused.
        """
        if self._shapes is None or self._shapes[0] != np.shape(g):
            # broadcasting against every hyperparameter costs more than the update of a
            # small problem, so it is worked out once per run (reset starts afresh)
            self._shapes = np.shape(g), np.broadcast_shapes(
                np.shape(g), *(np.shape(v) for v in self.hyper().values()))
        shape = self._shapes[1]
        buf = self.state[name]
        if buf is None:
            buf = np.array(np.broadcast_to(initial, shape), dtype=float)
        elif np.shape(buf) != shape:
            try:
                buf = np.array(np.broadcast_to(buf, shape), dtype=float)
            except ValueError:
                raise ValueError(f"state {name!r} has shape {np.shape(buf)}, but the "
                                 f"gradients need shape {shape}") from None
        self.state[name] = buf
        return buf


def _spare(temporary, like):
    """``temporary`` if a result the shape of ``like`` may be written into it, else ``None``.

    A temporary array of this step (such as ``g * g``) is reused as the output of the
    next operation: on a million parameters each new array costs as much as the
    arithmetic. Only between C-ordered arrays, where NumPy's new array would be C-ordered
    too: a problem's matrix products round by the memory order of their inputs, so it
    must stay what it was. A 0-d result is a NumPy scalar and cannot be written into.
    """
    if (isinstance(temporary, np.ndarray) and temporary.shape == np.shape(like)
            and temporary.flags.c_contiguous and like.flags.c_contiguous):
        return temporary
    return None


def _root(v, temporary):
    """``sqrt(v)``, written into ``temporary`` when it fits (see :func:`_spare`)."""
    return np.sqrt(v, out=_spare(temporary, v))


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
        self.momentum = _validate.at_least(momentum, 0.0, "momentum")
        self.dampening = _validate.at_least(dampening, 0.0, "dampening")
        self.nesterov = _validate.flag(nesterov, "nesterov")
        if nesterov and (np.any(np.asarray(momentum) <= 0) or np.any(np.asarray(dampening) != 0)):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0")
        super().__init__()

    def hyper(self):
        return dict(momentum=self.momentum, dampening=self.dampening, nesterov=self.nesterov)

    def update(self, g, t):
        first = self.state["momentum_buffer"] is None
        buf = self._buffer("momentum_buffer", g, g)
        if not first:
            buf *= self.momentum
            buf += (1 - self.dampening) * g
        return g + self.momentum * buf if self.nesterov else buf.copy()


class MovingAverage(Piece):
    r"""Adam's first moment: an exponential moving average of the gradients.

    .. math::

        m_t = \beta\, m_{t-1} + (1 - \beta)\, g_t, \quad m_0 = 0, \qquad
        \hat m_t = \frac{m_t}{1 - \beta^t}

    The bias correction :math:`\hat m_t` undoes the pull towards the zero start
    (Kingma & Ba, 2015, section 3); ``debias=False`` shows what goes wrong without it
    (chapter 4).
    """

    state_names = ("exp_avg",)

    def __init__(self, beta, debias=True):
        self.beta = _validate.in_range(beta, 0.0, 1.0, "beta")
        self.debias = _validate.flag(debias, "debias")
        super().__init__()

    def hyper(self):
        return dict(beta=self.beta, debias=self.debias)

    def update(self, g, t):
        m = self._buffer("exp_avg", g, 0.0)
        m -= g  # m = g + beta (m - g): the same average without a temporary array
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
        self.eps = _validate.positive(eps, "eps")
        self.initial_accumulator_value = _validate.at_least(
            initial_accumulator_value, 0.0, "initial_accumulator_value")
        super().__init__()

    def hyper(self):
        return dict(eps=self.eps, initial_accumulator_value=self.initial_accumulator_value)

    def update(self, g, t):
        s = self._buffer("sum", g, self.initial_accumulator_value)
        square = g * g
        s += square
        root = _root(s, square)
        root += self.eps
        return root


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
        self.eps = _validate.positive(eps, "eps")
        super().__init__()

    def hyper(self):
        return dict(eps=self.eps)

    def update(self, g, t):
        s = self._buffer("sum", g, 0.0)
        square = g * g
        s += square
        root = _root(np.divide(s, t, out=_spare(square, s)), square)
        root += self.eps
        return root


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

    and one from the lecture notes: ``initial="first"`` starts the average at the first
    squared gradient, :math:`v_1 = g_1^2`, instead of at zero
    (:class:`lrcourse.RMSpropLecture`).

    The state is named ``name``: ``square_avg`` (RMSprop) or ``exp_avg_sq`` (Adam)
    after PyTorch.
    """

    def __init__(self, alpha, eps, *, centered=False, debias=False, amsgrad=False,
                 name="square_avg", initial="zero"):
        self.alpha = _validate.in_range(alpha, 0.0, 1.0, "alpha")
        self.eps = _validate.positive(eps, "eps")
        self.centered = _validate.flag(centered, "centered")
        self.debias = _validate.flag(debias, "debias")
        self.amsgrad = _validate.flag(amsgrad, "amsgrad")
        if initial not in ("zero", "first"):
            raise ValueError(f"initial must be 'zero' or 'first', got {initial!r}")
        if initial == "first" and (centered or debias):
            raise ValueError("initial='first' has no zero start to correct: it cannot be "
                             "combined with centered=True or debias=True")
        self.initial = initial
        self.name = name
        self.state_names = (name,) + (("grad_avg",) if centered else ()) + (
            ("max_exp_avg_sq",) if amsgrad else ())
        super().__init__()

    def hyper(self):
        return dict(alpha=self.alpha, eps=self.eps, centered=self.centered,
                    debias=self.debias, amsgrad=self.amsgrad)

    def update(self, g, t):
        square = g * g
        if self.initial == "first" and self.state[self.name] is None:
            v = self._buffer(self.name, g, square)
        else:
            v = self._buffer(self.name, g, 0.0)
            square *= 1 - self.alpha
            v *= self.alpha
            v += square
        if self.centered:
            a = self._buffer("grad_avg", g, 0.0)
            a += (1 - self.alpha) * (g - a)
            v = v - a * a
        if self.amsgrad:
            vmax = self._buffer("max_exp_avg_sq", g, v)
            np.maximum(vmax, v, out=vmax)
            v = vmax
        root = _root(v, square)
        if self.debias:  # times the reciprocal: a multiplication is cheaper than a division
            root *= 1 / np.sqrt(1 - self.alpha**t)
        root += self.eps
        return root
