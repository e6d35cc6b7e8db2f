"""The student edition: solutions are stubbed or removed and never leak."""

import json
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from edition import CHAPTERS, ROOT, public_lines, read, solution_fragments

from lrcourse import check
from lrcourse.teaching.edition import (
    MARKER,
    EditionError,
    build_command,
    build_env,
    course_repository,
    stub_code,
    student_cells,
    write_edition,
)
from lrcourse.teaching.exercises import exercises


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
    build = subprocess.run(build_command(out), capture_output=True, text=True, cwd=out,
                           env=build_env(out))
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


def test_student_site_figures_are_saved_as_laid_out(edition):
    """The edition's kernels have the book's settings, as the course's build does: a
    figure is saved at its own size (10 x 4 inches at 100 dpi: 1000 x 400 pixels), not
    trimmed to what was drawn."""
    from PIL import Image

    images = (edition / "_build" / "html" / "_images").glob("*.png")
    sizes = [Image.open(path).size for path in images]
    assert sizes.count((1000, 400)) >= 5, sorted(sizes)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_runs_and_every_checker_says_not_implemented(edition, chapter):
    """The website was built by executing the student notebooks with the sealed checkers."""
    import html as markup

    page = markup.unescape((edition / "_build" / "html" / "chapters" /
                            f"{chapter.stem}.html").read_text(encoding="utf-8"))
    number = read(chapter).metadata["lrcourse"]["chapter"]
    for checker in check.for_chapter(number):
        assert f"… {checker.title}: not yet implemented." in page, checker.name
        assert f"✓ {checker.title}" not in page


def test_make_student_entry_point(tmp_path):
    out = tmp_path / "s"
    result = subprocess.run([sys.executable, "-m", "lrcourse.student", "--root", str(ROOT),
                             "--out", str(out), "--no-build"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "chapters").glob("*.ipynb")) == [
        p.name for p in CHAPTERS]


# ------------------------------------------------------------------ a repository of its own


def _files(out):
    """Every text file of the student repository, the built website included."""
    for path in sorted(out.rglob("*")):
        if path.is_file() and "mathjax" not in path.parts and path.suffix not in {
                ".png", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".ico", ".pickle",
                ".doctree", ".gif", ".jpg"}:
            yield path, path.read_text(encoding="utf-8", errors="ignore")


def test_student_repository_is_complete(edition):
    for name in ("requirements.txt", "runtime.txt", "_config.yml", "_toc.yml", "README.md",
                 "pyproject.toml", "lrcourse/__init__.py", "lrcourse/teaching/check/__init__.py"):
        assert (edition / name).is_file(), name
    assert (edition / "runtime.txt").read_text().startswith("python-3.")
    assert (edition / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    for tool in ("grade.py", "student.py", "teaching/grading.py", "teaching/sandbox.py",
                 "teaching/edition.py"):
        assert not (edition / "lrcourse" / tool).exists(), tool
    assert not list((edition / "lrcourse" / "teaching" / "check").glob("*.py"))[1:]


def test_student_site_has_no_instructors_page_and_points_at_the_student_repository(edition):
    course = course_repository(ROOT)
    student = f"{course}-student"
    html = edition / "_build" / "html"
    assert not list(html.rglob("instructors*"))
    assert "instructors" not in (edition / "_toc.yml").read_text()
    page = (html / "chapters" / "02_adagrad.html").read_text(encoding="utf-8")
    assert f"{student}" in page
    assert "mybinder.org/v2/gh/" + student.removeprefix("https://github.com/") in page
    for path, text in _files(edition):
        assert f"{course}/" not in text and f"{course}.git" not in text and f'{course}"' \
            not in text, f"{path.relative_to(edition)} links the full course"


def test_no_answer_or_hidden_input_in_any_file(edition):
    from lrcourse.teaching.grading import plan

    secrets = set()
    for chapter in CHAPTERS:
        secrets |= solution_fragments(read(chapter), public_lines())
    for checker in check.REGISTRY.values():
        if isinstance(checker, check.AnswerChecker):
            value = checker.value()
            if isinstance(value, float) and len(repr(value)) > 6:
                secrets |= {repr(value), f"{value:.6g}"}
    for number in sorted({c.chapter for c in check.REGISTRY.values()}):
        for task in plan(number, seed=12345).tasks:
            for case, expected in zip(task.cases, task.expected):
                if case.description.startswith("random"):
                    first = next((a for a in case.args if isinstance(a, np.ndarray)
                                  and a.size), None)
                    if first is not None:
                        secrets.add(repr(float(first.ravel()[0])))
                out = expected[0] if isinstance(expected, tuple) else expected
                if isinstance(out, np.ndarray) and out.size and out.dtype.kind == "f":
                    secrets.add(repr(float(out.ravel()[-1])))
    leaks = []
    for path, text in _files(edition):
        escaped = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        leaks += [f"{path.relative_to(edition)}: {s}" for s in secrets
                  if len(s) >= 8 and (s in text or s in escaped)]
    assert not leaks, "answers in the student edition:\n" + "\n".join(leaks[:20])


def test_no_student_notebook_asks_the_checkers_for_an_answer(edition):
    internals = re.compile(r"\bcheck\.\w+\.(value|reference|expected|cases|mistakes)\b"
                           r"|\bcheck\.(REGISTRY|comparison|adagrad|adam|rmsprop|schedules"
                           r"|gradient_descent)\.")
    for chapter in CHAPTERS:
        nb = read(edition / "chapters" / chapter.name)
        bad = [c.source[:80] for c in nb.cells if internals.search(c.source)]
        assert not bad, f"{chapter.name}: {bad}"


def test_every_exercise_has_a_place_for_the_answer(edition):
    for chapter in CHAPTERS:
        nb = read(edition / "chapters" / chapter.name)
        found = exercises(nb)
        assert found
        for ex, nxt in zip(found, found[1:] + [None]):
            cells = nb.cells[ex.index + 1:nxt.index if nxt else len(nb.cells)]
            stub = any(c.cell_type == "code" and ("NotImplementedError" in c.source
                                                  or "# your answer" in c.source)
                       for c in cells)
            marked = nb.cells[ex.index + 1].metadata.get("lrcourse", {}).get("answer")
            assert stub or marked == ex.label, f"{chapter.name}: {ex.label} has no answer place"


def test_edition_refuses_the_course_and_folders_it_did_not_write(tmp_path):
    for out in (ROOT, ROOT / "chapters", ROOT / "lrcourse", ROOT.parent):
        with pytest.raises(EditionError, match="refusing"):
            write_edition(ROOT, out)
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine\n")
    with pytest.raises(EditionError, match="not empty"):
        write_edition(ROOT, mine)
    assert (mine / "todo.txt").read_text() == "mine\n"
    result = subprocess.run([sys.executable, "-m", "lrcourse.student", "--root", str(ROOT),
                             "--out", ".", "--no-build"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 2 and "refusing" in result.stderr
    assert (ROOT / "chapters" / "02_adagrad.ipynb").exists()


def test_edition_replaces_only_its_own_earlier_output(tmp_path):
    out = tmp_path / "student"
    write_edition(ROOT, out)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "chapters" / "stale.ipynb").write_text("{}")
    with pytest.raises(EditionError, match="stale.ipynb"):
        write_edition(ROOT, out)
    (out / "chapters" / "stale.ipynb").unlink()
    (out / "chapters" / "02_adagrad.ipynb").write_text("{}")  # its own file, changed
    write_edition(ROOT, out)
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert read(out / "chapters" / "02_adagrad.ipynb").cells
    assert json.loads((out / MARKER).read_text())["files"]
