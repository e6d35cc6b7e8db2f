"""Fixtures for the browser tests of the built website (``make book`` first).

The site is ``_build/html`` of the repository, or the folder named by ``LRCOURSE_SITE``.
It is served over localhost by a thread of this process and opened in Debian's
Chromium (``/usr/bin/chromium``, or ``LRCOURSE_CHROMIUM``) through Playwright. Requests
to any other host are blocked, so the tests behave the same with or without internet
and prove that a page needs nothing from elsewhere to work; ``LRCOURSE_ALLOW_EXTERNAL=1``
lets them through (MathJax then loads from its CDN and the equations are checked as
rendered). Without Chromium or Playwright the tests are skipped, unless
``LRCOURSE_REQUIRE_BROWSER=1`` (CI), which makes that a failure.

Each page opened is photographed into ``_build/screenshots/``: its first screen, or, with
``LRCOURSE_SCREENSHOTS=full`` (``make screenshots``), the whole page, to read a chapter
from top to bottom as a learner sees it.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from browser_site import (
    full_page_screenshots,
    page_path,
    require_site,
    site_dir,
    toc_pages,
)
from offline import OTHER_HOSTS, is_local

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update"]


def pytest_generate_tests(metafunc):
    if "page" in metafunc.fixturenames:
        site = site_dir()
        pages = toc_pages(site) if (site / "searchindex.js").exists() else ["<no site>"]
        metafunc.parametrize("page", pages)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site():
    return require_site()


@pytest.fixture(scope="session")
def base_url(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _unavailable(reason):
    if os.environ.get("LRCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LRCOURSE_REQUIRE_BROWSER=1: the browser tests must run)",
                    pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium (apt-get install chromium) to run the "
                f"browser tests")


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("LRCOURSE_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not executable:
        _unavailable("Chromium was not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One page opened in the browser, with what it logged and requested."""

    def __init__(self, page, url):
        self.page, self.url = page, url
        self.errors, self.blocked = [], []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.route(OTHER_HOSTS, self._route)

    def _route(self, route):  # only requests to other hosts come here
        if os.environ.get("LRCOURSE_ALLOW_EXTERNAL") == "1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def _console(self, message):
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        external_fetch = (message.text.startswith("Failed to load resource: net::ERR_")
                          and where and not is_local(where))
        if not external_fetch:
            self.errors.append(f"{message.text} ({where})")


@pytest.fixture(scope="session")
def open_page(browser, base_url):
    """``open_page(path)`` opens ``path`` (relative to the site) in a fresh tab: a Visit."""
    visits = []

    def open_(path, wait="networkidle"):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        visit = Visit(page, f"{base_url}/{path}")
        page.goto(visit.url, wait_until=wait)
        visits.append(visit)
        return visit

    yield open_
    for visit in visits:
        visit.page.close()


@pytest.fixture(scope="session")
def visited(open_page, site):
    """``visited(docname)``: the page opened once per session, with a screenshot written
    to ``_build/screenshots/<docname>.jpg`` (next to the site's ``html``).

    The first screen by default. A whole chapter is 20,000 pixels tall, and Chromium
    spent about 3 CPU-s rasterising and encoding each (45 CPU-s for the 22 pages), more
    than the page's own load; ``make screenshots`` takes them whole. JPEG, because
    Chromium encoded a whole page as PNG in about twice the time, and JPEG shows the
    page as well to a reader."""
    cache = {}

    def visit(docname):
        if docname not in cache:
            v = open_page(page_path(docname))
            v.screenshot = site.parent / "screenshots" / f"{docname}.jpg"
            v.screenshot.parent.mkdir(parents=True, exist_ok=True)
            v.page.screenshot(path=str(v.screenshot), full_page=full_page_screenshots(),
                              type="jpeg", quality=85)
            cache[docname] = v
        return cache[docname]

    return visit
