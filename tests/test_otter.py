"""The otter-grader autograder: `otter run` gives the grader's points for the same seed.

Otter executes the whole submission in a Jupyter kernel, which is slow for a full
chapter; the submissions here are the chapter's imports and its exercise cells, which
is all the autograder reads.
"""

import json
import shutil

import nbformat
import pytest
from edition import CHAPTERS, learner_copy, read, student_copy

from lrcourse.teaching import check, static
from lrcourse.teaching.otter import otter_command, write_autograder

# Slow: otter starts a kernel and its own grading run per submission (minutes on a busy
# two-core machine); deselected with -m "not slow".
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(otter_command() is None, reason="otter-grader not installed")]
ADAGRAD = next(p for p in CHAPTERS if p.name.startswith("02_"))


def _exercise_cells(nb):
    """The notebook reduced to the cells its exercises depend on."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    trees = [static.to_python(nb.cells[i].source) for i in code]
    wanted = {c.learner_name for c in check.for_chapter(2)}
    keep = {code[k] for k in static.needed_cells(trees, wanted)}
    nb.cells = [c for i, c in enumerate(nb.cells) if i in keep]
    return nb


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    return write_autograder(2, tmp_path_factory.mktemp("autograders"), seed=11,
                            root=ADAGRAD.parents[1])


@pytest.mark.parametrize("kind", ["solved", "untouched"])
def test_otter_run_scores_like_the_grader(autograder, tmp_path, kind):
    import subprocess

    nb = learner_copy(read(ADAGRAD)) if kind == "solved" else student_copy(ADAGRAD)
    submission = tmp_path / "submission.ipynb"
    nbformat.write(_exercise_cells(nb), submission)
    shutil.copy(autograder, tmp_path / "autograder.zip")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([otter_command(), "run", "-a", "autograder.zip", "submission.ipynb",
                    "-o", str(out), "--no-logo"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=600)
    tests = {t["name"]: t for t in json.loads((out / "results.json").read_text())["tests"]
             if t.get("max_score") is not None}
    points = {c.name: c.points for c in check.for_chapter(2)}
    assert {n: t["max_score"] for n, t in tests.items()} == points
    expected = points if kind == "solved" else dict.fromkeys(points, 0)
    assert {n: t["score"] for n, t in tests.items()} == expected
