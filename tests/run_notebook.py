"""Run a chapter notebook as a learner's JupyterLab would: in a fresh kernel, from the
notebook's own folder, stopping at the first cell that raises.

The notebook runs in a child process of the given Python, and its kernel inherits that
process's environment, so a caller can choose both the installation (Binder's fresh
environment) and the environment variables (an OpenBLAS kernel, one thread).
"""

import subprocess
import sys
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
    """Execute ``notebook``; return the finished process (its stderr holds the traceback)."""
    return subprocess.run([str(python), "-c", _EXECUTE, str(notebook), kernel],
                          cwd=notebook.parent, env=env, capture_output=True, text=True)


def failure(notebook: Path, run, where: str) -> str:
    """The message for a failed run: which notebook, under what, and the end of the traceback."""
    return f"{notebook.name} failed {where}:\n{run.stderr[-3000:]}"
