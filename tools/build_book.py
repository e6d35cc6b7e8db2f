"""Build the website in both languages: English in _build/html, Chinese in _build/html/zh.

    python tools/build_book.py [--strict] [--only en|zh]   the website (make book)
    python tools/build_book.py --messages                  the message catalogs (make translations)

The notebooks are executed once. The English build runs them into a fresh execution
cache (emptied first, because the cache cannot see changes to lrcourse); the Chinese
build, which swaps the text through the catalogs in locales/zh_CN, and the extraction
of messages read the same executed notebooks from that cache. A notebook that raises
fails the build. With --strict, Sphinx warnings are errors too. The Chinese build
always fails on an untranslated or fuzzy message (_ext/editions.py).

--messages extracts every message of the English sources (pages, notebook markdown,
figure captions and alt text) into _build/gettext and merges them into
locales/zh_CN/LC_MESSAGES/*.po with sphinx-intl: new messages arrive empty, changed
ones arrive marked fuzzy with their old translation, and both must be translated
before the Chinese edition builds again.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from jupyter_book.sphinx import build_sphinx

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"
LOCALES = ROOT / "locales"
#: builder -> language -> (output folder, doctree folder)
TARGETS = {
    ("html", "en"): (BUILD / "html", BUILD / ".doctrees"),
    ("html", "zh_CN"): (BUILD / "html" / "zh", BUILD / ".doctrees-zh"),
    ("gettext", "en"): (BUILD / "gettext", BUILD / ".doctrees-gettext"),
}


#: The book's title in each edition (English: `title` in _config.yml).
TITLES = {"zh_CN": "更聪明地学习：自适应学习率"}


def build(builder, language, strict=False):
    """One Sphinx build of the book; returns its exit status."""
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
    if not CACHE.exists():  # captions and alt text live in executed outputs
        status = build("html", "en")
        if status:
            return status
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
    args = parser.parse_args(argv)
    if args.messages:
        return update_catalogs()
    languages = {"en": ["en"], "zh": ["zh_CN"], None: ["en", "zh_CN"]}[args.only]
    if "en" in languages:
        shutil.rmtree(CACHE, ignore_errors=True)
    for language in languages:
        status = build("html", language, args.strict)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
