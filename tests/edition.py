"""Shared helpers for the student-edition and grading tests."""

import re
from pathlib import Path

import nbformat

from lrcourse.teaching.edition import _GATE_END, _GATE_START, BEGIN, END

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
_DIRECTIVE = re.compile(r"^\s*([`:]{3,}|:class:|:label:)")


def read(path):
    return nbformat.read(path, as_version=4)


def public_lines():
    """Every line of every chapter that is not part of a solution."""
    return set().union(*(_split(read(path))[1] for path in CHAPTERS))


def solution_fragments(nb, public=frozenset()):
    """Distinctive lines that appear only inside solutions of a reference notebook.

    Code between the solution markers and the text of gated solutions, minus lines
    that also occur outside any solution, in this notebook or in ``public`` (lines
    shown elsewhere in the book): a shared ``return theta`` proves nothing, and neither
    does a line of punctuation (a table's rule).
    """
    secret, mine = _split(nb)
    return {s for s in secret - mine - set(public) if len(s) >= 20 and not s.startswith("#")
            and sum(ch.isalnum() for ch in s) >= 10}  # not a table rule or a fence


def _split(nb):
    """``(solution lines, other lines)`` of a notebook, stripped."""
    inside, secret, public = False, set(), set()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _GATE_START.search(cell.source):
            inside = True
        lines = cell.source.splitlines()
        if cell.cell_type == "code" and BEGIN in cell.source:
            marked = False
            for line in lines:
                if line.strip() == BEGIN:
                    marked = True
                elif line.strip() == END:
                    marked = False
                else:
                    (secret if marked else public).add(line.strip())
        elif inside and not (cell.cell_type == "code" and "remove-cell" in
                             cell.metadata.get("tags", [])):
            secret.update(line.strip() for line in lines if not _DIRECTIVE.match(line))
        else:
            public.update(line.strip() for line in lines)
        if cell.cell_type == "markdown" and _GATE_END.search(cell.source):
            inside = False
    return secret, public


def learner_copy(nb):
    """The notebook as a learner hands it in: without the hidden reference checks.

    A reference notebook checks each solution in a hidden cell inside the solution;
    the student edition has no such cell, so grading tests drop them too.
    """
    nb = nbformat.from_dict(dict(nb))
    nb.cells = [c for c in nb.cells if not (
        c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", [])
        and "check." in c.source)]
    return nb


def student_copy(path):
    """The student edition of a chapter notebook, as a learner receives it."""
    from lrcourse.teaching.edition import student_notebook

    return student_notebook(read(path))
