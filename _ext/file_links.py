"""``{doc}`` references written with the file's name, as JupyterLab needs them.

A chapter names another page by its file, ``{doc}`03_rmsprop.ipynb```: JupyterLab
(jupyterlab-myst) links to that file and opens it on a click, where a bare
``03_rmsprop`` names no file. Sphinx's ``doc`` role knows documents without their
suffix: this resolves a target that ends in one of the book's source suffixes as the
document it names, with its title as the text, as ``{doc}`03_rmsprop``` would be.
"""


def _resolve(app, env, node, contnode):
    if node.get("reftype") != "doc":
        return None
    target = node["reftarget"]
    for suffix in app.config.source_suffix:
        if target.endswith(suffix):
            node["reftarget"] = target[:-len(suffix)]
            return env.get_domain("std").resolve_xref(
                env, node["refdoc"], app.builder, "doc", node["reftarget"], node, contnode)
    return None


def setup(app):
    app.connect("missing-reference", _resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
