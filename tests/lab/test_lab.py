"""The chapters in a real JupyterLab, as a learner sees them (``conftest.py`` starts it).

Every chapter is opened and rendered: no raw MyST markup, every cross-reference
resolved, every figure caption visible, hidden checks and solutions folded, nothing
logged as an error, nothing fetched from another host. Two chapters are run in full
(Run All): no cell raises, and moving a slider of a live widget redraws its figure.
The same inspection of a chapter as committed before styling must find problems, so
these tests can fail. Screenshots: ``_build/screenshots/lab/``.
"""

import copy
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from lab_page import POLL_MS, RAW_MYST

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from notebook_style import (  # noqa: E402
    BEGIN,
    GATE_START,
    SOLUTION_END,
    figure_of,
    is_caption_cell,
    is_check,
)

CHAPTERS = sorted(p.name for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
RUN = ["02_adagrad.ipynb", "04_adam.ipynb"]  # live widgets: explore and race


def solution_ids(cells):
    """Ids of the cells a learner should see folded: inside a solution, or marked one."""
    ids, inside = set(), False
    for cell in cells:
        if cell.cell_type == "markdown" and GATE_START.search(cell.source):
            inside = True
        elif cell.cell_type == "markdown" and SOLUTION_END.search(cell.source):
            inside = False
        elif inside or (cell.cell_type == "code" and BEGIN in cell.source):
            ids.add(cell.id)
    return ids


def flat(text):
    """Text with typographic quotes made plain and whitespace collapsed."""
    return " ".join(text.translate(str.maketrans("‘’“”", "''\"\"")).split())


def caption_words(caption):
    """The longest stretch of the caption without math or markup, as rendered text."""
    pieces = re.split(r"\$[^$]*\$|[*`_]|\{[a-z:]+\}", caption)
    return max((" ".join(p.split()) for p in pieces), key=len)


def problems(lab_page, cells):
    """What a learner would find wrong in the rendered notebook (a list of sentences)."""
    shown = lab_page.cells()
    found = []
    text = "\n".join(c["text"] for c in shown)
    for cell in shown:
        if cell["type"] == "markdown" and RAW_MYST.search(cell["text"]):
            found.append(f"raw MyST in cell {cell['id']}: "
                         f"{RAW_MYST.search(cell['text']).group(0)!r} in {cell['text'][:80]!r}")
    unresolved = lab_page.panel.locator("[title='Cross Reference Not Found']").all_inner_texts()
    found += [f"unresolved cross-reference {t!r}" for t in unresolved]
    for cell in cells:
        if figure_of(cell):
            words = flat(caption_words(figure_of(cell)[0]))
            if words not in flat(text):
                found.append(f"caption of figure cell {cell.id} not visible: {words[:60]!r}")
    by_id = {c["id"]: c for c in shown}
    for cell in cells:
        seen = by_id[cell.id]
        if is_check(cell) and not seen["inputHidden"]:
            found.append(f"hidden check {cell.id} shown open")
    for cell_id in solution_ids(cells):
        seen = by_id[cell_id]
        if not seen["inputHidden"] or seen["outputHidden"] is False:
            found.append(f"solution cell {cell_id} shown unfolded")
    for cell in cells:
        if cell.cell_type == "markdown" and GATE_START.search(cell.source):
            body = " ".join(cell.source.split("```", 2)[-1].split()[:6])
            if body and body in " ".join(by_id[cell.id]["text"].split()):
                found.append(f"solution text visible before it is opened: {body!r}")
    return found


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_reads_as_on_the_website(open_notebook, lab, name):
    lab_page = open_notebook(name)
    lab_page.screenshot("top")
    assert problems(lab_page, lab.sources[name].cells) == []
    assert lab_page.app_errors == [], "the browser console logged errors as JupyterLab loaded"
    assert lab_page.errors == [], "the browser console logged errors"
    assert lab_page.blocked == [], "the notebook asked for files from another host"


def test_a_reference_to_another_chapter_opens_it(open_notebook):
    """``{doc}`03_rmsprop.ipynb``` is a link to that notebook: a click shows it (every
    chapter is open by now, so it comes to the front)."""
    lab_page = open_notebook("02_adagrad.ipynb")
    link = lab_page.panel.locator("a[href*='/03_rmsprop.ipynb']")
    assert link.count(), "chapter 2 has no link to 03_rmsprop.ipynb"
    lab_page.scroll_to(link.first)
    link.first.click()
    lab_page.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.context?.path === '03_rmsprop.ipynb'",
        timeout=30_000, polling=POLL_MS)


@pytest.mark.parametrize("name", RUN)
def test_run_all_and_move_a_slider(open_notebook, name):
    lab_page = open_notebook(name)
    lab_page.run_all()
    assert lab_page.kernel_errors() == []
    page = lab_page.page
    for label, selector in [("figure", ".jp-Cell:has(.jp-RenderedImage) + .jp-MarkdownCell"),
                            ("solution", ".jp-MarkdownCell:has(details)")]:
        shown = lab_page.panel.locator(selector).first
        lab_page.scroll_to(shown)
        page.mouse.wheel(0, -300)
        time.sleep(0.5)
        lab_page.screenshot(label)
    widget = lab_page.panel.locator(".jp-OutputArea-output .widget-vbox:has(.widget-slider)").first
    slider = widget.locator(".widget-slider .noUi-handle").first
    image = widget.locator("img.widget-image").first
    lab_page.scroll_to(widget)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle(), timeout=120_000, polling=POLL_MS)
    before = image.get_attribute("src")
    lab_page.screenshot("widget-before", widget)
    slider.focus()
    page.keyboard.press("ArrowRight")  # one step: one run and one redraw to wait for
    page.wait_for_function("([img, before]) => img.src !== before && img.complete",
                           arg=[image.element_handle(), before], timeout=120_000,
                           polling=POLL_MS)
    time.sleep(0.5)
    lab_page.screenshot("widget-after", widget)
    assert image.get_attribute("src") != before
    assert lab_page.kernel_errors() == []
    assert lab_page.errors == [], "the browser console logged errors"
    assert lab_page.blocked == []


def _unstyled(nb):
    """The chapter as it was before the house style: no folding, no caption cells."""
    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    nb.cells = [cell for cell in nb.cells if not is_caption_cell(cell)]
    for cell in nb.cells:
        cell.metadata.pop("jupyter", None)
        cell.metadata.pop("collapsed", None)
    return nb


def test_unstyled_chapter_is_caught(open_notebook, lab):
    """The inspection has teeth: the chapter before styling shows its checks, its
    solutions and no captions, and its figure references do not resolve."""
    name = CHAPTERS[1]
    (lab.folder / "unstyled").mkdir(exist_ok=True)
    unstyled = _unstyled(lab.sources[name])
    nbformat.write(unstyled, lab.folder / "unstyled" / name)
    lab_page = open_notebook(f"unstyled/{name}")
    found = problems(lab_page, unstyled.cells)
    for kind in ("hidden check", "solution cell", "caption of figure cell",
                 "unresolved cross-reference"):
        assert any(f.startswith(kind) for f in found), f"no {kind!r} problem in {found}"
