"""Golden frame data of the scrubbable figures (``lrcourse.figures.scrubber``).

A scrubber's frames are pixel coordinates in a JSON block. Here they are compared with a
small deterministic run written out by hand, mapped to pixels by the plotting window
alone (a linear map for the contours, a log map for the loss gap): a path, an arrow or a
bar drawn in the wrong place, colour or scale fails. Pixels are rounded to 0.1 in the
figure, so the tolerance is a quarter of a pixel, far above any BLAS difference.
"""

import json
import re
from importlib import resources

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import SGD, Adagrad, problems, run  # noqa: E402
from lrcourse.figures.scrubber import race_scrubber, step_scrubber, value_scrubber  # noqa: E402

H = np.array([0.1, 2.0])  # the ravine's curvatures: L(w) = (h1 w1^2 + h2 w2^2) / 2
RAVINE = problems.ravine(condition=20)
XLIM, YLIM = (-11.0, 11.0), (-4.0, 4.0)
TOL = 0.25  # pixels
BLACK, ORANGE = "#000000", "#E69F00"  # Okabe-Ito: SGD, Adagrad


def hand(kind, lr, steps, x0=(-10.0, 3.0)):
    """SGD or Adagrad (torch's formulas) on the ravine, written out: points, gradients,
    step sizes and the step at which the loss passed 1e8 * (first loss + 1), or None."""
    x = np.array(x0)
    points, grads, sizes, total = [x], [], [], np.zeros(2)
    limit = 1e8 * (0.5 * (x * x) @ H + 1)
    for t in range(1, steps + 1):
        g = H * x
        total = total + g * g
        size = np.full(2, lr) if kind == "SGD" else lr / (np.sqrt(total) + 1e-10)
        x = x - size * g
        grads.append(g), sizes.append(size)
        if not 0.5 * (x * x) @ H <= limit:
            return np.array(points), np.array(grads), np.array(sizes), t
        points.append(x)
    return np.array(points), np.array(grads), np.array(sizes), None


def frame_data(scrubber):
    block = re.search(r'<script type="application/json">(.*?)</script>', scrubber.html, re.S)
    return json.loads(block.group(1).replace("<\\/", "</"))


def contour_pixels(box, w):
    """Parameters to pixels of the contour panel ``box = (x, y, width, height)``."""
    x, y, width, height = box
    w = np.atleast_2d(w)
    return np.c_[x + (w[:, 0] - XLIM[0]) / (XLIM[1] - XLIM[0]) * width,
                 y + height - (w[:, 1] - YLIM[0]) / (YLIM[1] - YLIM[0]) * height]


def gap_pixels(box, t, gap, steps, floor, top):
    """(step, loss gap) to pixels of the right panel: linear in t, logarithmic in the gap."""
    x, y, width, height = box
    up = (np.log10(np.maximum(gap, floor)) - np.log10(floor)) / (np.log10(top) - np.log10(floor))
    return np.c_[x + np.asarray(t) / steps * width, y + height - up * height]


def series_points(data, index):
    return np.array(data["series"][index]).reshape(-1, 2)


def on_polyline(kept, reference):
    """Each kept point is one of the reference points (thinning only drops points).

    Far outside the picture (a diverging path) a pixel is only good to about 1e-5 of itself.
    """
    dist = np.linalg.norm(kept[:, None, :] - reference[None, :, :], axis=-1)
    return np.all(dist.min(axis=1) < TOL + 1e-5 * np.abs(kept).max(axis=1))


def items(frame, kind):
    return [item[1:] for item in frame["items"] if item[0] == kind]


def is_red(colour):
    r, g, b = mcolors.to_rgb(colour)
    return r > 0.5 and g < 0.3 and b < 0.3


# ------------------------------------------------------------------ one optimizer, many lrs


@pytest.fixture(scope="module")
def sgd_frames():
    lrs = [0.1, 0.5, 1.5]
    return lrs, frame_data(value_scrubber(lambda lr: SGD(lr=lr), RAVINE, lrs, steps=30))


def test_value_frames_put_the_path_where_the_hand_run_went(sgd_frames):
    lrs, data = sgd_frames
    box = data["clips"][0]
    assert 0 < box[2] < 768 and 0 < box[3] < 317  # inside the 768 x 317 picture
    for lr, frame in zip(lrs, data["frames"]):
        points, *_ = hand("SGD", lr, 30)
        expected = contour_pixels(box, points)
        path, dot = items(frame, "line")[0], items(frame, "dot")[0]
        index, count, colour, _, clip, _, end = path
        drawn = series_points(data, index)[:count]
        assert np.allclose(drawn[0], expected[0], atol=TOL)  # from the start
        assert on_polyline(drawn, expected), lr
        assert np.allclose(end, expected[-1], atol=TOL), lr  # to the last point
        assert np.allclose(dot[:2], expected[-1], atol=TOL), lr
        assert colour.upper() == BLACK and dot[2].upper() == BLACK and clip == 0


def test_value_frames_draw_the_loss_gap_on_a_log_axis(sgd_frames):
    lrs, data = sgd_frames
    box = data["clips"][1]
    top = 10 * 0.5 * (np.array([11.0, 4.0]) ** 2) @ H  # ten times the window's worst loss
    floor = top * 1e-14
    for lr, frame in zip(lrs, data["frames"]):
        points, *_ = hand("SGD", lr, 30)
        gap = 0.5 * (points * points) @ H
        expected = gap_pixels(box, np.arange(len(gap)), gap, 30, floor, top)
        index, count, colour, _, clip, dash, end = items(frame, "line")[1]
        assert clip == 1 and colour.upper() == BLACK and dash is None
        assert on_polyline(series_points(data, index)[:count], expected), lr
        assert np.allclose(end, expected[-1], atol=TOL), lr


def test_value_frames_say_what_happened(sgd_frames):
    lrs, data = sgd_frames
    for lr, frame in zip(lrs, data["frames"]):
        points, _, _, diverged_at = hand("SGD", lr, 30)
        (x, y, words, colour), = items(frame, "text")
        assert frame["value"] == f"lr = {lr:.3g}" and frame["label"].startswith(frame["value"])
        if diverged_at is None:
            said = re.search(r"SGD: loss gap (\S+) after 30 steps", words)
            gap = 0.5 * points[-1] @ (H * points[-1])
            assert said and float(said.group(1)) == pytest.approx(gap, rel=0.05), words
            assert not is_red(colour)
        else:
            assert words == f"SGD: diverged at step {diverged_at}" and is_red(colour)
            assert words in frame["label"]
    assert [frame_has_diverged(f) for f in data["frames"]] == [False, False, True]
    flat = json.dumps(data)
    assert "NaN" not in flat and "Infinity" not in flat  # never plotted as NaN


def frame_has_diverged(frame):
    return "diverged" in frame["label"]


def test_value_scrubber_starts_at_the_closest_value_and_labels_its_slider():
    scrubber = value_scrubber(lambda lr: SGD(lr=lr), RAVINE, [0.01, 0.1, 1.0], steps=5,
                              start=0.12)
    assert re.search(r'<input type="range" min="0" max="2" value="1"', scrubber.html)
    assert 'aria-label="lr"' in scrubber.html


# ------------------------------------------------------------------ replay of finished runs


def test_step_frames_show_each_run_up_to_the_step():
    runs = [run(SGD(lr=0.5), RAVINE, steps=20), run(Adagrad(lr=1.0), RAVINE, steps=20)]
    data = frame_data(step_scrubber(runs, RAVINE, frames=5))
    box = data["clips"][0]
    assert [f["value"] for f in data["frames"]] == ["step 0", "step 5", "step 10", "step 15",
                                                    "step 20"]
    for frame in data["frames"]:
        k = int(frame["value"].split()[1])
        paths = items(frame, "line")[::2]
        dots = items(frame, "dot")
        for (kind, lr, colour), path, dot in zip((("SGD", 0.5, BLACK), ("Adagrad", 1.0, ORANGE)),
                                                 paths, dots):
            expected = contour_pixels(box, hand(kind, lr, 20)[0])
            drawn = series_points(data, path[0])[:path[1]]
            assert on_polyline(drawn, expected[:k + 1]), (kind, k)
            assert np.allclose(path[6], expected[k], atol=TOL), (kind, k)
            assert np.allclose(dot[:2], expected[k], atol=TOL), (kind, k)
            assert path[2].upper() == colour and dot[2].upper() == colour


# ------------------------------------------------------------------ the race


@pytest.fixture(scope="module")
def race_frames():
    data = frame_data(race_scrubber({"SGD": SGD(lr=0.1), "Adagrad": Adagrad(lr=1.0)}, RAVINE,
                                    steps=12, frames=12))
    return data, {"SGD": hand("SGD", 0.1, 12), "Adagrad": hand("Adagrad", 1.0, 12)}


def test_race_frames_arrows_start_at_the_point_and_follow_the_step(race_frames):
    data, runs = race_frames
    box = data["clips"][0]
    scale = np.array([box[2] / (XLIM[1] - XLIM[0]), -box[3] / (YLIM[1] - YLIM[0])])
    assert len(data["frames"]) == 12
    for t, frame in enumerate(data["frames"]):
        arrows = items(frame, "arrow")
        assert len(arrows) == 6  # three per optimizer
        for i, (name, colour) in enumerate((("SGD", BLACK), ("Adagrad", ORANGE))):
            points, grads, sizes, _ = runs[name]
            start = contour_pixels(box, points[t])[0]
            vectors = {"gradient": -grads[t], "direction": -grads[t],  # both have m_t = g_t
                       "step": points[t + 1] - points[t]}
            for (x0, y0, x1, y1, arrow_colour, _), kind in zip(arrows[3 * i:3 * i + 3],
                                                                   vectors):
                assert np.allclose([x0, y0], start, atol=TOL), (name, t, kind)
                drawn, wanted = np.array([x1 - x0, y1 - y0]), vectors[kind] * scale
                cosine = drawn @ wanted / np.linalg.norm(drawn) / np.linalg.norm(wanted)
                assert cosine > 0.999, (name, t, kind, drawn, wanted)
                length = np.linalg.norm(drawn)
                assert 0.05 * box[2] < length < 0.2 * box[2], (name, t, kind, length)
                if kind == "gradient":
                    r, g, b = mcolors.to_rgb(arrow_colour)
                    assert r == g == b and arrow_colour.upper() not in (BLACK, ORANGE)
                else:
                    assert arrow_colour.upper() == colour, (name, t, kind)
            widths = [arrow[5] for arrow in arrows[3 * i:3 * i + 3]]
            assert widths[2] > 1.5 * widths[1]  # the step taken stands out


def test_race_frames_bars_are_the_step_sizes_on_a_log_scale(race_frames):
    data, runs = race_frames
    for t, frame in enumerate(data["frames"]):
        rects = items(frame, "rect")
        assert [r[4].upper() for r in rects] == [BLACK, BLACK, ORANGE, ORANGE]
        sizes = np.concatenate([runs["SGD"][2][t], runs["Adagrad"][2][t]])
        bottoms = np.array([r[1] + r[3] for r in rects])
        tops = np.array([r[1] for r in rects])
        assert np.allclose(bottoms, bottoms[0], atol=TOL)  # one baseline
        # heights on a log axis: the pixel gap between two bar tops is proportional
        # to the log of their ratio, with one factor for the whole frame
        decades = np.log10(sizes[:, None] / sizes[None, :])
        spread = np.abs(decades) > 0.3
        assert spread.any()
        factors = (tops[None, :] - tops[:, None])[spread] / decades[spread]
        # one factor (to the rounding of 0.1 px over at least 0.3 decades), and a decade
        # is tall enough to see: the axis spans a few decades over a couple hundred pixels
        assert np.min(factors) > 20 and np.ptp(factors) < 1.0, (t, factors)
        assert max(r[3] for r in rects) > 30  # the tallest bar is more than a sliver


def test_race_frames_say_the_step_sizes_and_a_divergence():
    data = frame_data(race_scrubber({"SGD": SGD(lr=1.5), "Adagrad": Adagrad(lr=1.0)}, RAVINE,
                                    steps=30, frames=30))
    _, _, sizes, diverged_at = hand("SGD", 1.5, 30)
    _, _, adagrad_sizes, _ = hand("Adagrad", 1.0, 30)
    assert diverged_at is not None
    for t, frame in enumerate(data["frames"]):
        said = re.search(r"Adagrad η/σ = \((\S+), (\S+)\)", frame["label"])
        assert said and np.allclose([float(said.group(1)), float(said.group(2))],
                                    adagrad_sizes[t], rtol=0.05), frame["label"]
        texts = items(frame, "text")
        if t >= diverged_at - 1:  # no next point: the step that blew up is not drawn
            assert f"SGD diverged at step {diverged_at}" in frame["label"]
            assert any(w == f"SGD diverged at step {diverged_at}" and is_red(c)
                       for _, _, w, c in texts)
            assert len(items(frame, "arrow")) == 3  # only Adagrad's
        else:
            assert "diverged" not in frame["label"] and len(items(frame, "arrow")) == 6
    flat = json.dumps(data)
    assert "NaN" not in flat and "Infinity" not in flat


# ------------------------------------------------------------------ the player


def test_the_player_script_is_the_package_file_inlined():
    script = resources.files("lrcourse.figures").joinpath("scrubber.js").read_text("utf8")
    html = value_scrubber(lambda lr: SGD(lr=lr), RAVINE, [0.1, 0.2], steps=3).html
    assert f"<script>{script}</script>" in html
    assert "</" not in script  # it would close the inline <script> early
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(u.startswith("data:") for u in urls)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_a_figure_of_sixteen_frames_stays_light():
    scrubber = value_scrubber(lambda lr: Adagrad(lr=lr), RAVINE, np.geomspace(0.1, 10, 16))
    assert len(scrubber) < 500_000  # bytes: the website's budget for one figure
    alt = re.search(r'<img [^>]*alt="([^"]+)"', scrubber.html).group(1)
    assert "ravine" in alt and "Adagrad" in alt
