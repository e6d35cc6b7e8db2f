"""Figures drawn the same way in every chapter.

One colour per optimizer for the whole book (the Okabe-Ito palette, safe for the
common forms of colour blindness), labelled axes, and runs that diverged are named
in the legend instead of silently vanishing.
"""

import matplotlib.pyplot as plt
import numpy as np

from . import _arguments

#: One colour per optimizer (Okabe & Ito, 2008). Looked up by name prefix, see ``color``.
COLORS = {
    "SGD": "#000000",
    "Momentum": "#999999",
    "AdagradMean": "#CC79A7",
    "Adagrad": "#E69F00",
    "RMSprop": "#009E73",
    "AdamW": "#56B4E9",
    "Adam": "#0072B2",
    "schedule": "#D55E00",
}
_EXTRA = ["#D55E00", "#F0E442", "#56B4E9", "#CC79A7", "#999999"]
LINESTYLES = ["-", "--", ":", "-."]
#: Colours for several schedules in one figure: samples of the colour-blind-safe
#: "cividis" map, so that no schedule borrows an optimizer's colour.
SCHEDULE_COLORS = ["#00204d", "#31446b", "#666970", "#958f78", "#cbba69"]


def color(name, fallback=0):
    """The book's colour for an optimizer, matched by the longest name prefix.

    ``color("Adam + cosine")`` is Adam's blue. Unknown names get a palette colour
    chosen by ``fallback`` (an integer).
    """
    for key in sorted(COLORS, key=len, reverse=True):
        if str(name).startswith(key):
            return COLORS[key]
    return _EXTRA[fallback % len(_EXTRA)]


def figure(ncols=1, nrows=1, width=6.4, height=4.0, **kwargs):
    """A figure sized for the book's text column; returns ``(fig, axes)``."""
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kwargs)


def _label(trajectory):
    if trajectory.diverged is True:
        return f"{trajectory.name} (diverged at step {trajectory.diverged_at})"
    return trajectory.name


def _inside(path, xlim, ylim):
    """The path up to (and including) its first point outside the window."""
    (x0, x1), (y0, y1) = xlim, ylim
    out = ~((path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1))
    return path[: int(np.argmax(out)) + 1] if out.any() else path


def contour(problem, trajectories=(), ax=None, n=200, levels=30, log=True,
            mark_minimum=True, labels=("$w_1$", "$w_2$"), markers=False, styles=None,
            colors=None):
    """Loss contours of a 2-D problem with optimizer paths drawn on top.

    The grid is evaluated in one vectorised call (``problem.grid``). ``log=True``
    spaces the contour levels geometrically, which shows ravines and plateaus better.
    A path that leaves the window is drawn until it leaves; a run that diverged says
    so in the legend. ``styles`` and ``colors`` (one per trajectory) override the
    book's defaults, to tell apart several runs of one optimizer. Returns the axes.
    """
    _arguments.plane(problem)
    if ax is None:
        _, ax = figure()
    w1, w2, loss = problem.grid(n)
    lo = max(float(np.min(loss)), 1e-12)
    if log:
        lo = max(lo, float(np.max(loss)) * 1e-6)
        lev = np.geomspace(lo, float(np.max(loss)), levels)
    else:
        lev = np.linspace(float(np.min(loss)), float(np.max(loss)), levels)
    ax.contourf(w1, w2, np.maximum(loss, lev[0]), levels=lev, cmap="Greys_r", alpha=0.55,
                norm="log" if log else None)
    ax.contour(w1, w2, loss, levels=lev, colors="white", linewidths=0.4, alpha=0.7)
    for i, tr in enumerate(trajectories):
        path = _inside(tr.params, problem.xlim, problem.ylim)
        c = colors[i] if colors is not None else color(tr.name, i)
        ls = styles[i] if styles is not None else LINESTYLES[i // 4 % len(LINESTYLES)]
        ax.plot(path[:, 0], path[:, 1], color=c, lw=1.6, ls=ls, label=_label(tr),
                marker="o" if markers else None, ms=2.5)
        ax.plot(*path[0], "o", color=c, ms=5)
    if mark_minimum and problem.minimum is not None:
        ax.plot(*problem.minimum[:2], marker="*", color="#D55E00", ms=13, ls="none",
                markeredgecolor="white", label="minimum")
    ax.set(xlim=problem.xlim, ylim=problem.ylim, xlabel=labels[0], ylabel=labels[1])
    if trajectories or mark_minimum:
        ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


_YLABELS = {
    "loss": "loss",
    "grad_norm": "gradient norm $\\|g_t\\|$",
    "lr": "learning rate $\\eta_t$",
    "step_size": "step size $\\eta_t / \\sigma_t$",
}


def curves(trajectories, what="loss", ax=None, log=True, component=None, xlabel="step $t$"):
    """Plot one recorded quantity of each run against the step number.

    ``what`` is ``"loss"``, ``"grad_norm"``, ``"lr"`` or ``"step_size"``. The step size
    is per parameter: ``component`` picks one (an index); by default every parameter is
    drawn, in the run's colour with one line style per parameter. Returns the axes.
    """
    if what not in _YLABELS:
        raise ValueError(f"what must be one of {sorted(_YLABELS)}, got {what!r}")
    if ax is None:
        _, ax = figure()
    for i, tr in enumerate(trajectories):
        y = getattr(tr, what)
        if what != "step_size":
            ax.plot(np.arange(len(y)), y, color=color(tr.name, i),
                    ls=LINESTYLES[i // 4 % len(LINESTYLES)], label=_label(tr))
            continue
        parts = range(y.shape[-1]) if component is None else [component]
        for k, c in enumerate(parts):
            ax.plot(np.arange(len(y)), y[..., c], color=color(tr.name, i),
                    ls=LINESTYLES[k % len(LINESTYLES)], label=f"{_label(tr)}, $w_{{{c + 1}}}$")
    if log:
        ax.set_yscale("log")
    ylabel = _YLABELS[what]
    if what == "step_size" and component is not None:
        ylabel = f"step size $\\eta_t/\\sigma_t$ of $w_{{{component + 1}}}$"
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize="small")
    return ax


def schedules(named, steps, ax=None, log=False):
    """Plot learning-rate schedules (a dict ``label -> schedule``) over ``steps`` steps."""
    if ax is None:
        _, ax = figure()
    t = np.arange(steps)
    for i, (label, sched) in enumerate(named.items()):
        ax.plot(t, [sched(k) for k in t], color=SCHEDULE_COLORS[i % len(SCHEDULE_COLORS)],
                ls=LINESTYLES[i % len(LINESTYLES)], label=label)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="step $t$", ylabel="learning rate $\\eta_t$")
    ax.legend(fontsize="small")
    return ax
