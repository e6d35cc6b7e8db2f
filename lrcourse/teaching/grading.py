"""Grade a learner's notebook: run it, collect every exercise checker's verdict.

    python -m lrcourse.grade SUBMISSION.ipynb [--timeout 60] [--json report.json]

The notebook is executed top to bottom in a fresh kernel, continuing past cells that
raise; a cell that runs longer than ``--timeout`` seconds is interrupted. Each checker
call (``check.<exercise>(...)``) records its verdict; an exercise whose check never ran
is failed with the reason (the cell that raised or timed out before it, or a missing
checker call). The chapter is read from the notebook's metadata (``lrcourse.chapter``)
or, failing that, from its file name (``02_adagrad.ipynb``).

Prints a per-exercise report; ``--json`` also writes it as JSON for a gradebook. The
exit status is 0 when grading completed (whatever the score) and 2 when the file could
not be graded at all.
"""

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

from . import check

_CALL = re.compile(r"\bcheck\.([A-Za-z_][A-Za-z_0-9]*)\s*\(")


def _chapter(nb, path):
    meta = nb.get("metadata", {}).get("lrcourse", {})
    if isinstance(meta, dict) and isinstance(meta.get("chapter"), int):
        return meta["chapter"]
    match = re.match(r"0*(\d+)_", Path(path).name)
    return int(match.group(1)) if match else None


def _cell_errors(nb):
    """``{cell index: "Name: message"}`` for every cell that raised."""
    errors = {}
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors[i] = f"{out.get('ename')}: {out.get('evalue')}".strip()
    return errors


def _why_missing(name, nb, errors):
    calls = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and name in _CALL.findall(c.source)]
    if not calls:
        return f"its checker call (check.{name}(...)) is missing from the notebook"
    first = calls[0]
    if first in errors:
        return f"the cell that checks it (cell {first + 1}) raised {errors[first]}"
    before = [i for i in errors if i < first]
    if before:
        i = before[-1]
        return f"its check did not run; cell {i + 1} raised {errors[i]}"
    return "its check did not run"


def grade(path, timeout=60, kernel_name="python3"):
    """Execute the notebook at ``path`` and return the report as a dict."""
    path = Path(path)
    report = {"notebook": str(path), "chapter": None, "exercises": [], "errors": [],
              "passed": 0, "total": 0}
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # not JSON, not a notebook, or edited out of shape
        report["errors"].append(f"the notebook could not be read: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''}")
        return report
    chapter = _chapter(nb, path)
    report["chapter"] = chapter
    expected = [c for c in check.REGISTRY.values() if c.chapter == chapter]
    if chapter is None or not expected:
        report["errors"].append("cannot tell which chapter this notebook is: no "
                                "'lrcourse.chapter' in its metadata and no number in its name")
        return report

    results = _execute(nb, path, timeout, kernel_name, report)
    errors = _cell_errors(nb)
    for i, message in sorted(errors.items()):
        report["errors"].append(f"cell {i + 1} raised {message}")
    for checker in expected:
        verdict = results.get(checker.name)
        if verdict is None:
            verdict = {"passed": False, "status": "not run",
                       "message": _why_missing(checker.name, nb, errors)}
        report["exercises"].append({"exercise": checker.name, "title": checker.title,
                                    **verdict})
    report["total"] = len(expected)
    report["passed"] = sum(e["passed"] for e in report["exercises"])
    return report


def _execute(nb, path, timeout, kernel_name, report):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "grades.jsonl"
        log.touch()
        saved = os.environ.get("LRCOURSE_GRADE_LOG")
        os.environ["LRCOURSE_GRADE_LOG"] = str(log)
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                                allow_errors=True, interrupt_on_timeout=True,
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        try:
            client.execute()
        except (CellTimeoutError, DeadKernelError, RuntimeError) as exc:
            report["errors"].append(f"execution stopped: {type(exc).__name__}: {exc}")
        finally:
            if saved is None:
                os.environ.pop("LRCOURSE_GRADE_LOG", None)
            else:
                os.environ["LRCOURSE_GRADE_LOG"] = saved
        results = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            results[entry.pop("exercise")] = entry  # the last check of an exercise counts
    return results


def format_report(report):
    """The report as plain text."""
    lines = [f"Grading {report['notebook']}"
             + (f" (chapter {report['chapter']})" if report["chapter"] else "")]
    for e in report["exercises"]:
        mark = "PASS" if e["passed"] else "FAIL"
        lines.append(f"  {mark}  {e['title']} [{e['status']}]")
        if not e["passed"]:
            lines.extend("        " + row.strip() for row in e["message"].splitlines()
                         if row.strip())
    for err in report["errors"]:
        lines.append(f"  note: {err}")
    lines.append(f"Score: {report['passed']} / {report['total']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Grade a learner's chapter notebook.")
    parser.add_argument("notebook")
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds a single cell may run (default 60)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    args = parser.parse_args(argv)
    if not Path(args.notebook).is_file():
        print(f"no such notebook: {args.notebook}", file=sys.stderr)
        return 2
    report = grade(args.notebook, timeout=args.timeout)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if report["total"] else 2

