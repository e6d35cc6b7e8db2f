"""Run every benchmark: ``python -m bench`` (or ``make bench``).

Each line prints the measured time, the baseline measured in the same run, their ratio
and the target. A ratio is baseline / ours, so larger is faster; where the baseline is a
budget (the interactive update, the book build) the line says so.
"""

import sys

from bench import book, engine, grading, problems


def main():
    rows, ok = [], True
    for bench in (engine.all_benchmarks() + problems.all_benchmarks() + _interactive()
                  + book.all_benchmarks() + grading.all_benchmarks()):
        result = bench()
        if result is None:
            print(f"{bench.__name__}: skipped (optional dependency not installed)")
            continue
        name, ours, baseline, target = result
        ratio = baseline / ours
        passed = ratio >= target
        ok &= passed
        rows.append((name, ours, baseline, ratio, target, passed))
        print(f"{name:36s} ours {ours * 1e3:9.2f} ms   baseline {baseline * 1e3:10.2f} ms   "
              f"ratio {ratio:8.1f}x   target >= {target:g}x   {'ok' if passed else 'MISSED'}",
              flush=True)
    return 0 if ok else 1


def _interactive():
    try:
        from bench import interactive
    except ImportError:
        return []
    return interactive.all_benchmarks()


if __name__ == "__main__":
    sys.exit(main())
