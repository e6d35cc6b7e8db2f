"""Grading a class: 30 chapter-2 submissions, each in its own sandbox, on two workers.

The budget is 60 s for the class on a two-core machine. ``python -m bench.grading
--old N`` also times the grader this one replaced (each notebook executed top to bottom
in a fresh Jupyter kernel, unsandboxed, one after the other) on N submissions, and
scales it to the class, for comparison.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "02_adagrad.ipynb"
CLASS_SIZE = 30
BUDGET = 60.0

_MISTAKE = ("def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):\n"
            "    new_sum = state_sum + grad**2\n"
            "    return theta - lr * grad / np.sqrt(new_sum + eps), new_sum\n")


def _class(folder):
    """A class as handed in: a third solved, a third untouched, a third with a mistake."""
    from lrcourse.teaching.edition import student_notebook

    full = nbformat.read(CHAPTER, as_version=4)
    solved = nbformat.from_dict(dict(full))
    solved.cells = [c for c in full.cells if not (
        "remove-cell" in c.metadata.get("tags", []) and "check." in c.source)]
    untouched = student_notebook(full)
    mistaken = nbformat.from_dict(dict(solved))
    mistaken.cells = list(solved.cells) + [nbformat.v4.new_code_cell(_MISTAKE)]
    paths = []
    for i in range(CLASS_SIZE):
        path = Path(folder) / f"learner_{i:02d}.ipynb"
        nbformat.write((solved, untouched, mistaken)[i % 3], path)
        paths.append(path)
    return paths


def class_of_30(jobs=2):
    """Seconds to grade the class with ``jobs`` sandboxes at a time, planning included."""
    from lrcourse.teaching import sandbox
    from lrcourse.teaching.grading import grade_all

    if sandbox.available() is not None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        paths = _class(tmp)
        t0 = time.perf_counter()
        reports = grade_all(paths, jobs=jobs)
        elapsed = time.perf_counter() - t0
    expected = [3, 0, 2] * (CLASS_SIZE // 3)
    got = [r["score"] for r in reports]
    if got != expected:
        raise AssertionError(f"the benchmark class was graded wrong: {got}")
    return (f"grading: {CLASS_SIZE} chapter-2 notebooks, {jobs} jobs", elapsed, BUDGET, 1.0)


def old_grader(n):
    """Seconds for the replaced grader's loop over ``n`` submissions, scaled to the class."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        paths = _class(tmp)[:n]
        t0 = time.perf_counter()
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": tmp}}).execute()
        elapsed = time.perf_counter() - t0
    return elapsed * CLASS_SIZE / n


def all_benchmarks():
    return [class_of_30]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--old", type=int, default=0, metavar="N",
                        help="also time the replaced grader on N submissions")
    args = parser.parse_args(argv)
    result = class_of_30(args.jobs)
    if result is None:
        print("grading: skipped (no sandbox on this machine)")
        return 0
    name, ours, budget, target = result
    ok = budget / ours >= target
    print(f"{name:36s} ours {ours:7.1f} s   budget {budget:5.0f} s   "
          f"ratio {budget / ours:5.1f}x   target >= {target:g}x   {'ok' if ok else 'MISSED'}")
    if args.old:
        old = old_grader(args.old)
        print(f"{'the replaced grader (scaled to 30)':36s} {old:7.1f} s   "
              f"ratio {old / ours:5.1f}x faster now")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
