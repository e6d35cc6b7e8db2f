"""The three layers import only downwards: numerics <- figures <- teaching.

A static scan of every import statement (so an import inside a function counts too),
and a fresh interpreter to check that ``import lrcourse`` stays free of matplotlib.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lrcourse"
# what each layer must never import (besides the layers above it)
FORBIDDEN = {
    "numerics": ("lrcourse.figures", "lrcourse.teaching", "matplotlib", "ipywidgets",
                 "IPython", "nbformat", "nbclient"),
    "figures": ("lrcourse.teaching",),
}


def imported_modules(path, root=PACKAGE.parent):
    """Absolute names of the modules a file imports, relative imports resolved."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def test_the_scan_finds_an_upward_import_hidden_in_a_function(tmp_path):
    planted = tmp_path / "lrcourse" / "numerics" / "bad.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("import numpy as np\n\ndef f():\n    from ..figures import plotting\n")
    assert "lrcourse.figures.plotting" in imported_modules(planted, root=tmp_path)


@pytest.mark.parametrize("layer", FORBIDDEN)
def test_a_layer_never_imports_the_layers_above_it(layer):
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no files in lrcourse/{layer}"
    bad = [f"{path.relative_to(PACKAGE.parent)} imports {name}"
           for path in files for name in imported_modules(path)
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer])]
    assert not bad, "\n".join(bad)


def test_import_lrcourse_loads_no_plotting_or_teaching_code():
    code = ("import sys, lrcourse; "
            "from lrcourse import Adam, run, problems, schedules, RMSpropLecture; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'ipywidgets', 'IPython') or m.startswith(('lrcourse.figures', "
            "'lrcourse.teaching'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]", out.stdout


def test_flat_learner_names_load_their_layer_on_first_use():
    code = ("import sys, lrcourse; lrcourse.plotting; "
            "print('matplotlib' in sys.modules, 'lrcourse.teaching.check' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)
    assert out.stdout.split() == ["True", "False"]
