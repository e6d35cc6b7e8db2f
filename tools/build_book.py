"""Build the website in both languages: English in _build/html, Chinese in _build/html/zh.

    python tools/build_book.py [--strict] [--only en|zh]   the website (make book)
    python tools/build_book.py --messages                  the message catalogs (make translations)

The notebooks are executed once, side by side on the machine's cores, into a fresh
execution cache (emptied first, because the cache cannot see changes to lrcourse). The
two editions are built side by side from that cache: the English one, and the Chinese
one, which swaps the text through the catalogs in locales/zh_CN. They start as soon as
a core is free, while the last notebooks still run: each build reads the other pages
first and waits for a notebook until it is in the cache (_ext/wait_for_execution.py).
The extraction of messages reads the same cache. A notebook that raises fails the build, with its
traceback. With --strict, Sphinx warnings are errors too. The Chinese build always
fails on an untranslated or fuzzy message (_ext/editions.py).

--messages extracts every message of the English sources (pages, notebook markdown,
figure captions and alt text) into _build/gettext and merges them into
locales/zh_CN/LC_MESSAGES/*.po with sphinx-intl: new messages arrive empty, changed
ones arrive marked fuzzy with their old translation, and both must be translated
before the Chinese edition builds again.
"""

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "_ext"))
import wait_for_execution  # noqa: E402  (the book's Sphinx extension of that name)

BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
LOCALES = ROOT / "locales"
#: builder -> language -> (output folder, doctree folder)
TARGETS = {
    ("html", "en"): (BUILD / "html", BUILD / ".doctrees"),
    ("html", "zh_CN"): (BUILD / "html" / "zh", BUILD / ".doctrees-zh"),
    ("gettext", "en"): (BUILD / "gettext", BUILD / ".doctrees-gettext"),
}


#: The editions' names in the build's messages.
NAMES = {"en": "English", "zh_CN": "Chinese"}

#: The book's title in each edition (English: `title` in _config.yml).
TITLES = {"zh_CN": "更聪明地学习：自适应学习率"}


#: Workers are forked from this process where the platform can, so they start with what
#: it has imported instead of importing it again (nbformat alone takes 1-2 s).
_FORK = (multiprocessing.get_context("fork")
         if "fork" in multiprocessing.get_all_start_methods() else None)


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def preload():
    """Import what each Sphinx build imports (Jupyter Book, the extensions), so that the
    builds forked from this process start with it: about 2 s each, paid once."""
    import importlib

    import jupyter_book.sphinx  # noqa: F401
    sphinx = _config()["sphinx"]
    local = sphinx.get("local_extensions") or {}
    for name in sphinx["config"]["extensions"]:
        if name not in local:
            try:
                importlib.import_module(name)
            except ImportError:  # Sphinx reports it, in the build
                pass


def chapters():
    """The notebooks of the table of contents, the largest files first: they run side by
    side, and a large notebook is likely to be a long one."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [chapter["file"] for part in toc.get("parts", [])
                             for chapter in part.get("chapters", [])]
    notebooks = [ROOT / f"{file}.ipynb" for file in files if (ROOT / f"{file}.ipynb").exists()]
    return sorted(notebooks, key=lambda path: path.stat().st_size, reverse=True)


def _execute(path, timeout, ipython_dir):
    """Run one notebook in a fresh kernel from its own folder (in a worker process)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ["IPYTHONDIR"] = ipython_dir  # this worker's kernels
    nb = nbformat.read(path, as_version=4)
    # shutdown_kernel="immediate": once the last cell has replied, the kernel is stopped
    # at once. Asked to shut down, an ipykernel 7 kernel sometimes does not exit, and the
    # kernel manager waits about 3 s before it kills it anyway.
    # coalesce_streams: a cell's printed text is stored as one output, exactly as printed.
    # The kernel sends it in pieces that depend on timing, and myst-nb, merging pieces
    # itself, strips each one's end and so turns a piece that starts a line into a blank
    # line: a table printed by one cell got a blank line under its header in some builds.
    result = single_nb_execution(nb, cwd=str(path.parent), allow_errors=False,
                                 timeout=timeout, meta_override=True,
                                 shutdown_kernel="immediate", coalesce_streams=True)
    return nb, result.time, result.exc_string


def docname(path):
    """Sphinx's name for the page of the notebook at ``path``."""
    return path.relative_to(ROOT).with_suffix("").as_posix()


def execute(notebooks, then=None, free=None, executing=None):
    """Execute the notebooks side by side into a fresh cache; returns the failures' count.

    This is what myst-nb's cache mode does for one notebook (run it, store the executed
    copy under the hash of its code), done for all of them at once; the builds then
    find every notebook in the cache. The cache is written from this process only.
    ``then`` is called once the notebooks are running, and ``free`` once a core is free
    (fewer notebooks left than cores), unless a notebook has failed by then. A notebook's
    file in the folder ``executing`` is removed once the notebook is in the cache.
    """
    import nbformat  # noqa: F401  (imported here once, not in every worker)
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from lrcourse.teaching.edition import ipython_folder

    timeout = _config()["execute"]["timeout"]
    shutil.rmtree(CACHE, ignore_errors=True)
    cache = get_cache(str(CACHE))
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")  # Linux
             else os.cpu_count() or 1)
    workers = max(1, min(len(notebooks), cores))
    print(f"executing {len(notebooks)} notebooks, {workers} at a time", flush=True)
    failures = 0
    with (tempfile.TemporaryDirectory(prefix="ipython-") as ipython_dir,
          ProcessPoolExecutor(workers, mp_context=_FORK) as pool):
        # the kernels' IPython folder: the book's settings (lrcourse.teaching.edition)
        ipython_folder(ipython_dir)
        runs = {pool.submit(_execute, path, timeout, ipython_dir): path for path in notebooks}
        if then is not None:  # the workers are started: the rest of this process can go on
            then()
        left = len(notebooks)
        for done in as_completed(runs):
            path = runs[done]
            nb, seconds, error = done.result()
            name = path.relative_to(ROOT)
            left -= 1
            if error:
                failures += 1
                print(f"{name} raised, so the book is not built:\n{error}", file=sys.stderr)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path),
                                                      data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            if executing is not None:
                wait_for_execution.marker(executing, docname(path)).unlink()
            print(f"  {name}: {seconds:.1f} s", flush=True)
            if free is not None and left < workers and not failures:
                free()
                free = None
    return failures


def build(builder, language, strict=False):
    """One Sphinx build of the book; returns its exit status."""
    from jupyter_book.sphinx import build_sphinx

    output, doctrees = TARGETS[builder, language]
    overrides = {
        "external_toc_path": "_toc.yml",
        "latex_individualpages": False,
        "language": language,
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(CACHE),
    }
    if language in TITLES:
        overrides["html_title"] = TITLES[language]
    return build_sphinx(ROOT, output, path_config=str(ROOT / "_config.yml"), noconfig=True,
                        confoverrides=overrides, doctreedir=str(doctrees), builder=builder,
                        force_all=True, freshenv=True, warningiserror=strict,
                        keep_going=strict)


def update_catalogs():
    """Extract the messages and merge them into locales/zh_CN (sphinx-intl)."""
    if not CACHE.exists() and execute(chapters()):  # captions and alt text live in outputs
        return 1
    shutil.rmtree(TARGETS["gettext", "en"][0], ignore_errors=True)
    status = build("gettext", "en")
    if status:
        return status
    # The themes' own words (buttons, footers) come translated with the themes.
    (TARGETS["gettext", "en"][0] / "sphinx.pot").unlink(missing_ok=True)
    intl = Path(sys.executable).with_name("sphinx-intl")
    command = [str(intl) if intl.exists() else "sphinx-intl", "update",
               "-p", str(TARGETS["gettext", "en"][0]), "-d", str(LOCALES), "-l", "zh_CN",
               "--line-width", "-1"]
    return subprocess.run(command, check=False).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--only", choices=["en", "zh"], help="build one edition")
    parser.add_argument("--messages", action="store_true",
                        help="update the message catalogs instead of building the website")
    parser.add_argument("--sphinx", choices=["en", "zh_CN"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.messages:
        return update_catalogs()
    if args.sphinx:  # one edition, from the cache (a child of the build below)
        return build("html", args.sphinx, args.strict)
    languages = {"en": ["en"], "zh": ["zh_CN"], None: ["en", "zh_CN"]}[args.only]
    start = time.perf_counter()
    if "en" not in languages:  # the Chinese edition alone, from the cache as it is
        return build_side_by_side(languages, args.strict, start)
    if _FORK is None:  # no fork: the builds are new processes, once the cache is full
        if execute(chapters()):
            return 1
        return build_side_by_side(languages, args.strict, start)
    # The builds are forked from this process: it imports what they need while the
    # notebooks run, and starts them once a core is free.
    notebooks = chapters()
    with tempfile.TemporaryDirectory() as executing:
        for path in notebooks:
            wait_for_execution.marker(executing, docname(path)).touch()
        builds = []

        def start_builds():
            builds.extend(start_side_by_side(languages, args.strict, executing))

        if execute(notebooks, then=preload, free=start_builds, executing=executing):
            for _, log, process in builds:
                process.terminate()
                process.join()
                log.close()
            return 1
        if not builds:
            start_builds()
        return finish_side_by_side(builds, start)


def _build_logged(language, strict, log, executing):
    """One edition's build in a forked process, its output into the file ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    if executing is not None:
        os.environ[wait_for_execution.VARIABLE] = executing
    sys.exit(build("html", language, strict))


def start_side_by_side(languages, strict, executing=None):
    """Start each edition's build in its own process; returns ``(language, log, process)``
    for each. ``executing``: the folder of the notebooks still running (forked builds)."""
    runs = []
    for language in languages:
        log = tempfile.TemporaryFile("w+", encoding="utf-8")
        if _FORK is None:
            command = [sys.executable, __file__, "--sphinx", language]
            command += ["--strict"] if strict else []
            runs.append((language, log, subprocess.Popen(command, stdout=log,
                                                         stderr=subprocess.STDOUT)))
        else:
            build_process = _FORK.Process(target=_build_logged,
                                          args=(language, strict, log.fileno(), executing))
            build_process.start()
            runs.append((language, log, build_process))
    print(f"building the {' and '.join(NAMES[language] for language in languages)} "
          f"edition{'s' if len(languages) > 1 else ''}", flush=True)
    return runs


def finish_side_by_side(runs, start):
    """Wait for the builds; print each one's log whole; returns the exit status."""
    status = 0
    for language, log, process in runs:
        if isinstance(process, subprocess.Popen):
            returncode = process.wait()
        else:
            process.join()
            returncode = process.exitcode
        log.seek(0)
        sys.stdout.write(log.read())
        log.close()
        if returncode:
            print(f"The {NAMES[language]} edition failed (exit status {returncode}).",
                  flush=True)
        status = status or returncode
    # myst-nb writes a build's output files beside its output folder: for the Chinese
    # edition (_build/html/zh) that is inside the English site. Sphinx has copied them
    # into zh/_images; the folder itself must not be published.
    shutil.rmtree(BUILD / "html" / "jupyter_execute", ignore_errors=True)
    if not status:
        print(f"Both editions built in {time.perf_counter() - start:.0f} s."
              if len(runs) == 2 else f"Built in {time.perf_counter() - start:.0f} s.")
    return status


def build_side_by_side(languages, strict, start):
    """Build the editions at once, each in its own process, from the cache as it is."""
    return finish_side_by_side(start_side_by_side(languages, strict), start)


if __name__ == "__main__":
    sys.exit(main())
