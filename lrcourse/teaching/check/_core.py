"""The machinery behind every exercise checker.

In a notebook
-------------
``check.<exercise>(answer)`` prints one verdict: passed, or the first input on which
the answer differs, what differs (a value, a shape, a dtype, a near miss and the
tolerance that applies, a word that is not one of the choices, an input changed in
place, a wrong signature), and the likely cause when the answer matches a known
mistake. An exception in the learner's code is reported with the learner's own line.
The call returns a :class:`Result` (``.passed``, ``.status``, ``.message``) that a
notebook does not display again, so the verdict shows once with or without a trailing
``;``. ``check.<exercise>.hint()`` prints the next hint and how many remain;
``hint(n)`` prints hint ``n`` again. The hints are ordered from a nudge to the answer.

For a grader
------------
A grader runs only the learner's code in a sandbox and judges outside it, with these
attributes of every checker (``check.REGISTRY`` maps ``name`` to the checker, and
``check.for_chapter(n)`` lists a chapter's):

``name``, ``chapter``, ``title``
    The checker's key in ``REGISTRY``, its chapter and its exercise's title.
``learner_name``
    The name the notebook gives the learner's function or answer variable
    (``check.<name>(<learner_name>)`` is the notebook's call).
``points``, ``parts``
    ``parts`` maps each independently scored part of the exercise to its points
    (``{"whole": 1}`` unless declared); ``points = sum(parts.values())``. Of the
    exercises, ``warmup_cosine_lr`` (warmup, cosine, after the end) and
    ``best_learning_rate`` (finite runs, diverged runs) have several parts.

A :class:`FunctionChecker` (the learner writes a function) adds:

``cases(rng) -> list of Case``
    Inputs drawn from ``rng`` (a ``numpy.random.Generator``): edge cases first, then
    random ones. Every case is valid for any seed, and its ``args`` pickle (functions
    of a problem travel as the problem's factory and arguments), so a grader can draw
    them at grading time and ship them into a sandbox. ``Case(description, args, part)``.
``reference(*args) -> expected``
    The correct output, computed with ``lrcourse``'s optimizers and schedules.
``run_learner(fn, args) -> (output, args_after)``
    The only code that calls the learner: ``fn`` gets a private deep copy of ``args``;
    ``args_after`` is that copy after the call (to detect in-place changes). This is
    what a sandbox runs; whatever it raises is the learner's exception
    (:func:`describe_exception` words it, pointing at the learner's line).
``signature_problem(fn, args) -> str or None``
    Why ``fn`` cannot be called with ``args`` (a wrong signature), or ``None``.
``compare(output, expected, args, args_after=None) -> Verdict``
    A pure function: whether the output is right, what differs in plain words, and the
    likely cause (a known mistake). ``args_after`` is optional; with it, an input
    changed in place fails the case. Only its arrays, lists and numbers are compared,
    so a sandbox may send the other entries (a problem's gradient) back as ``None``.
    Outputs are numbers, arrays, words, ``None`` or tuples of them: plain data that
    leaves a sandbox without pickle.
``score(verdicts) -> points earned``
    ``verdicts`` are ``(case, passed)`` pairs; a case that raised or never ran counts as
    not passed, and a part none of whose cases ran earns nothing.

``Case``, ``Verdict`` and ``describe_exception`` are importable from
``lrcourse.teaching.check``.

An :class:`AnswerChecker` (the learner gives a value) adds ``value()`` (the expected
answer) and ``compare(answer, expected) -> Verdict``, whose message never shows the
expected value; the answer earns ``points`` when the verdict passes. Answers are
numbers, arrays, words or tuples of them, so they travel out of a sandbox as data.

Building a checker
------------------
``FunctionChecker(name, reference, cases, title=..., chapter=..., mistakes=[(wrong,
explanation), ...], hints=[...], outputs=("new_theta", ...), points=1, parts=None,
choices=None, rtol=..., atol=...)``; a wrong function has the reference's signature and
reproduces one known mistake. ``AnswerChecker(name, expected, ...)`` is the same for a
single value. Both register themselves in ``REGISTRY`` under ``name``.
"""

import copy
import difflib
import inspect
import itertools
import numbers
import os
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..hints import HintsInOrder

#: All checkers by name, filled in as the topic modules are imported.
REGISTRY = {}

#: Folders whose frames are not the learner's: this package, NumPy, the standard
#: library and installed packages.
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve()) for p in {
        Path(__file__).resolve().parents[2], Path(np.__file__).resolve().parent,
        sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"]})


class Case(NamedTuple):
    """One input of a function exercise: ``fn(*args)``, scored with ``part``."""

    description: str
    args: tuple
    part: str = "whole"


@dataclass
class Verdict:
    """The judgement of one case: passed, what differs, and the likely cause."""

    passed: bool
    message: str = ""
    cause: str | None = None


@dataclass(repr=False)
class Result:
    """The outcome of one check in a notebook.

    The checker has already printed ``message``; a notebook shows nothing more for the
    returned object, so the verdict appears once.
    """

    exercise: str
    passed: bool
    status: str  # "passed", "failed", "error" or "not implemented"
    message: str

    def __repr__(self):
        return f"<check {self.exercise}: {self.status}>"

    def __str__(self):
        return self.message

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        """Display nothing: the verdict was printed when the check ran."""


# ------------------------------------------------------------------ formatting


def _fmt(x):
    if isinstance(x, np.ndarray):
        return " ".join(np.array2string(x, precision=6, threshold=8, max_line_width=88)
                        .split())
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    if isinstance(x, (tuple, list)):
        inner = ", ".join(_fmt(v) for v in x)
        return f"({inner})" if isinstance(x, tuple) else f"[{inner}]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}={_fmt(v)}" for k, v in x.items()) + "}"
    return repr(x)


def _what(x):
    """A short description of a value's kind, for 'expected X, got Y' sentences."""
    if x is None:
        return "None"
    if isinstance(x, str):
        return f"the text {x!r}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} values"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}" if x.ndim else "a number"
    if isinstance(x, (numbers.Number, np.number)):
        return "a number"
    return f"a {type(x).__name__}"


def _ordinal(i):
    return ["first", "second", "third", "fourth", "fifth"][i] if i < 5 else f"value {i + 1}"


# ------------------------------------------------------------------ comparison

_LOW_PRECISION = (np.float16, np.float32, np.complex64)


def _numeric(x):
    """``x`` as a float64 array, or None when it is not numbers."""
    if x is None or isinstance(x, (str, bytes)):
        return None
    try:
        a = np.asarray(x)
        if a.dtype == object or a.dtype.kind not in "biufc":
            return None
        return a.astype(float)
    except (TypeError, ValueError):
        return None


def _near_miss(a, e, rtol, atol):
    """How far the worst element is, and the tolerance that applies to it."""
    err = np.abs(a - e)
    allowed = atol + rtol * np.abs(e)
    with np.errstate(invalid="ignore"):
        over = np.where(np.isfinite(err), err - allowed, np.inf)
    i = np.unravel_index(int(np.argmax(over)), e.shape) if e.ndim else ()
    scale = abs(float(e[i]))
    rel = float(err[i]) / scale if scale else float("inf")
    index = tuple(int(k) for k in i)
    where = f" at index {list(index) if len(index) > 1 else index[0]}" if index else ""
    return rel, float(err[i]), where


def difference(actual, expected, *, rtol, atol, choices=None, reveal=True, strict_dtype=False,
               name="the result"):
    """What differs between ``actual`` and ``expected``, in words; ``None`` if they agree.

    Numbers and arrays agree within ``rtol``/``atol`` (as ``numpy.allclose``; NaN
    equals NaN), words ignoring case and surrounding spaces, tuples element by element.
    With ``reveal=False`` the message never shows the expected value; with
    ``strict_dtype`` a float32 (or float16) result fails even when its digits agree.
    """
    if expected is None:
        return None if actual is None else f"{name}: expected None, got {_what(actual)}"
    if actual is None:
        return (f"{name} is None: does the function end with a `return` line?"
                if name == "the result" else f"{name} is None")
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return f"{name}: expected one word (a str), got {_what(actual)}"
        if actual.strip().lower() == expected.strip().lower():
            return None
        if choices and actual.strip().lower() not in {c.lower() for c in choices}:
            near = difflib.get_close_matches(actual.strip(), list(choices), n=1, cutoff=0.6)
            guess = f" Did you mean {near[0]!r}?" if near else ""
            return (f"{name}: {actual!r} is not one of the choices "
                    f"{', '.join(repr(c) for c in choices)}.{guess}")
        return (f"{name}: expected {expected!r}, got {actual!r}" if reveal
                else f"{name}: {actual!r} is not the answer")
    if isinstance(expected, tuple):
        names = [f"the {_ordinal(i)} returned value" for i in range(len(expected))]
        if not isinstance(actual, (tuple, list)):
            return (f"expected {len(expected)} values returned as a tuple, "
                    f"got {_what(actual)}")
        if len(actual) != len(expected):
            return f"expected {len(expected)} returned values, got {len(actual)}"
        for a, e, n in zip(actual, expected, names):
            diff = difference(a, e, rtol=rtol, atol=atol, choices=choices, reveal=reveal,
                              strict_dtype=strict_dtype, name=n)
            if diff:
                return diff
        return None
    e = _numeric(expected)
    if e is None:
        raise TypeError(f"a reference returned {_what(expected)}; checkers compare numbers, "
                        "arrays, words, None and tuples of them")
    a = _numeric(actual)
    if a is None:
        return f"{name}: expected {_what(np.asarray(expected))}, got {_what(actual)}"
    if a.shape != e.shape:
        note = (" (the same numbers with an extra or missing axis of length 1: look for "
                "np.array([...]) around an array, or a reshape)"
                if a.size == e.size and a.size > 1 else "")
        return (f"{name} has the wrong shape: expected shape {e.shape}, got shape "
                f"{a.shape}{note}")
    dtype = np.asarray(actual).dtype
    low_precision = dtype.type in _LOW_PRECISION
    close = np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if close and not (strict_dtype and low_precision):
        return None
    if close:
        return (f"{name} has dtype {dtype}; the exercise works in float64 (the default "
                "of NumPy): look for dtype=np.float32 or np.float32(...) in your code")
    if reveal:
        lines = [f"{name} differs:", f"expected {_fmt(expected)}", f"got      {_fmt(actual)}"]
    else:
        lines = [f"{name}: {_fmt(actual)}"]
    rel, abs_err, where = _near_miss(a, e, rtol, atol)
    if low_precision:
        lines.append(f"the dtype is {dtype}, which keeps only about "
                     f"{np.finfo(dtype).precision} digits; compute in float64 "
                     "(np.asarray(x, dtype=float)), as the reference does")
    elif np.isnan(a).any() != np.isnan(e).any() or np.isinf(a).any() != np.isinf(e).any():
        lines.append("NaN or inf where the answer is finite (a division by zero, or "
                     "the root of a negative number?)" if np.isfinite(e).all() else
                     "a finite value where the answer is NaN or inf")
    elif rel < max(1e-2, 5 * rtol) and reveal:
        lines.append(f"a near miss: relative error {rel:.2g} (absolute {abs_err:.2g}){where}; "
                     f"the check allows a relative error of {rtol:g} plus an absolute "
                     f"error of {atol:g}. That is more than floating-point rounding: "
                     "look for a rounded number or a slightly different formula")
    elif rel < max(1e-2, 5 * rtol):
        bound = 10.0 ** np.ceil(np.log10(rel))
        lines.append(f"a near miss: within a relative {bound:g} of the answer, but the "
                     f"check allows a relative error of {rtol:g}"
                     + (f" plus an absolute error of {atol:g}" if atol else "")
                     + ": give more digits (compute the value rather than round it)")
    return "\n   ".join(lines)


def _changed(before, after):
    """Whether an input differs after the learner's call (NaN equals NaN)."""
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, list):
        return not isinstance(after, list) or len(before) != len(after) or any(
            _changed(b, a) for b, a in zip(before, after))
    if isinstance(before, (numbers.Number, np.number)):
        return not (before == after or (before != before and after != after))
    return False  # strings cannot change; other objects are not the learner's inputs


# ------------------------------------------------------------------ exceptions


def _is_library(filename):
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def _cell_label(filename):
    """``Cell In[7]`` for a notebook cell's code, else the file's name."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        label = shell.compile.format_code_name(filename) if shell else None
    except Exception:  # no IPython, or a version without cell names
        label = None
    return " ".join(label) if label else f'File "{filename}"'


def describe_exception(exc):
    """The learner's exception in a few lines, pointing at the learner's own line.

    The frame shown is the innermost one outside ``lrcourse``, NumPy and the standard
    library: the line the learner wrote, even when the error surfaced deeper.
    """
    text = f"   {type(exc).__name__}: {exc}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library(f.filename)]
    if frames:
        f = frames[-1]
        text += f"\n   in {f.name}, {_cell_label(f.filename)}, line {f.lineno}"
        if f.line:
            text += f":\n       {f.line.strip()}"
    return text


# ------------------------------------------------------------------ checkers


class Checker(HintsInOrder):
    """Common parts: a name, a chapter, points, hints and reporting."""

    def __init__(self, name, *, title, chapter, hints=(), learner_name=None, points=1,
                 parts=None):
        self.name, self.title, self.chapter = name, title, chapter
        self.learner_name = learner_name or name
        self.parts = dict(parts) if parts else {"whole": points}
        if any(not isinstance(p, int) or p <= 0 for p in self.parts.values()):
            raise ValueError(f"{name}: points must be positive integers, got {self.parts}")
        self.points = sum(self.parts.values())
        self.hints = list(hints)
        self._hints_seen = 0
        REGISTRY[name] = self  # re-importing a module replaces its checkers

    def __repr__(self):
        return (f"<checker of {self.title}: check.{self.name}({self.learner_name}) checks "
                f"your answer, check.{self.name}.hint() gives a hint>")

    def _report(self, status, detail):
        head = {
            "passed": f"✓ {self.title}: passed.",
            "failed": f"✗ {self.title}: not yet right.",
            "error": f"✗ {self.title}: your code raised an error.",
            "not implemented": f"… {self.title}: not yet implemented.",
        }[status]
        tail = "" if status == "passed" else f"\n   (call check.{self.name}.hint() for a hint)"
        message = head + (f"\n{detail}" if detail else "") + tail
        print(message)
        return Result(self.name, status == "passed", status, message)


def _as_case(case):
    return case if isinstance(case, Case) else Case(*case)


class FunctionChecker(Checker):
    """Check a learner's function against a reference on many inputs.

    Parameters
    ----------
    reference : the correct function; its signature is the one the exercise asks for.
    cases : ``cases(rng) -> list of Case`` (or ``(description, args)`` pairs).
    mistakes : ``[(wrong_function, explanation), ...]``: known wrong answers. When the
        learner's output matches one of them, its explanation is given as the likely cause.
    outputs : names of the returned values when the function returns a tuple.
    choices : the valid words, when the function answers with a word.
    rtol, atol : tolerance of the comparison (arrays, numbers, or tuples of them).
    seed : the seed of the cases drawn in a notebook.
    learner_name, points, parts : see the module's documentation; ``parts`` maps each
        independent part to its points, and every case names its part.
    """

    def __init__(self, name, reference, cases, *, title, chapter, mistakes=(), hints=(),
                 outputs=None, choices=None, rtol=1e-7, atol=1e-10, seed=0, **kwargs):
        super().__init__(name, title=title, chapter=chapter, hints=hints, **kwargs)
        self.reference, self._cases, self.mistakes = reference, cases, list(mistakes)
        self.outputs, self.choices = outputs, choices
        self.rtol, self.atol, self.seed = rtol, atol, seed
        self.parameters = list(inspect.signature(reference).parameters)

    def cases(self, rng):
        """The inputs drawn from ``rng``, as :class:`Case` objects."""
        return [_as_case(c) for c in self._cases(rng)]

    @property
    def signature(self):
        """How the exercise calls the learner's function, e.g. ``f(theta, grad, lr=0.1)``."""
        return f"{self.learner_name}{inspect.signature(self.reference)}"

    def run_learner(self, fn, args):
        """Call ``fn`` on a private copy of ``args``; return its output and that copy."""
        private = copy.deepcopy(args)
        return fn(*private), private

    def signature_problem(self, fn, args):
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin without a signature: just call it
            return None
        try:
            sig.bind(*args)
        except TypeError as exc:
            shown = getattr(fn, "__name__", "your function")
            return (f"   your function is {shown}{sig}, but the exercise calls it with "
                    f"{len(args)} arguments ({exc}).\n"
                    f"   Expected: {self.signature}")
        return None

    def _named(self, args):
        names = self.parameters + [f"argument {i + 1}" for i in range(len(args))]
        return ", ".join(f"{n}={_fmt(a)}" for n, a in zip(names, args))

    def _difference(self, actual, expected, reveal=True):
        diff = difference(actual, expected, rtol=self.rtol, atol=self.atol,
                          choices=self.choices, reveal=reveal, strict_dtype=True)
        if diff and self.outputs and isinstance(expected, tuple):
            for i, out in enumerate(self.outputs):
                diff = diff.replace(f"the {_ordinal(i)} returned value", out)
        return diff

    def score(self, verdicts):
        """Points earned from ``(case, passed)`` pairs: each part whose cases all passed."""
        failed = {case.part for case, passed in verdicts if not passed}
        seen = {case.part for case, _ in verdicts}
        return sum(p for part, p in self.parts.items() if part in seen and part not in failed)

    def compare(self, output, expected, args, args_after=None):
        """Judge one case: a pure function of the learner's output and the reference's."""
        if args_after is not None:
            changed = [n for n, b, a in zip(self.parameters, args, args_after) if _changed(b, a)]
            if changed:
                names = " and ".join(changed)
                return Verdict(False, (
                    f"   your function changed its input {names} in place (with `+=`, "
                    f"`-=` or an assignment to {changed[0]}[...]), so the caller's array "
                    f"changed too and later cells see the wrong values.\n"
                    f"   Make a new array instead: `{changed[0]} = {changed[0]} + ...`, "
                    f"or start from a copy (`np.array({changed[0]}, dtype=float)`)."))
        diff = self._difference(output, expected)
        if diff is None:
            return Verdict(True)
        return Verdict(False, f"   {diff}", self._diagnose(output, expected, args))

    def _diagnose(self, output, expected, args):
        with np.errstate(all="ignore"):
            for wrong, explanation in self.mistakes:
                try:
                    if self._difference(output, wrong(*copy.deepcopy(args))) is None:
                        return explanation
                except Exception:  # a mistake model that does not apply to this input
                    continue
        ignored = self._ignored_argument(output, args)
        if ignored:
            return ignored
        if isinstance(expected, tuple) and isinstance(output, (tuple, list)) \
                and 1 < len(output) == len(expected) <= 4:
            orders = list(itertools.permutations(output))[1:]  # all but the given order
            if any(self._difference(tuple(o), expected) is None for o in orders):
                names = self.outputs or [f"value {i + 1}" for i in range(len(expected))]
                return (f"the returned values are in the wrong order: return "
                        f"{', '.join(names)} in this order")
        if isinstance(expected, tuple) and not isinstance(output, (tuple, list)):
            for i, e in enumerate(expected):
                if difference(output, e, rtol=self.rtol, atol=self.atol) is None:
                    what = self.outputs[i] if self.outputs else f"value {i + 1}"
                    names = ", ".join(self.outputs) if self.outputs else "..."
                    return (f"you returned only {what}; return all of them as a tuple: "
                            f"return {names}")
        return None

    def _ignored_argument(self, output, args):
        """The cause when the output is right for another value of an argument that has a
        default: the learner typed in a number instead of using the argument."""
        defaults = [(i, p.name, p.default) for i, p in
                    enumerate(inspect.signature(self.reference).parameters.values())
                    if p.default is not inspect.Parameter.empty and i < len(args)]
        for i, name, default in defaults:
            if _numeric(args[i]) is None or not np.all(_numeric(args[i]) != default):
                continue
            other = args[:i] + (default,) + args[i + 1:]
            try:
                if self._difference(output, self.reference(*copy.deepcopy(other))) is None:
                    return (f"the result is right for {name}={default!r}, but this call "
                            f"passed {name}={_fmt(args[i])}: use the argument {name} "
                            f"instead of a number typed in")
            except Exception:  # the reference cannot take that value here
                continue
        return None

    def __call__(self, fn):
        if not callable(fn):
            return self._report("failed", f"   expected a function, got {_what(fn)}: pass "
                                          f"the function itself, check.{self.name}"
                                          f"({self.learner_name}), without calling it")
        cases = self.cases(np.random.default_rng(self.seed))
        for case in cases:
            where = f"   on {case.description}, input {self._named(case.args)}"
            problem = self.signature_problem(fn, case.args)
            if problem:
                return self._report("failed", problem)
            expected = self.reference(*copy.deepcopy(case.args))
            try:
                output, after = self.run_learner(fn, case.args)
            except NotImplementedError:
                return self._report("not implemented", "")
            except Exception as exc:  # the learner's code may raise anything
                return self._report("error", f"{where}:\n{describe_exception(exc)}")
            verdict = self.compare(output, expected, case.args, after)
            if not verdict.passed:
                detail = f"{where}\n{verdict.message}"
                if verdict.cause:
                    detail += f"\n   likely cause: {verdict.cause}"
                return self._report("failed", detail)
        return self._report("passed", f"   ({len(cases)} inputs agree with the reference)")


class AnswerChecker(Checker):
    """Check a single answer (a number, an array, or a choice) against the expected one.

    ``expected`` may be a value or a zero-argument function that computes it (so the
    answer is derived from lrcourse, not typed in). ``mistakes`` maps a wrong value to
    its explanation. Numbers compare with ``rtol``/``atol``; words ignoring case, and a
    word outside ``choices`` is answered with the list of choices. Messages never show
    the expected value.
    """

    def __init__(self, name, expected, *, title, chapter, mistakes=(), hints=(),
                 choices=None, rtol=1e-6, atol=0.0, **kwargs):
        super().__init__(name, title=title, chapter=chapter, hints=hints, **kwargs)
        self.expected, self.mistakes, self.choices = expected, list(mistakes), choices
        self.rtol, self.atol = rtol, atol

    def value(self):
        return self.expected() if callable(self.expected) else self.expected

    def _same(self, a, b):
        return difference(a, b, rtol=self.rtol, atol=self.atol) is None

    def compare(self, answer, expected):
        """Judge an answer: a pure function of the answer and the expected value."""
        diff = difference(answer, expected, rtol=self.rtol, atol=self.atol,
                          choices=self.choices, reveal=False, name="your answer")
        if diff is None:
            return Verdict(True)
        for wrong, explanation in self.mistakes:
            if self._same(answer, wrong() if callable(wrong) else wrong):
                return Verdict(False, f"   {diff}", explanation)
        return Verdict(False, f"   {diff}")

    def __call__(self, answer):
        if answer is None or answer is Ellipsis:
            return self._report("not implemented", "")
        verdict = self.compare(answer, self.value())
        if verdict.passed:
            return self._report("passed", "")
        detail = verdict.message + (f"\n   likely cause: {verdict.cause}" if verdict.cause
                                    else "")
        return self._report("failed", detail)
