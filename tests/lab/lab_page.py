"""One chapter notebook open in JupyterLab, seen through Chromium as a learner sees it."""

import re
import time

from offline import OTHER_HOSTS

# Markup that would mean the MyST renderer did not render a cell: a role or directive
# name in braces, or a fence of colons.
RAW_MYST = re.compile(r"\{(numref|doc|cite(:[a-z]+)?|ref|term|eq|exercise|solution"
                      r"(-start|-end)?|figure|note|math)\}|^:::|^```", re.M)


#: How often a wait checks its condition, in ms. Playwright's default checks on every
#: animation frame, which keeps Chromium drawing frames for as long as the wait lasts
#: (minutes for a chapter's Run All on a busy machine).
POLL_MS = 100


class LabPage:
    """One JupyterLab tab (its own workspace) in which chapters are opened one by one.

    Loading JupyterLab is the slow part (about 7 CPU-s of Chromium each time), so it is
    loaded once: ``open(name)`` opens a notebook beside those opened before and shows it,
    as a learner opens one chapter after another. Nothing is closed until the end, so
    no view is disposed while the next notebook is inspected (disposing one lets
    JupyterLab reject promises of the old views, "Disposed", in the console).
    ``panel`` is the notebook shown, and what the console logs from its opening on is
    that notebook's (``errors``); ``app_errors`` holds what was logged while JupyterLab
    itself loaded.
    """

    def __init__(self, context, base, token, screenshots):
        self.screenshots, self.name, self.panel = screenshots, None, None
        self.url = f"{base}/lab/workspaces/lab-tests?reset&token={token}"
        self.app_errors, self.blocked = [], []
        self.errors = self.app_errors
        page = self.page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.route(OTHER_HOSTS, self._route)
        page.goto(self.url)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell", timeout=240_000,
            polling=POLL_MS)
        page.evaluate("() => window.jupyterapp.restored.then(() => true)")

    def open(self, name):
        """Show ``name`` (opening it, and starting its kernel, the first time); wait until
        it is rendered."""
        self.name, self.errors, self.blocked = name, [], []
        self.page.evaluate(
            """name => window.jupyterapp.commands.execute('docmanager:open', {path: name})
                .then(() => true)""", name)
        self.page.wait_for_function(
            """name => {
                const w = window.jupyterapp.shell.currentWidget;
                return w && w.context && w.context.path === name && w.context.isReady;
            }""", arg=name, timeout=180_000, polling=POLL_MS)
        panel = self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        self.panel = self.page.locator(f'[id="{panel}"]')
        self.wait_rendered()
        return self

    def _route(self, route):  # only requests to other hosts come here
        self.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def wait_rendered(self, timeout=180):
        """Until every markdown cell of the notebook shown has been rendered by the MyST
        renderer."""
        self.page.wait_for_function(
            """() => {
                const cells = window.jupyterapp.shell.currentWidget.node
                    .querySelectorAll('.jp-Notebook .jp-MarkdownCell');
                return cells.length > 0 && Array.from(cells).every(c =>
                    c.classList.contains('jp-mod-rendered')
                    && (c.querySelector('.myst') || c.querySelector('.jp-Placeholder')
                        || !c.textContent.trim()));
            }""", timeout=timeout * 1000, polling=POLL_MS)

    def cells(self):
        """What each cell shows: type, tags, whether input/output are collapsed, text."""
        return self.page.evaluate(
            """() => {
                const nb = window.jupyterapp.shell.currentWidget.content;
                return nb.widgets.map(w => ({
                    type: w.model.type,
                    id: w.model.id,
                    tags: w.model.getMetadata('tags') || [],
                    inputHidden: w.inputHidden,
                    outputHidden: w.model.type === 'code' ? w.outputHidden : null,
                    text: w.model.type === 'markdown' && !w.inputHidden
                        ? (w.node.querySelector('.jp-MarkdownOutput') || w.node).innerText
                        : '',
                    visibleHeight: w.node.getBoundingClientRect().height,
                }));
            }""")

    def run_all(self, timeout=480):
        """Run every cell (Run All, in the kernel started on opening); wait until the
        kernel is done: every cell has run, or one raised and the rest were skipped."""
        self.page.evaluate("""async () => {
            await window.jupyterapp.shell.currentWidget.sessionContext.ready;
            return window.jupyterapp.commands.execute('notebook:run-all-cells')
                .then(() => true);
        }""")
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const code = Array.from(w.content.model.cells).filter(c => c.type === 'code');
                const raised = code.some(c => c.outputs.toJSON().some(
                    o => o.output_type === 'error'));
                return w.sessionContext.session?.kernel?.status === 'idle'
                    && code.every(c => c.executionState !== 'running')
                    && (raised || code.every(c => c.executionCount !== null));
            }""", timeout=timeout * 1000, polling=5 * POLL_MS)

    def kernel_errors(self):
        """Error outputs of every cell: ``[(cell id, ename: evalue)]``."""
        return self.page.evaluate(
            """() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)
                .filter(c => c.type === 'code')
                .flatMap(c => c.outputs.toJSON()
                    .filter(o => o.output_type === 'error')
                    .map(o => [c.id, o.ename + ': ' + o.evalue]))""")

    def screenshot(self, label, locator=None):
        """A screenshot of the visible notebook, or of ``locator``; returns its path."""
        self.screenshots.mkdir(parents=True, exist_ok=True)
        stem = self.name.removesuffix(".ipynb").replace("/", "-")
        path = self.screenshots / f"{stem}-{label}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def scroll_to(self, locator):
        locator.scroll_into_view_if_needed()
        time.sleep(0.3)  # let the MyST renderer and images settle

    def close(self):
        self.page.close()
