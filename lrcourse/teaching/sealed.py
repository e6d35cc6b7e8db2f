"""Self-checks that hold no answer: the exercise checkers of the student edition.

A sealed checker knows an exercise's inputs, the shapes and kinds of the expected
results, and for every number only a salted hash of where it lies on a grid scaled to
the checker's tolerance; the hints (the last ones are close to the answer) are stored
encoded. A learner's answer is accepted when each of its numbers falls
on, or next to, the expected grid cell; a known mistake is recognised the same way.
So the student package can check answers without holding any of them in clear text.

:func:`seal` turns a course checker into a sealed record (when ``make student`` writes
the student edition); :func:`load` reads the records back in the student package.
"""

import base64
import copy
import hashlib
import inspect
import json
import math
import numbers
import traceback
from pathlib import Path

import numpy as np

from .hints import HintsInOrder

#: Tolerance of the "near miss" grid: close, but not as close as the check requires.
NEAR_RTOL = 1e-3
_TINY = 1e-12


# ------------------------------------------------------------------ hashing on a grid


def _cell(x, rtol, atol):
    """The grid cell of ``x``: about one tolerance wide at every magnitude."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    atol = max(atol, _TINY)
    u = math.copysign(math.log1p(abs(x) * rtol / atol) / rtol, x) if rtol else x / atol
    return str(math.floor(u))


def _digest(salt, cell):
    return hashlib.sha256(f"{salt}|{cell}".encode()).hexdigest()[:20]


def _seal_numbers(values, salt, rtol, atol):
    return [_digest(f"{salt}|{i}", _cell(v, rtol, atol)) for i, v in enumerate(values)]


def _matches(value, digest, salt, rtol, atol):
    """Whether ``value`` lies in the sealed cell or a neighbouring one."""
    cell = _cell(value, rtol, atol)
    if not cell.lstrip("-").isdigit():
        return _digest(salt, cell) == digest
    k = int(cell)
    return any(_digest(salt, str(k + d)) == digest for d in (-1, 0, 1))


def _shape(x):
    """``(kind, shape, numbers)`` of a value: its structure in the clear, numbers apart."""
    if isinstance(x, str):
        return ("word", None, [x.strip().lower()])
    if isinstance(x, (tuple, list)):
        return ("tuple", [_shape(v) for v in x], None)
    a = np.asarray(x)
    if a.dtype == object or a.dtype.kind not in "biuf":
        return ("other", None, None)
    return ("number" if a.ndim == 0 else "array", list(a.shape),
            [float(v) for v in a.astype(float).ravel()])


def _seal_value(x, salt, rtol, atol):
    if x is None:
        return {"kind": "none"}
    kind, shape, nums = _shape(x)
    if kind == "tuple":
        return {"kind": kind, "items": [_seal_value(v, f"{salt}.{i}", rtol, atol)
                                        for i, v in enumerate(x)]}
    if kind == "word":
        return {"kind": kind, "hash": _digest(salt, nums[0])}
    if kind == "other":
        raise ValueError(f"cannot seal a {type(x).__name__}")
    return {"kind": kind, "shape": shape, "exact": _seal_numbers(nums, salt, rtol, atol),
            "near": _seal_numbers(nums, salt + "~", NEAR_RTOL, atol)}


def _veil(text):
    """A hint as stored: the last hints are close to the answer, so not in clear text."""
    return base64.b64encode(text.encode()).decode()


def _unveil(text):
    return base64.b64decode(text).decode()


# ------------------------------------------------------------------ inputs in JSON


def _encode_arg(x):
    if isinstance(x, np.ndarray):
        return {"array": [_num(v) for v in x.astype(float).ravel()], "shape": list(x.shape)}
    if isinstance(x, (tuple, list)):
        return {"list" if isinstance(x, list) else "tuple": [_encode_arg(v) for v in x]}
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return {"value": x}
    if isinstance(x, (numbers.Integral, np.integer)):
        return {"int": int(x)}
    if isinstance(x, (numbers.Real, np.floating)):
        return {"float": _num(float(x))}
    if hasattr(x, "factory") and hasattr(x, "kwargs"):  # a problem's gradient
        return {"gradient": x.factory, "kwargs": x.kwargs}
    raise ValueError(f"cannot seal an input of type {type(x).__name__}")


def _num(v):
    return v if math.isfinite(v) else repr(float(v))


def _decode_arg(d):
    if "array" in d:
        return np.array([float(v) for v in d["array"]], dtype=float).reshape(d["shape"])
    if "list" in d:
        return [_decode_arg(v) for v in d["list"]]
    if "tuple" in d:
        return tuple(_decode_arg(v) for v in d["tuple"])
    if "int" in d:
        return int(d["int"])
    if "float" in d:
        return float(d["float"])
    if "gradient" in d:
        return Gradient(d["gradient"], **d["kwargs"])
    return d["value"]


class Gradient:
    """The gradient of ``problems.<factory>(**kwargs)``, given to a learner's function."""

    def __init__(self, factory, **kwargs):
        from ..numerics import problems

        self.factory, self.kwargs = factory, kwargs
        self.problem = getattr(problems, factory)(**kwargs)

    def __call__(self, theta):
        return self.problem.grad(theta)

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"<gradient of {self.problem.name}>"


# ------------------------------------------------------------------ sealing


def seal(checker):
    """A JSON-able record of a course checker that holds no answer in clear text."""
    record = {"name": checker.name, "title": checker.title, "chapter": checker.chapter,
              "hints": [_veil(h) for h in checker.hints], "learner_name": checker.learner_name,
              "rtol": checker.rtol, "atol": checker.atol,
              "choices": list(checker.choices) if getattr(checker, "choices", None) else None}
    salt = f"{checker.name}"
    if hasattr(checker, "reference"):
        record["kind"] = "function"
        record["parameters"] = list(checker.parameters)
        record["signature"] = checker.signature
        record["outputs"] = list(checker.outputs) if checker.outputs else None
        cases = checker.cases(np.random.default_rng(checker.seed))
        record["cases"] = []
        for i, case in enumerate(cases):
            with np.errstate(all="ignore"):
                expected = checker.reference(*copy.deepcopy(case.args))
            mistakes = []
            for wrong, explanation in checker.mistakes:
                try:
                    with np.errstate(all="ignore"):
                        value = wrong(*copy.deepcopy(case.args))
                    mistakes.append({"value": _seal_value(value, f"{salt}|{i}", checker.rtol,
                                                          checker.atol),
                                     "cause": explanation})
                except Exception:  # a mistake model that does not apply to this input
                    continue
            record["cases"].append({
                "description": case.description, "args": _encode_arg(case.args),
                "expected": _seal_value(expected, f"{salt}|{i}", checker.rtol, checker.atol),
                "mistakes": mistakes})
    else:
        record["kind"] = "answer"
        record["expected"] = _seal_value(checker.value(), salt, checker.rtol, checker.atol)
        record["mistakes"] = []
        for wrong, explanation in checker.mistakes:
            value = wrong() if callable(wrong) else wrong
            record["mistakes"].append({"value": _seal_value(value, salt, checker.rtol,
                                                            checker.atol),
                                       "cause": explanation})
    return record


# ------------------------------------------------------------------ checking


def _ordinal(i, outputs):
    if outputs and i < len(outputs):
        return outputs[i]
    return f"returned value {i + 1}"


def _differs(actual, sealed, salt, rtol, atol, name="the result"):
    """``None`` if ``actual`` matches the sealed value, else what differs, in words."""
    kind = sealed["kind"]
    if kind == "none":
        return None if actual is None else f"{name}: expected None, got {_what(actual)}"
    if kind == "tuple":
        items = sealed["items"]
        if not isinstance(actual, (tuple, list)):
            return f"expected {len(items)} values returned as a tuple, got {_what(actual)}"
        if len(actual) != len(items):
            return f"expected {len(items)} returned values, got {len(actual)}"
        for i, (a, s) in enumerate(zip(actual, items)):
            diff = _differs(a, s, f"{salt}.{i}", rtol, atol, name=f"#{i}")
            if diff:
                return diff
        return None
    if kind == "word":
        if not isinstance(actual, str):
            return f"{name}: expected one word (a str), got {_what(actual)}"
        ok = _digest(salt, actual.strip().lower()) == sealed["hash"]
        return None if ok else f"{name}: {actual!r} is not the answer"
    if isinstance(actual, str) or actual is None:
        return f"{name}: expected {'a number' if kind == 'number' else 'an array'}, got " \
               f"{_what(actual)}"
    try:
        a = np.asarray(actual)
    except Exception:  # an object NumPy cannot read
        return f"{name}: expected numbers, got {_what(actual)}"
    if a.dtype == object or a.dtype.kind not in "biuf":
        return f"{name}: expected numbers, got {_what(actual)}"
    if list(a.shape) != sealed["shape"]:
        return (f"{name} has the wrong shape: expected shape {tuple(sealed['shape'])}, "
                f"got shape {a.shape}")
    if a.dtype in (np.float16, np.float32):
        return (f"{name} has dtype {a.dtype}; the exercise works in float64 (the default of "
                "NumPy): look for dtype=np.float32 in your code")
    values = a.astype(float).ravel()
    for i, v in enumerate(values):
        if not _matches(float(v), sealed["exact"][i], f"{salt}|{i}", rtol, atol):
            index = [int(k) for k in np.unravel_index(i, a.shape)]
            where = f" at index {index if len(index) > 1 else index[0]}" if a.ndim else ""
            near = _matches(float(v), sealed["near"][i], f"{salt}~|{i}", NEAR_RTOL, atol)
            return (f"{name} is not right{where} (your value: {float(v):.6g})"
                    + (f"; it is close (within {NEAR_RTOL:g} relative) but the check allows "
                       f"only a relative error of {rtol:g} plus {atol:g}: more than rounding"
                       if near else ""))
    return None


def _what(x):
    if x is None:
        return "None"
    if isinstance(x, str):
        return f"the text {x!r}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)} values"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return f"a {type(x).__name__}"


def _learner_line(exc):
    here = str(Path(__file__).resolve().parents[1])
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith((here, str(Path(np.__file__).parent)))]
    text = f"   {type(exc).__name__}: {exc}"
    if frames:
        f = frames[-1]
        text += f"\n   in {f.name}, line {f.lineno}" + (f": {f.line.strip()}" if f.line else "")
    return text


class Result:
    """The outcome of one check; the checker has printed it already."""

    def __init__(self, exercise, status, message):
        self.exercise, self.status, self.message = exercise, status, message
        self.passed = status == "passed"

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"<check {self.exercise}: {self.status}>"

    def __str__(self):
        return self.message

    def _ipython_display_(self):
        """Display nothing: the verdict was printed when the check ran."""


class SealedChecker(HintsInOrder):
    """A checker of the student edition (see the module's documentation)."""

    def __init__(self, record):
        self.record = record
        self.name, self.title = record["name"], record["title"]
        self.chapter, self.hints = record["chapter"], [_unveil(h) for h in record["hints"]]
        self.learner_name = record["learner_name"]
        self._hints_seen = 0

    def _report(self, status, detail=""):
        head = {"passed": f"✓ {self.title}: passed.",
                "failed": f"✗ {self.title}: not yet right.",
                "error": f"✗ {self.title}: your code raised an error.",
                "not implemented": f"… {self.title}: not yet implemented."}[status]
        tail = "" if status == "passed" else f"\n   (call check.{self.name}.hint() for a hint)"
        message = head + (f"\n{detail}" if detail else "") + tail
        print(message)
        return Result(self.name, status, message)

    def __call__(self, answer):
        r = self.record
        if r["kind"] == "answer":
            return self._answer(answer)
        if not callable(answer):
            return self._report("failed", f"   expected a function, got {_what(answer)}: pass "
                                f"the function itself, check.{self.name}({self.learner_name})")
        for i, case in enumerate(r["cases"]):
            args = _decode_arg(case["args"])
            shown = ", ".join(f"{n}={_short(a)}" for n, a in zip(r["parameters"], args))
            where = f"   on {case['description']}, input {shown}"
            try:
                inspect.signature(answer).bind(*args)
            except TypeError as exc:
                return self._report("failed", f"   your function cannot be called as the "
                                    f"exercise calls it ({exc}).\n   Expected: {r['signature']}")
            except ValueError:  # a builtin without a signature: just call it
                pass
            private = copy.deepcopy(args)
            try:
                with np.errstate(all="ignore"):
                    output = answer(*private)
            except NotImplementedError:
                return self._report("not implemented")
            except Exception as exc:  # the learner's code may raise anything
                return self._report("error", f"{where}:\n{_learner_line(exc)}")
            changed = [n for n, b, a in zip(r["parameters"], args, private) if _changed(b, a)]
            if changed:
                return self._report("failed", f"{where}\n   your function changed its input "
                                    f"{' and '.join(changed)} in place; make a new array "
                                    f"instead (`{changed[0]} = {changed[0]} + ...`)")
            salt = f"{self.name}|{i}"
            diff = _differs(output, case["expected"], salt, r["rtol"], r["atol"])
            if diff:
                diff = _named(diff, r["outputs"])
                cause = next((m["cause"] for m in case["mistakes"] if _differs(
                    output, m["value"], salt, r["rtol"], r["atol"]) is None), None)
                return self._report("failed", f"{where}\n   {diff}"
                                    + (f"\n   likely cause: {cause}" if cause else ""))
        return self._report("passed", f"   ({len(r['cases'])} inputs agree with the reference)")

    def _answer(self, answer):
        r = self.record
        if answer is None or answer is Ellipsis:
            return self._report("not implemented")
        if r["choices"] and isinstance(answer, str) and answer.strip().lower() not in {
                c.lower() for c in r["choices"]}:
            return self._report("failed", f"   {answer!r} is not one of the choices "
                                f"{', '.join(repr(c) for c in r['choices'])}")
        diff = _differs(answer, r["expected"], self.name, r["rtol"], r["atol"], "your answer")
        if diff is None:
            return self._report("passed")
        cause = next((m["cause"] for m in r["mistakes"] if _differs(
            answer, m["value"], self.name, r["rtol"], r["atol"]) is None), None)
        return self._report("failed", f"   {diff}" + (f"\n   likely cause: {cause}" if cause
                                                      else ""))


def _named(diff, outputs):
    for i in range(8):
        diff = diff.replace(f"#{i}", _ordinal(i, outputs))
    return diff


def _short(x):
    if isinstance(x, np.ndarray):
        return " ".join(np.array2string(x, precision=6, threshold=8).split())
    if isinstance(x, float):
        return f"{x:.6g}"
    return repr(x)


def _changed(before, after):
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=True))
    if isinstance(before, list):
        return not isinstance(after, list) or len(before) != len(after) or any(
            _changed(b, a) for b, a in zip(before, after))
    return False


def load(path):
    """The sealed checkers stored in the JSON file at ``path``, by name."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return {r["name"]: SealedChecker(r) for r in records}
