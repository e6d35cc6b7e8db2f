"""Sphinx extension: each script appears once per page.

With ``mathjax_path`` pointing at the copy of MathJax served from ``_static``, Sphinx 7.4
lists that script twice on every page with math (once deferred, once not), and MathJax
loaded twice throws "Cannot set property Package". Of several entries for one file
this keeps one, the deferred one if there is one, at the place of the first.
"""


def _name(script):
    filename = getattr(script, "filename", None)
    return filename.split("?")[0] if filename and "://" not in filename else None


def _unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files", [])
    best = {}
    for script in scripts:
        name = _name(script)
        if name and (name not in best or "defer" in getattr(script, "attributes", {})):
            best[name] = script
    kept, placed = [], set()
    for script in scripts:
        name = _name(script)
        if name is None:
            kept.append(script)
        elif name not in placed:
            placed.add(name)
            kept.append(best[name])
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
