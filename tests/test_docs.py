"""Pages that quote the package's output quote it as it is."""

import contextlib
import io
import re
from pathlib import Path

from lrcourse import check

ROOT = Path(__file__).resolve().parents[1]


def test_instructors_page_quotes_the_checker_verbatim():
    page = (ROOT / "chapters" / "instructors.md").read_text(encoding="utf-8")
    quoted = re.search(r"```text\n(✗ Exercise 2\.1.*?)\n```", page, re.S).group(1)
    wrong = next(fn for fn, why in check.adagrad_step.mistakes if "inside" in why)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check.adagrad_step(wrong)
    assert out.getvalue().strip() == quoted.strip()
