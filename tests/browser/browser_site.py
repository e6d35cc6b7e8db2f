"""The built website as files: where it is, its pages, what a page references.

Shared by the browser tests' fixtures (``conftest.py``) and tests; no browser needed.
"""

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def site_dir():
    return Path(os.environ.get("LRCOURSE_SITE", ROOT / "_build" / "html")).resolve()


def require_site():
    site = site_dir()
    if not (site / "searchindex.js").exists():
        pytest.fail(f"no built website at {site}: run `make book` first (or set "
                    f"LRCOURSE_SITE to a folder with a built site)", pytrace=False)
    return site


def full_page_screenshots():
    """Whether the browser tests photograph pages whole (``LRCOURSE_SCREENSHOTS=full``,
    ``make screenshots``) rather than their first screen."""
    return os.environ.get("LRCOURSE_SCREENSHOTS") == "full"


#: The Chinese edition's folder inside the English site.
CHINESE = "zh"


def _docnames(index_file):
    text = index_file.read_text(encoding="utf8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return sorted(index["docnames"])


def toc_pages(site):
    """Every page of both editions, as Sphinx built them: the docnames of their search
    indexes, the Chinese ones under ``zh/`` (``zh/chapters/intro``)."""
    pages = _docnames(site / "searchindex.js")
    chinese = site / CHINESE / "searchindex.js"
    if chinese.exists():
        pages += [f"{CHINESE}/{doc}" for doc in _docnames(chinese)]
    return pages


def is_chinese(docname):
    return docname.startswith(f"{CHINESE}/")


def has_cjk(text):
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def page_path(docname):
    return f"{docname}.html"


def looks_like_a_file_name(text):
    """Alt text that is only a file name or a hash (what myst-nb writes when none is given)."""
    name = text.strip().rsplit("/", 1)[-1]
    return bool(re.fullmatch(r"[\w.-]*\.(png|jpe?g|gif|svg|webp)", name, re.I)
                or re.fullmatch(r"[0-9a-f]{16,}", name, re.I))


def pages_containing(site, marker):
    """Docnames whose built HTML contains ``marker`` (found without a browser)."""
    return [doc for doc in toc_pages(site)
            if marker in (site / page_path(doc)).read_text(encoding="utf8")]
