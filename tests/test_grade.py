"""Grading: reference notebooks pass, wrong answers fail exactly, bad notebooks are reported."""

import json
import re
import subprocess
import sys

import nbformat
import pytest
from edition import CHAPTERS, learner_copy, read

from lrcourse import check
from lrcourse.teaching.check import FunctionChecker
from lrcourse.teaching.grading import format_report, grade

_CALL = re.compile(r"^check\.(\w+)\((\w+)\)", re.M)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_reference_notebook_grades_all_pass(chapter):
    report = grade(chapter, timeout=120)
    assert report["total"] >= 3
    failed = [e for e in report["exercises"] if not e["passed"]]
    assert not failed, format_report(report)
    assert not report["errors"], report["errors"]


def _first_function_exercise():
    """A chapter cell that checks a learner's function, with a known mistake to inject."""
    for path in CHAPTERS:
        nb = learner_copy(read(path))
        for i, cell in enumerate(nb.cells):
            m = _CALL.search(cell.source) if cell.cell_type == "code" else None
            if m and isinstance(check.REGISTRY.get(m.group(1)), FunctionChecker) \
                    and check.REGISTRY[m.group(1)].mistakes:
                return path, nb, i, m.group(1), m.group(2)
    raise AssertionError("no chapter checks a function with known mistakes")


def _write(nb, tmp_path, name):
    out = tmp_path / name
    nbformat.write(nb, out)
    return out


def test_one_known_wrong_answer_fails_exactly_that_exercise(tmp_path):
    path, nb, i, name, fn = _first_function_exercise()
    checker = check.REGISTRY[name]
    wrong, explanation = checker.mistakes[0]
    inject = (f"from lrcourse.teaching.check import REGISTRY as _R\n"
              f"{fn} = _R[{name!r}].mistakes[0][0]")
    nb.cells.insert(i, nbformat.v4.new_code_cell(inject))
    report = grade(_write(nb, tmp_path, path.name), timeout=120)
    verdicts = {e["exercise"]: e for e in report["exercises"]}
    assert not verdicts[name]["passed"]
    assert verdicts[name]["status"] == "failed"
    assert explanation in verdicts[name]["message"]
    others = [e for n, e in verdicts.items() if n != name]
    assert others and all(e["passed"] for e in others), format_report(report)


def test_cell_that_raises_is_reported_and_the_rest_still_graded(tmp_path):
    path, nb, i, name, fn = _first_function_exercise()
    nb.cells.insert(i, nbformat.v4.new_code_cell(f"del {fn}\nraise RuntimeError('boom')"))
    report = grade(_write(nb, tmp_path, path.name), timeout=120)
    verdicts = {e["exercise"]: e for e in report["exercises"]}
    assert verdicts[name]["status"] == "not run"
    assert "NameError" in verdicts[name]["message"]
    assert any("RuntimeError: boom" in e for e in report["errors"])
    assert all(e["passed"] for n, e in verdicts.items() if n != name)


def test_hanging_cell_is_interrupted(tmp_path):
    path, nb, i, name, fn = _first_function_exercise()
    nb.cells.insert(i, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    report = grade(_write(nb, tmp_path, path.name), timeout=5)
    assert any("KeyboardInterrupt" in e or "timed out" in e.lower() or "Timeout" in e
               for e in report["errors"]), report["errors"]
    assert report["total"] >= 3  # the exercises are still listed, graded or explained


def test_missing_checker_call_is_explained(tmp_path):
    path, nb, i, name, fn = _first_function_exercise()
    del nb.cells[i]
    report = grade(_write(nb, tmp_path, path.name), timeout=120)
    verdict = {e["exercise"]: e for e in report["exercises"]}[name]
    assert verdict["status"] == "not run"
    assert "missing" in verdict["message"]


def test_unreadable_notebook_is_reported(tmp_path):
    bad = tmp_path / "02_adagrad.ipynb"
    bad.write_text("{ this is not json", encoding="utf-8")
    report = grade(bad)
    assert report["total"] == 0 and "could not be read" in report["errors"][0]
    result = subprocess.run([sys.executable, "-m", "lrcourse.grade", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "could not be read" in result.stdout


def test_command_line_writes_json(tmp_path):
    path = CHAPTERS[0]
    out = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "lrcourse.grade", str(path), "--json",
                             str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["total"] == data["passed"] >= 3
    assert "Score:" in result.stdout
