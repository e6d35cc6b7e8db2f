"""The English and Chinese editions of the book, built from the same sources.

English is the source language; the Chinese edition swaps every message through the
gettext catalogs in ``locales/zh_CN/LC_MESSAGES`` (``tools/build_book.py`` builds both).
This extension does three things:

* **Outputs stay as computed.** What a notebook cell prints or displays (a table made by
  ``IPython.display.Markdown``, a printed number) is not a message to translate: its text
  changes whenever a result does. Figure captions and image alt text, which the chapter
  writes, remain messages. The API reference's entries, generated from the docstrings,
  stay in English as the code does.
* **A translation is complete or the build fails.** In a build whose ``language`` is not
  English, a message without a translation (new, changed, or marked fuzzy after the
  English changed) is reported with its page and line, and the build ends with an
  error, with or without ``-W``.
* **Each page links to itself in the other edition** (English at the site's root,
  Chinese under ``zh/``), as a visible link and as ``<link rel="alternate">``.
* **The words around the text are translated too**: the captions of the table of
  contents (``_toc.yml``, messages of the root page), and the prompts myst-nb writes on
  a folded cell, which it has no catalogs for (``FOLDED_CELL``).
"""

import os

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
#: language -> (folder under the English site, name of the edition in its own language)
EDITIONS = {"en": ("", "English"), "zh_CN": ("zh/", "中文")}
EXERCISE_NODES = ("exercise_node", "exercise_enumerable_node")
#: What myst-nb writes on a folded cell ("Show code cell source"), by language and by
#: what is folded: (to show it, to hide it).
FOLDED_CELL = {"zh_CN": {"content": ("显示整个单元", "隐藏整个单元"),
                         "source": ("显示代码", "隐藏代码"),
                         "output": ("显示输出", "隐藏输出"),
                         "outputs": ("显示输出", "隐藏输出")}}


def _is_output_text(node):
    """Text inside a cell's output, other than a figure caption or legend."""
    inside_output = inside_caption = False
    parent = node.parent
    while parent is not None:
        if isinstance(parent, (nodes.caption, nodes.legend)):
            inside_caption = True
        if isinstance(parent, nodes.container) and "cell_output" in parent.get("classes", []):
            inside_output = True
        parent = parent.parent
    return inside_output and not inside_caption


def _as_markdown(node):
    """The MyST a short title was written in (its text, inline math and code)."""
    parts = []
    for child in node.children:
        if isinstance(child, nodes.math):
            parts.append(f"${child.astext()}$")
        elif isinstance(child, nodes.literal):
            parts.append(f"`{child.astext()}`")
        else:
            parts.append(child.astext())
    return "".join(parts)


class OutputsAreNotMessages(SphinxTransform):
    """Mark computed output text and notebook metadata untranslatable.

    Runs before Sphinx's Locale transform (priority 20).
    """

    default_priority = 15

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.TextElement):
            if not isinstance(node, nodes.caption) and _is_output_text(node):
                node["translatable"] = False
        # Sphinx translates an image's alt text in place without marking the image as
        # translated: remember the English to tell afterwards.
        for image in self.document.findall(nodes.image):
            if image.get("alt"):
                image["source_alt"] = image["alt"]
        # The API reference is generated from lrcourse's docstrings, which are code
        # documentation in English; the page's own prose is translated.
        for description in self.document.findall(addnodes.desc):
            for node in description.findall(nodes.TextElement):
                node["translatable"] = False
        for node in self.document.findall(nodes.TextElement):
            if "docstring of " in (node.source or ""):
                node["translatable"] = False
        # An exercise's title is the word "Exercise", which sphinx-exercise translates
        # itself, followed by the chapter's own title for it: only the latter is a message.
        for node in self.document.findall(nodes.title):
            kind = type(node).__name__
            if kind in ("exercise_title", "solution_title"):
                node["translatable"] = False
            for subtitle in node.findall(nodes.subtitle):
                if type(subtitle).__name__ == "exercise_subtitle":
                    subtitle["translatable"] = True
                    subtitle.rawsource = _as_markdown(subtitle)
                    subtitle.source = subtitle.source or node.source
                    subtitle.line = subtitle.line or node.line
        # A notebook's own metadata, read as the front matter's field list (later the
        # docinfo), is data, not text.
        for front_matter in self.document.findall(nodes.field_list):
            if front_matter.parent is self.document:
                for node in front_matter.findall(nodes.TextElement):
                    node["translatable"] = False


def _catalog(transform):
    """``(catalog, has_catalog)``: the edition's messages for the page being read."""
    dirs = [os.path.join(transform.env.srcdir, d) for d in transform.config.locale_dirs]
    domain = docname_to_domain(transform.env.docname, transform.config.gettext_compact)
    return init_locale(dirs, transform.config.language, domain)


class UntranslatedMessages(SphinxTransform):
    """After the Locale transform: report every message that kept its English text."""

    default_priority = 21

    def apply(self, **kwargs):
        if self.config.language == SOURCE_LANGUAGE:
            return
        _, has_catalog = _catalog(self)
        if has_catalog:
            missing = [node for node in self.document.findall(nodes.Element)
                       if node.get("translated") is False and not isinstance(node, nodes.image)]
            missing += [image for image in self.document.findall(nodes.image)
                        if image.get("alt") and image.get("alt") == image.get("source_alt")]
        else:
            missing = [node for node, _ in extract_messages(self.document)]
        for node in missing:
            text = " ".join(node.astext().split())
            logger.warning("untranslated message: %s", text[:100], location=node,
                           type="i18n", subtype="untranslated")
        self.env.metadata[self.env.docname]["untranslated"] = len(missing)


class TranslatedTocCaptions(SphinxTransform):
    """The captions of the table of contents' parts, translated.

    Jupyter Book inserts the toctrees of ``_toc.yml`` into the root page (priority 100)
    after Sphinx's Locale transform has translated it (priority 20), so their captions
    would stay English in every edition. They are messages of the root page (the
    gettext build sees the toctrees): translate them here, or report them untranslated.
    """

    default_priority = 101

    def apply(self, **kwargs):
        if self.config.language == SOURCE_LANGUAGE:
            return
        toctrees = [node for node in self.document.findall(addnodes.toctree)
                    if node.get("caption")]
        if not toctrees:
            return
        catalog, _ = _catalog(self)
        metadata = self.env.metadata[self.env.docname]
        for node in toctrees:
            caption = node.get("rawcaption") or node["caption"]
            translated = catalog.gettext(caption)
            if translated == caption:
                logger.warning("untranslated message: %s", caption, location=node,
                               type="i18n", subtype="untranslated")
                metadata["untranslated"] = metadata.get("untranslated", 0) + 1
            node["caption"] = translated


class TranslatedFoldedCells(SphinxPostTransform):
    """myst-nb's prompts on a folded cell in the edition's language (after it wraps the
    folded parts: priority 199)."""

    default_priority = 200
    formats = ("html",)

    def run(self, **kwargs):
        words = FOLDED_CELL.get(self.config.language)
        if not words:
            return
        for node in self.document.findall(nodes.Element):
            if type(node).__name__ != "HideCodeCellNode":
                continue
            for folded, (show, hide) in words.items():
                if node["prompt_show"] == self.config.nb_code_prompt_show.replace(
                        "{type}", folded):
                    node["prompt_show"], node["prompt_hide"] = show, hide
                    break
            else:
                logger.warning("untranslated folded-cell prompt: %s", node["prompt_show"],
                               location=node, type="i18n", subtype="untranslated")


class TranslatedExerciseTitles(SphinxPostTransform):
    """Solutions name their exercise with the exercise's title as translated.

    sphinx-exercise titles a solution from the exercise node it kept when the directive
    ran, before the catalogs were applied; give it this page's translated exercise
    instead (before it resolves titles: priority 20).
    """

    default_priority = 19

    def run(self, **kwargs):
        registry = getattr(self.env, "sphinx_exercise_registry", None)
        if not registry or self.config.language == SOURCE_LANGUAGE:
            return
        for node in self.document.findall(nodes.Element):
            label = node.get("label")
            if type(node).__name__ in EXERCISE_NODES and label in registry:
                registry[label]["node"] = node.deepcopy()


def _collect_messages(app, doctree):
    """Give the gettext builder the messages of the doctree as read.

    The builder extracts from the doctree as written, after post-transforms: by then the
    exercise extension has rebuilt its titles and myst-nb has chosen one rendering of
    each output for a builder that shows none, so exercise titles and figure alt text
    would be missing from the catalogs while the Chinese build (which translates the
    doctree as read) still looks them up.
    """
    if app.builder.name != "gettext":
        return
    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    catalog = app.builder.catalogs[domain]
    for node, msg in extract_messages(doctree):
        if not hasattr(node, "uid"):
            node.uid = ""  # as the builder does for toctree entries; uuids are off
        catalog.add(msg, node)


def _fail_if_incomplete(app, exception):
    if exception is not None or app.config.language == SOURCE_LANGUAGE:
        return
    if app.builder.format != "html":
        return
    counts = {doc: meta.get("untranslated", 0) for doc, meta in app.env.metadata.items()}
    missing = {doc: n for doc, n in counts.items() if n}
    if missing:
        pages = ", ".join(f"{doc} ({n})" for doc, n in sorted(missing.items()))
        raise ExtensionError(
            f"the {app.config.language} edition has untranslated or fuzzy messages: {pages}. "
            "Run `make translations` and translate the messages it flags.")


def other_edition_url(pagename, language):
    """Relative URL of the same page in every other edition, by language."""
    here, _ = EDITIONS.get(language, EDITIONS[SOURCE_LANGUAGE])
    up = "../" * (pagename.count("/") + here.count("/"))
    return {lang: f"{up}{folder}{pagename}.html"
            for lang, (folder, _) in EDITIONS.items() if lang != language}


def _add_switch(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or doctree is None:
        return
    language = app.config.language or SOURCE_LANGUAGE
    links, alternates = [], []
    for lang, url in other_edition_url(pagename, language).items():
        code = lang.replace("_", "-")
        label = EDITIONS[lang][1]
        links.append(f'<a class="edition-link" href="{url}" hreflang="{code}" '
                     f'lang="{code}">{label}</a>')
        alternates.append(f'<link rel="alternate" hreflang="{code}" href="{url}" />')
    context["body"] = (f'<p class="edition-switch">{" · ".join(links)}</p>\n'
                       + context.get("body", ""))
    context["metatags"] = context.get("metatags", "") + "\n".join(alternates)


def setup(app):
    app.add_transform(OutputsAreNotMessages)
    app.add_transform(UntranslatedMessages)
    app.add_transform(TranslatedTocCaptions)
    app.add_post_transform(TranslatedFoldedCells)
    app.add_post_transform(TranslatedExerciseTitles)
    app.connect("doctree-read", _collect_messages)
    app.connect("build-finished", _fail_if_incomplete)
    app.connect("html-page-context", _add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
