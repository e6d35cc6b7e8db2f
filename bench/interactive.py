"""One interactive update against its 100 ms budget (DESIGN section 8).

An update is what happens when a learner moves a slider of ``lrcourse.interactive``:
re-run the optimizer for 300 steps and redraw the contour figure (Agg backend, the
contour bitmap reused, the new path and loss curve drawn on top, PNG-encoded for the
widget). The race update only redraws (its runs are computed once). Run alone with
``python -m bench.interactive``; ``python -m bench`` runs it with the others.
"""

import sys

import matplotlib

matplotlib.use("Agg")

from bench.engine import best_time  # noqa: E402
from lrcourse import SGD, Adagrad, Adam, problems  # noqa: E402

BUDGET = 0.100  # seconds


def explorer_update():
    """Adam on the linear-regression data (100 samples): slider move -> 300 steps -> redraw."""
    try:
        from lrcourse.figures.interactive import LogRange, explorer
    except ImportError:
        return None
    box = explorer(lambda lr: Adam(lr=lr), problems.linear_regression(),
                   {"lr": LogRange(1e-3, 1.0, 0.1)}, steps=300)
    slider = box.children[0].children[0].children[0]
    values = iter([0.05, 0.1] * 100)

    def move():
        slider.value = next(values)

    return "interactive update: 300 steps + redraw", best_time(move, repeat=10), BUDGET, 1.0


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


if __name__ == "__main__":
    sys.exit(main())
