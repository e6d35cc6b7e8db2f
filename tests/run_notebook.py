"""Run a chapter notebook as a learner's JupyterLab would: in a fresh kernel, from the
notebook's own folder, stopping at the first cell that raises.

The kernel inherits the given environment variables (an OpenBLAS kernel, one thread).
With another Python (Binder's fresh environment), that installation also runs the
notebook: nbclient and nbformat come from there, in a child process of that Python.
With this test run's own Python, the notebook is run from this process and only the
kernel is a new process: a process that runs the notebook would import nbformat again,
which costs more CPU than starting the kernel (jsonschema builds an IRI grammar on
import), and the portability runs start thirty of them.
"""

import subprocess
import sys
import traceback
from pathlib import Path

_EXECUTE = """
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, kernel_name=sys.argv[2], timeout=600,
               resources={"metadata": {"path": str(path.parent)}}).execute()
"""


def execute(notebook: Path, *, python=sys.executable, kernel="python3", env=None):
    """Execute ``notebook``; return the finished run (its stderr holds the traceback)."""
    if str(python) == sys.executable:
        return _execute_here(notebook, kernel, env)
    return subprocess.run([str(python), "-c", _EXECUTE, str(notebook), kernel],
                          cwd=notebook.parent, env=env, capture_output=True, text=True)


def _execute_here(notebook: Path, kernel, env):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=600,
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute(**({} if env is None else {"env": env}))
    except Exception:  # a failing cell, a dead kernel or a timeout: the run failed
        return subprocess.CompletedProcess(str(notebook), 1, "", traceback.format_exc())
    return subprocess.CompletedProcess(str(notebook), 0, "", "")


def failure(notebook: Path, run, where: str) -> str:
    """The message for a failed run: which notebook, under what, and the end of the traceback."""
    return f"{notebook.name} failed {where}:\n{run.stderr[-3000:]}"
