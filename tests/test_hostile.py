"""Hostile submissions gain nothing, leave nothing behind, and change no one else's grade.

Each file in tests/hostile/ is one attack, appended as a code cell to the student edition
of chapter 2 (whose exercises are stubs). The whole class, attacks and honest notebooks
together, is graded in parallel, as an instructor would.
"""

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from edition import ROOT, learner_copy, read, student_copy

from lrcourse.teaching import sandbox
from lrcourse.teaching.grading import format_report, format_table, grade_all, gradebook_csv

pytestmark = pytest.mark.skipif(sandbox.available() is not None,
                                reason=f"no sandbox here: {sandbox.available()}")
HOSTILE = Path(__file__).parent / "hostile"
CHAPTER = ROOT / "chapters" / "02_adagrad.ipynb"
ATTACKS = sorted(HOSTILE.glob("*.py"))
#: Where the attacks try to write; none of these may exist afterwards.
PLANTED = [ROOT / "lrcourse-pwned.npy", ROOT / "lrcourse" / "lrcourse-pwned.npy",
           Path("/tmp/lrcourse-pwned.npy"), Path.home() / ".ipython" / "profile_default"
           / "startup" / "00-pass.py", Path.home() / "00-pass.py"]


def _runners():
    """Process ids of grading runners anywhere on the machine."""
    found = set()
    for pid in os.listdir("/proc"):
        try:
            if b"lrcourse.teaching._runner" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once: ``(reports by file name, folder, listing before)``."""
    assert len(ATTACKS) >= 20
    folder = tmp_path_factory.mktemp("submissions")
    nbformat.write(learner_copy(read(CHAPTER)), folder / "honest.ipynb")
    nbformat.write(student_copy(CHAPTER), folder / "untouched.ipynb")
    for attack in ATTACKS:
        nb = student_copy(CHAPTER)
        nb.cells.append(nbformat.v4.new_code_cell(attack.read_text(encoding="utf-8")))
        nbformat.write(nb, folder / f"{attack.stem}.ipynb")
    escaped = folder / "name\x1b[2Jwith escapes.ipynb"
    nbformat.write(student_copy(CHAPTER), escaped)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    runners = _runners()
    paths = sorted(folder.iterdir())
    reports = grade_all(paths, jobs=2, timeout=6, seed=20261201)
    time.sleep(1.0)
    return ({Path(r["submission"]).stem: r for r in reports}, folder, before, runners,
            reports)


def test_no_attack_gains_a_point(graded):
    reports = graded[0]
    gained = {name: r["score"] for name, r in reports.items()
              if name != "honest" and r["score"]}
    assert not gained, gained
    assert reports["honest"]["score"] == reports["honest"]["possible"] == 3, \
        format_report(reports["honest"])


@pytest.mark.parametrize("attack", [a.stem for a in ATTACKS])
def test_each_attack_is_reported(graded, attack):
    report = graded[0][attack]
    assert report["chapter"] == 2 and report["possible"] == 3
    assert report["score"] == 0, format_report(report)
    statuses = {e["checker"]: e["status"] for e in report["exercises"]}
    assert "passed" not in statuses.values()


def test_calling_the_course_optimizer_is_flagged(graded):
    for attack in ("course_optimizer", "course_optimizer_hidden"):
        verdict = {e["checker"]: e for e in graded[0][attack]["exercises"]}["adagrad_step"]
        assert verdict["status"] == "course code", verdict
        assert "Adagrad" in verdict["message"]


def test_reaching_around_the_grader_is_held_for_review(graded):
    for attack in ("patched_checkers", "returned_reference", "detached_process",
                   "fork_bomb", "ignore_sigint", "exits"):
        report = graded[0][attack]
        assert {e["status"] for e in report["exercises"]} == {"held for review"}, attack
        assert any("held for review" in n for n in report["notes"])


def test_nothing_is_left_behind(graded):
    _, folder, before, runners, _ = graded
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert not [str(p) for p in PLANTED if p.exists()]
    # Other tests may be grading at the same moment (pytest-xdist): their runners come
    # and go within their time limit; one left behind by this class stays.
    extra, deadline = _runners() - runners, time.monotonic() + 120
    while extra and time.monotonic() < deadline:
        time.sleep(1)
        extra &= _runners()
    assert not extra, "a grading runner outlived its sandbox"


def test_an_attack_does_not_change_another_grade(graded):
    honest = graded[0]["honest"]
    alone = grade_all([graded[1] / "honest.ipynb"], seed=20261201)[0]
    assert [(e["checker"], e["points"]) for e in alone["exercises"]] == \
        [(e["checker"], e["points"]) for e in honest["exercises"]]
    untouched = graded[0]["untouched"]
    assert untouched["score"] == 0
    assert {e["status"] for e in untouched["exercises"]} == {"not implemented"}


def test_control_characters_never_reach_the_terminal_or_the_gradebook(graded):
    reports = graded[4]
    text = format_table(reports) + "\n".join(format_report(r) for r in reports)
    book = gradebook_csv(reports)
    for output in (text, book, json.dumps(reports)):
        assert "\x1b" not in output and "\x07" not in output
    assert "\\x1b[2J" in text
