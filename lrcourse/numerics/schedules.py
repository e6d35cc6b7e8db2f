r"""Learning-rate schedules: the third knob, :math:`\eta_t`, of the course's formula.

A schedule is a plain function of the step, ``schedule(t) -> lr``, where ``t`` counts
the optimizer steps already taken: ``schedule(0)`` is the rate of the first step, which
moves :math:`\theta_0` to :math:`\theta_1` (the step convention of
:mod:`lrcourse.numerics`). ``schedule(t)`` equals PyTorch's
``scheduler.get_last_lr()[0]`` after ``t`` calls of ``scheduler.step()``; the test
suite checks this against ``torch.optim.lr_scheduler`` to a relative error of 1e-10.
Pass ``t`` as an integer or as an integer array, so a whole curve is one call::

    lr = cosine_annealing_lr(0.1, T_max=100)
    lr(0), lr(50)            # 0.1, 0.05
    lr(np.arange(200))       # the curve, as an array
    Adam(lr=lr)              # an optimizer's lr may be a schedule

Schedules are made one way: by the factories below, and combined by
:func:`with_warmup` (a linear warmup in front of any schedule), :func:`sequential`
(schedules end to end) and :func:`inverse_time_lr` (Adagrad's ``lr_decay``). Each
factory checks its arguments when the schedule is made and uses the argument names of
its PyTorch counterpart. The values are computed in closed form, where PyTorch updates
most of them recursively ("chainable" form); the two agree to rounding.

:class:`ReduceLROnPlateau` is the one schedule with state: it reads the loss.

Chapter 5 ("Learning-rate scheduling") introduces all of them; chapter 6 compares them.
"""

import numpy as np

from . import _validate


class Schedule:
    """A named function ``t -> lr`` with a readable ``repr``; made by the factories below."""

    def __init__(self, formula, name, **args):
        self._formula = formula
        self.name = name
        self.args = args

    def __call__(self, t):
        out = self._formula(_steps(t))
        return float(out) if np.ndim(out) == 0 else out

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.name}({args})"


def _steps(t):
    """``t`` as a NumPy integer (array) of completed steps, checked to be >= 0."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"t must be an integer step count (or an integer array), got {t!r}")
    if np.any(arr < 0):
        raise ValueError(f"t must be >= 0, got {t!r}")
    return arr


def _increasing(milestones, name):
    """Check a list of positive integers in strictly increasing order."""
    milestones = [_validate.positive_int(m, f"{name}[{i}]") for i, m in enumerate(milestones)]
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"{name} must be strictly increasing, got {milestones!r}")
    return milestones


def _decay_factor(gamma):
    return _validate.in_range(gamma, 0.0, 1.0, "gamma", low_open=True, high_open=False)


def constant(lr):
    r""":math:`\eta_t = \eta`.

    PyTorch: no scheduler at all. Chapters 1 to 4 use a constant rate; chapter 5 starts
    from it.
    """
    _validate.at_least(lr, 0.0, "lr")
    return Schedule(lambda t: lr * np.ones_like(t, dtype=float), "constant", lr=lr)


def step_lr(lr, step_size, gamma=0.1):
    r"""Step decay: :math:`\eta_t = \eta\, \gamma^{\lfloor t / s \rfloor}`, ``s = step_size``.

    PyTorch: ``StepLR(optimizer, step_size, gamma)``. Chapter 5.
    """
    _validate.at_least(lr, 0.0, "lr")
    step_size = _validate.positive_int(step_size, "step_size")
    _decay_factor(gamma)
    return Schedule(lambda t: lr * gamma ** (t // step_size), "step_lr",
                    lr=lr, step_size=step_size, gamma=gamma)


def multistep_lr(lr, milestones, gamma=0.1):
    r"""Decay at given steps: :math:`\eta_t = \eta\, \gamma^{\#\{i:\ m_i \le t\}}`.

    PyTorch: ``MultiStepLR(optimizer, milestones, gamma)``. Chapter 5.
    """
    _validate.at_least(lr, 0.0, "lr")
    milestones = _increasing(milestones, "milestones")
    _decay_factor(gamma)
    return Schedule(lambda t: lr * gamma ** np.searchsorted(milestones, t, side="right"),
                    "multistep_lr", lr=lr, milestones=milestones, gamma=gamma)


def exponential_lr(lr, gamma):
    r"""Exponential decay: :math:`\eta_t = \eta\, \gamma^t`.

    ``gamma > 1`` gives an exponentially *growing* rate, the learning-rate range test
    of chapter 6. PyTorch: ``ExponentialLR(optimizer, gamma)``. Chapter 5.
    """
    _validate.at_least(lr, 0.0, "lr")
    _validate.positive(gamma, "gamma")
    return Schedule(lambda t: lr * gamma**t, "exponential_lr", lr=lr, gamma=gamma)


def cosine_annealing_lr(lr, T_max, eta_min=0.0):
    r"""Cosine annealing (Loshchilov & Hutter, 2017, without restarts):

    .. math::

        \eta_t = \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
                 \bigl(1 + \cos(\pi t / T_{\max})\bigr)

    It falls from ``lr`` at ``t = 0`` to ``eta_min`` at ``t = T_max``. Past ``T_max``
    the formula goes on, so the rate climbs back to ``lr`` at ``2 T_max``: PyTorch
    does the same, so stop training at ``T_max`` (or join a constant with
    :func:`sequential`).

    PyTorch: ``CosineAnnealingLR(optimizer, T_max, eta_min)``. Chapter 5.
    """
    _validate.at_least(lr, 0.0, "lr")
    T_max = _validate.positive_int(T_max, "T_max")
    _validate.at_least(eta_min, 0.0, "eta_min")
    if np.any(np.asarray(eta_min) > np.asarray(lr)):
        raise ValueError(f"eta_min must be in [0, lr={lr!r}], got {eta_min!r}")
    return Schedule(
        lambda t: eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t / T_max)) / 2,
        "cosine_annealing_lr", lr=lr, T_max=T_max, eta_min=eta_min)


def linear_lr(lr, start_factor=1 / 3, end_factor=1.0, total_iters=5):
    r"""Linear ramp of the factor, then constant (a linear warmup when it rises):

    .. math::

        \eta_t = \eta \Bigl(f_0 + (f_1 - f_0) \frac{\min(t, T)}{T}\Bigr),
        \quad f_0 = \text{start\_factor},\ f_1 = \text{end\_factor},\ T = \text{total\_iters}

    PyTorch: ``LinearLR(optimizer, start_factor, end_factor, total_iters)``, with its
    ranges: ``start_factor`` in (0, 1], ``end_factor`` in [0, 1]. Chapter 5 (warmup).
    """
    _validate.at_least(lr, 0.0, "lr")
    _validate.in_range(start_factor, 0.0, 1.0, "start_factor", low_open=True, high_open=False)
    _validate.in_range(end_factor, 0.0, 1.0, "end_factor", high_open=False)
    total_iters = _validate.positive_int(total_iters, "total_iters")

    def formula(t):
        ramp = np.minimum(t, total_iters) / total_iters
        return lr * (start_factor + (end_factor - start_factor) * ramp)

    return Schedule(formula, "linear_lr", lr=lr, start_factor=start_factor,
                    end_factor=end_factor, total_iters=total_iters)


def sequential(schedules, milestones):
    r"""Join schedules end to end: schedule ``i`` runs from ``milestones[i-1]`` on.

    .. math::

        \eta_t = s_i(t - m_{i-1}) \quad \text{for}\ m_{i-1} \le t < m_i
        \qquad (m_0 = 0,\ m_n = \infty)

    Each schedule starts again from its own ``t = 0`` at its milestone.
    PyTorch: ``SequentialLR(optimizer, schedulers, milestones)``. Chapter 5 builds
    warmup followed by decay this way (:func:`warmup_cosine`).
    """
    schedules = list(schedules)
    if not schedules or not all(callable(s) for s in schedules):
        raise ValueError(f"schedules must be a non-empty list of schedules, got {schedules!r}")
    if any(isinstance(s, ReduceLROnPlateau) for s in schedules):
        raise ValueError("schedules cannot contain ReduceLROnPlateau: it depends on the loss")
    milestones = _increasing(milestones, "milestones")
    if len(milestones) != len(schedules) - 1:
        raise ValueError(f"milestones must have len(schedules) - 1 = {len(schedules) - 1} "
                         f"entries, got {len(milestones)}")
    starts = np.array([0] + milestones)

    def formula(t):
        which = np.searchsorted(milestones, t, side="right")
        values = [np.asarray(s(np.maximum(t - start, 0))) for s, start in zip(schedules, starts)]
        return np.choose(which, np.broadcast_arrays(*values))

    return Schedule(formula, "sequential", schedules=schedules, milestones=milestones)


def with_warmup(schedule, warmup_steps, start_factor=0.01):
    r"""``schedule`` after a linear warmup: the one way to add warmup to a schedule.

    .. math::

        \eta_t = \begin{cases}
          \eta_{\text{peak}} \bigl(f_0 + (1 - f_0)\, t / W\bigr) & t < W \\
          s(t - W) & W \le t
        \end{cases}
        \qquad \eta_{\text{peak}} = s(0)

    with ``W = warmup_steps``, ``f_0 = start_factor`` and ``s = schedule`` (a schedule,
    or a number for a constant rate). The rate climbs from ``f_0`` times the schedule's
    first rate to that rate, reached at ``t = W`` (the ``W + 1``-th step), and the
    schedule then runs from its own ``t = 0``. Warmup on its own ends at the peak rate:
    only the schedule after it decays.

    PyTorch: ``SequentialLR(optimizer, [LinearLR(optimizer, start_factor, 1.0, W),
    scheduler], milestones=[W])``. Chapter 5 (why warmup helps Adam early on; Goyal et
    al., 2017; Liu et al., 2020).
    """
    warmup_steps = _validate.positive_int(warmup_steps, "warmup_steps")
    _validate.in_range(start_factor, 0.0, 1.0, "start_factor", low_open=True, high_open=False)
    if isinstance(schedule, ReduceLROnPlateau):
        raise ValueError("schedule cannot be ReduceLROnPlateau: its rate depends on the loss, "
                         "not on the step")
    if not callable(_validate.learning_rate(schedule, "schedule")):
        schedule = constant(schedule)
    peak = schedule(0)
    return Schedule(sequential([linear_lr(peak, start_factor, 1.0, warmup_steps), schedule],
                               [warmup_steps]),
                    "with_warmup", schedule=schedule, warmup_steps=warmup_steps,
                    start_factor=start_factor)


def warmup_cosine(lr, warmup_steps, total_steps, eta_min=0.0, warmup_start_factor=0.01):
    r"""Linear warmup from ``warmup_start_factor * lr`` to ``lr``, then cosine decay.

    .. math::

        \eta_t = \begin{cases}
          \eta \bigl(f_0 + (1 - f_0)\, t / W\bigr) & t < W \\
          \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
              \bigl(1 + \cos\frac{\pi (t - W)}{T - W}\bigr) & W \le t
        \end{cases}

    with ``W = warmup_steps``, ``T = total_steps``: the peak ``lr`` is reached at
    ``t = W`` and the floor ``eta_min`` at ``t = T``. It is
    ``with_warmup(cosine_annealing_lr(lr, T - W, eta_min), W, warmup_start_factor)``.

    PyTorch: ``SequentialLR(optimizer, [LinearLR(optimizer, warmup_start_factor, 1.0,
    W), CosineAnnealingLR(optimizer, T - W, eta_min)], milestones=[W])``. Chapter 5.
    """
    warmup_steps = _validate.positive_int(warmup_steps, "warmup_steps")
    total_steps = _validate.positive_int(total_steps, "total_steps")
    if total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be > warmup_steps = {warmup_steps}, "
                         f"got {total_steps}")
    _validate.in_range(warmup_start_factor, 0.0, 1.0, "warmup_start_factor",
                      low_open=True, high_open=False)
    warmed = with_warmup(cosine_annealing_lr(lr, total_steps - warmup_steps, eta_min),
                         warmup_steps, warmup_start_factor)
    return Schedule(warmed, "warmup_cosine", lr=lr, warmup_steps=warmup_steps,
                    total_steps=total_steps, eta_min=eta_min,
                    warmup_start_factor=warmup_start_factor)


def inverse_time_lr(lr, lr_decay):
    r"""Inverse-time decay, Adagrad's ``lr_decay``: :math:`\eta_t = \eta_t' / (1 + t\,d)`.

    ``lr`` is a number or a schedule :math:`\eta_t'`, and ``d = lr_decay``.
    ``Adagrad(lr, lr_decay=d)`` uses ``inverse_time_lr(lr, d)`` as its rate.

    PyTorch: not a scheduler but ``torch.optim.Adagrad``'s ``lr_decay`` (applied on top
    of any scheduler). Chapter 2.
    """
    _validate.at_least(lr_decay, 0.0, "lr_decay")
    if isinstance(lr, ReduceLROnPlateau):
        raise ValueError("lr cannot be ReduceLROnPlateau together with lr_decay: use one "
                         "of the two")
    rate = _validate.learning_rate(lr)
    if callable(rate):
        return Schedule(lambda t: rate(t) / (1 + t * lr_decay), "inverse_time_lr",
                        lr=lr, lr_decay=lr_decay)
    return Schedule(lambda t: rate / (1 + t * lr_decay), "inverse_time_lr",
                    lr=lr, lr_decay=lr_decay)


def inverse_sqrt(lr, warmup_steps):
    r"""The Transformer schedule (Vaswani et al., 2017), scaled so that its peak is ``lr``:

    .. math::

        \eta_t = \eta \min\Bigl(\frac{t+1}{W}, \sqrt{\frac{W}{t+1}}\Bigr),
        \qquad W = \text{warmup\_steps}

    The paper's step number is ``t + 1`` (it counts from 1) and its factor
    ``d_model^{-1/2} W^{-1/2}`` is replaced by ``lr``: a linear rise to the peak
    ``lr`` at the ``W``-th step (``t = W - 1``), then decay like ``1/sqrt(t)``.

    PyTorch: ``LambdaLR(optimizer, lambda t: min((t + 1) / W, (W / (t + 1)) ** 0.5))``.
    Chapter 5.
    """
    _validate.at_least(lr, 0.0, "lr")
    warmup_steps = _validate.positive_int(warmup_steps, "warmup_steps")

    def formula(t):
        step = t + 1
        return lr * np.minimum(step / warmup_steps, np.sqrt(warmup_steps / step))

    return Schedule(formula, "inverse_sqrt", lr=lr, warmup_steps=warmup_steps)


class ReduceLROnPlateau:
    r"""Divide the learning rate when the loss stops improving: the one stateful schedule.

    After each epoch (or step) call ``step(metric)`` with the monitored value. A value
    is an *improvement* if it beats the best so far by the threshold:

    ============  ================================  ===============================
    mode          ``threshold_mode='rel'``          ``threshold_mode='abs'``
    ============  ================================  ===============================
    ``'min'``     ``metric < best * (1 - thr)``     ``metric < best - thr``
    ``'max'``     ``metric > best * (1 + thr)``     ``metric > best + thr``
    ============  ================================  ===============================

    When more than ``patience`` steps in a row bring no improvement, the rate becomes
    ``max(lr * factor, min_lr)``, unless that changes it by ``eps`` or less (then it
    stays); the count restarts and the next ``cooldown`` steps are not counted.

    .. warning:: ``threshold_mode='rel'`` assumes a positive metric such as a loss. For
       a negative metric in ``'min'`` mode the bar ``best * (1 - threshold)`` lies
       *above* ``best``, so a flat or slightly worse value still counts as an
       improvement. PyTorch behaves the same; use ``'abs'`` for such metrics.

    PyTorch: ``ReduceLROnPlateau(optimizer, mode, factor, patience, threshold,
    threshold_mode, cooldown, min_lr, eps)``, with the same semantics and defaults.
    Used as an optimizer's ``lr`` (``Adam(lr=ReduceLROnPlateau(1e-2))``): calling it
    returns the current rate, whatever ``t``; ``lrcourse.run`` steps it with the loss
    after every update. Chapter 5 (Adam with ReduceLROnPlateau).
    """

    def __init__(self, lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if np.ndim(lr) != 0:
            raise ValueError(f"lr must be a single number >= 0, got {lr!r}")
        self.initial_lr = float(_validate.at_least(lr, 0.0, "lr"))
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = _validate.in_range(factor, 0.0, 1.0, "factor")
        self.patience = _validate.positive_int(patience, "patience", allow_zero=True)
        if threshold_mode == "rel":
            self.threshold = _validate.in_range(threshold, 0.0, 1.0, "threshold")
        else:
            self.threshold = _validate.at_least(threshold, 0.0, "threshold")
        self.cooldown = _validate.positive_int(cooldown, "cooldown", allow_zero=True)
        self.min_lr = _validate.at_least(min_lr, 0.0, "min_lr")
        self.eps = _validate.at_least(eps, 0.0, "eps")
        self.reset()

    def reset(self):
        """Back to the initial rate, with no best value and no counts."""
        self.lr = self.initial_lr
        self.best = np.inf if self.mode == "min" else -np.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, metric):
        """Does ``metric`` improve on the best so far by more than the threshold?"""
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" \
                else self.best - self.threshold
            return metric < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" \
            else self.best + self.threshold
        return metric > bar

    def step(self, metric):
        """Record one value of the monitored metric; return the (possibly new) rate."""
        metric = float(metric)
        if self.is_better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad steps right after a reduction do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:  # PyTorch skips changes of eps or less
                self.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        return self.lr

    def __call__(self, t=None):
        """The current rate (``t`` is ignored: the rate depends on the metrics seen)."""
        return self.lr

    def __repr__(self):
        return (f"ReduceLROnPlateau(lr={self.initial_lr!r}, mode={self.mode!r}, "
                f"factor={self.factor!r}, patience={self.patience!r}, "
                f"threshold={self.threshold!r}, threshold_mode={self.threshold_mode!r}, "
                f"cooldown={self.cooldown!r}, min_lr={self.min_lr!r}, eps={self.eps!r}; "
                f"current lr={self.lr!r})")
