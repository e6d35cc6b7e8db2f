"""Fixtures for the JupyterLab tests: the chapters as a learner opens them.

A JupyterLab server is started from the course's environment (this Python) on a free
localhost port with a random token, over a temporary copy of the chapters brought to
the house style by ``tools/notebook_style.py``. Its settings and workspaces live in the
temporary folder too: windowing off (every cell is rendered, so the tests see them all),
no news or update checks. Pages are opened in Debian's Chromium through Playwright, and
requests to any other host are blocked: the notebooks must read offline. Skipped without
Chromium or Playwright, unless ``LRCOURSE_REQUIRE_BROWSER=1``. Screenshots go to
``_build/screenshots/lab/``.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from notebook_style import StyleError, style  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = ROOT / "_build" / "screenshots" / "lab"
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def _unavailable(reason):
    if os.environ.get("LRCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LRCOURSE_REQUIRE_BROWSER=1: the browser tests must run)",
                    pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium (apt-get install chromium) to run the "
                f"JupyterLab tests")


def styled_copy(folder):
    """The chapters, styled by the tool, with the pages they link to, in ``folder``.

    Returns ``(sources, refused)``: ``{name: notebook as committed}`` (the chapters may
    change while the tests run; the tests compare with what was copied) and
    ``{name: StyleError}`` for the chapters the tool refused (copied unstyled): their
    tests fail with the tool's message, the others still run.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sources, refused = {}, {}
    for path in sorted((ROOT / "chapters").glob("*")):
        if path.suffix == ".ipynb":
            nb = sources[path.name] = nbformat.read(path, as_version=4)
            try:
                nb = style(nb, name=path.name)
            except StyleError as error:
                refused[path.name] = error
            nbformat.write(nb, folder / path.name)
        elif path.suffix == ".md":
            shutil.copy(path, folder / path.name)
    return sources, refused


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url, process, log, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A running JupyterLab: ``base`` URL, ``token``, ``folder`` of notebooks, and
    ``sources`` and ``refused`` as :func:`styled_copy` returns them."""
    home = tmp_path_factory.mktemp("lab")
    notebooks = (home / "chapters").resolve()
    sources, refused = styled_copy(notebooks)
    settings = home / "settings"
    for plugin, values in SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config")}
    port, token = _free_port(), secrets.token_hex(16)
    log = home / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={notebooks}", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=notebooks)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/status?token={token}", process, log)
        yield SimpleNamespace(base=base, token=token, folder=notebooks, sources=sources,
                              refused=refused)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        # One tab of one context (tests/lab/lab_page.py): JupyterLab is loaded once.
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        yield context
        context.close()
        chromium.close()


@pytest.fixture(scope="session")
def lab_tab(browser, lab):
    from lab_page import LabPage

    tab = LabPage(browser, lab.base, lab.token, SCREENSHOTS)
    yield tab
    tab.close()


@pytest.fixture
def open_notebook(lab_tab, lab):
    """``open_notebook(name)``: the chapter shown in the shared JupyterLab tab."""
    def open_(name):
        if name in lab.refused:
            pytest.fail(f"{name} is not in the house style: {lab.refused[name]}",
                        pytrace=False)
        return lab_tab.open(name)

    return open_
