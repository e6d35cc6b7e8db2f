"""Scrubbable figures for the static website: a slider swaps frames in the browser, no kernel.

A figure is one self-contained HTML fragment (class ``lrcourse-scrubber``):

* a palette PNG of everything that never changes (contours, axes, labels, legends),
  drawn once by :mod:`lrcourse.figures.views`, inlined as a ``data:`` URI with alt text;
* the parts that change (paths, loss curves, arrows, bars, "diverged at step k") as
  pixel coordinates in a JSON block, drawn as SVG over the picture by a few dozen lines
  of JavaScript (``scrubber.js``, inlined) when the slider moves.

Nothing is requested from any other host, and a figure weighs tens of kilobytes where
one PNG per frame would weigh megabytes. Three kinds:

* :func:`value_scrubber`: one optimizer, one frame per value of a hyperparameter;
* :func:`step_scrubber`: finished runs, one frame per step (with a play button);
* :func:`race_scrubber`: the optimizer race of :class:`lrcourse.figures.views.RaceView`.

:func:`lrcourse.figures.interactive.explore` and :func:`lrcourse.figures.interactive.race`
put these on the website in place of their live widgets. Chapters 2 to 5.
"""

import base64
import hashlib
import html
import json
import numbers
from importlib import resources

import numpy as np

from ..numerics.runner import run
from . import _arguments
from .views import DIVERGED_COLOR, GRADIENT_COLOR, PathView, RaceView, record_race, status

SIZE, DPI = (8.0, 3.3), 96  # 768 x 317 pixels



def _player():
    """The player script (``scrubber.js`` beside this module), inlined into every figure.

    Inlined rather than linked so a figure is one fragment that needs no other file; a
    ``</`` in it would end the ``<script>`` element early, hence the check.
    """
    text = resources.files(__package__).joinpath("scrubber.js").read_text(encoding="utf8")
    if "</" in text:
        raise ValueError("scrubber.js must not contain '</': it is inlined in a <script>")
    return text


_JS = _player()


class Scrubber:
    """A static scrubbable figure: shown as HTML by Jupyter and on the website.

    ``html`` is the fragment; ``frames`` the number of frames. Build one with
    :func:`value_scrubber`, :func:`step_scrubber` or :func:`race_scrubber`.
    """

    def __init__(self, background, frames, clips, series, *, size, alt, title, slider_label,
                 start=0, fps=4):
        data = {"clips": [_round(c) for c in clips], "series": series, "fps": fps,
                "frames": frames}
        text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        uid = "lrcourse-" + hashlib.sha1(text.encode() + background).hexdigest()[:12]
        width, height = size
        first = frames[start]["label"]
        self.frames = len(frames)
        self.html = (
            f'<figure class="lrcourse-scrubber" id="{uid}" role="group" '
            f'aria-label="{html.escape(title)}" style="max-width:{width}px;margin:1em auto">'
            f'<div style="position:relative;line-height:0">'
            f'<img src="data:image/png;base64,{base64.b64encode(background).decode()}" '
            f'alt="{html.escape(alt)}" width="{width}" height="{height}" '
            f'style="width:100%;height:auto;max-width:none">'
            f'<svg viewBox="0 0 {width} {height}" aria-hidden="true" style="position:absolute;'
            f'left:0;top:0;width:100%;height:100%;overflow:hidden"></svg></div>'
            f'<div style="display:flex;align-items:center;gap:0.5em;margin-top:0.3em">'
            f'<button type="button" aria-label="play" style="min-width:2.5em">&#9654;</button>'
            f'<input type="range" min="0" max="{len(frames) - 1}" value="{start}" step="1" '
            f'aria-label="{html.escape(slider_label)}" style="flex:1"></div>'
            f'<figcaption aria-live="polite" style="font-size:0.9em">{html.escape(first)}'
            f'</figcaption><script type="application/json">{text}</script>'
            f"<script>{_JS}</script></figure>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html,
                "text/plain": f"<scrubbable figure with {self.frames} frames>"}

    def __len__(self):
        """The size of the HTML fragment in bytes (what it adds to a page)."""
        return len(self.html.encode())


def _round(values):
    return np.round(np.asarray(values, dtype=float), 1).tolist()


def _simplify(px, tol=0.5):
    """Indices of the points to keep so the polyline moves by less than ``tol`` pixels.

    Ramer-Douglas-Peucker with the distance to the segment (not its line, so a path that
    doubles back keeps its turning points): straight or flat stretches shrink to their
    ends, which is most of a converging run.
    """
    n = len(px)
    keep = np.zeros(n, dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg, pts = px[b] - px[a], px[a + 1:b] - px[a]
        length2 = seg @ seg
        along = np.clip(pts @ seg / length2, 0, 1) if length2 > 0 else np.zeros(len(pts))
        dist = np.hypot(*(pts - along[:, None] * seg).T)
        i = int(np.argmax(dist))
        if dist[i] > tol:
            keep[a + 1 + i] = True
            stack += [(a, a + 1 + i), (a + 1 + i, b)]
    return np.flatnonzero(keep)


class _Series:
    """The polylines of a figure, thinned and flattened, shared between frames.

    Each point carries the step it belongs to, so a frame can show a prefix of a
    series (everything up to step ``k``) by a count.
    """

    def __init__(self):
        self.data, self.steps = [], []

    def add(self, px, steps=None):
        steps = np.arange(len(px)) if steps is None else np.asarray(steps)
        finite = np.all(np.isfinite(px), axis=1)
        px, steps = px[finite], steps[finite]
        kept = _simplify(px) if len(px) else np.zeros(0, int)
        self.data.append(_round(px[kept].ravel()))
        self.steps.append(steps[kept])
        return len(self.data) - 1

    def count(self, index, upto):
        """How many kept points of series ``index`` belong to steps ``0..upto``."""
        return int(np.searchsorted(self.steps[index], upto, side="right"))


def _text_at(view, ax, lines):
    x, y, _, _ = view.box(ax)
    return [["text", round(x + 6, 1), round(y + 16 + 15 * i, 1), words, color]
            for i, (words, color) in enumerate(lines)]


_DASHES = [None, "6 3", "2 2", "6 2 2 2"]  # plotting.LINESTYLES in SVG


def _add_run(view, series, tr):
    """Store a run's path and right-panel curves (in a :class:`PathView`) as series."""
    path = series.add(view.to_pixels(view.ax, tr.params))
    return path, [series.add(view.to_pixels(view.ax_right, xy), xy[:, 0])
                  for xy in view.curve_data(tr)]


def _run_items(view, series, stored, tr, color, upto=None):
    """Items for one run up to step ``upto``: its path, its current point, its curves."""
    path, curves = stored
    n = len(tr.params) if upto is None else min(upto + 1, len(tr.params))
    head = _round(view.to_pixels(view.ax, tr.params[n - 1])[0])
    items = [["line", path, series.count(path, n - 1), color, 1.6, 0, None, head],
             ["dot", *head, color, 0]]
    for j, (curve, xy) in enumerate(zip(curves, view.curve_data(tr))):
        shown = xy[xy[:, 0] <= n - 1]
        end = _round(view.to_pixels(view.ax_right, shown[-1])[0]) if len(shown) else None
        items.append(["line", curve, series.count(curve, n - 1), color, 1.4, 1,
                      _DASHES[j % len(_DASHES)], end])
    return items


def _step_size_range(runs):
    """Log-axis limits that hold every run's step sizes, rounded out to whole decades."""
    sizes = np.concatenate([tr.step_size[:len(tr.params) - 1].ravel() for tr in runs])
    sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
    if not len(sizes):
        return None
    return (10.0 ** np.floor(np.log10(sizes.min()) - 0.5),
            10.0 ** np.ceil(np.log10(sizes.max()) + 0.5))


def _path_view(problem, names, steps, runs, right, reference):
    ylim = _step_size_range(list(runs) + list(reference)) if right == "step_size" else None
    return PathView(problem, names, steps, right=right, reference=reference, ylim=ylim,
                    size=SIZE, dpi=DPI)


def _gap_at(trajectory, k, problem):
    return trajectory.loss[min(k, len(trajectory.loss) - 1)] - problem.min_loss


def _panel_words(right):
    return "its loss gap" if right == "loss" else "its step size for each parameter"


def _nearest(values, start):
    """Index of the value closest to ``start`` (on a log scale for positive numbers)."""
    if start is None:
        return 0
    if not all(isinstance(v, numbers.Real) for v in values):
        return values.index(start) if start in values else 0
    v = np.asarray(values, dtype=float)
    if np.all(v > 0) and start > 0:
        return int(np.argmin(np.abs(np.log(v / start))))
    return int(np.argmin(np.abs(v - start)))


def _format(value):
    return f"{value:.3g}" if isinstance(value, numbers.Real) else str(value)


def value_scrubber(make_optimizer, problem, values, *, label="lr", steps=300, x0=None,
                   name=None, start=None, right="loss", reference=(), alt=None):
    """One frame per value ``v`` of a hyperparameter: the path of ``make_optimizer(v)``.

    ``values`` are the frames: numbers (12 to 20 is plenty) or names (a schedule
    each, say); the slider starts at the one closest to ``start``. Each frame shows the
    path on the contours, the right panel (``right``: ``"loss"`` or ``"step_size"``,
    see :class:`~lrcourse.figures.views.PathView`) and the run's result or the step at which it
    diverged. ``reference`` runs stay fixed in every frame.
    """
    _arguments.plane(problem)
    values = list(values)
    runs = [run(make_optimizer(v), problem, x0, steps, name=name) for v in values]
    name = runs[0].name
    view = _path_view(problem, [name], steps, runs, right, reference)
    color = view.paths[0].get_color()
    series, frames = _Series(), []
    for v, tr in zip(values, runs):
        words = status(tr, problem)
        items = _run_items(view, series, _add_run(view, series, tr), tr, color)
        items += _text_at(view, view.ax, [(words, DIVERGED_COLOR if tr.diverged else "black")])
        frames.append({"label": f"{label} = {_format(v)}: {words}",
                       "value": f"{label} = {_format(v)}", "items": items})
    others = "".join(f", {tr.name}" for tr in reference)
    alt = alt or (f"Loss contours of the {problem.name} problem with the path of {name}"
                  f"{others} from the starting point, and {_panel_words(right)} against the "
                  f"step; the slider picks {label} among {len(values)} values from "
                  f"{_format(values[0])} to {_format(values[-1])}.")
    return Scrubber(view.background_png(), frames, [view.box(view.ax), view.box(view.ax_right)],
                    series.data, size=view.size, alt=alt, start=_nearest(values, start),
                    title=f"{name} on {problem.name}: path for each {label}",
                    slider_label=label)


def step_scrubber(trajectories, problem, *, frames=60, right="loss", alt=None):
    """Finished runs replayed: one frame per step (``frames`` steps spread over the run)."""
    _arguments.plane(problem)
    steps = max(tr.steps for tr in trajectories)
    view = _path_view(problem, [tr.name for tr in trajectories], steps, trajectories, right, ())
    series, out = _Series(), []
    colors = [p.get_color() for p in view.paths]
    stored = [_add_run(view, series, tr) for tr in trajectories]
    for k in np.unique(np.linspace(0, steps, frames).round().astype(int)):
        items, lines = [], [(f"step {k}", "black")]
        for tr, color, where in zip(trajectories, colors, stored):
            items += _run_items(view, series, where, tr, color, upto=k)
            if tr.diverged and k >= tr.diverged_at:
                lines.append((f"{tr.name}: diverged at step {tr.diverged_at}", DIVERGED_COLOR))
        gaps = "; ".join(f"{tr.name} loss gap {_gap_at(tr, k, problem):.2g}"
                         for tr in trajectories)
        out.append({"label": f"step {k}: {gaps}", "value": f"step {k}",
                    "items": items + _text_at(view, view.ax, lines)})
    names = ", ".join(tr.name for tr in trajectories)
    alt = alt or (f"Loss contours of the {problem.name} problem with the paths of {names}, and "
                  f"{_panel_words(right).replace('its', 'their')} against the step; the "
                  f"slider replays the runs step by step.")
    return Scrubber(view.background_png(), out, [view.box(view.ax), view.box(view.ax_right)],
                    series.data, size=view.size, alt=alt, title=f"{names} on {problem.name}",
                    slider_label="step", fps=12)


def race_scrubber(optimizers, problem, *, steps=60, x0=None, frames=80, alt=None):
    """The optimizer race, one frame per step (at most ``frames``, spread over the run):
    arrows for ``-g_t``, ``-m_t`` and the step taken, bars for ``eta_t / sigma_t`` per
    parameter (see :class:`~lrcourse.figures.views.RaceView`)."""
    view = RaceView(problem, record_race(optimizers, problem, steps, x0), size=SIZE, dpi=DPI)
    shown = np.unique(np.linspace(0, steps - 1, min(frames, steps)).round().astype(int))
    series, frames = _Series(), []
    paths = [series.add(view.to_pixels(view.ax, r.trajectory.params))
             for r in view.races.values()]
    arrow_style = {"gradient": (None, 1.0), "direction": (0, 1.0), "step": (0, 2.5)}
    for t in shown:
        items = []
        for i, (name, race) in enumerate(view.races.items()):
            color, n = view.colors[i], min(t + 1, len(race.trajectory.params))
            head = view.to_pixels(view.ax, race.trajectory.params[n - 1])[0]
            items += [["line", paths[i], series.count(paths[i], n - 1), color, 1.3, 0],
                      ["dot", *_round(head), color, 0]]
            where = view.arrow_ends(name, t)
            if where is None:
                continue
            start = view.to_pixels(view.ax, where[0])[0]
            for kind, (own, width) in arrow_style.items():
                end = view.to_pixels(view.ax, where[1][kind])[0]
                items.append(["arrow", *_round(start), *_round(end),
                              GRADIENT_COLOR if own is None else color, width])
            for j, size in enumerate(race.trajectory.step_size[t]):
                x = view.bar_x[i][j]
                (x0_, y0), (x1_, y1) = view.to_pixels(view.ax_bar, [
                    [x - view.bar_width / 2, max(size, view.bar_low)],
                    [x + view.bar_width / 2, view.bar_low]])
                items.append(["rect", *_round([x0_, y0, x1_ - x0_, y1 - y0]), color])
        lines = [(f"step {t}", "black")] + [
            (f"{n} diverged at step {r.trajectory.diverged_at}", DIVERGED_COLOR)
            for n, r in view.races.items() if t >= r.moves]
        frames.append({"label": view.caption(t), "value": f"step {t}",
                       "items": items + _text_at(view, view.ax, lines)})
    names = ", ".join(view.names)
    alt = alt or (f"Race of {names} on the {problem.name} problem: the paths on the loss "
                  f"contours with, at the chosen step, arrows for the negative gradient, the "
                  f"direction and the step taken by each optimizer, and bars of each one's "
                  f"step size per parameter on a log scale.")
    return Scrubber(view.background_png(), frames, [view.box(view.ax)], series.data,
                    size=view.size, alt=alt, title=f"Optimizer race on {problem.name}",
                    slider_label="step", fps=8)
