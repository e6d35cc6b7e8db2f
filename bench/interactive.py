"""One interactive update against its 100 ms budget (DESIGN section 8).

An update is what happens when a learner moves a slider of ``lrcourse.interactive``:
re-run the optimizer for 300 steps and redraw the contour figure (Agg backend, the
contour bitmap reused, the new path and loss curve drawn on top, PNG-encoded for the
widget). The race update only redraws (its runs are computed once). Run alone with
``python -m bench.interactive`` (it also prints where an update's time goes);
``python -m bench`` runs it with the others.
"""

import sys

import matplotlib

matplotlib.use("Agg")

from bench.engine import best_time  # noqa: E402
from lrcourse import SGD, Adagrad, Adam, problems, run  # noqa: E402

BUDGET = 0.100  # seconds
STEPS = 300


def _explorer():
    from lrcourse.figures.interactive import LogRange, explorer

    box = explorer(lambda lr: Adam(lr=lr), problems.linear_regression(),
                   {"lr": LogRange(1e-3, 1.0, 0.1)}, steps=STEPS)
    box.keep[0].value = 1  # shown, as a frontend would: the figure exists from here on
    return box, box.children[0].children[0].children[0], box.children[1]


def explorer_update():
    """Adam on the linear-regression data (100 samples): slider move -> 300 steps -> redraw."""
    try:
        box, slider, image = _explorer()
    except ImportError:
        return None
    values = iter([0.05, 0.1] * 100)
    pictures = []

    def move():
        slider.value = next(values)
        pictures.append(image.value)

    seconds = best_time(move, repeat=10)
    if len(set(pictures[-2:])) != 2:  # a move that drew nothing would time nothing
        raise RuntimeError("the slider moved but the picture did not change")
    return "interactive update: 300 steps + redraw", seconds, BUDGET, 1.0


def explorer_parts():
    """Where an update's time goes: the run, drawing the lines, encoding the PNG."""
    try:
        box, _, _ = _explorer()
    except ImportError:
        return None
    view, problem = box.views[0], problems.linear_regression()
    trajectory = run(Adam(lr=0.1), problem, steps=STEPS)
    return {"run (numerics)": best_time(lambda: run(Adam(lr=0.1), problem, steps=STEPS), 10),
            "redraw (blit)": best_time(lambda: view.show([trajectory]), 10),
            "PNG encode": best_time(view.png, 10)}


def race_update():
    """Three optimizers on the ravine: step slider move -> arrows and bars redrawn."""
    try:
        from lrcourse.figures.interactive import race_explorer
    except ImportError:
        return None
    box = race_explorer({"SGD": SGD(lr=0.09), "Adagrad": Adagrad(lr=1.0), "Adam": Adam(lr=0.5)},
                        problems.ravine(condition=20), steps=60)
    step = box.children[0].children[1]
    values = iter([10, 11] * 100)

    def move():
        step.value = next(values)

    return "race update: one step redrawn", best_time(move, repeat=10), BUDGET, 1.0


def all_benchmarks():
    return [explorer_update, race_update]


def main():
    for bench in all_benchmarks():
        result = bench()
        if result is None:
            print(f"{bench.__name__}: skipped (ipywidgets is not installed)")
            continue
        name, ours, budget, _ = result
        print(f"{name:40s} {ours * 1e3:7.1f} ms   budget {budget * 1e3:.0f} ms   "
              f"ratio {ours / budget:.2f} of the budget ({budget / ours:.1f}x headroom)")
    parts = explorer_parts()
    if parts:
        print("  of which: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in parts.items()))


if __name__ == "__main__":
    sys.exit(main())
