"""The chapter notebooks are in the house style that makes them read in JupyterLab as on
the website (``tools/notebook_style.py``; apply it with
``python tools/notebook_style.py chapters/0*.ipynb``).

Each rule is checked on the chapters directly, not only as "the tool would change
nothing", so a broken tool cannot hide a broken notebook; and the tool is checked on
small notebooks written here.
"""

import ast
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_style as ns  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


def hidden(cell, what="source_hidden"):
    return cell.metadata.get("jupyter", {}).get(what) is True


@pytest.fixture(params=CHAPTERS, ids=lambda p: p.stem)
def chapter(request):
    return read(request.param)


def test_the_tool_would_change_nothing(chapter):
    assert ns.style(chapter) == chapter, (
        "not in the house style: run python tools/notebook_style.py chapters/0*.ipynb")


def test_hidden_checks_are_collapsed_and_say_what_they_check(chapter):
    checks = [c for c in chapter.cells if ns.is_check(c)]
    assert checks
    for cell in checks:
        assert ns.check_comment(cell), f"hidden check {cell.id} has no comment line first"
        assert hidden(cell), f"hidden check {cell.id} is not collapsed in JupyterLab"


def test_a_check_is_hidden_from_the_website(chapter):
    """An assert written to check the text belongs in a ``remove-cell`` cell: a visible
    one shows the website's readers and the learners bare asserts."""
    for cell in chapter.cells:
        if cell.cell_type != "code" or "remove-cell" in ns.tags(cell):
            continue
        asserts = [n for n in ast.parse(cell.source).body if isinstance(n, ast.Assert)]
        assert not asserts, f"cell {cell.id} asserts in plain view: {cell.source[:80]!r}"


def test_solutions_are_folded(chapter):
    inside, folded = False, 0
    for cell in chapter.cells:
        if cell.cell_type == "markdown" and ns.SOLUTION_START.search(cell.source):
            assert re.search(r"^:class:.*\bdropdown\b", cell.source, re.M), (
                f"solution {cell.id} is not a dropdown")
            inside = bool(ns.GATE_START.search(cell.source))
            continue
        if cell.cell_type == "markdown" and ns.SOLUTION_END.search(cell.source):
            inside = False
        elif inside or ns.BEGIN in cell.source:
            assert hidden(cell), f"solution cell {cell.id} is not folded"
            if cell.cell_type == "code":
                assert hidden(cell, "outputs_hidden"), f"solution output {cell.id} is shown"
            folded += 1
    assert folded, "no solution cell found: has the way solutions are marked changed?"


def test_every_caption_is_visible_after_its_figure(chapter):
    """A caption in the metadata is repeated as a labelled MyST figure in the next cell,
    removed from the website, which shows the metadata's caption."""
    cells = chapter.cells
    figures = [i for i, c in enumerate(cells) if ns.figure_of(c)]
    assert figures
    for i in figures:
        caption, label = ns.figure_of(cells[i])
        after = cells[i + 1] if i + 1 < len(cells) else None
        assert after is not None and after.cell_type == "markdown", (
            f"no caption cell after figure {cells[i].id}")
        assert "remove-cell" in ns.tags(after), f"caption cell {after.id} would show on the website"
        assert caption in after.source and f":label: {label}" in after.source, (
            f"caption cell {after.id} is not the caption of figure {cells[i].id}")
    captions = [c for c in cells if ns.is_caption_cell(c)]
    assert len(captions) == len(figures), "a caption cell without its figure"


def test_every_numbered_reference_has_its_target_in_the_notebook(chapter):
    """jupyterlab-myst resolves ``{numref}`` only within the notebook: to the caption
    cells' labels (and the exercises' own)."""
    text = "\n".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    labels = set(re.findall(r"^:label:\s*(\S+)", text, re.M))
    for target in re.findall(r"\{numref\}`(?:[^`<]*<)?([^`>]+)>?`", text):
        assert target in labels, f"{{numref}} to {target!r}, which JupyterLab cannot find"


def test_every_page_reference_names_a_file_jupyterlab_can_open(chapter):
    """JupyterLab links ``{doc}`target``` to the file ``target`` and opens it on a click:
    the target is a page's file name, suffix included (``_ext/file_links.py`` resolves
    it for Sphinx)."""
    text = "\n".join(c.source for c in chapter.cells if c.cell_type == "markdown")
    pages = {p.name for p in (ROOT / "chapters").iterdir()}
    for target in re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", text):
        assert target in pages, f"{{doc}} to {target!r}, which is not a page's file name"


# The tool itself, on notebooks written here.

def _check(source, cell_id):
    cell = new_code_cell(source, metadata={"tags": ["remove-cell"]})
    cell.id = cell_id
    return cell


def test_tool_refuses_a_check_without_its_comment():
    nb = new_notebook(cells=[_check("assert 1 + 1 == 2, 'the text says two'", "bare-check")])
    with pytest.raises(ns.StyleError, match="bare-check"):
        ns.style(nb, name="x.ipynb")


def test_tool_folds_captions_and_is_idempotent():
    figure = new_code_cell("plt.plot([1, 2])", metadata={"mystnb": {"figure": {
        "caption": "A line; it rises.", "name": "fig-line"}}})
    figure.id = "fig1"
    cells = [new_markdown_cell("See {numref}`fig-line`."), figure,
             _check("# two is two\nassert 2 == 2", "check1"),
             new_markdown_cell("```{solution-start} ex-one\n```\nThe idea."),
             new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
             new_markdown_cell("More of the solution."),
             new_markdown_cell("```{solution-end}\n```"),
             new_code_cell("print(x)")]
    nb = new_notebook(cells=cells)
    styled = ns.style(nb)
    assert nb.cells == cells and len(nb.cells) == 8, "the input was modified"
    assert ns.style(styled) == styled
    nbformat.validate(styled)
    out = styled.cells
    assert out[2].source == ":::{figure}\n:label: fig-line\n\nA line; it rises.\n:::"
    assert out[2].id == "fig1-caption" and out[2].metadata["tags"] == ["remove-cell"]
    assert hidden(out[3]) and not hidden(out[3], "outputs_hidden")
    assert ":class: dropdown" in out[4].source and not hidden(out[4])
    assert hidden(out[5]) and hidden(out[5], "outputs_hidden") and hidden(out[6])
    assert not hidden(out[7]) and not hidden(out[8])
    figure.metadata.mystnb.figure.caption = "A line; it falls."
    restyled = ns.style(nb.__class__(dict(styled, cells=[*styled.cells[:1], figure,
                                                          *styled.cells[2:]])))
    assert [c.source for c in restyled.cells].count(
        ":::{figure}\n:label: fig-line\n\nA line; it falls.\n:::") == 1
    assert len(restyled.cells) == 9, "the old caption cell was kept beside the new one"


def test_student_edition_opens_the_answer_cells(chapter):
    """A solution cell is folded in the full edition; the stub the student edition makes
    of it is where the learner writes, and must be open."""
    from lrcourse.teaching.edition import student_notebook

    stubs = [c for c in student_notebook(ns.style(chapter)).cells
             if c.cell_type == "code" and ("# your answer" in c.source
                                           or "write your solution here" in c.source)]
    assert stubs
    for cell in stubs:
        assert not hidden(cell) and not hidden(cell, "outputs_hidden"), (
            f"the student edition folds the answer cell {cell.id}: "
            f"{cell.source.strip().splitlines()[0]!r}")
