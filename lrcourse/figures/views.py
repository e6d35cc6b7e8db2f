r"""Figures that are drawn once and then updated many times: the interactive figures' canvas.

Two layouts, each shared by a live widget (:mod:`lrcourse.figures.interactive`) and a static
scrubbable figure for the website (:mod:`lrcourse.figures.scrubber`):

* :class:`PathView`: a 2-D problem's loss contours with optimizer paths, and beside it
  the loss gap :math:`L(\theta_t) - L^*` or the step sizes :math:`\eta_t/\sigma_t`
  against the step (chapters 2 to 5);
* :class:`RaceView`: several optimizers stepped together; at the current step each one
  shows the negative gradient :math:`-g_t`, its direction :math:`-m_t` and the step it
  actually takes, and bars give its per-parameter step size :math:`\eta_t / \sigma_t`,
  the three knobs of :math:`\theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t} m_t`.

Speed is the point: the contour grid is evaluated and drawn once and kept as a bitmap;
an update only moves line data and redraws those lines on top (matplotlib "blitting"),
so re-running 300 steps and redrawing stays well under 100 ms (``python -m bench``).
The figures are plain :class:`matplotlib.figure.Figure` objects with an Agg canvas, not
pyplot figures, so a notebook never shows them twice.
"""

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..numerics.runner import run
from . import _arguments, plotting

#: How far below the largest loss gap of the window the loss axis reaches.
LOSS_DECADES = 14
ARROW_FRACTION = 0.09  # arrow length, as a fraction of the contour axes' width
DIVERGED_COLOR = "#B3261E"
GRADIENT_COLOR = "#777777"  # the race's -g_t arrows: no optimizer's colour


def _canvas(size, dpi):
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def loss_range(problem, grid=60):
    """``(floor, top)`` of the loss-gap axis: from the window's largest gap down 14 decades."""
    _, _, loss = problem.grid(grid)
    top = 10 * max(float(np.max(loss)) - problem.min_loss, 1e-12)
    return top * 10.0**-LOSS_DECADES, top


def status(trajectory, problem):
    """One line for the figure: the final loss gap, or the step at which the run diverged."""
    if trajectory.diverged:
        return f"{trajectory.name}: diverged at step {trajectory.diverged_at}"
    gap = trajectory.loss[-1] - problem.min_loss
    return f"{trajectory.name}: loss gap {gap:.2g} after {trajectory.steps} steps"


class _View:
    """A figure whose static part is drawn once; ``animated`` artists are redrawn on top."""

    def _finish(self):
        self.canvas = self.fig.canvas
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _blit(self, artists):
        self.canvas.restore_region(self._background)
        for artist in artists:
            if artist.get_visible():
                artist.axes.draw_artist(artist)

    def rgb(self):
        """The figure as it is now, an ``(height, width, 3)`` uint8 array."""
        return np.asarray(self.canvas.buffer_rgba())[..., :3]

    def png(self, colors=None):
        """The figure as it is now, as PNG bytes; ``colors`` quantizes to a palette (smaller)."""
        from PIL import Image

        image = Image.fromarray(self.rgb())
        if colors:
            image = image.quantize(colors=colors, method=Image.Quantize.MAXCOVERAGE)
        out = io.BytesIO()
        image.save(out, format="png", optimize=bool(colors), compress_level=1 if not colors else 9)
        return out.getvalue()

    def background_png(self, colors=256):
        """The static part alone (no paths), palette-quantized: a scrubber's backdrop."""
        self.canvas.restore_region(self._background)
        return self.png(colors)

    @property
    def size(self):
        """``(width, height)`` in pixels."""
        return self.canvas.get_width_height()

    def to_pixels(self, ax, xy):
        """Data coordinates of ``ax`` to image pixels, origin top left (as in SVG)."""
        px = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2))
        px[:, 1] = self.size[1] - px[:, 1]
        return px

    def box(self, ax):
        """``(x, y, width, height)`` of ``ax``'s plotting area in image pixels (SVG)."""
        x0, y0, x1, y1 = ax.bbox.extents
        return (x0, self.size[1] - y1, x1 - x0, y1 - y0)


class PathView(_View):
    """Contours of a 2-D problem with optimizer paths, and a panel of curves beside them.

    ``names`` fixes the paths' colours and the legend (the book's colour per optimizer).
    The right panel ``right`` is ``"loss"`` (the loss gap :math:`L(\\theta_t) - L^*`) or
    ``"step_size"`` (:math:`\\eta_t / \\sigma_t` of each parameter: solid for
    :math:`w_1`, dashed for :math:`w_2`), on a log scale whose range is ``ylim`` (by
    default the loss range of the window, or ``(1e-4, 10)`` for step sizes; a step-size
    curve that leaves it widens it). ``reference`` runs are drawn once, fixed, for
    comparison. ``show(trajectories)`` redraws the paths; a run that diverged is drawn up
    to its last finite point and the figure says ``"<name>: diverged at step k"`` in red.
    """

    def __init__(self, problem, names, steps, *, right="loss", reference=(), ylim=None,
                 size=(8.0, 3.3), dpi=80, grid=150):
        if right not in ("loss", "step_size"):
            raise ValueError(f"right must be 'loss' or 'step_size', got {right!r}")
        self.problem, self.names, self.steps, self.right = problem, list(names), steps, right
        _arguments.plane(problem)
        self.fig = _canvas(size, dpi)
        self.ax, self.ax_right = self.fig.subplots(1, 2, width_ratios=(3, 2))
        plotting.contour(problem, ax=self.ax, n=grid)
        self.floor, self.top = ylim or (loss_range(problem) if right == "loss" else (1e-4, 10.0))
        self.ax_right.set(yscale="log", xlim=(0, steps), ylim=(self.floor, self.top),
                          xlabel="step $t$", ylabel="loss gap $L(\\theta_t) - L^*$"
                          if right == "loss" else "step size $\\eta_t / \\sigma_t$")
        every = self.names + [tr.name for tr in reference]
        colors = [plotting.color(name, i) for i, name in enumerate(every)]
        fixed = []
        for tr, c in zip(reference, colors[len(self.names):]):
            self.ax.plot(tr.params[:, 0], tr.params[:, 1], color=c, lw=1.2)
            fixed += [self.ax_right.plot(*xy.T, color=c, lw=1.2, ls=plotting.LINESTYLES[j])[0]
                      for j, xy in enumerate(self.curve_data(tr))][:1]
        colors = colors[:len(self.names)]
        self.paths = [self.ax.plot([], [], color=c, lw=1.6, animated=True)[0] for c in colors]
        self.heads = [self.ax.plot([], [], "o", color=c, ms=6, mec="white", animated=True)[0]
                      for c in colors]
        per_run = 1 if right == "loss" else problem.dim
        self.curves = [[self.ax_right.plot([], [], color=c, lw=1.4, animated=True,
                                           ls=plotting.LINESTYLES[j])[0] for j in range(per_run)]
                       for c in colors]
        self.text = self.ax.text(0.02, 0.97, "", transform=self.ax.transAxes, va="top",
                                 fontsize="small", animated=True,
                                 bbox=dict(fc="white", ec="none", alpha=0.85))
        handles = [c[0] for c in self.curves] + fixed
        if right == "step_size":
            handles += [Line2D([], [], color="k", ls=plotting.LINESTYLES[j], lw=1)
                        for j in range(per_run)]
            every += [f"$w_{j + 1}$" for j in range(per_run)]
        self.ax_right.legend(handles, every, fontsize="x-small", loc="best")
        self._finish()

    def gap(self, trajectory):
        """The loss gap of a run, clipped to the axis floor (log scale)."""
        return np.maximum(trajectory.loss - self.problem.min_loss, self.floor)

    def curve_data(self, trajectory):
        """The right panel's curves for one run: ``(n, 2)`` arrays of (step, value).

        The loss gap is at the points ``t = 0..T``; the step size of the step that
        leads to point ``t`` is drawn at ``t = 1..T``.
        """
        if self.right == "loss":
            return [np.c_[np.arange(len(trajectory.loss)), self.gap(trajectory)]]
        sizes = np.maximum(trajectory.step_size[:len(trajectory.params) - 1], self.floor / 10)
        t = np.arange(1, len(sizes) + 1)
        return [np.c_[t, sizes[:, j]] for j in range(sizes.shape[1])]

    def _widen(self, trajectories):
        """Widen the step-size axis (a full redraw, rare) if a curve would leave it."""
        values = np.concatenate([xy[:, 1] for tr in trajectories for xy in self.curve_data(tr)]
                                + [[self.floor, self.top]])
        low, high = np.min(values), np.max(values)
        if low >= self.floor and high <= self.top:
            return
        self.floor = min(self.floor, 10.0 ** np.floor(np.log10(low) - 1))
        self.top = max(self.top, 10.0 ** np.ceil(np.log10(high) + 1))
        self.ax_right.set_ylim(self.floor, self.top)
        self._finish()

    def show(self, trajectories, upto=None, message=None):
        """Draw each run's path and curves up to step ``upto`` (default all); returns ``self``."""
        lines = []
        curves = [line for run_curves in self.curves for line in run_curves]
        for artist in self.paths + self.heads + curves:
            artist.set_data([], [])
        if self.right == "step_size":
            self._widen(trajectories)
        for tr, path, head, run_curves in zip(trajectories, self.paths, self.heads, self.curves):
            n = len(tr.params) if upto is None else min(upto + 1, len(tr.params))
            path.set_data(tr.params[:n, 0], tr.params[:n, 1])
            head.set_data(tr.params[n - 1:n, 0], tr.params[n - 1:n, 1])
            for line, xy in zip(run_curves, self.curve_data(tr)):
                line.set_data(*xy[xy[:, 0] <= n - 1].T)
            lines.append(status(tr, self.problem))
        diverged = any(tr.diverged for tr in trajectories)
        self.text.set_text(message or "\n".join(lines))
        self.text.set_color(DIVERGED_COLOR if diverged or message else "black")
        self._blit(self.paths + self.heads + curves + [self.text])
        return self


# ------------------------------------------------------------------------ the race


@dataclass
class RaceRun:
    """One optimizer's run in a race: the trajectory and, per step, the gradient ``g_t``.

    The direction ``m_t`` is the trajectory's own record; the gradient is evaluated at
    each point again, which is the one the step used because a race runs on full data.
    """

    trajectory: object
    grads: np.ndarray

    @property
    def directions(self):
        return self.trajectory.direction[:self.moves]

    @property
    def moves(self):
        """Steps that have a next point: the last point of a diverged run has none."""
        return len(self.trajectory.params) - 1


def record_race(optimizers, problem, steps=60, x0=None):
    """Run several optimizers (a dict ``name -> optimizer``) from the same start.

    Returns a dict ``name -> RaceRun``: each run with the gradient of each step.
    """
    optimizers = _arguments.entrants(optimizers)
    problem = _arguments.plane(problem)
    out = {}
    for name, optimizer in optimizers.items():
        trajectory = run(optimizer, problem, x0, steps, name=name)
        points = trajectory.params[:len(trajectory.params) - 1]
        grads = np.array([problem.grad(p) for p in points]).reshape(-1, problem.dim)
        out[name] = RaceRun(trajectory, grads)
    return out


class RaceView(_View):
    """Optimizers side by side at one step: arrows on the contours, step sizes as bars.

    At step ``t`` each optimizer's current point carries three arrows of equal length (on
    screen), so only their directions are compared: the negative gradient ``-g_t``
    (grey), the direction ``-m_t`` it follows (thin, its colour) and the step it takes,
    ``-eta_t/sigma_t * m_t`` (thick). The bars show ``eta_t/sigma_t`` for each parameter
    on a log scale: an adaptive method gives the flat direction the larger step.
    """

    def __init__(self, problem, races, *, size=(8.0, 3.3), dpi=80, grid=150):
        self.problem, self.races = _arguments.plane(problem), races
        self.names = list(races)
        self.fig = _canvas(size, dpi)
        self.ax, self.ax_bar = self.fig.subplots(1, 2, width_ratios=(3, 2))
        plotting.contour(problem, ax=self.ax, n=grid)
        self.colors = [plotting.color(name, i) for i, name in enumerate(self.names)]
        self.paths = [self.ax.plot([], [], color=c, lw=1.3, animated=True)[0] for c in self.colors]
        self.heads = [self.ax.plot([], [], "o", color=c, ms=6, mec="white", animated=True)[0]
                      for c in self.colors]
        kinds = {"gradient": ([GRADIENT_COLOR] * len(self.names), 1.0),
                 "direction": (self.colors, 0.9), "step": (self.colors, 2.4)}
        self.arrows = {kind: [self._arrow(c, lw) for c in colors]
                       for kind, (colors, lw) in kinds.items()}
        self._bars(self.ax_bar)
        self.text = self.ax.text(0.02, 0.97, "", transform=self.ax.transAxes, va="top",
                                 fontsize="small", animated=True,
                                 bbox=dict(fc="white", ec="none", alpha=0.85))
        self.ax.legend([Line2D([], [], color=GRADIENT_COLOR, lw=1),
                        Line2D([], [], color="k", lw=0.9), Line2D([], [], color="k", lw=2.4)],
                       ["$-g_t$", "$-m_t$", "step taken"], loc="lower right",
                       fontsize="x-small", framealpha=0.9)
        self._finish()

    def _arrow(self, color, lw):
        return self.ax.annotate("", (0, 0), (0, 0), animated=True, annotation_clip=False,
                                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw, shrinkA=0,
                                                shrinkB=0, mutation_scale=9))

    def _bars(self, ax):
        sizes = np.concatenate([r.trajectory.step_size[:r.moves].ravel() for r in
                                self.races.values()] + [np.ones(1)])
        sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
        self.bar_low = float(np.min(sizes)) / 3
        k, width = len(self.names), 0.8 / len(self.names)
        self.bar_x = [np.arange(self.problem.dim) - 0.4 + width * (i + 0.5) for i in range(k)]
        self.bar_width = width
        self.bars = [ax.bar(x, np.full(self.problem.dim, self.bar_low), width, bottom=self.bar_low,
                            color=c, animated=True, label=name)
                     for x, c, name in zip(self.bar_x, self.colors, self.names)]
        ax.set(yscale="log", ylim=(self.bar_low, 3 * float(np.max(sizes))),
               xticks=range(self.problem.dim), xlim=(-0.6, self.problem.dim - 0.4),
               xticklabels=[f"$w_{i + 1}$" for i in range(self.problem.dim)],
               ylabel="step size $\\eta_t / \\sigma_t$")
        ax.legend(handles=[b.patches[0] for b in self.bars], labels=self.names,
                  fontsize="x-small", loc="upper left")

    def arrow_ends(self, name, t):
        """Where the three arrows of ``name`` at step ``t`` start and end (data coordinates).

        Returns ``(start, {"gradient": end, "direction": end, "step": end})`` or ``None``
        when the run has no step ``t`` (it diverged earlier).
        """
        race = self.races[name]
        if t >= race.moves:
            return None
        p = race.trajectory.params
        vectors = {"gradient": -race.grads[t], "direction": -race.directions[t],
                   "step": p[t + 1] - p[t]}
        scale = np.abs(np.diff(self.ax.transData.transform([[0, 0], [1, 1]]), axis=0)[0])
        length = ARROW_FRACTION * self.ax.bbox.width
        ends = {}
        for kind, v in vectors.items():
            on_screen = np.hypot(*(v * scale))
            ends[kind] = p[t] + (v * length / on_screen if on_screen > 0 else 0 * v)
        return p[t], ends

    def caption(self, t):
        """The state at step ``t`` in words: each optimizer's step sizes, or its divergence."""
        parts = []
        for name, race in self.races.items():
            if t >= race.moves:
                parts.append(f"{name} diverged at step {race.trajectory.diverged_at}")
                continue
            sizes = ", ".join(f"{s:.2g}" for s in race.trajectory.step_size[t])
            parts.append(f"{name} η/σ = ({sizes})")
        return f"step {t}: " + "; ".join(parts)

    def show(self, t):
        """Draw every optimizer at step ``t``; returns ``self``."""
        artists = []
        for i, (name, race) in enumerate(self.races.items()):
            p = race.trajectory.params
            n = min(t + 1, len(p))
            self.paths[i].set_data(p[:n, 0], p[:n, 1])
            self.heads[i].set_data(p[n - 1:n, 0], p[n - 1:n, 1])
            where = self.arrow_ends(name, t)
            for kind, arrows in self.arrows.items():
                arrows[i].set_visible(where is not None)
                if where is not None:
                    arrows[i].xy, arrows[i].xyann = where[1][kind], where[0]
                artists.append(arrows[i])
            sizes = race.trajectory.step_size[t] if where is not None else None
            for j, rect in enumerate(self.bars[i].patches):
                rect.set_visible(sizes is not None)
                if sizes is not None:
                    rect.set_height(max(float(sizes[j]), self.bar_low) - self.bar_low)
            artists += [self.paths[i], self.heads[i]] + list(self.bars[i].patches)
        diverged = [f"{n} diverged at step {r.trajectory.diverged_at}"
                    for n, r in self.races.items() if t >= r.moves]
        self.text.set_text("\n".join([f"step {t}"] + diverged))
        self.text.set_color(DIVERGED_COLOR if diverged else "black")
        self._blit(artists + [self.text])
        return self
