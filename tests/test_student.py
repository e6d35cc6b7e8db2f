"""The student edition: solutions are stubbed or removed and never leak."""

import json
import re
import subprocess
import sys

import nbformat
import pytest
from edition import CHAPTERS, ROOT, public_lines, read, solution_fragments

from lrcourse import check
from lrcourse.teaching.edition import stub_code, student_cells, write_edition


def md(text, **meta):
    return nbformat.v4.new_markdown_cell(text, metadata=meta)


def code(text, tags=()):
    return nbformat.v4.new_code_cell(text, metadata={"tags": list(tags)})


def test_stub_keeps_signature_and_docstring():
    src = ('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    y = x * 2\n'
           '    return y\n    ### END SOLUTION\n')
    assert stub_code(src) == ('def f(x):\n    """Doc."""\n'
                              '    raise NotImplementedError("write your solution here")')


def test_stub_of_single_assignment_is_ellipsis():
    src = "### BEGIN SOLUTION\nanswer = compute(\n    1, 2)\n### END SOLUTION\ncheck.q(answer)"
    assert stub_code(src) == "answer = ...  # your answer\ncheck.q(answer)"


def test_unclosed_marker_is_an_error():
    with pytest.raises(ValueError, match="without"):
        stub_code("### BEGIN SOLUTION\nx = 1\n")


def test_gated_solution_removed_but_marked_code_kept():
    cells = [
        md("````{exercise} E\n:label: ex-e\nDo it.\n````"),
        md("```{solution-start} ex-e\n:class: dropdown\n```\nThe secret explanation."),
        code("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"),
        code("assert f() == 42", tags=["remove-cell"]),
        md("```{solution-end}\n```"),
        code("check.f(f)"),
        md("Text.\n\n```{solution} ex-e\nInline secret.\n```\n\nMore text."),
    ]
    out = student_cells(cells)
    sources = [c.source for c in out]
    assert sources[0].startswith("````{exercise}")
    assert sources[1] == 'def f():\n    raise NotImplementedError("write your solution here")'
    assert sources[2] == "check.f(f)"
    assert "secret" not in json.dumps(sources).lower()
    assert "Text." in sources[3] and "More text." in sources[3]
    assert len(out) == 4


def test_unclosed_gate_is_an_error():
    with pytest.raises(ValueError, match="solution-end"):
        student_cells([md("```{solution-start} ex\n```")])


def test_every_chapter_has_exercises_and_solutions():
    assert len(CHAPTERS) == 6, "the book has six chapter notebooks"
    for path in CHAPTERS:
        nb = read(path)
        text = "\n".join(c.source for c in nb.cells)
        assert text.count("{exercise}") >= 3, f"{path.name}: fewer than three exercises"
        assert solution_fragments(nb), f"{path.name}: no solution content found"


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition, written and built once for this module."""
    out = tmp_path_factory.mktemp("student")
    write_edition(ROOT, out)
    jb = ROOT / ".venv" / "bin" / "jupyter-book"
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(out), "--all"]
    build = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return out


def _artifacts(out):
    html = out / "_build" / "html"
    assert (html / "index.html").exists()
    files = list((out / "chapters").glob("*")) + [
        p for p in html.rglob("*") if p.is_file()
        and p.suffix in {".html", ".js", ".ipynb", ".txt", ".md", ".json", ".py"}
        and "_static" not in p.parts]
    return files


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_solution_reaches_student_artifacts(edition, chapter):
    secrets = solution_fragments(read(chapter), public_lines())
    leaks = []
    for path in _artifacts(edition):
        text = path.read_text(encoding="utf-8", errors="ignore")
        # HTML escapes quotes and angle brackets; compare against both forms.
        for s in secrets:
            escaped = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if s in text or escaped in text:
                leaks.append(f"{path.relative_to(edition)}: {s}")
    assert not leaks, "solution text in the student edition:\n" + "\n".join(leaks[:20])


def test_student_site_renders_no_solution_block(edition):
    pages = list((edition / "_build" / "html" / "chapters").glob("0*.html"))
    assert len(pages) == len(CHAPTERS)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert re.search(r'class="[^"]*\bsolution\b', html) is None, page.name
        assert re.search(r'class="[^"]*\bexercise\b', html), f"{page.name} lost its exercises"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_runs_and_every_checker_says_not_implemented(edition, chapter):
    from lrcourse.teaching.grading import grade

    report = grade(edition / "chapters" / chapter.name, timeout=120)
    expected = {c.name for c in check.REGISTRY.values()
                if c.chapter == report["chapter"]}
    assert expected, f"{chapter.name}: no checkers registered"
    assert not report["errors"], report["errors"]
    statuses = {e["exercise"]: e["status"] for e in report["exercises"]}
    assert statuses == dict.fromkeys(expected, "not implemented")


def test_make_student_entry_point(tmp_path):
    out = tmp_path / "s"
    result = subprocess.run([sys.executable, "-m", "lrcourse.student", "--root", str(ROOT),
                             "--out", str(out), "--no-build"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "chapters").glob("*.ipynb")) == [
        p.name for p in CHAPTERS]
