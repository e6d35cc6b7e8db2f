"""Binder launch buttons that open the notebook in JupyterLab with ``labpath=``.

sphinx-book-theme 1.3 builds Binder links as ``...?urlpath=lab/tree/<path>`` (or
``urlpath=tree/<path>`` for the classic interface); Binder's documented way to open a
file in JupyterLab is ``...?labpath=<path>``. This rewrites the theme's Binder link
after the theme has built it, so the repository URL and branch still come from one
place, ``repository:`` in ``_config.yml``. ``tests/test_launch_urls.py`` checks the result.
"""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def labpath_url(url):
    """Turn ``?urlpath=lab/tree/<path>`` (or ``tree/<path>``) into ``?labpath=<path>``."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    urlpath = query.pop("urlpath", [None])[0]
    if urlpath is None:
        return url
    for prefix in ("lab/tree/", "tree/"):
        if urlpath.startswith(prefix):
            urlpath = urlpath[len(prefix):]
            break
    query = {k: v[0] for k, v in query.items()} | {"labpath": urlpath}
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def _rewrite(app, pagename, templatename, context, doctree):
    for button in context.get("header_buttons", []):
        for item in button.get("buttons", []):
            if item.get("text") == "Binder":
                item["url"] = labpath_url(item["url"])


def setup(app):
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", _rewrite, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
