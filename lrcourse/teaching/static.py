"""What the grader reads in a submission's code before running any of it.

* :func:`needed_cells`: the cells that can affect the exercises' names. Grading runs
  only those (a chapter's figures and explorations are not graded and cost seconds).
  The analysis is conservative: a cell is needed when it binds, or changes through a
  method call, an attribute or an item, any name that a needed cell reads.
* :func:`suspicious`: constructs an honest answer never needs and that reach around
  the grader (introspection, code execution, raw file descriptors, the checkers'
  internals). A submission using them is held for review instead of being scored.
"""

import ast
import threading

# Python 3.11 keeps the depth counter of ast.parse's conversion to Python objects in
# one place for all threads: when two threads parse at once (a class graded several
# notebooks at a time), one of them fails with "AST constructor recursion depth
# mismatch" (SystemError). One parse at a time, then.
_PARSING = threading.Lock()

_MODULES = {"ctypes", "gc", "inspect", "importlib", "marshal", "socket", "subprocess",
            "multiprocessing", "signal", "resource", "threading", "_thread", "pickle",
            "dill", "cloudpickle", "builtins", "code", "codeop", "runpy", "pty", "mmap",
            "shutil", "tempfile", "glob", "pathlib", "io", "fcntl", "urllib", "http",
            "requests", "asyncio", "concurrent", "sysconfig", "site", "atexit",
            "faulthandler", "sched", "selectors", "select", "tracemalloc", "weakref"}
_CALLS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "open",
          "breakpoint", "get_ipython", "input", "setattr", "delattr"}
_OS = {"system", "popen", "fork", "forkpty", "kill", "killpg", "setsid", "setpgid", "dup",
       "dup2", "read", "write", "open", "fdopen", "pipe", "spawnl", "spawnv", "execv",
       "execve", "execl", "execlp", "execvp", "_exit", "remove", "unlink", "rename",
       "replace", "rmdir", "makedirs", "mkdir", "chdir", "walk", "listdir", "scandir",
       "environ", "putenv", "chmod", "symlink", "link", "truncate", "posix_spawn",
       "register_at_fork", "getenv", "nice", "sched_setaffinity"}
_SYS = {"modules", "settrace", "setprofile", "_getframe", "stdin", "__stdin__",
        "__stdout__", "__stderr__", "exit", "meta_path", "path_hooks", "addaudithook",
        "setrecursionlimit", "setswitchinterval", "excepthook", "displayhook"}
_DUNDER_OK = {"__init__", "__name__", "__doc__", "__qualname__", "__module__"}
_CHECKER_INTERNALS = {"reference", "REGISTRY", "cases", "_cases", "mistakes", "value",
                      "expected", "run_learner", "compare", "for_chapter"}


def to_python(source):
    """A cell's source as Python (IPython's magics become calls), or None if unparsable."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
        with _PARSING:
            return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _sets_state(func):
    """Whether a call on a module sets its state (``np.random.seed``, ``np.set_printoptions``)."""
    while isinstance(func, ast.Attribute):
        if func.attr == "seed" or func.attr.startswith(("set", "use")):
            return True
        func = func.value
    return False


def _bound(tree, modules=frozenset()):
    """Names a cell binds or changes at its top level (not inside functions).

    A statement that only calls a method changes its object (``path.append(x)``), except
    on an imported module (``np.sum(x)``), unless the call sets the module's state.
    """
    names, star = set(), False

    def visit(node):
        nonlocal star
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            for d in node.decorator_list:
                visit(d)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if root:
                names.add(root)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Attribute):
            root = _root(node.value.func)  # x.append(...), np.random.seed(...): may change x
            if root and (root not in modules or _sets_state(node.value.func)):
                names.add(root)
        elif isinstance(node, ast.Global):
            names.update(node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in tree.body:
        visit(stmt)
    return names, star


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _stored(nodes):
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _read(node, local=frozenset()):
    """Global names a cell reads: loads that are not a function's or comprehension's own."""
    if isinstance(node, _SCOPES):
        a = node.args
        params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
        params |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
        outer = set()
        for d in getattr(node, "decorator_list", []) + a.defaults + [
                d for d in a.kw_defaults if d is not None]:
            outer |= _read(d, local)
        body = node.body if isinstance(node.body, list) else [node.body]
        inner = frozenset(local | params | _stored(body))
        return outer.union(*(_read(b, inner) for b in body))
    if isinstance(node, _COMPREHENSIONS):
        inner = frozenset(local | _stored(g.target for g in node.generators))
        return set().union(*(_read(c, inner) for c in ast.iter_child_nodes(node)))
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) and node.id not in local else set()
    return set().union(*(_read(c, local) for c in ast.iter_child_nodes(node)))


def needed_cells(trees, wanted):
    """Indices (into ``trees``) of the cells to run for the names in ``wanted``.

    ``trees`` are parsed cells (``None`` for a cell that does not parse, which is never
    run). Scanning backwards, a cell is kept when it binds or changes a wanted name; what
    it reads becomes wanted too.
    """
    wanted, keep = set(wanted), []
    modules = {(a.asname or a.name).split(".")[0] for t in trees if t is not None
               for n in ast.walk(t) if isinstance(n, (ast.Import, ast.ImportFrom))
               for a in n.names}
    for i in range(len(trees) - 1, -1, -1):
        tree = trees[i]
        if tree is None:
            continue
        bound, star = _bound(tree, modules)
        if star or bound & wanted:
            keep.append(i)
            wanted |= _read(tree)
    return sorted(keep)


def suspicious(tree):
    """Why a parsed cell reaches around the grader: a list of short reasons."""
    reasons = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            for mod in mods:
                if mod.split(".")[0] in _MODULES:
                    reasons.append(f"imports {mod}")
            if isinstance(node, ast.ImportFrom) and node.module in ("os", "sys"):
                risky = _OS if node.module == "os" else _SYS
                reasons += [f"imports {node.module}.{a.name}" for a in node.names
                            if a.name in risky or a.name == "*"]
            if isinstance(node, ast.Import):
                reasons += [f"imports {a.name} as {a.asname}" for a in node.names
                            if a.asname and a.name in ("os", "sys")]
                if mod.startswith(("lrcourse.teaching", "lrcourse.check")) and not (
                        isinstance(node, ast.ImportFrom) and all(
                            a.name == "check" for a in node.names)):
                    reasons.append(f"imports {mod} (the checkers' internals)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in _CALLS:
            reasons.append(f"calls {node.func.id}()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "getattr" and len(node.args) > 1 and not isinstance(
                    node.args[1], ast.Constant):
            reasons.append("calls getattr() with a computed name")
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else (
                node.value.attr if isinstance(node.value, ast.Attribute) else None)
            if node.attr.startswith("__") and node.attr.endswith("__") and \
                    node.attr not in _DUNDER_OK:
                reasons.append(f"uses .{node.attr}")
            elif base == "os" and node.attr in _OS:
                reasons.append(f"uses os.{node.attr}")
            elif base == "sys" and node.attr in _SYS:
                reasons.append(f"uses sys.{node.attr}")
            elif node.attr in _CHECKER_INTERNALS and _root(node) == "check":
                reasons.append(f"uses check...{node.attr} (a checker's internals)")
            elif node.attr.startswith(("f_", "gi_", "tb_", "co_", "cr_")):
                reasons.append(f"uses .{node.attr} (frames or code objects)")
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "__loader__",
                                                        "__spec__"}:
            reasons.append(f"uses {node.id}")
    return sorted(set(reasons))
