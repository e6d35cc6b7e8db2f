"""The Binder launch buttons of the built website open notebooks that exist.

Each notebook page has a Binder link built from ``repository:`` in ``_config.yml``; it
must name that repository and branch and open, with ``labpath=``, a notebook present
in the repository. Needs the built site (``make book``; ``LRCOURSE_SITE`` names another).
"""

import os
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

from binder_labpath import labpath_url  # noqa: E402


def _site():
    site = Path(os.environ.get("LRCOURSE_SITE", ROOT / "_build" / "html")).resolve()
    if not (site / "searchindex.js").exists():
        pytest.fail(f"no built website at {site}: run `make book` first (or set LRCOURSE_SITE)",
                    pytrace=False)
    return site


def _sources(site):
    """The book's sources: ``<book>/_build/html`` -> ``<book>``, else this repository."""
    candidate = site.parents[1]
    return candidate if (candidate / "_config.yml").exists() else ROOT


def _binder_links(site):
    """``(page, url)`` of every launch button (the theme's links titled "Launch on Binder")."""
    button = re.compile(r'<a href="([^"]+)"[^>]*title="Launch on Binder"', re.S)
    for page in sorted(site.rglob("*.html")):
        for href in button.findall(page.read_text(encoding="utf8")):
            yield page.relative_to(site).as_posix(), href.replace("&amp;", "&")


def test_labpath_url_rewrites_the_theme_links():
    base = "https://mybinder.org/v2/gh/org/repo/main"
    assert labpath_url(f"{base}?urlpath=lab/tree/chapters/02_adagrad.ipynb") == \
        f"{base}?labpath=chapters/02_adagrad.ipynb"
    assert labpath_url(f"{base}?urlpath=tree/a.ipynb") == f"{base}?labpath=a.ipynb"
    assert labpath_url(f"{base}?labpath=a.ipynb") == f"{base}?labpath=a.ipynb"


def test_binder_links_open_existing_notebooks_of_the_configured_repository():
    site = _site()
    sources = _sources(site)
    config = yaml.safe_load((sources / "_config.yml").read_text(encoding="utf8"))
    repo = config["repository"]
    owner_repo = urlsplit(repo["url"]).path.strip("/")
    book = repo.get("path_to_book", "").strip("/")
    links = list(_binder_links(site))
    notebooks = [p for p in (sources / "chapters").glob("*.ipynb")]
    if notebooks:
        assert links, "no Binder launch button on any page, but the book has notebooks"
    for page, href in links:
        url = urlsplit(href)
        assert url.path == f"/v2/gh/{owner_repo}/{repo['branch']}", (
            f"{page}: Binder link {href} is not for {owner_repo} at branch {repo['branch']}")
        query = parse_qs(url.query)
        assert "urlpath" not in query, f"{page}: Binder link uses urlpath=, not labpath=: {href}"
        target = unquote(query["labpath"][0])
        assert target.endswith(".ipynb"), f"{page}: Binder opens {target}, not a notebook"
        assert (sources / target).exists(), f"{page}: Binder opens {target}, missing from the repo"
        # the Chinese edition's pages (under zh/) open the same, English notebooks
        stem = Path(page).with_suffix("").as_posix().removeprefix("zh/")
        assert target == (f"{book}/" if book else "") + f"{stem}.ipynb", (
            f"{page}: Binder opens {target}, not this page's notebook")
