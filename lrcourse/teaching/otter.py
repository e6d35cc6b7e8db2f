"""An autograder per chapter in otter-grader's format, for ``otter run``, ``otter grade``
and Gradescope.

    python -m lrcourse.student --out student --autograders autograders

writes ``autograders/NN_autograder.zip`` next to the student edition, never inside it:
the zip holds the hidden inputs and the expected values, so it is for instructors only.
Each auto-graded exercise is one otter test with one case per independently scored part,
worth that part's points; a case passes when the learner's function agrees with the
reference on every hidden input of its part (the same inputs and comparison as
``python -m lrcourse.grade --seed N`` with the seed recorded in the zip), and an answer
that calls the course's own implementation fails, as in the grader. The zip carries the
course's package, so the autograder needs nothing but the requirements.

Otter runs the submission without bubblewrap: its isolation is the container of
``otter grade`` or Gradescope.
"""

import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .grading import _by_value, plan

DATA = "lrcourse_otter_data.pkl"
SUPPORT = "lrcourse_otter.py"

# The module the tests import inside otter's grading environment.
_SUPPORT_SOURCE = '''"""Grades one part of one exercise inside otter (lrcourse.teaching.otter)."""

import pickle
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from lrcourse.teaching import _runner  # noqa: E402
from lrcourse.teaching.check import REGISTRY  # noqa: E402

with open(HERE / "{data}", "rb") as f:
    TASKS = pickle.load(f)
_armed = []


def _arm():
    if not _armed:
        exempt = set()
        for task in TASKS.values():
            for case in task["cases"]:
                exempt |= _runner._exempt_code(case.args)
        _runner._arm(sorted(set().union(*(t["trap"] for t in TASKS.values()))), exempt)
        _armed.append(True)


def passes(name, part, namespace):
    """Whether the learner's answer passes every hidden input of ``part``."""
    task, checker = TASKS[name], REGISTRY[name]
    value = namespace.get(task["var"])
    if task["kind"] == "answer":
        return value is not None and value is not Ellipsis and \\
            checker.compare(value, task["expected"][0]).passed
    if not callable(value):
        return False
    _arm()
    for case, expected in zip(task["cases"], task["expected"]):
        if case.part != part:
            continue
        del _runner._hits[:]
        try:
            with np.errstate(all="ignore"):
                output, after = checker.run_learner(value, case.args)
        except BaseException:  # the learner's code raised, or called the course's
            return False
        if _runner._hits or not checker.compare(output, expected, case.args, after).passed:
            return False
    return True
'''

_TEST = '''OK_FORMAT = True

test = {{
    "name": {name!r},
    "points": None,
    "suites": [
        {{
            "cases": [
{cases}
            ],
            "scored": True,
            "setup": "",
            "teardown": "",
            "type": "doctest",
        }}
    ],
}}
'''

_CASE = '''                {{
                    "code": ">>> from lrcourse_otter import passes\\n"
                            ">>> passes({name!r}, {part!r}, globals())\\nTrue",
                    "hidden": True,
                    "locked": False,
                    "points": {points},
                    "failure_message": {message!r},
                }},'''


def otter_command():
    path = Path(sys.executable).with_name("otter")
    return str(path) if path.exists() else shutil.which("otter")


def _requirements(root):
    lines = [line for line in (root / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith(("#", "-e"))]
    return "\n".join(lines + ["cloudpickle"]) + "\n"


def write_autograder(chapter, out_dir, *, seed, root):
    """Write ``NN_autograder.zip`` for ``chapter`` into ``out_dir``; return its path."""
    otter = otter_command()
    if otter is None:
        raise RuntimeError("otter-grader is not installed (pip install otter-grader)")
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    p = plan(chapter, seed, root)
    tasks = {t.checker.name: {"var": t.var, "kind": t.kind, "cases": t.cases,
                              "expected": t.expected, "trap": t.trap} for t in p.tasks}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "tests").mkdir()
        for t in p.tasks:
            c = t.checker
            cases = "\n".join(_CASE.format(name=c.name, part=part, points=points,
                                           message=f"{c.title}: {part} not right")
                              for part, points in c.parts.items())
            (tmp / "tests" / f"{c.name}.py").write_text(
                _TEST.format(name=c.name, cases=cases), encoding="utf-8")
        (tmp / DATA).write_bytes(_pickled(tasks))
        (tmp / SUPPORT).write_text(_SUPPORT_SOURCE.format(data=DATA), encoding="utf-8")
        shutil.copytree(root / "lrcourse", tmp / "lrcourse",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (tmp / "requirements.txt").write_text(_requirements(root), encoding="utf-8")
        (tmp / "SEED").write_text(f"{seed}\n", encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{chapter:02d}_autograder.zip"
        subprocess.run([otter, "generate", "-t", "tests", "-r", "requirements.txt",
                        "-o", str(target), "--no-config", "--no-environment",
                        DATA, SUPPORT, "lrcourse", "SEED"],
                       cwd=tmp, check=True, capture_output=True)
    return target


def _pickled(tasks):
    return _by_value().dumps(tasks, protocol=pickle.DEFAULT_PROTOCOL)
