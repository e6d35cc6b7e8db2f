"""Time to execute and build the whole book from a clean tree, against its 60 s budget."""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 60.0


def book_build():
    """Copy the sources to a fresh folder and build there (no cache, no _build)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "book"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".venv", "_build", "student", ".git", "*.pyc", "__pycache__", ".*cache"))
        jb = Path(sys.executable).with_name("jupyter-book")
        t0 = time.perf_counter()
        subprocess.run([str(jb), "build", str(src), "--all"], check=True,
                       capture_output=True)
        elapsed = time.perf_counter() - t0
    return "book: execute + build, clean tree", elapsed, BUDGET, 1.0


def all_benchmarks():
    return [book_build]
