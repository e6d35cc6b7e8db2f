"""The machinery behind every exercise checker.

A :class:`FunctionChecker` calls a learner's function and the reference on the same
inputs (random cases and edge cases), and answers in plain words: passed, or which
input differs, the expected and actual values, and the likely cause when the answer
matches a known mistake. An :class:`AnswerChecker` does the same for a single value
(a "predict, then verify" question). Neither ever raises because of the learner's
code: an exception in it is reported, and ``NotImplementedError`` reads as
"not yet implemented".

Every check is also appended, as one JSON line, to the file named by the environment
variable ``LRCOURSE_GRADE_LOG`` when it is set; that is how ``python -m lrcourse.grade``
learns the results.
"""

import copy
import json
import os
import traceback
from dataclasses import dataclass

import numpy as np

#: All checkers by name, filled in as the topic modules are imported.
REGISTRY = {}


@dataclass
class Result:
    """The outcome of one check; shows as its message in a notebook."""

    exercise: str
    passed: bool
    status: str  # "passed", "failed", "error" or "not implemented"
    message: str

    def __repr__(self):
        return self.message

    def __bool__(self):
        return self.passed


def _fmt(x):
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=6, threshold=8, max_line_width=88)
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_fmt(v) for v in x) + ")"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in x.items()) + "}"
    return repr(x)


def _close(actual, expected, rtol, atol):
    if isinstance(expected, str):
        return isinstance(actual, str) and actual.strip().lower() == expected.strip().lower()
    if isinstance(expected, tuple):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return False
        return all(_close(a, e, rtol, atol) for a, e in zip(actual, expected))
    try:
        a = np.asarray(actual, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


class Checker:
    """Common parts: a name, a chapter, hints, reporting and the grade log."""

    def __init__(self, name, *, title, chapter, hints=()):
        self.name, self.title, self.chapter = name, title, chapter
        self.hints = list(hints)
        REGISTRY[name] = self  # re-importing a module replaces its checkers

    def hint(self, n=None):
        """Print one hint (the ``n``-th, from 1) or, with no argument, all of them."""
        if not self.hints:
            print(f"No hints for {self.title}.")
            return
        chosen = self.hints if n is None else [self.hints[(n - 1) % len(self.hints)]]
        for i, text in enumerate(chosen, 1 if n is None else n):
            print(f"Hint {i} for {self.title}: {text}")

    def _report(self, status, detail):
        head = {
            "passed": f"✓ {self.title}: passed.",
            "failed": f"✗ {self.title}: not yet right.",
            "error": f"✗ {self.title}: your code raised an error.",
            "not implemented": f"… {self.title}: not yet implemented.",
        }[status]
        tail = "" if status == "passed" else f"\n   (call check.{self.name}.hint() for a hint)"
        message = head + (f"\n{detail}" if detail else "") + tail
        result = Result(self.name, status == "passed", status, message)
        log = os.environ.get("LRCOURSE_GRADE_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"exercise": self.name, "passed": result.passed,
                                    "status": status, "message": message}) + "\n")
        print(message)
        return result


def _call(fn, args):
    """Call the learner's function on a private copy of the inputs."""
    return fn(*copy.deepcopy(args))


def _error(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"   {type(exc).__name__}: {exc}{where}"


class FunctionChecker(Checker):
    """Check a learner's function against a reference on many inputs.

    Parameters
    ----------
    reference : the correct function.
    cases : ``cases(rng) -> list of (description, args)``; edge cases first, then
        random ones. ``args`` is a tuple passed as ``fn(*args)``.
    mistakes : ``[(wrong_function, explanation), ...]``: known wrong answers. When the
        learner's output matches one of them, its explanation is given as the likely cause.
    rtol, atol : tolerance of the comparison (arrays, numbers, or tuples of them).
    """

    def __init__(self, name, reference, cases, *, title, chapter, mistakes=(), hints=(),
                 rtol=1e-7, atol=1e-10, seed=0):
        super().__init__(name, title=title, chapter=chapter, hints=hints)
        self.reference, self.cases, self.mistakes = reference, cases, list(mistakes)
        self.rtol, self.atol, self.seed = rtol, atol, seed

    def __call__(self, fn):
        if not callable(fn):
            return self._report("failed", f"   expected a function, got {_fmt(fn)}")
        cases = self.cases(np.random.default_rng(self.seed))
        for description, args in cases:
            expected = self.reference(*copy.deepcopy(args))
            try:
                actual = _call(fn, args)
            except NotImplementedError:
                return self._report("not implemented", "")
            except Exception as exc:  # the learner's code may raise anything
                return self._report("error", f"   on {description}, input {_fmt(args)}:\n"
                                    + _error(exc))
            if _close(actual, expected, self.rtol, self.atol):
                continue
            detail = (f"   on {description}, input {_fmt(args)}\n"
                      f"   expected {_fmt(expected)}\n   got      {_fmt(actual)}")
            cause = self._diagnose(fn, actual, args)
            if cause:
                detail += f"\n   likely cause: {cause}"
            return self._report("failed", detail)
        return self._report("passed", f"   ({len(cases)} inputs agree with the reference)")

    def _diagnose(self, fn, actual, args):
        for wrong, explanation in self.mistakes:
            try:
                if _close(actual, wrong(*copy.deepcopy(args)), self.rtol, self.atol):
                    return explanation
            except Exception:  # a mistake model that does not apply to this input
                continue
        return None


class AnswerChecker(Checker):
    """Check a single answer (a number, an array, or a choice) against the expected one.

    ``expected`` may be a value or a zero-argument function that computes it (so the
    answer is derived from lrcourse, not typed in). ``mistakes`` maps a wrong value to
    its explanation. Numbers compare with ``rtol``/``atol``; strings ignoring case.
    """

    def __init__(self, name, expected, *, title, chapter, mistakes=(), hints=(),
                 rtol=1e-6, atol=0.0):
        super().__init__(name, title=title, chapter=chapter, hints=hints)
        self.expected, self.mistakes = expected, list(mistakes)
        self.rtol, self.atol = rtol, atol

    def value(self):
        return self.expected() if callable(self.expected) else self.expected

    def _same(self, a, b):
        if isinstance(b, str):
            return isinstance(a, str) and a.strip().lower() == b.strip().lower()
        return _close(a, b, self.rtol, self.atol)

    def __call__(self, answer):
        if answer is None or answer is Ellipsis:
            return self._report("not implemented", "")
        expected = self.value()
        if self._same(answer, expected):
            return self._report("passed", "")
        detail = f"   your answer: {_fmt(answer)}"
        for wrong, explanation in self.mistakes:
            wrong = wrong() if callable(wrong) else wrong
            if self._same(answer, wrong):
                detail += f"\n   likely cause: {explanation}"
                break
        return self._report("failed", detail)
