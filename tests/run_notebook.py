"""Run a chapter notebook as a learner's JupyterLab would: in a fresh kernel, from the
notebook's own folder, stopping at the first cell that raises.

The kernel inherits the given environment variables (an OpenBLAS kernel, one thread).
Once the last cell has replied, the kernel is stopped at once (``shutdown_kernel=
"immediate"``): asked to shut down, an ipykernel 7 kernel sometimes does not exit, and the
kernel manager waits about 3 s before it kills it anyway.
With this test run's own Python (``execute``), the notebook is run from this process and
only the kernel is a new process: a process that runs the notebook would import nbformat
again, which costs more CPU than starting the kernel (jsonschema builds an IRI grammar on
import), and the portability runs start thirty of them. With another Python (Binder's
fresh environment, ``execute_each``), that installation also runs the notebooks: nbformat
and nbclient come from there, in one child process of that Python for all of them.
"""

import json
import subprocess
import tempfile
import traceback
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


def execute_each(notebooks, *, python, kernel="python3", env=None):
    """Execute each notebook, one after another, from one process of ``python``: each in
    a fresh kernel, as :func:`execute` does, but nbformat and nbclient are imported once.
    Returns ``{notebook: finished run}``; a notebook the process never reached (it died)
    has the process's own stderr as its traceback."""
    notebooks = [Path(nb) for nb in notebooks]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        process = subprocess.run([str(python), "-c", _EXECUTE_MANY, str(report), kernel,
                                  *map(str, notebooks)], cwd=notebooks[0].parent, env=env,
                                 capture_output=True, text=True)
        errors = json.loads(report.read_text()) if report.exists() else {}
    runs = {}
    for nb in notebooks:
        error = errors.get(str(nb), f"not run (exit status {process.returncode}):\n"
                                    f"{process.stderr}")
        runs[nb] = subprocess.CompletedProcess(str(nb), 1 if error else 0, "", error)
    return runs


def execute(notebook: Path, *, kernel="python3", env=None):
    """Execute ``notebook``; return the finished run (its stderr holds the traceback)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=600, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute(**({} if env is None else {"env": env}))
    except Exception:  # a failing cell, a dead kernel or a timeout: the run failed
        return subprocess.CompletedProcess(str(notebook), 1, "", traceback.format_exc())
    return subprocess.CompletedProcess(str(notebook), 0, "", "")


def failure(notebook: Path, run, where: str) -> str:
    """The message for a failed run: which notebook, under what, and the end of the traceback."""
    return f"{notebook.name} failed {where}:\n{run.stderr[-3000:]}"
