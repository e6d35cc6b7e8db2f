"""Sliders for a running kernel, and one call that also works on the static website.

* :func:`explorer`: sliders for an optimizer's hyperparameters (the learning rate on a
  log scale, ``alpha``, ``betas``...) and its starting point, and dropdowns for choices
  such as the schedule (:data:`SCHEDULES`); every move re-runs the optimizer and redraws
  its path and loss gap (under 100 ms).
* :func:`race_explorer`: several optimizers stepped together, with a step slider and a
  play button; at each step the figure shows ``-g_t``, ``-m_t``, the step taken and
  ``eta_t / sigma_t`` per parameter (:class:`lrcourse.figures.views.RaceView`).
* :func:`explore` and :func:`race`: what a chapter calls. They return an object that a
  Jupyter frontend shows as the live widget and the website (which has no kernel) shows
  as the equivalent static scrubbable figure of :mod:`lrcourse.figures.scrubber`.

A setting that diverges says so on the figure ("diverged at step k"); a value an
optimizer rejects (say ``betas[1] = 1``) shows its error message instead of a plot.
Chapters 2 to 5 use these; ipywidgets is imported only when a widget is built.
"""

import html
from dataclasses import dataclass

import numpy as np

from ..numerics import _validate
from ..numerics import schedules as sched
from ..numerics.runner import run
from . import _arguments, scrubber
from .views import PathView, RaceView, record_race


@dataclass(frozen=True)
class LogRange:
    """A slider on a log scale from ``low`` to ``high`` starting at ``value`` (learning rates)."""

    low: float
    high: float
    value: float

    def values(self, n):
        """``n`` values spaced evenly on the log scale, for a static scrubber."""
        return np.geomspace(self.low, self.high, n)

    def widget(self, label):
        import ipywidgets as w

        return w.FloatLogSlider(value=self.value, base=10, min=np.log10(self.low),
                                max=np.log10(self.high), step=0.02, description=label,
                                readout_format=".3g", continuous_update=True)


@dataclass(frozen=True)
class Range:
    """A linear slider from ``low`` to ``high`` starting at ``value`` (``alpha``, betas).

    If all four numbers are integers (``Range(0, 100, 10, 1)``), it is a slider of integers.
    """

    low: float
    high: float
    value: float
    step: float = None

    def _integer(self):
        return all(isinstance(v, int) for v in (self.low, self.high, self.value, self.step))

    def values(self, n):
        values = np.linspace(self.low, self.high, n)
        return np.unique(values.round()).astype(int) if self._integer() else values

    def widget(self, label):
        import ipywidgets as w

        if self._integer():
            return w.IntSlider(value=self.value, min=self.low, max=self.high, step=self.step,
                               description=label, continuous_update=True)
        step = self.step or (self.high - self.low) / 200
        return w.FloatSlider(value=self.value, min=self.low, max=self.high, step=step,
                             description=label, readout_format=".4g", continuous_update=True)


@dataclass(frozen=True)
class Choice:
    """A dropdown of ``options`` starting at ``value`` (the first option by default)."""

    options: tuple
    value: object = None

    def __post_init__(self):
        object.__setattr__(self, "options", tuple(self.options))
        if self.value is None:
            object.__setattr__(self, "value", self.options[0])
        if self.value not in self.options:
            raise ValueError(f"value must be one of {self.options!r}, got {self.value!r}")

    def values(self, n=None):
        return list(self.options)

    def widget(self, label):
        import ipywidgets as w

        return w.Dropdown(options=self.options, value=self.value, description=label)


def _start_sliders(problem, x0):
    import ipywidgets as w

    x0 = np.asarray(problem.start if x0 is None else x0, dtype=float)
    sliders = []
    for i, (value, (low, high)) in enumerate(zip(x0, (problem.xlim, problem.ylim))):
        step = 10.0 ** np.floor(np.log10((high - low) / 100))  # a round step: 0.1, 0.01...
        sliders.append(w.FloatSlider(value=float(value), min=min(low, value),
                                     max=max(high, value), step=step,
                                     description=f"start w{i + 1}", readout_format=".2f"))
    return sliders


#: Schedules for a dropdown: ``name -> f(lr, steps, warmup)``, the peak rate ``lr``
#: reached after ``warmup`` steps (0: none), ending by ``steps``. Use with
#: ``Choice(SCHEDULES)`` and ``make_optimizer(lr, schedule, ...)``, see :func:`explorer`.
SCHEDULES = {
    "constant": lambda lr, steps, warmup=0: _warm(sched.constant(lr), warmup),
    "step decay": lambda lr, steps, warmup=0: _warm(
        sched.step_lr(lr, step_size=max((steps - warmup) // 3, 1), gamma=0.3), warmup),
    "exponential": lambda lr, steps, warmup=0: _warm(
        sched.exponential_lr(lr, gamma=0.01 ** (1 / max(steps - warmup, 1))), warmup),
    "cosine": lambda lr, steps, warmup=0: _warm(
        sched.cosine_annealing_lr(lr, T_max=max(steps - warmup, 1)), warmup),
    "inverse sqrt": lambda lr, steps, warmup=0: sched.inverse_sqrt(lr, max(warmup, 1)),
}


def _warm(schedule, warmup):
    """``schedule`` after ``warmup`` steps of linear warmup; a slider at 0 means none."""
    return sched.with_warmup(schedule, warmup) if warmup else schedule


def _explorer_arguments(make_optimizer, problem, controls, steps, scrub=None):
    """Check an explorer's arguments at the learner's call, not in a widget callback."""
    _arguments.plane(problem)
    _validate.positive_int(steps, "steps")
    is_optimizer = callable(getattr(make_optimizer, "step", None))
    if not callable(make_optimizer) or is_optimizer and not isinstance(make_optimizer, type):
        raise ValueError(f"make_optimizer must be a function of the controls' values, such "
                         f"as lambda lr: Adam(lr=lr), got {_arguments.kind(make_optimizer)}")
    if not isinstance(controls, dict) or not controls:
        raise ValueError(f"controls must be a dict name -> LogRange, Range or Choice, such "
                         f"as {{'lr': LogRange(1e-3, 1, 0.1)}}, got {_arguments.kind(controls)}")
    for key, spec in controls.items():
        if not isinstance(spec, (LogRange, Range, Choice)):
            raise ValueError(f"controls[{key!r}] must be a LogRange, Range or Choice, "
                             f"got {_arguments.kind(spec)}")
    if scrub is not None and scrub not in controls:
        raise ValueError(f"scrub must be one of the controls {sorted(controls)}, got {scrub!r}")


def _name(make_optimizer, controls, name):
    if name:
        return name
    return type(make_optimizer(**{k: c.value for k, c in controls.items()})).__name__


def _draw_when_shown(draw):
    """Call ``draw`` when a Jupyter frontend shows the widget, not merely when the cell runs.

    A frontend that renders widgets creates the ``jslink`` below and at once copies 1
    into ``shown`` (and tells the kernel), which draws the first frame. The book build
    runs the notebook with no frontend: nothing is drawn, so no picture ends up in the
    widget state the build writes into the page. Returns the widgets to keep.
    """
    import ipywidgets as w

    shown, one = w.IntText(0), w.IntText(1)  # never displayed
    shown.observe(lambda _change: draw(), names="value")
    return [shown, one, w.jslink((one, "value"), (shown, "value"))]


def explorer(make_optimizer, problem, controls, *, steps=300, x0=None, name=None,
             right="loss", reference=()):
    """Live sliders: move one and the optimizer re-runs and its path is redrawn.

    ``make_optimizer(**values)`` builds the optimizer from the controls' values, e.g.
    ``lambda lr, alpha: RMSprop(lr=lr, alpha=alpha)`` with ``controls={"lr":
    LogRange(1e-3, 1, 0.05), "alpha": Range(0.5, 0.999, 0.9)}``. A :class:`Choice` is a
    dropdown, e.g. ``"schedule": Choice(SCHEDULES)`` with ``lambda lr, schedule:
    AdagradMean(lr=SCHEDULES[schedule](lr, steps))``. Sliders for the start ``(w1, w2)``
    are added (the problem must be 2-D, with a plotting window). ``right`` picks the panel
    beside the contours (``"loss"`` or ``"step_size"``) and ``reference`` adds fixed runs
    to compare with (see :class:`~lrcourse.figures.views.PathView`). Returns an ipywidgets box
    whose figure is an image, redrawn at every change (``box.views[0]``, the
    :class:`~lrcourse.figures.views.PathView` behind it, once first drawn).
    """
    _explorer_arguments(make_optimizer, problem, controls, steps)
    import ipywidgets as w

    name = _name(make_optimizer, controls, name)
    views = []  # the figure, made on the first draw: a headless run never pays for it
    sliders = {key: spec.widget(key) for key, spec in controls.items()}
    starts = _start_sliders(problem, x0)
    image = w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))

    def update(_change=None):
        if not views:
            views.append(PathView(problem, [name], steps, right=right, reference=reference))
        view = views[0]
        try:
            optimizer = make_optimizer(**{k: s.value for k, s in sliders.items()})
            trajectory = run(optimizer, problem, [s.value for s in starts], steps, name=name)
        except ValueError as error:  # a value the optimizer rejects: say which and why
            image.value = view.show([], message=str(error)).png()
            return
        image.value = view.show([trajectory]).png()

    controls_box = list(sliders.values()) + starts
    for control in controls_box:
        control.observe(update, names="value")
    box = w.VBox([w.HBox([w.VBox(controls_box[:3]), w.VBox(controls_box[3:])]), image])
    box.keep = _draw_when_shown(update)
    box.views = views  # the figure behind the image, for tests and the benchmark
    return box


def race_explorer(optimizers, problem, *, steps=60, x0=None):
    """Live race: a step slider and a play button over several optimizers run together.

    ``optimizers`` is a dict ``name -> optimizer``; all start from ``x0`` (default
    ``problem.start``). The runs are computed once; moving the slider only redraws.
    """
    _arguments.entrants(optimizers)
    _arguments.plane(problem)
    _validate.positive_int(steps, "steps")
    import ipywidgets as w

    views = []  # runs and figure, made on the first draw (never in a headless run)
    step = w.IntSlider(value=0, min=0, max=steps - 1, description="step",
                       continuous_update=True)
    play = w.Play(value=0, min=0, max=steps - 1, interval=150, description="play")
    w.jslink((play, "value"), (step, "value"))
    image = w.Image(format="png", layout=w.Layout(width="100%", max_width="800px"))
    caption = w.HTML()

    def update(_change=None):
        if not views:
            views.append(RaceView(problem, record_race(optimizers, problem, steps, x0)))
        image.value = views[0].show(step.value).png()
        caption.value = html.escape(views[0].caption(step.value))

    step.observe(update, names="value")
    box = w.VBox([w.HBox([play, step]), image, caption])
    box.keep = _draw_when_shown(update)
    box.views = views
    return box


class LiveOrStatic:
    """Displays as a live widget in a Jupyter frontend and as a static figure elsewhere.

    Its output carries both: the widget view (which Jupyter frontends prefer) and the
    static scrubber's HTML. The website is built with the widget view removed from the
    HTML output priority (``nb_mime_priority_overrides`` in ``_config.yml``), so readers
    get the static figure and never a dead widget.

    The static figure runs the optimizer of every frame and draws the figure, so it is
    made the first time it is needed (shown, or read as ``static``), not before: an
    output that is never shown as HTML costs nothing.
    """

    def __init__(self, make_widget, make_static):
        self._make_widget = make_widget
        self._make_static = make_static
        self._static = None

    @property
    def static(self):
        """The static scrubber (:class:`~lrcourse.figures.scrubber.Scrubber`)."""
        if self._static is None:
            self._static = self._make_static()
        return self._static

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.static._repr_mimebundle_()
        try:
            widget = self._make_widget()
        except ImportError:  # no ipywidgets: the static figure alone
            return bundle
        live = widget._repr_mimebundle_()
        bundle.update({k: v for k, v in live.items() if k != "text/plain"})
        return bundle


def explore(make_optimizer, problem, controls, *, steps=300, x0=None, name=None,
            right="loss", reference=(), scrub="lr", frames=16, alt=None):
    """A chapter's explorer: live sliders in a kernel, a scrubber over ``scrub`` on the website.

    Takes :func:`explorer`'s arguments. The static figure has ``frames`` values of the
    control ``scrub`` (default the learning rate; every option of a :class:`Choice`) and
    keeps the other controls at their starting values. ``alt`` describes it for screen
    readers.
    """
    _explorer_arguments(make_optimizer, problem, controls, steps, scrub)
    values = {k: c.value for k, c in controls.items()}

    def build(v):
        return make_optimizer(**{**values, scrub: v})

    if x0 is not None:
        _validate.point(x0, "x0", problem.dim)
    frame_values = list(controls[scrub].values(frames))
    for v in frame_values:  # a value the optimizer rejects is an error here, not when shown
        build(v)
    shown_name = _name(make_optimizer, controls, name)

    def static():
        return scrubber.value_scrubber(
            build, problem, frame_values, label=scrub, steps=steps, x0=x0, name=shown_name,
            start=controls[scrub].value, right=right, reference=reference, alt=alt)

    return LiveOrStatic(lambda: explorer(make_optimizer, problem, controls, steps=steps, x0=x0,
                                         name=name, right=right, reference=reference), static)


def race(optimizers, problem, *, steps=60, x0=None, frames=80, alt=None):
    """A chapter's optimizer race: live in a kernel (every step), scrubbable on the website
    (``frames`` steps spread over the run). ``optimizers``: a dict ``name -> optimizer``."""
    _arguments.entrants(optimizers)
    _arguments.plane(problem)
    _validate.positive_int(steps, "steps")
    _validate.positive_int(frames, "frames")
    if x0 is not None:
        _validate.point(x0, "x0", problem.dim)
    return LiveOrStatic(
        lambda: race_explorer(optimizers, problem, steps=steps, x0=x0),
        lambda: scrubber.race_scrubber(optimizers, problem, steps=steps, x0=x0, frames=frames,
                                       alt=alt))
