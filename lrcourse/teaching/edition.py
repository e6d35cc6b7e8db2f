"""Write the student edition: the chapters with every solution removed.

    python -m lrcourse.student --out student            # notebooks and website
    python -m lrcourse.student --out student --no-build  # notebooks only

How solutions are marked in a chapter notebook (sphinx-exercise's gated solutions):

* a markdown cell opening ```` ```{solution-start} ex-label ```` ... through the cell
  holding ```` ```{solution-end} ```` is one solution; all of it is removed,
* except code cells that contain ``### BEGIN SOLUTION`` ... ``### END SOLUTION``: the
  lines between the markers become a stub (``raise NotImplementedError`` in a function,
  or ``name = ...  # your answer`` for a single assignment) and the cell is kept, so the
  notebook still runs and each checker answers "not yet implemented";
* a plain ```` ```{solution} ```` block inside a markdown cell is cut out of the text.

The website is built from the student notebooks with the course's own configuration.
"""

import argparse
import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_GATE_START = re.compile(r"^\s*[`:]{3,}\s*\{solution-start\}", re.M)
_GATE_END = re.compile(r"^\s*[`:]{3,}\s*\{solution-end\}", re.M)
_SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>[`:]{3,})\s*\{solution\}.*?^(?P=fence)\s*$\n?", re.M | re.S)


def stub_code(source):
    """Replace every marked solution region of a code cell's source by a stub."""
    out, region, indent = [], None, ""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped == END and region is not None:
            out.extend(_stub(region, indent))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise ValueError(f"{BEGIN} without {END} in cell:\n{source}")
    return "\n".join(out)


def _stub(region, indent):
    """``name = ...`` for a region that is one assignment to a name, else a raise."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(region)))
    except SyntaxError:
        tree = None
    if (tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
            and len(tree.body[0].targets) == 1
            and isinstance(tree.body[0].targets[0], ast.Name)):
        return [f"{indent}{tree.body[0].targets[0].id} = ...  # your answer"]
    return [f'{indent}raise NotImplementedError("write your solution here")']


def student_cells(cells):
    """The cells of the student edition (new cell objects; the input is not modified)."""
    kept, inside = [], False
    for cell in cells:
        cell = nbformat.from_dict(dict(cell))
        src = cell.source
        if cell.cell_type == "markdown" and _GATE_START.search(src):
            inside = True
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if BEGIN in src:
                cell.source = stub_code(src)
                kept.append(cell)
            elif not inside:
                kept.append(cell)
        elif not inside:
            cell.source = _SOLUTION_BLOCK.sub("", src)
            kept.append(cell)
        if cell.cell_type == "markdown" and _GATE_END.search(src):
            inside = False
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    return kept


def student_notebook(nb):
    """A student copy of a notebook node."""
    nb = nbformat.from_dict(dict(nb))
    nb.cells = student_cells(nb.cells)
    return nb


def write_edition(root, out):
    """Copy the book sources from ``root`` to ``out`` with student notebooks."""
    root, out = Path(root), Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    for name in ("_toc.yml", "references.bib"):
        shutil.copy(root / name, out / name)
    for folder in ("_ext", "_static", "_templates"):  # the book's own Sphinx additions
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder,
                            ignore=shutil.ignore_patterns("__pycache__"))
    config = (root / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r'^title:\s*"?(.*?)"?\s*$', r'title: "\1 (student edition)"', config,
                    count=1, flags=re.M)
    (out / "_config.yml").write_text(config, encoding="utf-8")
    for page in sorted((root / "chapters").iterdir()):
        if page.suffix == ".md":
            text = _SOLUTION_BLOCK.sub("", page.read_text(encoding="utf-8"))
            (out / "chapters" / page.name).write_text(text, encoding="utf-8")
        elif page.suffix == ".ipynb":
            nb = student_notebook(nbformat.read(page, as_version=4))
            nbformat.write(nb, out / "chapters" / page.name)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the course repository (default: .)")
    parser.add_argument("--out", default="student", help="output folder (default: student)")
    parser.add_argument("--no-build", action="store_true", help="write notebooks only")
    args = parser.parse_args(argv)
    out = write_edition(args.root, args.out)
    print(f"student notebooks written to {out / 'chapters'}")
    if not args.no_build:
        jb = Path(sys.executable).with_name("jupyter-book")
        book = [str(jb) if jb.exists() else "jupyter-book", "build", str(out), "--all"]
        subprocess.run(book, check=True)
        print(f"student website built in {out / '_build' / 'html'}")
    return 0

