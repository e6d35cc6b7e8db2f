"""Time to execute and build the whole book, both editions, from a clean tree, against
its 60 s budget: what ``make book`` runs (tools/build_book.py), in a fresh copy."""

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
        t0 = time.perf_counter()
        build = subprocess.run([sys.executable, str(src / "tools" / "build_book.py")],
                               cwd=src, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
        for index in (src / "_build" / "html" / "index.html",
                      src / "_build" / "html" / "zh" / "index.html"):
            assert index.exists(), f"the build wrote no {index.relative_to(src)}"
    return "book: both editions, clean tree", elapsed, BUDGET, 1.0


def all_benchmarks():
    return [book_build]
