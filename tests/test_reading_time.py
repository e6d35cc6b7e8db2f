"""The introduction and the instructors' page give one time for a chapter, and it fits
the chapters as they are.

The estimate reads the chapter's text before its exercises at 120 words a minute (a
careful pace for technical prose with equations) and its visible code at 10 lines a
minute (read, run, look at the figure). Running the cells themselves takes seconds.
"""

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
WORDS_PER_MINUTE = 120
CODE_LINES_PER_MINUTE = 10
RANGE = r"(\d+) to (\d+) minutes"


def _reading_minutes(path):
    words = lines = 0
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and re.search(r"^#+ .*exercise", cell.source, re.M | re.I):
            break
        if cell.cell_type == "markdown":
            words += len(cell.source.split())
        elif "remove-cell" not in cell.metadata.get("tags", []):
            lines += len(cell.source.splitlines())
    return words / WORDS_PER_MINUTE + lines / CODE_LINES_PER_MINUTE


def _stated():
    intro = (ROOT / "chapters" / "intro.md").read_text(encoding="utf-8")
    instructors = (ROOT / "chapters" / "instructors.md").read_text(encoding="utf-8")
    reading = re.search(r"Reading a chapter and running its code takes " + RANGE, intro)
    whole = re.search(r"a whole chapter is " + RANGE, " ".join(intro.split()))
    lesson = re.search(r"one lab of " + RANGE + ": " + RANGE + " of reading",
                       " ".join(instructors.split()))
    assert reading and whole, "the introduction should give the reading and whole-chapter times"
    assert lesson, "the instructors' page should give the lesson and reading times"
    return reading.groups(), whole.groups(), lesson.groups()


def test_both_pages_give_the_same_times():
    reading, whole, lesson = _stated()
    assert lesson == whole + reading, (
        f"instructors' page: {lesson[:2]} minutes a chapter, {lesson[2:]} reading; "
        f"introduction: {whole}, {reading}")


def test_reading_time_fits_every_chapter():
    (low, high), _, _ = _stated()
    for chapter in CHAPTERS:
        minutes = _reading_minutes(chapter)
        assert 0.9 * int(low) <= minutes <= 1.1 * int(high), (
            f"{chapter.name} reads in about {minutes:.0f} minutes, outside the stated "
            f"{low} to {high}")
