"""The built website in a browser: every page, then search, solutions and scrubbers.

Run ``make book`` first; see ``conftest.py`` for the site, the browser and the
environment variables. Page weights are checked without a browser.
"""

import html
import os
import re
from urllib.parse import unquote

from browser_site import (
    CHINESE,
    full_page_screenshots,
    has_cjk,
    is_chinese,
    looks_like_a_file_name,
    page_path,
    pages_containing,
    toc_pages,
)

PAGE_BUDGET = 2_000_000  # bytes: a page's own HTML plus its images (DESIGN section 8)
FIGURE_BUDGET = 500_000  # bytes: one scrubbable figure
SCRUBBER = 'class="lrcourse-scrubber"'


# ------------------------------------------------------------------ every page


def test_printed_text_is_shown_as_printed(site):
    """A cell's printed text is one block, as printed. The kernel sends it in pieces
    that depend on timing; merging them must not add a line: chapter 3's table has its
    header line directly above its first row in both editions."""
    for page in ("chapters/03_rmsprop.html", "zh/chapters/03_rmsprop.html"):
        text = html.unescape(re.sub(r"<[^>]+>", "", (site / page).read_text(encoding="utf-8")))
        table = text[text.rindex("alpha  form      first step"):].split("\n")  # the output
        assert table[1].startswith("0.9    PyTorch"), f"{page}: {table[:3]}"


def test_page_logs_no_errors(page, visited):
    """No console error or uncaught exception, except requests to other hosts (blocked)."""
    visit = visited(page)
    assert not visit.errors, f"{page}: " + "\n".join(visit.errors)


def test_images_load_and_have_alt_text(page, visited):
    images = visited(page).page.evaluate(
        """() => Array.from(document.images).map(i => ({
               src: i.getAttribute('src').slice(0, 80), alt: i.getAttribute('alt') || '',
               width: i.naturalWidth}))""")
    for image in images:
        assert image["width"] > 0, f"{page}: image {image['src']} did not load"
        alt = image["alt"].strip()
        assert alt, f"{page}: image {image['src']} has no alt text"
        assert not looks_like_a_file_name(alt), (
            f"{page}: image {image['src']} has a file name as alt text ({alt!r}); describe "
            f"the figure in the cell's metadata: mystnb: image: alt: ...")
        if is_chinese(page) and "_images/" in image["src"]:
            # a figure of the chapter (under _images), not a computed output: its alt text
            # is a message of the Chinese catalogs
            assert has_cjk(alt) and len(alt) >= 8, (
                f"{page}: image {image['src']} has no Chinese alt text ({alt[:60]!r})")
        elif not has_cjk(alt):
            assert len(alt.split()) >= 2, f"{page}: alt text {alt!r} does not describe the image"


def _tex_sources(site, page):
    text = (site / page_path(page)).read_text(encoding="utf8")
    return [html.unescape(m) for m in
            re.findall(r'<(?:span|div) class="math[^"]*">(.*?)</(?:span|div)>', text, re.S)]


def test_math_source_present_and_rendered(page, site, visited):
    """The TeX is in the page, and the MathJax served with the site renders all of it."""
    sources = _tex_sources(site, page)
    if not sources:  # a page without math must not show unprocessed TeX either
        body = visited(page).page.inner_text("main")
        assert not re.search(r"\$\$|\\frac|\\sigma|\\eta", body), (
            f"{page}: TeX in the text that was not turned into math")
        return
    for tex in sources:
        assert re.search(r"\\[(\[]", tex), f"{page}: math without TeX delimiters: {tex[:80]!r}"
    assert any(re.search(r"\\[a-zA-Z]+", tex) for tex in sources), (
        f"{page}: no TeX command (\\frac, \\sigma, ...) in any of its math")
    visit = visited(page)
    loaded = visit.page.evaluate(
        """() => window.MathJax && MathJax.startup && MathJax.startup.promise
                 ? MathJax.startup.promise.then(() => true) : false""")
    assert loaded, f"{page}: MathJax did not load (it is served from _static/mathjax)"
    rendered = visit.page.evaluate("() => document.querySelectorAll('mjx-container').length")
    failed = visit.page.evaluate("() => document.querySelectorAll('mjx-merror').length")
    assert rendered >= len(sources) and not failed, (
        f"{page}: MathJax rendered {rendered} of {len(sources)} equations, {failed} errors")


def test_screenshot_written(page, visited):
    from PIL import Image

    visit = visited(page)
    shot = visit.screenshot
    assert shot.exists() and shot.stat().st_size > 0, f"no screenshot at {shot}"
    with Image.open(shot) as image:  # the first screen, or the whole page when asked
        height = visit.page.evaluate("() => document.documentElement.scrollHeight")
        expected = (1280, height if full_page_screenshots() else 900)
        assert image.format == "JPEG" and image.size == expected, (image.size, expected)
        # a page, not a blank: the text's dark pixels and the white around it
        low, high = image.convert("L").getextrema()
        assert low < 64 and high > 192, f"{page}: the screenshot is blank ({low}..{high})"


def page_weight(site, page):
    """Bytes of a page's HTML plus the images it references under ``_images``."""
    path = site / page_path(page)
    text = path.read_text(encoding="utf8")
    images = {unquote(src) for src in re.findall(r'(?:src|href)="([^"#?]*_images/[^"#?]+)"', text)}
    return path.stat().st_size + sum((path.parent / src).resolve().stat().st_size
                                     for src in images)


def test_page_weight(page, site):
    weight = page_weight(site, page)
    print(f"{page}: {weight / 1e3:.0f} kB")
    assert weight < PAGE_BUDGET, f"{page} weighs {weight / 1e6:.2f} MB (budget 2 MB)"


def test_the_words_around_the_text_are_in_the_editions_language(site):
    """The sidebar's part captions (from ``_toc.yml``) and the prompts on folded cells
    (written by myst-nb) are Chinese in the Chinese edition, as the text is."""
    captions = re.compile(r'class="caption"[^>]*>\s*<span class="caption-text">([^<]*)<')
    prompts = re.compile(r'class="collapsed admonition-title">([^<]*)<')
    english = (site / "chapters" / "02_adagrad.html").read_text(encoding="utf-8")
    assert captions.findall(english) == ["Chapters", "Reference"], captions.findall(english)
    assert set(prompts.findall(english)) == {"Show code cell source"}
    for page in ("chapters/02_adagrad.html", "chapters/intro.html", "chapters/api.html"):
        text = (site / "zh" / page).read_text(encoding="utf-8")
        found = captions.findall(text)
        assert len(found) == 2 and all(has_cjk(c) for c in found), f"zh/{page}: {found}"
    for page in sorted((site / "zh" / "chapters").glob("0*.html")):
        for prompt in prompts.findall(page.read_text(encoding="utf-8")):
            assert has_cjk(prompt), f"zh/chapters/{page.name}: a folded cell says {prompt!r}"


def test_site_holds_no_build_leftovers(site):
    """The Chinese build writes its notebooks' output files beside its own folder, that
    is inside the English site; they are copied into zh/_images and must not ship."""
    leftovers = [name for name in ("jupyter_execute", ".doctrees", ".jupyter_cache")
                 if (site / name).exists()]
    assert not leftovers, f"the website holds build folders: {leftovers}"


def test_scrubbable_figures_are_light_and_self_contained(page, site):
    text = (site / page_path(page)).read_text(encoding="utf8")
    for figure in re.findall(r'<figure class="lrcourse-scrubber".*?</figure>', text, re.S):
        assert len(figure.encode()) < FIGURE_BUDGET, (
            f"{page}: a scrubbable figure weighs {len(figure) / 1e3:.0f} kB")
        for url in re.findall(r'(?:src|href)="([^"]*)"', figure):
            assert url.startswith("data:"), f"{page}: a scrubbable figure fetches {url[:80]}"


# ------------------------------------------------------------------ features


def test_other_hosts_are_blocked_and_the_site_is_not(open_page):
    """The pages are opened offline, whatever the machine's network: a request to
    another host is blocked and recorded, one to the site's server is answered."""
    visit = open_page("_static/favicon.svg")
    elsewhere = "https://cdn.example.org/mathjax/tex-chtml.js"
    answers = visit.page.evaluate("""url => Promise.all([url, '/searchindex.js'].map(
        u => fetch(u).then(r => r.status, () => 'failed')))""", elsewhere)
    assert answers[1] == 200, f"the site's own file was not served: {answers}"
    if os.environ.get("LRCOURSE_ALLOW_EXTERNAL") != "1":
        assert answers[0] == "failed" and visit.blocked == [elsewhere], (answers, visit.blocked)


def test_search_finds_adagrad(site, open_page):
    assert "chapters/02_adagrad" in toc_pages(site), \
        "the Adagrad chapter (chapters/02_adagrad) is not in the built site"
    visit = open_page("search.html?q=Adagrad")
    visit.page.wait_for_selector("ul.search li a", timeout=15_000)
    hits = visit.page.eval_on_selector_all("ul.search li a", "as => as.map(a => a.href)")
    assert any("02_adagrad" in href for href in hits), f"search for Adagrad found {hits}"
    assert not visit.errors, "\n".join(visit.errors)


def test_chinese_edition_exists_for_every_page(site):
    pages = toc_pages(site)
    english = [p for p in pages if not is_chinese(p)]
    chinese = {p.removeprefix(f"{CHINESE}/") for p in pages if is_chinese(p)}
    assert chinese, f"no Chinese edition at {site / CHINESE} (make book builds both)"
    assert set(english) == chinese, (
        f"pages in one edition only: {sorted(set(english) ^ chinese)}")


def test_language_links_lead_to_the_same_page(page, site, visited):
    """Every page links to its twin in the other edition, and the link works."""
    links = visited(page).page.eval_on_selector_all(
        "a.edition-link", "as => as.map(a => [a.href, a.getAttribute('hreflang')])")
    assert len(links) == 1, f"{page}: expected one link to the other edition, found {links}"
    href, lang = links[0]
    twin = page.removeprefix(f"{CHINESE}/") if is_chinese(page) else f"{CHINESE}/{page}"
    assert lang == ("en" if is_chinese(page) else "zh-CN"), f"{page}: link language {lang}"
    assert href.endswith(f"/{page_path(twin)}"), f"{page}: links to {href}, not {twin}"
    assert (site / page_path(twin)).exists(), f"{page}: its twin {twin} was not built"


def test_chinese_pages_are_in_chinese(page, visited):
    if not is_chinese(page):
        return
    visit = visited(page)
    assert visit.page.evaluate("() => document.documentElement.lang") == "zh-CN", page
    body = visit.page.inner_text("main")
    cjk = len(re.findall(r"[\u4e00-\u9fff]", body))
    # the theme's own words (previous, next, search) alone are a few dozen characters;
    # the bibliography is mostly its English references
    assert cjk > 0.2 * len(re.findall(r"[A-Za-z]", body)) or cjk > 60, (
        f"{page}: the page reads in English ({cjk} Chinese characters)")


def test_chinese_search_finds_terms(site, open_page):
    for term, expected in (("学习率", "05_scheduling"), ("鞍点", "01_critical_points")):
        visit = open_page(f"{CHINESE}/search.html?q={term}")
        visit.page.wait_for_selector("ul.search li a", timeout=15_000)
        hits = visit.page.eval_on_selector_all("ul.search li a", "as => as.map(a => a.href)")
        assert any(expected in href for href in hits), f"search for {term} found {hits}"
        assert not visit.errors, "\n".join(visit.errors)


def test_chinese_binder_buttons_open_the_same_notebooks(site):
    for page in [p for p in toc_pages(site) if is_chinese(p) and "/0" in p]:
        chinese = re.findall(r'href="(https://mybinder[^"]*)"',
                             (site / page_path(page)).read_text(encoding="utf8"))
        english = re.findall(r'href="(https://mybinder[^"]*)"',
                             (site / page_path(page.removeprefix(f"{CHINESE}/")))
                             .read_text(encoding="utf8"))
        assert chinese and chinese == english, f"{page}: Binder links {chinese} vs {english}"


def test_solutions_are_collapsed_until_clicked(site, visited):
    """Every solution of both editions is folded. Every English one opens on a click; in
    the Chinese edition, built by the same extension from the same cells, the first of
    each page (a click re-lays out a page of 20,000 pixels: 0.4 CPU-s each)."""
    pages = pages_containing(site, 'class="solution')
    assert pages, "no exercise solution anywhere in the book"
    for page in pages:
        solutions = visited(page).page.locator(".solution.dropdown, details.solution")
        assert solutions.count(), f"{page}: its solutions are not dropdowns"
        for i in range(solutions.count()):
            solution = solutions.nth(i)
            details = solution.evaluate("e => e.tagName") == "DETAILS"
            body = solution.locator(":scope > :not(.admonition-title)").first
            closed = not solution.evaluate("e => e.open") if details else not body.is_visible()
            assert closed, f"{page}: solution {i} is open before a click"
            if is_chinese(page) and i:
                continue
            if details:
                solution.locator("summary").click()
                assert solution.evaluate("e => e.open"), f"{page}: solution {i} did not open"
            else:
                solution.locator(".toggle-button").click()
                body.wait_for(state="visible", timeout=3_000)


def test_the_book_has_a_scrubbable_figure(site):
    assert pages_containing(site, SCRUBBER), (
        "no chapter shows a scrubbable figure (lrcourse.interactive.explore / race)")


def test_scrubbers_respond_to_their_slider(site, visited):
    for page in pages_containing(site, SCRUBBER):
        visit = visited(page)
        figures = visit.page.locator("figure.lrcourse-scrubber")
        assert figures.count(), f"{page}: scrubbable figure in the HTML but not in the page"
        for i in range(figures.count()):
            figure = figures.nth(i)
            assert figure.get_attribute("aria-label"), f"{page}: figure {i} has no label"
            slider = figure.locator("input[type=range]")
            assert slider.get_attribute("aria-label"), f"{page}: slider {i} has no label"
            before = figure.locator("svg").inner_html(), figure.locator("figcaption").inner_text()
            assert before[0], f"{page}: figure {i} drew nothing"
            value, top = int(slider.input_value()), int(slider.get_attribute("max"))
            slider.fill(str(0 if value == top else top))
            after = figure.locator("svg").inner_html(), figure.locator("figcaption").inner_text()
            assert after[0] != before[0], f"{page}: figure {i} did not change with its slider"
            assert after[1] != before[1], f"{page}: figure {i}'s caption did not change"
        assert not visit.errors, f"{page}: " + "\n".join(visit.errors)
