"""Write the student edition: a repository of its own, with no solution and no answer.

    python -m lrcourse.student --out student            # repository and website
    python -m lrcourse.student --out student --no-build  # repository only
    python -m lrcourse.student --out student --repository https://github.com/me/course-student

The edition is a complete repository that can be published as it is: the chapters with
stubs and answer cells, ``requirements.txt``, ``runtime.txt`` (the Python version), the
book's configuration, and the ``lrcourse`` package whose checkers are sealed
(:mod:`lrcourse.teaching.sealed`: they check answers without holding them). Its Binder
and repository buttons point at the student repository, set in one place: its
``_config.yml`` (``--repository``; by default the course's address with ``-student``).
It has no instructors' page, no grader and no solutions.

The command never deletes what it did not write: it refuses the course's own folders
and any folder holding something other than its own earlier output (recorded in the
folder's ``.lrcourse-student-edition`` file), and it replaces only that output. A ``.git``
folder (the student repository's history) is left as it is.

How solutions are marked in a chapter notebook (sphinx-exercise's gated solutions):

* a markdown cell opening ```` ```{solution-start} ex-label ```` ... through the cell
  holding ```` ```{solution-end} ```` is one solution; all of it is removed,
* except code cells that contain ``### BEGIN SOLUTION`` ... ``### END SOLUTION``: the
  lines between the markers become a stub (``raise NotImplementedError`` in a function,
  or ``name = ...  # your answer`` for a single assignment) and the cell is kept, so the
  notebook still runs and each checker answers "not yet implemented";
* a plain ```` ```{solution} ```` block inside a markdown cell is cut out of the text,
* a hidden cell (``remove-cell``) that asserts an answer through the checkers is dropped.

Every exercise gets a place for the answer: a code exercise its stub, and every other
exercise (a prediction, an explanation, an exploration) a markdown cell marked
``answer`` right after the exercise.
"""

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from .exercises import exercises

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
                # the full edition folds its solution; the learner's stub stays open
                cell.metadata = nbformat.from_dict(
                    {k: v for k, v in cell.metadata.items() if k != "jupyter"})
                kept.append(cell)
            elif not inside and not _checks_answers(cell):
                kept.append(cell)
        elif not inside:
            cell.source = _SOLUTION_BLOCK.sub("", src)
            kept.append(cell)
        if cell.cell_type == "markdown" and _GATE_END.search(src):
            inside = False
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    return kept


def _checks_answers(cell):
    """A hidden cell that asserts an exercise's answer through the checkers' internals."""
    return "remove-cell" in cell.get("metadata", {}).get("tags", []) and \
        re.search(r"\bcheck\.", cell.source) is not None


def student_notebook(nb):
    """A student copy of a notebook node."""
    nb = nbformat.from_dict(dict(nb))
    nb.cells = student_cells(nb.cells)
    return nb


MARKER = ".lrcourse-student-edition"
RUNTIME = "python-3.11"  # Binder's Python, when the course has no runtime.txt
#: The course's tools that a learner does not get: the grader, its sandbox, this writer.
_INSTRUCTOR_ONLY = {"grade.py", "student.py", "teaching/grading.py", "teaching/_runner.py",
                    "teaching/sandbox.py", "teaching/static.py", "teaching/values.py",
                    "teaching/edition.py", "teaching/otter.py"}
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
_INSTRUCTORS_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?instructors>?`")
_AUTOMODULE = re.compile(r"^\.\. automodule:: (?P<module>[\w.]+)\n(?:[ \t]+:.*\n)*\n?", re.M)
_ANSWER = ("**Your answer** ({label}): *write your prediction, explanation or "
           "observations here.*")


class EditionError(ValueError):
    """The edition cannot be written there without risking files it did not create."""


# ------------------------------------------------------------------ where it may write


def _manifest(out):
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
        return set(data["files"]), set(data["folders"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_destination(root, out):
    """Raise :class:`EditionError` unless writing the edition to ``out`` is safe."""
    root, out = Path(root).resolve(), Path(out).resolve()
    if out == root or root.is_relative_to(out):
        raise EditionError(f"refusing to write the student edition into {out}: it holds the "
                           "course itself; choose a new folder, e.g. --out student")
    if out.is_relative_to(root):
        first = root / out.relative_to(root).parts[0]
        if first.exists() and not (first / MARKER).exists() and first != out:
            raise EditionError(f"refusing to write into {out}: it is inside the course's own "
                               f"folder {first.name}/")
    if out.exists() and not out.is_dir():
        raise EditionError(f"refusing to write into {out}: it is a file")
    if out.exists() and any(p.name != ".git" for p in out.iterdir()):
        known = _manifest(out)
        if known is None:
            raise EditionError(f"refusing to write into {out}: it is not empty and holds no "
                               f"earlier student edition ({MARKER}); choose a new folder")
        files, folders = known
        foreign = [str(p.relative_to(out)) for p in out.rglob("*")
                   if ".git" not in p.relative_to(out).parts[:1]
                   and not _owned(p.relative_to(out), files, folders)]
        if foreign:
            raise EditionError(f"refusing to write into {out}: besides the earlier edition it "
                               f"holds {', '.join(sorted(foreign)[:5])}"
                               + (" ..." if len(foreign) > 5 else "")
                               + "; move them away or choose a new folder")


def _owned(rel, files, folders):
    text = rel.as_posix()
    return text in files or text in folders or text == MARKER or any(
        text.startswith(f + "/") for f in folders if f == "_build")


def _remove_earlier(out):
    known = _manifest(out)
    if known is None:
        return
    files, folders = known
    if (out / "_build").is_dir() and "_build" in folders:
        shutil.rmtree(out / "_build")
    for f in files:
        (out / f).unlink(missing_ok=True)
    for d in sorted(folders, key=lambda f: -f.count("/")):
        if (out / d).is_dir() and not any((out / d).iterdir()):
            (out / d).rmdir()


# ------------------------------------------------------------------ what it writes


def answer_cells(nb):
    """``nb`` with a marked answer cell after every exercise that has no stub to fill."""
    found = exercises(nb)
    stubbed = set()
    for ex, nxt in zip(found, found[1:] + [None]):
        stop = nxt.index if nxt else len(nb.cells)
        if any(c.cell_type == "code" and "NotImplementedError" in c.source
               or c.cell_type == "code" and "# your answer" in c.source
               for c in nb.cells[ex.index + 1:stop]):
            stubbed.add(ex.label)
    cells = []
    by_index = {ex.index: ex for ex in found}
    for i, cell in enumerate(nb.cells):
        cells.append(cell)
        ex = by_index.get(i)
        if ex is not None and (ex.label not in stubbed or re.search(
                r"\b(predict|explain|why)\b", cell.source, re.I)):
            cells.append(nbformat.v4.new_markdown_cell(
                _ANSWER.format(label=ex.label),
                metadata={"tags": ["answer"], "lrcourse": {"answer": ex.label}}))
    nb.cells = cells
    return nb


def _student_text(text, course_url, student_url):
    text = _SOLUTION_BLOCK.sub("", text)
    text = _INSTRUCTORS_LINK.sub("the instructors' page of the full course", text)
    return text.replace(course_url, student_url) if course_url else text


def _documented(text, package):
    """``text`` without API directives for modules the student package does not have."""

    def keep(m):
        parts = m.group("module").split(".")
        base = package.parent.joinpath(*parts)
        return m.group(0) if base.with_suffix(".py").exists() or (
            base / "__init__.py").exists() else ""

    return _AUTOMODULE.sub(keep, text)


def _config(root, student_url):
    config = (root / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r'^title:\s*"?(.*?)"?\s*$', r'title: "\1 (student edition)"', config,
                    count=1, flags=re.M)
    return re.sub(r"^(\s+url:\s*).*$", lambda m: m.group(1) + student_url, config, count=1,
                  flags=re.M)


def course_repository(root):
    m = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", (Path(root) / "_config.yml")
                  .read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else None


def _readme(title, student_url):
    return (f"# {title} (student edition)\n\n"
            "The course's chapters as notebooks with exercises to solve. Each exercise has a "
            "place for your answer,\nand `check.<exercise>(...)` tells you whether it is "
            "right and gives hints.\n\n"
            f"* Open it on Binder: {student_url.replace('https://github.com/', 'https://mybinder.org/v2/gh/')}/HEAD\n"
            "* Or on your computer (Python 3.11):\n\n"
            "  ```bash\n  python3 -m venv .venv && .venv/bin/pip install -r requirements.txt\n"
            "  .venv/bin/jupyter lab chapters/\n  ```\n")


def sealed_checkers(chapters):
    """The sealed records of the checkers of ``chapters``."""
    from . import check
    from .sealed import seal

    return [seal(c) for c in check.REGISTRY.values() if c.chapter in chapters]


_CHECK_INIT = '''"""Exercise checkers: call ``check.<exercise>(your_answer)`` from a notebook.

Each checker compares your answer with the expected one on many inputs and answers in
plain words; ``check.<exercise>.hint()`` prints hints one at a time. The expected
values are sealed (see ``lrcourse.teaching.sealed``): the checkers can tell whether an
answer is right without holding the answer.
"""

from pathlib import Path

from ..sealed import Result, load

__all__ = ["REGISTRY", "Result", "for_chapter"]
REGISTRY = load(Path(__file__).with_name("sealed.json"))


def __getattr__(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise AttributeError(
            f"no exercise checker named {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def for_chapter(chapter):
    """The checkers of one chapter (an integer), in the order they were defined."""
    return [c for c in REGISTRY.values() if c.chapter == chapter]
'''

_TEACHING_INIT = '''"""Teaching: the exercise checkers (``check.adagrad_step(fn)``)."""
'''


def write_edition(root, out, repository=None):
    """Write the student edition of the course at ``root`` into ``out``; return ``out``."""
    root, out = Path(root).resolve(), Path(out).resolve()
    check_destination(root, out)
    _remove_earlier(out)
    course_url = course_repository(root)
    student_url = repository or (f"{course_url.removesuffix('.git')}-student"
                                 if course_url else "https://github.com/OWNER/REPOSITORY")
    written, folders = [], {"_build"}

    def put(rel, data):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        written.append(rel)
        parent = Path(rel).parent
        while parent != Path("."):
            folders.add(parent.as_posix())
            parent = parent.parent

    out.mkdir(parents=True, exist_ok=True)
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    put("_toc.yml", "".join(line for line in toc.splitlines(keepends=True)
                            if "chapters/instructors" not in line))
    put("_config.yml", _config(root, student_url))
    for name in ("references.bib", "requirements.txt", "pyproject.toml"):
        put(name, (root / name).read_bytes())
    runtime = root / "runtime.txt"
    put("runtime.txt", runtime.read_bytes() if runtime.exists() else RUNTIME + "\n")
    put(".gitignore", "_build/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n")
    title = re.search(r'^title:\s*"?(.*?)"?\s*$', (root / "_config.yml").read_text(
        encoding="utf-8"), re.M)
    put("README.md", _readme(title.group(1) if title else "The course", student_url))
    for folder in ("_ext", "_static", "_templates"):  # the book's own Sphinx additions
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                put(path.relative_to(root).as_posix(), path.read_bytes())
    chapters = set()
    for page in sorted((root / "chapters").iterdir()):
        if page.suffix == ".md" and page.stem != "instructors":
            put(f"chapters/{page.name}", _student_text(page.read_text(encoding="utf-8"),
                                                        course_url, student_url))
        elif page.suffix == ".ipynb":
            nb = answer_cells(student_notebook(nbformat.read(page, as_version=4)))
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    cell.source = _student_text(cell.source, course_url, student_url)
            meta = nb.metadata.get("lrcourse", {})
            if isinstance(meta, dict) and isinstance(meta.get("chapter"), int):
                chapters.add(meta["chapter"])
            put(f"chapters/{page.name}", nbformat.writes(nb) + "\n")
    _write_package(root, put, chapters)
    for rel in [w for w in written if w.startswith("chapters/") and w.endswith(".md")]:
        path = out / rel
        path.write_text(_documented(path.read_text(encoding="utf-8"), out / "lrcourse"),
                        encoding="utf-8")
    (out / MARKER).write_text(json.dumps({"files": sorted(written),
                                          "folders": sorted(folders)}, indent=0),
                              encoding="utf-8")
    return out


def _write_package(root, put, chapters):
    package = root / "lrcourse"
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc" \
                or rel in _INSTRUCTOR_ONLY or rel.startswith("teaching/check/"):
            continue
        put(f"lrcourse/{rel}", _TEACHING_INIT if rel == "teaching/__init__.py"
            else path.read_bytes())
    put("lrcourse/teaching/check/__init__.py", _CHECK_INIT)
    put("lrcourse/teaching/check/sealed.json",
        json.dumps(sealed_checkers(chapters), separators=(",", ":")))


def _chapters(root):
    numbers = set()
    for page in Path(root, "chapters").glob("*.ipynb"):
        meta = nbformat.read(page, as_version=4).metadata.get("lrcourse", {})
        if isinstance(meta, dict) and isinstance(meta.get("chapter"), int):
            numbers.add(meta["chapter"])
    return numbers


def _check_autograders(root, out, folder):
    root, out, folder = Path(root).resolve(), Path(out).resolve(), Path(folder).resolve()
    if folder.is_relative_to(out) or out.is_relative_to(folder):
        raise EditionError(f"refusing to write the autograders into {folder}: they hold the "
                           "hidden inputs and must stay outside the student edition")
    first = root / folder.relative_to(root).parts[0] if folder.is_relative_to(root) and \
        folder != root else None
    if folder == root or (first is not None and first != folder and first.exists()):
        raise EditionError(f"refusing to write the autograders into the course's {folder}")
    if folder.exists() and any(not p.name.endswith("_autograder.zip")
                               for p in folder.iterdir()):
        raise EditionError(f"refusing to write the autograders into {folder}: it holds other "
                           "files; choose a new folder")


def build_command(out):
    """The command that builds the edition's website."""
    jb = Path(sys.executable).with_name("jupyter-book")
    return [str(jb) if jb.exists() else "jupyter-book", "build", str(out), "--all"]


#: IPython's settings for the kernels that execute a book's notebooks (the course's
#: build and the student edition's). Every figure of the book is laid out by matplotlib's
#: constrained layout, which already keeps labels and legends inside the figure, so it is
#: saved as it is: trimming it to its drawn extent first (the inline backend's default)
#: draws every figure twice.
KERNEL_CONFIG = 'c.InlineBackend.print_figure_kwargs = {"bbox_inches": None}\n'


def ipython_folder(folder):
    """Make ``folder`` an IPython folder whose kernels have the book's settings
    (``KERNEL_CONFIG``); return it. Kernels that use it (``IPYTHONDIR``) read neither a
    reader's IPython profile nor its startup files."""
    profile = Path(folder) / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG, encoding="utf-8")
    return Path(folder)


def build_env(out):
    """The environment of the build: the edition's own package, not the course's, and
    kernels with the book's settings (an IPython folder in the edition's ``_build``)."""
    import os

    out = Path(out).resolve()
    return {**os.environ, "PYTHONPATH": str(out),
            "IPYTHONDIR": str(ipython_folder(out / "_build" / ".ipython"))}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lrcourse.student",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the course repository (default: .)")
    parser.add_argument("--out", default="student", help="output folder (default: student)")
    parser.add_argument("--repository", help="the student repository's address, for the "
                        "Binder and repository buttons (default: the course's + '-student')")
    parser.add_argument("--no-build", action="store_true", help="do not build the website")
    parser.add_argument("--autograders", metavar="DIR", help="also write each chapter's "
                        "otter-grader autograder (instructors only: it holds the hidden "
                        "inputs) into DIR, outside the student edition")
    parser.add_argument("--seed", type=int, help="seed of the autograders' hidden inputs "
                        "(default: a fresh one, written into each zip)")
    args = parser.parse_args(argv)
    try:
        if args.autograders:
            _check_autograders(args.root, args.out, args.autograders)
        out = write_edition(args.root, args.out, args.repository)
    except EditionError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"student edition written to {out}")
    if args.autograders:
        import secrets

        from .otter import write_autograder

        seed = secrets.randbits(48) if args.seed is None else args.seed
        for number in sorted(_chapters(args.root)):
            zip_path = write_autograder(number, args.autograders, seed=seed, root=args.root)
            print(f"otter autograder for chapter {number}: {zip_path} (seed {seed})")
    if not args.no_build:
        subprocess.run(build_command(out), check=True, env=build_env(out))
        print(f"student website built in {out / '_build' / 'html'}")
    return 0
