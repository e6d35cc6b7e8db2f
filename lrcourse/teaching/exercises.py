"""The exercises of a chapter notebook: labels, titles, checkers and declared points.

An exercise is a markdown cell opening ```` ````{exercise} Title ```` with a
``:label:``. Its checker is the one called (``check.<name>(<variable>)``) in a code
cell before the next exercise; an exercise without a checker is graded by hand. Points
of an auto-graded exercise are declared with its checker (``points=``/``parts=``); a
hand-graded exercise may declare its points in the exercise cell's metadata
(``{"lrcourse": {"points": 2}}``), else they are left for the instructor to set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_EXERCISE = re.compile(r"^\s*[`:]{3,}\s*\{exercise\}\s*(?P<title>.*)$", re.M)
_LABEL = re.compile(r"^\s*:label:\s*(?P<label>\S+)", re.M)
CALL = re.compile(r"^\s*check\.(?P<name>[A-Za-z_]\w*)\(\s*(?P<var>[A-Za-z_]\w*)\s*\)", re.M)


@dataclass
class Exercise:
    label: str
    title: str
    index: int  # the exercise's cell
    checks: dict = field(default_factory=dict)  # checker name -> learner's variable
    points: int | None = None  # for hand-graded exercises, when declared

    @property
    def auto(self):
        return bool(self.checks)


def exercises(nb):
    """The exercises of a notebook node, in order."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            m = _EXERCISE.search(cell.source)
            if m:
                label = _LABEL.search(cell.source)
                meta = cell.get("metadata", {}).get("lrcourse", {})
                points = meta.get("points") if isinstance(meta, dict) else None
                found.append(Exercise(label.group("label") if label else f"cell-{i + 1}",
                                      m.group("title").strip(), i,
                                      points=points if isinstance(points, int) else None))
        elif cell.cell_type == "code" and found:
            for m in CALL.finditer(cell.source):
                found[-1].checks.setdefault(m.group("name"), m.group("var"))
    return found


def course_notebook(chapter, root=None):
    """The course's own notebook of ``chapter`` (an int), or ``None`` if not found."""
    root = Path(root) if root else Path(__file__).resolve().parents[2]
    hits = sorted((root / "chapters").glob(f"{int(chapter):02d}_*.ipynb"))
    return hits[0] if hits else None
