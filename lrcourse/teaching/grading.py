"""Grade learners' notebooks: one, or a whole class in parallel.

    python -m lrcourse.grade SUBMISSION... [--chapter N] [--csv FILE] [--json FILE]
                             [--jobs J] [--timeout S] [--seed N] [--unsafe-no-sandbox]

Every submission is treated as hostile. It runs in its own bubblewrap sandbox
(:mod:`lrcourse.teaching.sandbox`), where the checkers are absent. The sandbox runs
the cells the exercises depend on, then calls the learner's functions on inputs the
grader drew for this grading run (the seed is in the report), and sends back only the
values they returned, as JSON. The grader compares those values with the references
outside the sandbox, with each checker's own comparison (:mod:`lrcourse.teaching.check`).
Nothing a submission prints, writes, patches or leaves running can change a grade:

* an answer that calls the course's own implementation of the exercise (the optimizer,
  schedule or checker reference that the reference uses) earns nothing and is flagged;
* code that reaches around the grader (introspection, code execution, raw file
  descriptors, the checkers' internals) holds the submission for review, unscored;
* exercises graded by hand are listed with their points pending.

Each checker declares its points (and independently scored parts); an exercise earns
a part's points when every input of that part agrees with the reference.
"""

import argparse
import copy
import csv
import io
import json
import os
import pickle
import secrets
import sys
import tempfile
import threading
import unicodedata
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from . import check, sandbox, static
from .exercises import course_notebook, exercises
from .values import BadValue, Opaque, decode

MAX_NOTEBOOK_BYTES = 20 * 1024**2
CALL_SECONDS = 10.0
#: Course code an answer may call although the reference calls it too: the problem
#: given as input, validation helpers, and the package's lazy imports.
_ALLOWED_MODULES = ("lrcourse.numerics.problems", "lrcourse.numerics._validate",
                    "lrcourse.teaching", "lrcourse.figures")
_PACKAGE = Path(__file__).resolve().parents[1]
_STUB = '''"""The checkers are not available while a submission is graded; calls do nothing."""


class _Absent:
    def __call__(self, *args, **kwargs):
        return None

    def hint(self, *args, **kwargs):
        return None


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Absent()
'''


# ------------------------------------------------------------------ the hidden inputs


@dataclass
class Task:
    """One auto-graded exercise of a grading run: its hidden inputs and expected values."""

    checker: object
    var: str
    label: str
    cases: list = field(default_factory=list)
    blobs: list = field(default_factory=list)
    expected: list = field(default_factory=list)
    trap: set = field(default_factory=set)

    @property
    def kind(self):
        return "function" if isinstance(self.checker, check.FunctionChecker) else "answer"


@dataclass
class Plan:
    """What grading a chapter needs, computed once per run and shared by submissions."""

    chapter: int
    seed: int
    tasks: list
    hand: list  # exercises graded by hand

    @property
    def possible(self):
        return sum(t.checker.points for t in self.tasks)


def _by_value():
    """Ship the checkers' helper classes (a gradient given as input) by value."""
    import cloudpickle

    for name, module in list(sys.modules.items()):
        if name.startswith(check.__name__ + ".") and module is not None:
            cloudpickle.register_pickle_by_value(module)
    return cloudpickle


def _course_calls(fn, args):
    """``(module, qualname)`` of every course function that ``fn(*args)`` runs."""
    seen = set()

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith(str(_PACKAGE)):
                module = frame.f_globals.get("__name__", "")
                if module.startswith("lrcourse.") and not module.startswith(_ALLOWED_MODULES) \
                        and module.count(".") > 1:
                    seen.add((module, getattr(code, "co_qualname", code.co_name)))

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(*copy.deepcopy(args))
    finally:
        sys.setprofile(old)
    return result, seen


def plan(chapter, seed, root=None):
    """The hidden inputs, expected values and traps of ``chapter`` for ``seed``."""
    pickler = _by_value()
    checkers = check.for_chapter(chapter)
    path = course_notebook(chapter, root)
    found = exercises(nbformat.read(path, as_version=4)) if path else []
    labels = {name: ex.label for ex in found for name in ex.checks}
    variables = {name: var for ex in found for name, var in ex.checks.items()}
    tasks = []
    for checker in checkers:
        task = Task(checker, getattr(checker, "learner_name", None)
                    or variables.get(checker.name, checker.name),
                    labels.get(checker.name, checker.name))
        if task.kind == "function":
            rng = np.random.default_rng([seed, zlib.crc32(checker.name.encode())])
            task.cases = checker.cases(rng)
            for case in task.cases:
                with np.errstate(all="ignore"):
                    expected, used = _course_calls(checker.reference, case.args)
                task.expected.append(expected)
                task.trap |= used
                task.blobs.append(pickler.dumps(case.args))
        else:
            task.expected = [checker.value()]
        tasks.append(task)
    hand = [ex for ex in found if not ex.auto]
    return Plan(chapter, seed, tasks, hand)


# ------------------------------------------------------------------ running a submission


class Grader:
    """Grades submissions with one seed; plans are shared between submissions."""

    def __init__(self, *, seed=None, timeout=120.0, unsafe=False, memory=2 * 1024**3):
        reason = None if unsafe else sandbox.available()
        if reason:
            raise sandbox.SandboxUnavailable(
                f"{reason}; grading runs the learners' code, and without a sandbox it runs "
                "as you, with your files and network (unsafe=True takes that risk)")
        self.seed = secrets.randbits(48) if seed is None else int(seed)
        self.timeout, self.unsafe, self.memory = float(timeout), unsafe, memory
        self._plans, self._lock = {}, threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="lrcourse-grading-")
        stub = Path(self._tmp.name) / "check"
        stub.mkdir()
        (stub / "__init__.py").write_text(_STUB, encoding="utf-8")
        self._stub = stub

    def close(self):
        self._tmp.cleanup()

    def plan(self, chapter):
        with self._lock:
            if chapter not in self._plans:
                self._plans[chapter] = plan(chapter, self.seed)
            return self._plans[chapter]

    def _command(self):
        argv = [sys.executable, "-I", "-B", "-m", "lrcourse.teaching._runner"]
        if self.unsafe:
            return argv
        return sandbox.command(argv, binds=[_PACKAGE],
                               overlays=[(self._stub, _PACKAGE / "teaching" / "check")])

    def grade(self, path, chapter=None):
        """The report (a dict) of the notebook at ``path``."""
        path = Path(path)
        report = {"submission": str(path), "chapter": None, "seed": self.seed,
                  "sandbox": "none (--unsafe-no-sandbox)" if self.unsafe else "bubblewrap",
                  "score": 0, "possible": 0, "exercises": [], "hand_graded": [],
                  "notes": []}
        nb = _read(path, report)
        if nb is None:
            return report
        report["chapter"], source = _chapter(nb, path, chapter)
        if report["chapter"] is None or not check.for_chapter(report["chapter"]):
            report["notes"].append(
                "cannot tell which chapter this is: give --chapter N (the notebook's "
                f"metadata and file name say: {source})")
            report["chapter"] = None
            return report
        if source != "--chapter":
            report["chapter_from"] = source
        p = self.plan(report["chapter"])
        report["possible"] = p.possible
        report["hand_graded"] = [{"exercise": ex.label, "title": ex.title,
                                  "points": ex.points, "status": "pending (graded by hand)"}
                                 for ex in p.hand]
        answer, cells, flags = self._run(nb, p, report)
        for task in p.tasks:
            verdict = judge(task, answer, flags)
            report["exercises"].append(verdict)
        report["score"] = sum(e["points"] for e in report["exercises"])
        return report

    def _run(self, nb, p, report):
        code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        trees = [static.to_python(src) for _, src in code]
        keep = static.needed_cells(trees, {t.var for t in p.tasks})
        for (i, _), tree in zip(code, trees):
            if tree is None:
                report["notes"].append(f"cell {i + 1} is not valid Python and was not run")
        flags = sorted({f"cell {code[k][0] + 1} {why}" for k in keep
                        for why in static.suspicious(trees[k])})
        if flags:
            report["notes"].append("held for review: the code reaches around the grader ("
                                   + "; ".join(flags) + ")")
            return None, [], flags
        request = {
            "cells": [(code[k][0] + 1, code[k][1]) for k in keep],
            "exercises": [{"name": t.checker.name, "var": t.var, "kind": t.kind,
                           "cases": t.blobs} for t in p.tasks],
            "trap": sorted(set().union(*(t.trap for t in p.tasks))),
            "limits": {"cpu": int(self.timeout) + 1, "memory": self.memory,
                       "file_size": 64 * 1024**2, "processes": 64},
            "cell_seconds": self.timeout, "call_seconds": min(CALL_SECONDS, self.timeout),
        }
        limits = sandbox.Limits(wall=self.timeout + 5)  # and a few seconds to start
        outcome = sandbox.run(self._command(), pickle.dumps(request), limits)
        report["seconds"] = round(outcome.seconds, 2)
        answer = _parse(outcome, report)
        if answer:
            for err in answer.get("cells", [])[:50]:
                if isinstance(err, dict):
                    report["notes"].append(f"cell {err.get('cell')} raised "
                                           f"{_error_text(err)}")
        return answer, request["cells"], flags


def _read(path, report):
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB")
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as exc:  # not JSON, not a notebook, too large, unreadable
        first = str(exc).splitlines()[0] if str(exc) else ""
        report["notes"].append(f"the notebook could not be read: {type(exc).__name__}: "
                               f"{first[:300]}")
        return None


def _chapter(nb, path, given):
    import re

    if given is not None:
        return int(given), "--chapter"
    meta = nb.get("metadata", {}).get("lrcourse", {})
    if isinstance(meta, dict) and type(meta.get("chapter")) is int:
        return meta["chapter"], "metadata"
    match = re.match(r"0*(\d+)_", path.name)
    return (int(match.group(1)), "file name") if match else (None, "nothing")


def _parse(outcome, report):
    """The runner's answer, or None with the reason in the notes."""
    why = None
    if outcome.timed_out:
        why = "it ran out of time (the whole submission was stopped)"
    elif outcome.truncated:
        why = "its answer was larger than the grader reads"
    elif outcome.returncode != 0:
        tail = outcome.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        why = (f"the sandbox stopped with status {outcome.returncode}"
               + (f" ({tail[0][:300]})" if tail else "")
               + " (out of memory or CPU time?)")
    else:
        try:
            answer = json.loads(outcome.stdout.decode("utf-8"))
            if isinstance(answer, dict) and isinstance(answer.get("exercises"), dict):
                return answer
            why = "its answer was malformed"
        except (ValueError, UnicodeDecodeError):
            why = "its answer was not readable (something wrote over the grader's channel)"
    report["notes"].append(f"no values came back from the sandbox: {why}")
    return None


def _error_text(err):
    text = f"{err.get('type', 'an error')}: {str(err.get('message', ''))[:300]}"
    if err.get("line"):
        text += f" (in {err.get('where')}, line {err.get('lineno')}: {err['line']})"
    return text


# ------------------------------------------------------------------ verdicts


def _entry(task, status, points=0, message="", cause=None, parts=None):
    c = task.checker
    return {"exercise": task.label, "checker": c.name, "title": c.title, "status": status,
            "points": points, "possible": c.points,
            "parts": parts or {k: [0, v] for k, v in c.parts.items()},
            "message": message, "cause": cause}


def judge(task, answer, flags=()):
    """The report entry of one exercise, from the values the sandbox sent back."""
    if flags:
        return _entry(task, "held for review",
                      message="not scored: the submission reaches around the grader")
    if answer is None:
        return _entry(task, "not graded", message="no values came back from the sandbox")
    got = answer["exercises"].get(task.checker.name)
    if not isinstance(got, dict):
        return _entry(task, "not graded", message="the sandbox sent no values for it")
    status = got.get("status")
    if status == "missing":
        return _entry(task, "missing", message=f"the notebook defines no `{task.var}`")
    try:
        if task.kind == "answer":
            return _answer_verdict(task, decode(got.get("value")))
        return _function_verdict(task, got)
    except (BadValue, KeyError, TypeError, ValueError) as exc:
        return _entry(task, "not graded", message=f"unreadable values from the sandbox ({exc})")


def _answer_verdict(task, value):
    if value is None or value is Ellipsis:
        return _entry(task, "not implemented", message=f"`{task.var}` is not answered yet")
    verdict = task.checker.compare(value, task.expected[0])
    if verdict.passed:
        c = task.checker
        return _entry(task, "passed", c.points, parts={k: [v, v] for k, v in c.parts.items()})
    return _entry(task, "failed", message=verdict.message.strip(), cause=verdict.cause)


def _function_verdict(task, got):
    c, status = task.checker, got.get("status")
    if status == "not a function":
        return _entry(task, "failed", message=f"`{task.var}` is not a function")
    if status == "course code":
        used = ", ".join(str(u) for u in got.get("used", [])[:5])
        return _entry(task, "course code", message=(
            f"the answer calls the course's own implementation ({used}) instead of "
            "computing the result itself: no points"))
    results = got.get("results", [])
    if not isinstance(results, list) or len(results) > len(task.cases):
        raise BadValue("more results than inputs")
    if results and all(r.get("not implemented") for r in results) \
            and len(results) == len(task.cases):
        return _entry(task, "not implemented", message="not yet implemented")
    verdicts, first = [], None
    for case, expected, result in zip(task.cases, task.expected, results):
        if "output" in result:
            output = decode(result["output"])
            after = [a if isinstance(v, Opaque) else v for a, v in
                     zip(case.args, (decode(x) for x in result["after"]))]
            verdict = c.compare(output, expected, case.args, tuple(after))
            ok, why, cause = verdict.passed, verdict.message.strip(), verdict.cause
        elif result.get("not implemented"):
            ok, why, cause = False, "not yet implemented (NotImplementedError)", None
        else:
            ok, why, cause = False, f"it raised {_error_text(result.get('raised') or {})}", None
        verdicts.append((case, ok))
        if not ok and first is None:
            first = (case.description, why, cause)
    unrun = task.cases[len(results):]
    verdicts += [(case, False) for case in unrun]
    if first is None and unrun:
        first = (unrun[0].description, {
            "timeout": f"the function ran longer than {CALL_SECONDS:g} s",
            "signature": f"the function is {task.var}{got.get('signature')}, but the "
                         f"exercise calls it as {getattr(c, 'signature', task.var)} "
                         f"({got.get('message')})",
        }.get(status, f"it stopped ({status})"), None)
    points = c.score(verdicts)
    failed = {case.part for case, ok in verdicts if not ok}
    parts = {k: [0 if k in failed else v, v] for k, v in c.parts.items()}
    if first is None:
        return _entry(task, "passed", points, f"{len(task.cases)} hidden inputs agree",
                      parts=parts)
    description, why, cause = first
    raised = any("raised" in r for r in results)
    status = "partial" if points else ("error" if raised else "failed")
    return _entry(task, status, points, f"on {description}: {why}", cause, parts)


# ------------------------------------------------------------------ output


def printable(text):
    """``text`` with control characters (escape sequences, bells, newlines) escaped."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029":
            out.append(ch.encode("unicode_escape").decode("ascii") if ord(ch) < 0x10000
                       else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def _cell(text):
    """A CSV cell: control characters escaped, and never read as a spreadsheet formula."""
    text = printable(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _columns(reports):
    cols = []
    for r in reports:
        for e in r["exercises"]:
            if e["exercise"] not in cols:
                cols.append(e["exercise"])
    return cols


def gradebook_csv(reports):
    """The gradebook: one row per submission, one column per auto-graded exercise."""
    cols = _columns(reports)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission", *cols, "total", "possible", "notes"])
    for r in reports:
        points = {e["exercise"]: e["points"] for e in r["exercises"]}
        notes = [f"{e['exercise']}: {e['status']}" for e in r["exercises"]
                 if e["status"] not in ("passed", "failed", "not implemented", "partial")]
        notes += r["notes"]
        if r["hand_graded"]:
            notes.append("graded by hand, pending: "
                         + ", ".join(h["exercise"] for h in r["hand_graded"]))
        writer.writerow([_cell(r["submission"]), *(points.get(c, "") for c in cols),
                         r["score"], r["possible"], _cell("; ".join(notes))])
    return buf.getvalue()


def format_report(report):
    """One submission's report as readable text (control characters escaped)."""
    head = f"{printable(report['submission'])}"
    if report["chapter"] is not None:
        head += f" (chapter {report['chapter']}, seed {report['seed']})"
    lines = [head]
    for e in report["exercises"]:
        lines.append(f"  {e['points']:>2}/{e['possible']:<2} {printable(e['exercise'])} "
                     f"[{e['status']}]")
        if e["status"] != "passed" and e["message"]:
            lines += ["        " + printable(row) for row in e["message"].splitlines()[:6]]
        if e.get("cause"):
            lines.append("        likely cause: " + printable(e["cause"]))
    for h in report["hand_graded"]:
        pts = "?" if h["points"] is None else h["points"]
        lines.append(f"   -/{pts:<2} {printable(h['exercise'])} [graded by hand: pending]")
    lines += ["  note: " + printable(n) for n in report["notes"]]
    lines.append(f"  total: {report['score']} / {report['possible']}")
    return "\n".join(lines)


def format_table(reports):
    """The class at a glance: points per exercise, total, and notes."""
    cols = _columns(reports)
    width = max([len(printable(r["submission"])) for r in reports] + [10])
    rows = ["  ".join([f"{'submission':<{width}}", *(f"{c[:14]:>14}" for c in cols),
                       "total"])]
    for r in reports:
        pts = {e["exercise"]: f"{e['points']}/{e['possible']}" for e in r["exercises"]}
        note = "  (see notes)" if r["notes"] else ""
        rows.append("  ".join([f"{printable(r['submission']):<{width}}",
                               *(f"{pts.get(c, '-'):>14}" for c in cols),
                               f"{r['score']}/{r['possible']}{note}"]))
    return "\n".join(rows)


# ------------------------------------------------------------------ command line


def grade(path, **kwargs):
    """Grade one notebook (a convenience for scripts and tests); returns its report."""
    chapter = kwargs.pop("chapter", None)
    grader = Grader(**kwargs)
    try:
        return grader.grade(path, chapter)
    finally:
        grader.close()


def grade_all(paths, *, chapter=None, jobs=2, **kwargs):
    """Reports of many notebooks, graded ``jobs`` at a time, in the order given."""
    grader = Grader(**kwargs)
    try:
        for c in {chapter} if chapter is not None else set():
            grader.plan(c)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(lambda p: grader.grade(p, chapter), paths))
    finally:
        grader.close()


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m lrcourse.grade",
        description="Grade learners' chapter notebooks, each in its own sandbox.")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="notebooks (.ipynb), or folders of them")
    parser.add_argument("--chapter", type=int, help="grade as this chapter, whatever the "
                        "notebooks' metadata or names say")
    parser.add_argument("--csv", metavar="FILE", help="write the gradebook as CSV")
    parser.add_argument("--json", metavar="FILE", help="write every report as JSON")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of CPUs)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds one submission may run (default 120)")
    parser.add_argument("--seed", type=int, help="the seed of the hidden inputs (default: "
                        "a fresh one, recorded in the reports)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run submissions WITHOUT a sandbox, as you, with your files "
                        "and network: only for code you trust")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0:
        parser.error("--jobs and --timeout must be positive")
    paths = []
    for s in args.submissions:
        p = Path(s)
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or not paths:
        parser.error("no such notebook: " + ", ".join(map(printable, missing or ["(none)"])))
    if not args.unsafe_no_sandbox:
        reason = sandbox.available()
        if reason:
            print(f"refusing to grade: {reason}.\nGrading runs the learners' code; without "
                  "a sandbox it runs as you, with your files and network. Install "
                  "bubblewrap, or pass --unsafe-no-sandbox to take that risk.",
                  file=sys.stderr)
            return 2
    reports = grade_all(paths, chapter=args.chapter, jobs=args.jobs, seed=args.seed,
                        timeout=args.timeout, unsafe=args.unsafe_no_sandbox)
    if len(reports) == 1:
        print(format_report(reports[0]))
    else:
        print(format_table(reports))
        for r in reports:
            if r["notes"]:
                print(f"\nnotes for {printable(r['submission'])}:")
                print("\n".join("  " + printable(n) for n in r["notes"]))
    if args.csv:
        Path(args.csv).write_text(gradebook_csv(reports), encoding="utf-8", newline="")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1, default=str),
                                   encoding="utf-8")
    return 0 if all(r["chapter"] is not None for r in reports) else 1
