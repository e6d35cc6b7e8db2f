"""Every node of a page belongs to that page's document, so a stored page stays small.

Sphinx parses a translated message (the Chinese edition) and a docstring (the API
reference) as a small document of its own and moves the resulting nodes into the page.
Those nodes keep a reference to the small document, whose settings still hold the
whole build environment. Sphinx clears the environment from the page's own settings
before it stores the page, but not from the small documents', so each stored page of
the Chinese edition carried a copy of the environment (3.4 MB instead of 30 to 600 kB),
which every later step loads again. After a page is read, its nodes are handed to the
page's document.
"""

from docutils import nodes


def _own_nodes(app, doctree):
    for node in doctree.findall(nodes.Node):
        if getattr(node, "_document", None) not in (None, doctree):
            node.document = doctree


def setup(app):
    app.connect("doctree-read", _own_nodes)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
