"""Run a chapter notebook as a learner's JupyterLab would: in a fresh kernel, from the
notebook's own folder, stopping at the first cell that raises.

Two ways, for two kinds of test:

* :func:`execute_each` runs notebooks in real Jupyter kernels, one after another, from
  one child process of a given Python (Binder's fresh environment): nbformat and
  nbclient come from that installation, and are imported once for all the notebooks.
  Once the last cell has replied, the kernel is stopped at once (``shutdown_kernel=
  "immediate"``): asked to shut down, an ipykernel 7 kernel sometimes does not exit,
  and the kernel manager waits about 3 s before it kills it anyway.
* :func:`execute_forked` runs each notebook in IPython, in a process of its own that is
  forked from one that has imported the libraries the chapters use and made an IPython
  shell, and nothing else (no cell has run there). It is for the portability runs, which
  run every notebook thirty times to check what it computes under a BLAS setting: a
  Jupyter kernel costs more CPU time than many a chapter (starting it, importing NumPy,
  SciPy, Matplotlib and the course, and its messaging), while a fork costs a few
  milliseconds. Each notebook still starts from an empty namespace, in its own folder,
  with its own copy of every module: a name it forgets to import is an error, and what
  one notebook changes (a random state, a setting) no other notebook sees. What it does
  not exercise is the kernel itself (its messages, rich outputs, widgets' comms): the
  book build, Binder and JupyterLab runs do, in real kernels.

Both give a finished run per notebook, whose stderr holds the traceback of a failure.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

_EXECUTE_MANY = """
import json
import sys
import traceback
from pathlib import Path
import nbformat
from nbclient import NotebookClient
report, kernel, *notebooks = sys.argv[1:]
errors = {}
for notebook in notebooks:
    path = Path(notebook)
    try:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name=kernel, timeout=600, shutdown_kernel="immediate",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        errors[notebook] = ""
    except Exception:
        errors[notebook] = traceback.format_exc()
    Path(report).write_text(json.dumps(errors))
"""

# The forking process. Its arguments: the report's path, the per-notebook time limit
# in seconds, the IPython settings (Python that sets ``c``, as in a profile's
# ipython_config.py), then the notebooks.
_EXECUTE_FORKED = """
import json
import os
import signal
import sys
import traceback
import warnings

report, limit, settings, *notebooks = sys.argv[1:]
# as ipykernel does: figures go to IPython's display, not to a window
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

c = Config()
c.HistoryManager.enabled = False  # no history database shared by the forks
exec(settings, {"c": c})
shell = InteractiveShell.instance(config=c)
# What every chapter imports, loaded into this process only (the shell's namespace
# stays empty), after the shell, so that Matplotlib finds IPython as in a kernel.
import numpy, scipy.linalg, scipy.optimize, scipy.sparse.linalg  # noqa: E401
import matplotlib.pyplot, ipywidgets  # noqa: E401
import lrcourse, lrcourse.figures.plotting, lrcourse.figures.interactive  # noqa: E401
import lrcourse.teaching.check  # noqa: E401


def run(notebook):
    with open(notebook, encoding="utf-8") as file:
        cells = json.load(file)["cells"]
    os.chdir(os.path.dirname(os.path.abspath(notebook)))
    signal.alarm(int(limit))  # a notebook that hangs is killed, and reported
    for number, cell in enumerate(cells, 1):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            return (f"cell {number} failed:\\n{source[:1500]}\\n\\n"
                    + "".join(traceback.format_exception(error)))
    return ""


# Python 3.12 warns that a fork of a process with threads (here BLAS threads, which
# OpenBLAS stops before a fork and starts again after it) may deadlock
warnings.filterwarnings("ignore", "This process .* use of fork", DeprecationWarning)
errors = {}
for notebook in notebooks:
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the notebook's own process
        os.close(read)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)  # what the cells print is not kept; tracebacks are
        try:
            error = run(notebook)
        except BaseException:
            error = traceback.format_exc()
        with os.fdopen(write, "w", encoding="utf-8") as out:
            out.write(error)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as answer:
        error = answer.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        error = (f"killed by {name}" + (f" after {limit} s" if name == "SIGALRM" else "")
                 + (":\\n" + error if error else ""))
    errors[notebook] = error
    with open(report, "w", encoding="utf-8") as out:
        json.dump(errors, out)
"""


def _runs(notebooks, process, report):
    """``{notebook: finished run}`` from the report of a process that ran them; a
    notebook the process never reached has the process's stderr as its traceback."""
    errors = json.loads(report.read_text()) if report.exists() else {}
    runs = {}
    for nb in notebooks:
        error = errors.get(str(nb), f"not run (exit status {process.returncode}):\n"
                                    f"{process.stderr[-3000:]}")
        runs[nb] = subprocess.CompletedProcess(str(nb), 1 if error else 0, "", error)
    return runs


def execute_each(notebooks, *, python, kernel="python3", env=None):
    """Execute each notebook, one after another, in a fresh Jupyter kernel, from one
    process of ``python``. Returns ``{notebook: finished run}``."""
    notebooks = [Path(nb) for nb in notebooks]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        process = subprocess.run([str(python), "-c", _EXECUTE_MANY, str(report), kernel,
                                  *map(str, notebooks)], cwd=notebooks[0].parent, env=env,
                                 capture_output=True, text=True)
        return _runs(notebooks, process, report)


def execute_forked(notebooks, *, python=sys.executable, env=None, settings="", limit=600):
    """Execute each notebook in IPython, in a process forked for it from one of
    ``python`` that has imported the chapters' libraries under ``env`` (see the
    module's docstring).

    ``settings`` is IPython configuration as in a profile's ``ipython_config.py``
    (lines that set ``c``), such as which output formats are computed. A notebook
    still running after ``limit`` seconds is killed. Returns ``{notebook: finished
    run}``."""
    notebooks = [Path(nb) for nb in notebooks]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        process = subprocess.run([str(python), "-c", _EXECUTE_FORKED, str(report),
                                  str(limit), settings, *map(str, notebooks)],
                                 cwd=notebooks[0].parent, env=env, capture_output=True,
                                 text=True)
        return _runs(notebooks, process, report)


#: IPython settings (as in a profile's config file) under which outputs are displayed as
#: text only (``text/plain``): no figure is drawn, and the static scrubbers of ``explore``
#: and ``race``, made only when shown as HTML, are not made. Everything a chapter
#: computes, checks or prints still runs.
TEXT_ONLY = """
c.DisplayFormatter.active_types = ["text/plain"]
c.MimeBundleFormatter.enabled = False
"""


def write_notebook(path, *code):
    """Write a notebook of ``code`` cells to ``path``; return the path."""
    import nbformat

    cells = [nbformat.v4.new_code_cell(c) for c in code]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return Path(path)


def failure(notebook: Path, run, where: str) -> str:
    """The message for a failed run: which notebook, under what, and the end of the traceback."""
    return f"{notebook.name} failed {where}:\n{run.stderr[-3000:]}"
