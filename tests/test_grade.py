"""Grading: reference notebooks get full marks, stubs zero, and each mistake costs its points.

Notebooks are graded for real (in the sandbox) where the whole path matters; every
known mistake of every checker is judged through the same values path the sandbox
uses (the runner's JSON encoding, decoded and compared outside), which takes
milliseconds instead of a sandbox run each.
"""

import csv
import io
import json
import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from edition import CHAPTERS, learner_copy, read, student_copy

from lrcourse.teaching import check, sandbox
from lrcourse.teaching._runner import encode
from lrcourse.teaching.grading import format_report, grade, grade_all, judge, plan

pytestmark = pytest.mark.skipif(sandbox.available() is not None,
                                reason=f"no sandbox here: {sandbox.available()}")
SEED = 7
ADAGRAD = next(p for p in CHAPTERS if p.name.startswith("02_"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Every chapter as handed in by a learner who solved it, and by one who did nothing."""
    out = tmp_path_factory.mktemp("class")
    for path in CHAPTERS:
        nbformat.write(learner_copy(read(path)), out / f"solved_{path.name}")
        nbformat.write(student_copy(path), out / f"untouched_{path.name}")
    return out


@pytest.fixture(scope="module")
def reports(folder):
    paths = sorted(folder.glob("*.ipynb"))
    return {p.name: r for p, r in zip(paths, grade_all(paths, jobs=2, seed=SEED))}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_reference_notebook_gets_full_marks(reports, chapter):
    report = reports[f"solved_{chapter.name}"]
    assert report["possible"] == sum(c.points for c in check.for_chapter(report["chapter"]))
    assert report["possible"] >= 3
    assert report["score"] == report["possible"], format_report(report)
    assert report["seed"] == SEED


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_untouched_student_notebook_gets_zero(reports, chapter):
    report = reports[f"untouched_{chapter.name}"]
    assert report["score"] == 0 and report["possible"] >= 3
    assert {e["status"] for e in report["exercises"]} == {"not implemented"}, \
        format_report(report)
    assert not report["notes"], report["notes"]


def test_hand_graded_exercises_are_listed_pending(reports):
    report = reports[f"solved_{ADAGRAD.name}"]
    hand = report["hand_graded"]
    assert hand and all(h["status"].startswith("pending") for h in hand)
    auto = {e["exercise"] for e in report["exercises"]}
    assert not auto & {h["exercise"] for h in hand}


def _got(checker, fn, task):
    """What the sandbox would send back for ``fn`` on the task's hidden inputs."""
    results = []
    for case in task.cases:
        with np.errstate(all="ignore"):
            try:
                output, after = checker.run_learner(fn, case.args)
            except Exception as exc:  # a mistake model may not apply to every input
                results.append({"raised": {"type": type(exc).__name__,
                                           "message": str(exc)}})
                continue
        results.append({"output": encode(output), "after": [encode(a) for a in after]})
    return {"exercises": {checker.name: {"status": "ran", "results": results}}}


def _tasks():
    for chapter in sorted({c.chapter for c in check.REGISTRY.values()}):
        yield from plan(chapter, SEED).tasks


@pytest.mark.parametrize("task", list(_tasks()), ids=lambda t: t.checker.name)
def test_each_known_mistake_loses_its_points_with_the_reason(task):
    c = task.checker
    if task.kind == "answer":
        right = judge(task, {"exercises": {c.name: {"status": "ran",
                                                    "value": encode(task.expected[0])}}})
        assert right["points"] == c.points
        for wrong, explanation in c.mistakes:
            value = wrong() if callable(wrong) else wrong
            got = {"exercises": {c.name: {"status": "ran", "value": encode(value)}}}
            verdict = judge(task, got)
            assert verdict["points"] == 0 and verdict["status"] == "failed"
            assert verdict["cause"] == explanation or verdict["cause"] in dict(
                (w if not callable(w) else w(), e) for w, e in c.mistakes).values()
        return
    assert judge(task, _got(c, c.reference, task))["points"] == c.points
    for wrong, explanation in c.mistakes:
        verdict = judge(task, _got(c, wrong, task))
        assert verdict["points"] < c.points, (explanation, verdict)
        assert verdict["status"] in ("failed", "partial", "error")
        assert verdict["message"].startswith("on ")
        if verdict["status"] != "error":
            assert verdict["cause"] in [e for _, e in c.mistakes], verdict


def test_partial_credit_for_independent_parts():
    task = next(t for t in _tasks() if len(t.checker.parts) > 1)
    c = task.checker
    broken = max(c.parts, key=lambda p: sum(case.part == p for case in task.cases))
    wrong_cases = {id(case.args) for case in task.cases if case.part == broken}
    right = iter(task.expected)
    outputs = {}
    for case in task.cases:
        expected = next(right)
        outputs[id(case.args)] = (expected if id(case.args) not in wrong_cases
                                  else np.asarray(expected, dtype=float) + 1.0)
    results = [{"output": encode(outputs[id(case.args)]),
                "after": [encode(a) for a in case.args]} for case in task.cases]
    verdict = judge(task, {"exercises": {c.name: {"status": "ran", "results": results}}})
    assert verdict["status"] == "partial"
    assert verdict["points"] == c.points - c.parts[broken]
    assert verdict["parts"][broken] == [0, c.parts[broken]]


def _with_cell(nb, after_name, source):
    """``nb`` with a code cell added after the cell defining ``after_name``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and f"def {after_name}(" in cell.source:
            nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
            return nb
    raise AssertionError(f"no cell defines {after_name}")


def test_a_learners_mistake_costs_exactly_that_exercise(tmp_path):
    nb = _with_cell(learner_copy(read(ADAGRAD)), "adagrad_step", (
        "def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):\n"
        "    new_sum = state_sum + grad**2\n"
        "    return theta - lr * grad / np.sqrt(new_sum + eps), new_sum\n"))
    nbformat.write(nb, tmp_path / ADAGRAD.name)
    report = grade(tmp_path / ADAGRAD.name, seed=SEED)
    verdicts = {e["checker"]: e for e in report["exercises"]}
    assert verdicts["adagrad_step"]["points"] == 0
    assert "eps is inside the square root" in verdicts["adagrad_step"]["cause"]
    assert report["score"] == report["possible"] - check.REGISTRY["adagrad_step"].points


def test_a_cell_that_raises_is_reported_and_the_rest_graded(tmp_path):
    nb = _with_cell(learner_copy(read(ADAGRAD)), "adagrad_step",
                    "del adagrad_step\nraise RuntimeError('boom')")
    nbformat.write(nb, tmp_path / ADAGRAD.name)
    report = grade(tmp_path / ADAGRAD.name, seed=SEED)
    verdicts = {e["checker"]: e for e in report["exercises"]}
    assert verdicts["adagrad_step"]["status"] == "missing"
    assert any("RuntimeError: boom" in n for n in report["notes"])
    assert all(e["points"] == e["possible"] for n, e in verdicts.items() if n != "adagrad_step")


def test_chapter_option_overrides_the_metadata(tmp_path):
    nb = learner_copy(read(ADAGRAD))
    nb.metadata["lrcourse"] = {"chapter": 1}
    nbformat.write(nb, tmp_path / "claims_chapter_1.ipynb")
    claimed = grade(tmp_path / "claims_chapter_1.ipynb", seed=SEED)
    assert claimed["chapter"] == 1 and claimed["score"] == 0
    forced = grade(tmp_path / "claims_chapter_1.ipynb", seed=SEED, chapter=2)
    assert forced["chapter"] == 2 and forced["score"] == forced["possible"]


def test_unreadable_notebook_is_reported(tmp_path):
    bad = tmp_path / "02_adagrad.ipynb"
    bad.write_text("{ this is not json", encoding="utf-8")
    report = grade(bad)
    assert report["possible"] == 0 and "could not be read" in report["notes"][0]


def test_command_line_grades_a_class_into_csv_and_json(folder, tmp_path):
    names = [f"solved_{ADAGRAD.name}", f"untouched_{ADAGRAD.name}"]
    out_csv, out_json = tmp_path / "book.csv", tmp_path / "reports.json"
    result = subprocess.run(
        [sys.executable, "-m", "lrcourse.grade", *(str(folder / n) for n in names),
         "--csv", str(out_csv), "--json", str(out_json), "--jobs", "2", "--seed", "3"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    labels = [e["exercise"] for e in json.loads(out_json.read_text())[0]["exercises"]]
    assert list(rows[0]) == ["submission", *labels, "total", "possible", "notes"]
    assert [r["total"] for r in rows] == ["3", "0"] and rows[0]["possible"] == "3"
    assert "graded by hand" in rows[0]["notes"]
    data = json.loads(out_json.read_text())
    assert [d["seed"] for d in data] == [3, 3]
    assert "solved_02_adagrad.ipynb" in result.stdout


def test_command_line_refuses_without_a_sandbox(tmp_path):
    nb = tmp_path / "02_adagrad.ipynb"
    nbformat.write(student_copy(ADAGRAD), nb)
    without_bwrap = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "lrcourse.grade", str(nb)],
                            capture_output=True, text=True, env=without_bwrap)
    assert result.returncode == 2
    assert "refusing" in result.stderr and "--unsafe-no-sandbox" in result.stderr


def test_cells_are_parsed_one_thread_at_a_time(monkeypatch):
    """Grading a class reads notebooks in several threads (``grade_all``). Python 3.11
    keeps ast.parse's depth counter in one place for all threads, so two parses at once
    could make one fail ("AST constructor recursion depth mismatch") and, in a test
    worker, the rest of the class with it. The parses must take turns."""
    import ast
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from lrcourse.teaching import static

    parse, lock = ast.parse, threading.Lock()
    inside, most = [0], [0]

    def slow_parse(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.005)  # a long parse: another thread would start meanwhile
        try:
            return parse(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(ast, "parse", slow_parse)
    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(static.to_python, [f"x = {i}" for i in range(40)]))
    assert all(tree is not None for tree in trees)
    assert most[0] == 1, f"{most[0]} threads parsed at once"
