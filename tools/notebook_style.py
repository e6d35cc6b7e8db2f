"""Bring chapter notebooks to the house style, so they read in JupyterLab as on the website.

    python tools/notebook_style.py chapters/0*.ipynb          # restyle in place
    python tools/notebook_style.py --check chapters/0*.ipynb  # exit 1 if one would change

JupyterLab (with jupyterlab-myst) renders the MyST markup, but it does not read the
metadata and tags that the website's builder reads. The style closes that gap, and
changes nothing the website shows:

* A hidden check (a code cell tagged ``remove-cell`` holding an ``assert``) is collapsed
  (``metadata.jupyter.source_hidden``) and must open with a one-line comment saying what
  it checks; a check without one is an error naming the cell, because only its author
  knows what it is for.
* Everything inside a solution (from ```` ```{solution-start} ```` to
  ```` ```{solution-end} ````, or a cell with ``### BEGIN SOLUTION``) is folded: code
  cells with input and output collapsed, markdown cells collapsed. The opening cell's
  directive is a dropdown (``:class: dropdown``), which jupyterlab-myst draws closed.
* A figure's caption lives in its code cell's metadata (``mystnb.figure.caption``),
  which JupyterLab does not show. A markdown cell after the figure repeats it as a
  MyST figure with the figure's label, so the caption is visible and ``{numref}``
  resolves in JupyterLab. The cell is tagged ``remove-cell``: the website skips it and
  shows the caption from the metadata, as before. It is generated: edit the metadata.
* ``hide-input`` and ``hide-output`` cells are collapsed the same way.
"""

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
SOLUTION_START = re.compile(r"^\s*(?P<fence>[`:]{3,})\s*\{solution(?:-start)?\}.*$", re.M)
SOLUTION_END = re.compile(r"^\s*[`:]{3,}\s*\{solution-end\}", re.M)
GATE_START = re.compile(r"^\s*[`:]{3,}\s*\{solution-start\}", re.M)
OPTIONS = re.compile(r"(?:\n[ \t]*:[\w-]+:[^\n]*)*")  # a directive's option lines
CAPTION_KEY = "caption_of"  # metadata.lrcourse.caption_of = the figure cell's id


class StyleError(ValueError):
    """A notebook that the tool cannot style without its author's words."""


def tags(cell):
    return cell.metadata.get("tags", [])


def is_check(cell):
    """A hidden check: a ``remove-cell`` code cell whose code asserts something."""
    if cell.cell_type != "code" or "remove-cell" not in tags(cell):
        return False
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return "assert " in cell.source
    return any(isinstance(node, ast.Assert) for node in ast.walk(tree))


def check_comment(cell):
    """The check's first line if it is a comment with words in it, else None."""
    first = cell.source.lstrip("\n").split("\n", 1)[0].strip()
    return first if re.match(r"#+\s*\w", first) else None


def is_caption_cell(cell):
    return CAPTION_KEY in cell.metadata.get("lrcourse", {})


def figure_of(cell):
    """``(caption, label)`` of a code cell that carries a figure caption, else None."""
    if cell.cell_type != "code":
        return None
    figure = cell.metadata.get("mystnb", {}).get("figure", {})
    caption = figure.get("caption")
    return (caption.strip(), figure.get("name")) if caption else None


def caption_source(caption, label):
    fence = ":::" if ":::" not in caption else "::::::"
    lines = [f"{fence}{{figure}}"] + ([f":label: {label}"] if label else [])
    return "\n".join(lines + ["", caption, fence])


def caption_cell(figure_cell):
    caption, label = figure_of(figure_cell)
    cell = nbformat.v4.new_markdown_cell(caption_source(caption, label))
    cell.id = f"{figure_cell.id}-caption"[:64]
    cell.metadata = {"tags": ["remove-cell"],
                     "lrcourse": {CAPTION_KEY: figure_cell.id}}
    return cell


def fold(cell, outputs=False):
    jupyter = cell.metadata.setdefault("jupyter", {})
    jupyter["source_hidden"] = True
    if outputs and cell.cell_type == "code":
        jupyter["outputs_hidden"] = True


def dropdown(source):
    """The solution directive with ``:class: dropdown`` among its options."""
    match = SOLUTION_START.search(source)
    if match is None:
        return source
    options = OPTIONS.match(source, match.end())
    block = options.group(0)
    cls = re.search(r"\n[ \t]*:class:([^\n]*)", block)
    if cls and "dropdown" in cls.group(1).split():
        return source
    block = (block.replace(cls.group(0), cls.group(0) + " dropdown", 1) if cls
             else "\n:class: dropdown" + block)
    return source[: options.start()] + block + source[options.end():]


def style(nb, name="notebook"):
    """The notebook in the house style (a new object; ``nb`` is not modified).

    Raises :class:`StyleError` naming every hidden check without its comment line.
    """
    nb = copy.deepcopy(nb)
    missing = [f"{name}: cell {c.id} ({c.source.strip().splitlines()[0][:60]!r}...)"
               for c in nb.cells if is_check(c) and check_comment(c) is None]
    if missing:
        raise StyleError("these hidden checks do not open with a one-line comment saying "
                         "what they check; write one:\n  " + "\n  ".join(missing))
    cells, inside = [], False
    for cell in nb.cells:
        if is_caption_cell(cell):
            continue  # regenerated below, after its figure
        gate_start = cell.cell_type == "markdown" and GATE_START.search(cell.source)
        gate_end = cell.cell_type == "markdown" and SOLUTION_END.search(cell.source)
        if gate_start:
            inside = True
        if cell.cell_type == "markdown" and SOLUTION_START.search(cell.source):
            cell.source = dropdown(cell.source)
        elif inside and not gate_end:
            fold(cell, outputs=True)
        if cell.cell_type == "code" and BEGIN in cell.source:
            fold(cell, outputs=True)
        if is_check(cell) or "hide-input" in tags(cell):
            fold(cell)
        if "hide-output" in tags(cell):
            cell.metadata.setdefault("jupyter", {})["outputs_hidden"] = True
        if gate_end:
            inside = False
        cells.append(cell)
        if figure_of(cell):
            cells.append(caption_cell(cell))
    nb.cells = cells
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook is not in the house style")
    args = parser.parse_args(argv)
    stale, errors = [], []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            styled = style(nb, name=str(path))
        except StyleError as error:
            errors.append(str(error))
            continue
        if styled != nb:
            stale.append(path)
            if not args.check:
                nbformat.validate(styled)
                nbformat.write(styled, path)
    for error in errors:
        print(error, file=sys.stderr)
    verb = "not in the house style" if args.check else "restyled"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if errors or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
