"""The interactive figures: live widgets (no frontend needed) and static scrubbers."""

import json
import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from lrcourse import SGD, Adagrad, Adam, problems, run  # noqa: E402
from lrcourse.figures.scrubber import race_scrubber, step_scrubber, value_scrubber  # noqa: E402
from lrcourse.figures.views import ARROW_FRACTION, PathView, RaceView, record_race  # noqa: E402

RAVINE = problems.ravine(condition=20)  # curvatures 0.1 and 2: SGD is stable for lr < 1


def _data(scrubber):
    block = re.search(r'<script type="application/json">(.*?)</script>', scrubber.html, re.S)
    return json.loads(block.group(1).replace("<\\/", "</"))


def test_value_scrubber_says_which_learning_rates_diverge():
    lrs = np.array([0.1, 0.5, 0.9, 1.1, 1.5])
    frames = _data(value_scrubber(lambda lr: SGD(lr=lr), RAVINE, lrs, steps=200))["frames"]
    for lr, frame in zip(lrs, frames):
        said = "diverged at step" in frame["label"]
        assert said == (lr > 2 / 2.0), (lr, frame["label"])  # the limit 2 / h2
        texts = [item[3] for item in frame["items"] if item[0] == "text"]
        assert any("diverged at step" in t for t in texts) == said  # on the figure too


def test_scrubber_is_self_contained_light_and_labelled():
    scrubber = value_scrubber(lambda lr: Adagrad(lr=lr), RAVINE, np.geomspace(0.1, 10, 16))
    assert 'class="lrcourse-scrubber"' in scrubber.html
    urls = re.findall(r'(?:src|href)="([^"]*)"', scrubber.html)
    assert urls and all(u.startswith("data:") for u in urls)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", scrubber.html)
    assert len(scrubber) < 500_000
    alt = re.search(r'<img [^>]*alt="([^"]+)"', scrubber.html).group(1)
    assert "ravine" in alt and "Adagrad" in alt
    data = _data(scrubber)
    assert len(data["frames"]) == 16
    for frame in data["frames"]:
        for item in frame["items"]:
            if item[0] == "line":
                assert 0 <= item[1] < len(data["series"])
                assert all(np.isfinite(data["series"][item[1]]))


def test_step_scrubber_prefixes_grow_with_the_step():
    runs = [run(Adagrad(lr=1.0), RAVINE, steps=100), run(SGD(lr=0.5), RAVINE, steps=100)]
    frames = _data(step_scrubber(runs, RAVINE, frames=11))["frames"]
    counts = [[item[2] for item in f["items"] if item[0] == "line"] for f in frames]
    assert np.all(np.diff(np.array(counts), axis=0) >= 0)
    assert frames[0]["value"] == "step 0" and frames[-1]["value"] == "step 100"


def test_path_view_reports_divergence_and_draws_only_finite_points():
    diverged = run(SGD(lr=1.5), RAVINE, steps=100)
    assert diverged.diverged
    view = PathView(RAVINE, ["SGD"], 100).show([diverged])
    assert f"diverged at step {diverged.diverged_at}" in view.text.get_text()
    assert np.all(np.isfinite(view.paths[0].get_xydata()))
    assert view.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_race_records_what_each_step_used():
    steps, lr, (b1, b2), eps = 20, 0.3, (0.9, 0.999), 1e-8
    races = record_race({"SGD": SGD(lr=0.1), "Adam": Adam(lr=lr)}, RAVINE, steps)
    sgd = races["SGD"]
    assert np.allclose(sgd.directions, sgd.grads)
    assert np.allclose(np.diff(sgd.trajectory.params, axis=0), -0.1 * sgd.grads)
    # Adam's direction is the bias-corrected first moment: a hand-written recursion
    adam, m, v, x = races["Adam"], np.zeros(2), np.zeros(2), RAVINE.start.copy()
    for t in range(1, steps + 1):
        g = RAVINE.grad(x)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        assert np.allclose(adam.directions[t - 1], m / (1 - b1**t))
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        assert np.allclose(adam.trajectory.params[t], x)


def test_race_arrows_have_one_length_on_screen():
    view = RaceView(RAVINE, record_race({"SGD": SGD(lr=0.1), "Adagrad": Adagrad(lr=1.0)},
                                        RAVINE, 10))
    start, ends = view.arrow_ends("Adagrad", 3)
    for end in ends.values():
        a, b = view.to_pixels(view.ax, [start, end])
        assert np.hypot(*(b - a)) == pytest.approx(ARROW_FRACTION * view.ax.bbox.width)
    frames = _data(race_scrubber({"SGD": SGD(lr=0.1)}, RAVINE, steps=10))["frames"]
    assert len(frames) == 10 and all("η/σ" in f["label"] for f in frames)


def test_live_explorer_draws_when_shown_and_survives_bad_values():
    pytest.importorskip("ipywidgets")
    from lrcourse.figures.interactive import LogRange, Range, explore, explorer

    box = explorer(lambda lr, beta2: Adam(lr=lr, betas=(0.9, beta2)), RAVINE,
                   {"lr": LogRange(1e-3, 1.0, 0.1), "beta2": Range(0.5, 1.0, 0.999)}, steps=50)
    image = box.children[1]
    assert image.value == b""  # no frontend yet: nothing drawn into the widget state
    box.keep[0].value = 1  # what a frontend's jslink does when it shows the widget
    first = image.value
    assert first[:4] == b"\x89PNG"
    beta2 = box.children[0].children[0].children[1]
    beta2.value = 1.0  # Adam rejects it: the figure shows the message instead
    assert image.value != first and image.value[:4] == b"\x89PNG"

    bundle = explore(lambda lr: Adagrad(lr=lr), RAVINE, {"lr": LogRange(0.1, 10, 1.0)},
                     steps=50, frames=4)._repr_mimebundle_()
    assert {"text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)


def test_schedule_choices_peak_at_lr_after_the_warmup():
    from lrcourse.figures.interactive import SCHEDULES, Choice, Range

    for name, factory in SCHEDULES.items():
        for warmup in (0, 10):
            schedule = factory(0.3, 200, warmup)
            peak = warmup - 1 if name == "inverse sqrt" and warmup else warmup
            assert schedule(peak) == pytest.approx(0.3), (name, warmup)
            assert max(schedule(t) for t in range(200)) == pytest.approx(0.3), (name, warmup)
            if warmup:
                assert schedule(0) < 0.1, (name, warmup)  # it starts low
    assert Choice(SCHEDULES).value == "constant"
    assert list(Range(0, 100, 10, 1).values(5)) == [0, 25, 50, 75, 100]
    with pytest.raises(ValueError, match="must be one of"):
        Choice(["a", "b"], "c")
