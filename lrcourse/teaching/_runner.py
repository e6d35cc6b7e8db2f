"""Inside the grading sandbox: run a submission's cells, call its functions, send values.

Started by :mod:`lrcourse.teaching.grading` as ``python -I -B -m
lrcourse.teaching._runner`` inside a bubblewrap sandbox. It reads one request (pickled
by the grader) from standard input, which holds only trusted data: the cells to run,
and per exercise the learner's name, the pickled inputs and the course functions the
answer must not call. It answers on its standard output with JSON (never pickle):
per cell that raised, its error, and per exercise the values the learner's function
returned (or the answer variable's value). It judges nothing: the grader compares the
values outside.

Before the learner's code runs, the runner caps its resources, points the standard
streams at /dev/null (so nothing the learner prints reaches the answer) and keeps a
private copy of the answer channel. Before the learner's functions are called, every
course function the exercise's reference uses is replaced by a trap, so an answer that
calls the course's own implementation is caught wherever it keeps a reference to it.
"""

import importlib
import json
import math
import os
import pickle
import resource
import signal
import sys
import types

_TRAP_MODULE = "_lrcourse_grader_trap"
_MAX_ITEMS = 1_000_000
_MAX_TEXT = 10_000


class CourseCodeUsed(BaseException):
    """Raised by a trapped course function; a BaseException so `except Exception` misses it."""


class CallTimeout(BaseException):
    """A single call or cell ran past its time."""


_hits = []


def _course_code_used(label):
    _hits.append(label)
    raise CourseCodeUsed(label)


def _on_alarm(signum, frame):
    raise CallTimeout()


# ------------------------------------------------------------------ limits and streams


def _cap(limits):
    for name, value in (("RLIMIT_CPU", limits["cpu"]), ("RLIMIT_AS", limits["memory"]),
                        ("RLIMIT_FSIZE", limits["file_size"]), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))


def _cap_processes(extra):
    """Allow ``extra`` more tasks than exist now (counted in this sandbox's namespaces)."""
    tasks = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                tasks += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    resource.setrlimit(resource.RLIMIT_NPROC, (tasks + extra, tasks + extra))


def _private_channel():
    """A private copy of standard output; fds 0, 1 and 2 then point at /dev/null."""
    channel = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return channel


# ------------------------------------------------------------------ deferred imports

#: Slow imports that the exercises rarely use: a chapter's first cell imports them for
#: its figures. They load on first use, so a submission pays for them only then.
_DEFERRED = ("matplotlib", "matplotlib.pyplot", "lrcourse.figures",
             "lrcourse.figures.plotting", "lrcourse.figures.interactive",
             "lrcourse.figures.views", "ipywidgets", "scipy", "sklearn", "torch")


class _Deferred(types.ModuleType):
    """A module that imports itself when one of its attributes is first read."""

    def __getattr__(self, attr):
        if attr.startswith("__") and attr != "__path__":  # a scan of sys.modules (inspect)
            raise AttributeError(attr)
        return getattr(_load(self.__name__), attr)


def _load(name):
    parent = name.rpartition(".")[0]
    if parent:
        _load(parent)
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


def _defer(names):
    import importlib.util

    present = {top for top in {n.partition(".")[0] for n in names}
               if top in sys.modules or importlib.util.find_spec(top) is not None}
    for name in names:
        if name in sys.modules or name.partition(".")[0] not in present:
            continue
        module = _Deferred(name)
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)


# ------------------------------------------------------------------ values as JSON


def encode(x, budget=None):
    """A JSON-able description of a value: numbers, words, arrays and tuples only."""
    budget = budget if budget is not None else [_MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0:
        return {"t": "too large"}
    import numpy as np

    if x is None:
        return {"t": "none"}
    if x is Ellipsis:
        return {"t": "ellipsis"}
    if type(x) is bool or isinstance(x, np.bool_):
        return {"t": "bool", "v": bool(x)}
    if isinstance(x, (int, np.integer)):
        v = int(x)
        return {"t": "int", "v": v} if abs(v) < 2**63 else {"t": "float", "v": _num(float(v))}
    if isinstance(x, (float, np.floating)):
        return {"t": "float", "v": _num(float(x)), "dtype": np.asarray(x).dtype.name}
    if isinstance(x, str):
        return {"t": "str", "v": str.__str__(x)[:_MAX_TEXT]}
    if type(x) in (tuple, list):
        items = list(x)
        if len(items) > budget[0]:
            return {"t": "too large"}
        return {"t": type(x).__name__, "v": [encode(v, budget) for v in items]}
    if isinstance(x, np.ndarray):
        a = np.array(x.view(np.ndarray), copy=True)
        if a.dtype.kind not in "biuf":
            return {"t": "other", "type": f"array of {a.dtype}"}
        if a.size > budget[0]:
            return {"t": "too large"}
        budget[0] -= a.size
        flat = [_num(float(v)) for v in a.ravel().tolist()] if a.dtype.kind == "f" \
            else [int(v) for v in a.ravel().tolist()]
        return {"t": "array", "dtype": a.dtype.name, "shape": list(a.shape), "v": flat}
    if callable(x):
        return {"t": "function", "name": str(getattr(x, "__name__", "?"))[:100]}
    return {"t": "other", "type": type(x).__name__[:100]}


def _num(v):
    return v if math.isfinite(v) else repr(v)


# ------------------------------------------------------------------ traps


def _trap_code(label, nfree):
    """A code object with ``nfree`` free variables whose body springs the trap."""
    names = [f"_f{i}" for i in range(nfree)]
    src = ("def _outer():\n" + "".join(f"    {v} = None\n" for v in names)
           + "    def _trap(*args, **kwargs):\n"
           + (f"        {', '.join(names)}\n" if names else "")
           + f"        __import__('sys').modules[{_TRAP_MODULE!r}].hit({label!r})\n"
           + "    return _trap\n")
    scope = {}
    exec(compile(src, "<trap>", "exec"), scope)
    return scope["_outer"]().__code__


def _functions(obj):
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        return [f for f in (obj.fget, obj.fset, obj.fdel) if f is not None]
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, type):
        return [f for v in vars(obj).values() for f in _functions(v)
                if f.__qualname__.startswith(obj.__qualname__ + ".")]
    return []


def _resolve(module, qualname):
    import importlib

    obj = importlib.import_module(module)
    for part in qualname.split("."):
        if part == "<locals>":
            return None
        space = vars(obj) if isinstance(obj, (type, types.ModuleType)) else {}
        if part not in space:
            return None
        obj = space[part]
    return obj


def _arm(targets, exempt):
    """Replace the code of every target function by a trap, in place."""
    trapped = 0
    for module, qualname in targets:
        try:
            obj = _resolve(module, qualname)
        except Exception:  # a module that cannot load here traps nothing
            continue
        for fn in _functions(obj):
            if fn.__code__ in exempt:
                continue
            fn.__code__ = _trap_code(f"{module}.{fn.__qualname__}",
                                     len(fn.__code__.co_freevars))
            trapped += 1
    return trapped


def _exempt_code(args):
    """The code of the input objects' own classes (a gradient given as input may run)."""
    seen, codes, todo = set(), set(), list(args)
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, (tuple, list)):
            todo.extend(x)
        elif hasattr(x, "__dict__") and not isinstance(x, (type, types.ModuleType)):
            for cls in type(x).__mro__:
                codes.update(f.__code__ for f in _functions(cls))
            todo.extend(vars(x).values())
    return codes


# ------------------------------------------------------------------ running


def _error(exc):
    """``{"type", "message", "line", "where"}`` of a learner's exception."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith("<ipython-input-") or "/ipykernel_" in f.filename
              or f.filename.startswith("<cell")]
    info = {"type": type(exc).__name__, "message": str(exc)[:2000]}
    if frames:
        info["where"] = frames[-1].name
        info["line"] = (frames[-1].line or "").strip()[:300]
        info["lineno"] = frames[-1].lineno
    return info


def _run_cells(shell, cells, seconds):
    errors = []
    for index, source in cells:
        shell.execution_count = index  # tracebacks then name the notebook's cell
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            result = shell.run_cell(source, silent=True, store_history=False)
            exc = result.error_before_exec or result.error_in_exec
        except BaseException as e:  # a timeout that escaped IPython's own handler
            exc = e
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if exc is not None:
            errors.append({"cell": index, **_error(exc)})
    return errors


def _call(fn, args, seconds):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _function_exercise(fn, blobs, seconds):
    """Per input: what the function returned and its inputs after the call, or what it raised.

    A failing input does not stop the others (parts of an exercise score on their own);
    a trap or a timeout does.
    """
    import inspect

    if not callable(fn):
        return {"status": "not a function", "value": encode(fn)}
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    results = []
    for blob in blobs:
        args = pickle.loads(blob)
        if signature is not None:
            try:
                signature.bind(*args)
            except TypeError as exc:
                return {"status": "signature", "signature": str(signature),
                        "message": str(exc)[:500], "results": results}
        del _hits[:]
        try:
            output = _call(fn, args, seconds)
        except NotImplementedError:
            results.append({"not implemented": True})
            continue
        except CourseCodeUsed:
            return {"status": "course code", "used": sorted(set(_hits)), "results": results}
        except CallTimeout:
            return {"status": "timeout", "results": results}
        except BaseException as exc:  # the learner's code may raise anything
            if _hits:
                return {"status": "course code", "used": sorted(set(_hits)),
                        "results": results}
            results.append({"raised": _error(exc)})
            continue
        if _hits:  # the trap sprang and the learner's code swallowed it
            return {"status": "course code", "used": sorted(set(_hits)), "results": results}
        results.append({"output": encode(output), "after": [encode(a) for a in args]})
    return {"status": "ran", "results": results}


def main():
    request = pickle.loads(sys.stdin.buffer.read())
    limits = request["limits"]
    _cap(limits)
    channel = _private_channel()
    signal.signal(signal.SIGALRM, _on_alarm)
    trap = types.ModuleType(_TRAP_MODULE)
    trap.hit = _course_code_used
    sys.modules[_TRAP_MODULE] = trap

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.showtraceback = lambda *args, **kwargs: None  # nobody reads it; it costs time
    import numpy  # noqa: F401  (its threads start before the process cap)

    _defer(_DEFERRED)

    _cap_processes(limits["processes"])
    answer = {"cells": _run_cells(shell, request["cells"], request["cell_seconds"]),
              "exercises": {}}
    ns = shell.user_ns
    functions = [ex for ex in request["exercises"] if ex["kind"] == "function"]
    exempt = set()
    for ex in functions:
        for blob in ex["cases"]:
            exempt |= _exempt_code(pickle.loads(blob))
    _arm(request["trap"], exempt)
    for ex in request["exercises"]:
        name, var = ex["name"], ex["var"]
        if var not in ns:
            answer["exercises"][name] = {"status": "missing"}
        elif ex["kind"] == "answer":
            answer["exercises"][name] = {"status": "ran", "value": encode(ns[var])}
        else:
            answer["exercises"][name] = _function_exercise(ns[var], ex["cases"],
                                                           request["call_seconds"])
    os.write(channel, json.dumps(answer).encode())
    os._exit(0)


if __name__ == "__main__":
    main()
