"""Values sent back by the grading sandbox, read without trusting them.

The runner inside the sandbox describes what the learner's code returned as JSON
(:func:`lrcourse.teaching._runner.encode`); :func:`decode` turns a description back into
plain Python and NumPy values, accepting only numbers, words, arrays of numbers, and
tuples or lists of these, within size limits. Anything else becomes an
:class:`Opaque` value, which no checker accepts as an answer.
"""

import math
from dataclasses import dataclass

import numpy as np

_MAX_ITEMS = 1_000_000
_MAX_TEXT = 10_000
_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64"}


@dataclass(frozen=True)
class Opaque:
    """Something that is not a number, a word or an array (a function, an object)."""

    kind: str

    def __repr__(self):
        return f"<{self.kind}>"


class BadValue(ValueError):
    """The description is not one the runner writes: the answer channel was tampered with."""


def _float(v):
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise BadValue("a number is not a number")
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise BadValue("a number is not a number")
        return float(v)
    return float(v)


def decode(d, budget=None):
    """The value a description stands for."""
    budget = budget if budget is not None else [_MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or not isinstance(d, dict):
        raise BadValue("too large or malformed")
    t = d.get("t")
    if t == "none":
        return None
    if t == "ellipsis":
        return Ellipsis
    if t == "bool":
        return bool(d["v"])
    if t == "int":
        if not isinstance(d.get("v"), int) or isinstance(d["v"], bool):
            raise BadValue("an int is not an int")
        return d["v"]
    if t == "float":
        v = _float(d.get("v"))
        dtype = d.get("dtype", "float64")
        if dtype not in ("float16", "float32", "float64"):
            raise BadValue("unknown dtype")
        return float(v) if dtype == "float64" else np.dtype(dtype).type(v)
    if t == "str":
        if not isinstance(d.get("v"), str):
            raise BadValue("a word is not a word")
        return d["v"][:_MAX_TEXT]
    if t in ("tuple", "list"):
        items = d.get("v")
        if not isinstance(items, list) or len(items) > budget[0]:
            raise BadValue("too large or malformed")
        values = [decode(v, budget) for v in items]
        return tuple(values) if t == "tuple" else values
    if t == "array":
        dtype, shape, flat = d.get("dtype"), d.get("shape"), d.get("v")
        if dtype not in _DTYPES or not isinstance(shape, list) or not all(
                isinstance(n, int) and n >= 0 for n in shape) or not isinstance(flat, list):
            raise BadValue("malformed array")
        size = math.prod(shape)
        if size != len(flat) or size > budget[0]:
            raise BadValue("malformed array")
        budget[0] -= size
        if np.dtype(dtype).kind == "f":
            flat = [_float(v) for v in flat]
        elif not all(isinstance(v, (int, bool)) for v in flat):
            raise BadValue("malformed array")
        return np.array(flat, dtype=dtype).reshape(shape)
    if t in ("function", "other", "too large"):
        return Opaque({"function": "a function", "too large": "a value too large to grade"}
                      .get(t, f"a {str(d.get('type', 'object'))[:100]}"))
    raise BadValue(f"unknown value kind {t!r}")
