"""The Chinese edition's catalogs: complete, faithful to the markup, and consistent in terms.

The Chinese build itself fails on a message that the catalogs do not translate
(``_ext/editions.py``); these tests read the catalogs directly, so a broken catalog is
named precisely and fast: which file, which message, what is wrong.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
CATALOGS = sorted(LOCALE.rglob("*.po"))
TOC_PAGES = sorted(re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text()) +
                   re.findall(r"root:\s*(\S+)", (ROOT / "_toc.yml").read_text()))

# What must survive translation unchanged: roles with their targets, inline code, and
# the math (as a whole). Chinese text may move them around, never alter them.
ROLE = re.compile(r"\{[a-z:]+\}`[^`]*`")
CODE = re.compile(r"(?<![`}])`[^`]+`")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)


def _messages(path):
    with path.open("rb") as f:
        catalog = read_po(f, locale="zh_CN")
    return [m for m in catalog if m.id]


def _id(path):
    return str(path.relative_to(LOCALE))


def test_every_page_has_a_catalog():
    have = {str(p.relative_to(LOCALE).with_suffix("")) for p in CATALOGS}
    missing = [page for page in TOC_PAGES if page not in have]
    assert not missing, f"pages of the book without a Chinese catalog: {missing}"


@pytest.mark.parametrize("path", CATALOGS, ids=_id)
def test_catalog_is_complete(path):
    problems = []
    for m in _messages(path):
        if not m.string:
            problems.append(f"untranslated: {m.id[:70]!r}")
        elif m.fuzzy:
            problems.append(f"fuzzy (the English changed): {m.id[:70]!r}")
    assert not problems, f"{_id(path)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=_id)
def test_translation_keeps_markup(path):
    problems = []
    for m in _messages(path):
        if not m.string:
            continue
        for kind, pattern in (("role", ROLE), ("math", MATH), ("code", CODE)):
            source = sorted(pattern.findall(ROLE.sub("", m.id) if kind == "code" else m.id))
            target = sorted(pattern.findall(
                ROLE.sub("", m.string) if kind == "code" else m.string))
            if source != target:
                problems.append(f"{kind} differs in {m.id[:60]!r}:\n"
                                f"    English {source}\n    Chinese {target}")
    assert not problems, f"{_id(path)}:\n  " + "\n  ".join(problems)


def glossary_terms():
    """(English pattern, Chinese term) from the glossary's own headings: ``Term (中文)``."""
    text = (ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8")
    terms = re.findall(r"^([A-Z][A-Za-z -]+?) \(([^)\x00-\x7f]+)\)$", text, re.M)
    assert len(terms) >= 15, "the glossary's 'Term (中文)' headings were not found"
    return terms


def _english_pattern(term):
    words = term.lower().replace("-", "[- ]").split()
    # plural or possessive of the last word: "saddle points", "the Hessian's"
    words[-1] = words[-1] + "(?:s|es|'s)?"
    return re.compile(r"\b" + r"\s+".join(words) + r"\b", re.I)


def _prose(text):
    """The message without code, math and role targets, where a term is not prose."""
    return CODE.sub(" ", MATH.sub(" ", ROLE.sub(" ", text)))


def test_glossary_terms_translated_consistently():
    terms = [(english, chinese, _english_pattern(english))
             for english, chinese in glossary_terms()]
    problems = []
    for path in CATALOGS:
        for m in _messages(path):
            if not m.string:
                continue
            for english, chinese, pattern in terms:
                if pattern.search(_prose(m.id)) and chinese not in m.string:
                    problems.append(f"{_id(path)}: '{english}' is not {chinese} in "
                                    f"{m.string[:60]!r}")
    assert not problems, "glossary terms translated otherwise:\n  " + "\n  ".join(problems)


def test_glossary_pattern_matches_what_it_should():
    pattern = _english_pattern("Saddle point")
    assert pattern.search("two saddle points here") and pattern.search("a Saddle point")
    assert not pattern.search("saddles pointing")
    assert _english_pattern("Learning-rate scheduling").search("learning rate scheduling")
    assert _prose("the `learning rate` and $\\eta$ {doc}`x`").split() == ["the", "and"]
