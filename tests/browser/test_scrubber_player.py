"""The scrubber's player (``lrcourse/figures/scrubber.js``) in Chromium, without the website.

A small race is rendered to its HTML fragment and opened on its own; the SVG the player
draws is read back and compared with the frame data the fragment carries (which
``tests/test_scrubber.py`` checks against a hand-written run). An arrow head in another
colour, a tip off the arrow's end, a path that stops short, a slider or play button that
does nothing: each fails here.
"""

import json
import re

import pytest

from lrcourse import SGD, Adagrad, problems
from lrcourse.figures.scrubber import race_scrubber, value_scrubber

TOL = 0.05  # pixels: the player writes the frame data's numbers as they are


def _frame_data(html):
    block = re.search(r'<script type="application/json">(.*?)</script>', html, re.S)
    return json.loads(block.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def race_page(browser):
    ravine = problems.ravine(condition=20)
    html = race_scrubber({"SGD": SGD(lr=1.5), "Adagrad": Adagrad(lr=1.0)}, ravine, steps=20,
                         frames=20).html
    tab = browser.new_page(viewport={"width": 900, "height": 600})
    errors = []
    tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.set_content(f"<!DOCTYPE html><html><body>{html}</body></html>")
    yield tab, _frame_data(html), errors
    tab.close()


def _drawn(tab):
    """The player's SVG layer, element by element, with its attributes."""
    return tab.evaluate("""() => Array.from(
        document.querySelectorAll('figure.lrcourse-scrubber svg > g > *')).map(e => ({
            tag: e.tagName, text: e.textContent,
            attrs: Object.fromEntries(Array.from(e.attributes).map(a => [a.name, a.value]))}))""")


def _numbers(text):
    return [float(v) for v in re.split(r"[ ,]+", text.strip())]


def _show(tab, k):
    tab.locator("figure.lrcourse-scrubber input[type=range]").fill(str(k))


def test_player_draws_each_item_of_the_frame(race_page):
    tab, data, errors = race_page
    for k in (0, 5, len(data["frames"]) - 1):
        _show(tab, k)
        drawn, frame = _drawn(tab), data["frames"][k]
        by_tag = {}
        for element in drawn:
            by_tag.setdefault(element["tag"], []).append(element["attrs"])
        arrows = [i[1:] for i in frame["items"] if i[0] == "arrow"]
        assert len(by_tag.get("polygon", [])) == len(arrows) == len(by_tag.get("line", []))
        for (x0, y0, x1, y1, colour, width), shaft, head in zip(arrows, by_tag["line"],
                                                                by_tag["polygon"]):
            assert shaft["stroke"] == colour and head["fill"] == colour  # one colour per arrow
            assert float(shaft["stroke-width"]) == width
            assert _numbers(f"{shaft['x1']} {shaft['y1']}") == pytest.approx([x0, y0], abs=TOL)
            tip = _numbers(head["points"])[:2]
            assert tip == pytest.approx([x1, y1], abs=TOL)  # the head ends the arrow
        dots = [i[1:] for i in frame["items"] if i[0] == "dot"]
        for (x, y, colour, _), circle in zip(dots, by_tag["circle"]):
            assert float(circle["cx"]) == pytest.approx(x, abs=TOL)
            assert float(circle["cy"]) == pytest.approx(y, abs=TOL)
            assert circle["fill"] == colour
        lines = [i[1:] for i in frame["items"] if i[0] == "line"]
        for (series, count, colour, width, _clip), polyline in zip(lines, by_tag["polyline"]):
            points = _numbers(polyline["points"])
            expected = data["series"][series][:2 * count]
            assert points == pytest.approx(expected, abs=TOL)
            assert polyline["stroke"] == colour and float(polyline["stroke-width"]) == width
        rects = [i[1:] for i in frame["items"] if i[0] == "rect"]
        bars = [r for r in by_tag.get("rect", []) if "fill-opacity" not in r]
        assert len(bars) == len(rects)
        for (x, y, w, h, colour), bar in zip(rects, bars):
            assert _numbers(" ".join(bar[a] for a in ("x", "y", "width", "height"))) == \
                pytest.approx([x, y, w, h], abs=TOL)
            assert bar["fill"] == colour
        words = [i[3] for i in frame["items"] if i[0] == "text"]
        assert [e["text"] for e in drawn if e["tag"] == "text"] == words
        caption = tab.locator("figure.lrcourse-scrubber figcaption").inner_text()
        assert caption == frame["label"]
    assert not errors, errors


def test_player_says_a_divergence_in_red_on_the_figure(race_page):
    tab, data, errors = race_page
    last = len(data["frames"]) - 1
    _show(tab, last)
    said = [e for e in _drawn(tab) if e["tag"] == "text" and "diverged at step" in e["text"]]
    assert said, "the last frame does not say that SGD diverged"
    assert said[0]["attrs"]["fill"].lower() not in ("black", "#000000")
    assert not errors, errors


def test_play_button_steps_through_and_stops(race_page):
    tab, data, errors = race_page
    _show(tab, 0)
    button = tab.locator("figure.lrcourse-scrubber button")
    slider = tab.locator("figure.lrcourse-scrubber input[type=range]")
    button.click()
    assert button.get_attribute("aria-label") == "pause"
    tab.wait_for_function(
        "() => +document.querySelector('figure.lrcourse-scrubber input').value >= 2",
        timeout=5_000)
    button.click()
    assert button.get_attribute("aria-label") == "play"
    stopped = int(slider.input_value())
    tab.wait_for_timeout(400)
    assert int(slider.input_value()) == stopped
    caption = tab.locator("figure.lrcourse-scrubber figcaption").inner_text()
    assert caption == data["frames"][stopped]["label"]
    assert not errors, errors


def test_two_figures_on_one_page_keep_their_own_frames(browser):
    ravine = problems.ravine(condition=20)
    first = value_scrubber(lambda lr: SGD(lr=lr), ravine, [0.1, 0.5], steps=10).html
    second = value_scrubber(lambda lr: Adagrad(lr=lr), ravine, [0.5, 2.0], steps=10).html
    tab = browser.new_page()
    try:
        tab.set_content(f"<!DOCTYPE html><html><body>{first}{second}</body></html>")
        captions = tab.locator("figure.lrcourse-scrubber figcaption")
        assert "SGD" in captions.nth(0).inner_text()
        tab.locator("figure.lrcourse-scrubber input").nth(1).fill("1")
        assert captions.nth(1).inner_text().startswith("lr = 2")
        assert captions.nth(0).inner_text().startswith("lr = 0.1")
    finally:
        tab.close()
