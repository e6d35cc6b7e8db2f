"""Read each notebook once its executed copy is in the cache, so that the builds can
start while the last notebooks still run (``tools/build_book.py``).

The book build starts both editions' builds as soon as a core is free, and names in
``LRCOURSE_EXECUTING`` a folder that holds one file per notebook still running (its
document name, with ``/`` as ``--``); it removes a notebook's file once the notebook's
outputs are in the execution cache. A build then reads every other page first, and
waits for a notebook's file to go before it reads that notebook. Without the variable
(any other build) this extension does nothing.
"""

import os
import time
from pathlib import Path

VARIABLE = "LRCOURSE_EXECUTING"


def marker(folder, docname):
    """The file that stands for ``docname`` while it runs."""
    return Path(folder) / docname.replace("/", "--")


def _running(docname):
    folder = os.environ.get(VARIABLE)
    return folder is not None and marker(folder, docname).exists()


def _read_running_last(app, env, docnames):
    docnames.sort(key=_running)  # stable: the order is otherwise Sphinx's own


def _wait(app, docname, source):
    while _running(docname):
        time.sleep(0.05)


def setup(app):
    app.connect("env-before-read-docs", _read_running_last)
    app.connect("source-read", _wait)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
