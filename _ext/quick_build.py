"""Two costs of the Chinese build that buy nothing, removed without changing its output.

* **A throwaway document per message.** MyST's renderer starts every parse with
  ``options.get("document", make_document())``, so it builds a new document, and with it
  docutils' whole option parser, even when it is handed the document to fill, which is
  always the case in Sphinx. The Chinese edition parses each of its ~1,500 translated
  messages, so that is ~1,500 option parsers (several seconds). The default settings
  are now computed once per parser class, and each new document gets its own copy.
* **A list searched for every word of the search index.** Sphinx's Chinese search
  indexer keeps every Latin word it has met in a list and, for every word it stems,
  asks whether the word is in that list: a scan that grows with the book. It is now a
  set, which answers the same question at once.
"""

import copy
from functools import cache

import myst_parser.mdit_to_docutils.base as myst_base
from docutils.frontend import get_default_settings
from docutils.utils import new_document
from sphinx.search import zh


@cache
def _default_settings(parser_cls):
    return get_default_settings(parser_cls)


def make_document(source_path="notset", parser_cls=myst_base.RSTParser):
    """A new docutils document with the parser class's default settings (its own copy)."""
    return new_document(source_path, settings=copy.copy(_default_settings(parser_cls)))


class _Terms(set):
    """The Latin words met so far; ``extend`` as the indexer calls it on its list."""

    extend = set.update


def _chinese_init(self, options, _init=zh.SearchChinese.init):
    _init(self, options)
    self.latin_terms = _Terms()


def setup(app):
    myst_base.make_document = make_document
    if zh.SearchChinese.init is not _chinese_init:
        zh.SearchChinese.init = _chinese_init
    return {"parallel_read_safe": True, "parallel_write_safe": True}
