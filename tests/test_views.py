"""The interactive figures' canvas (``lrcourse.figures.views``), read back from its artists.

Every number a figure shows is compared with a hand-written optimizer loop on the
ravine, whose gradient is known in closed form; colours with the Okabe-Ito palette;
sizes with bounds a reader would notice breaking. Tolerances are relative (1e-9 for
values, 1e-6 for directions), so no digit depends on the BLAS kernel.
"""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import SGD, Adagrad, Adam, problems, run  # noqa: E402
from lrcourse.figures.views import PathView, RaceView, record_race  # noqa: E402

H = np.array([0.1, 2.0])  # the ravine's curvatures: L(w) = (h1 w1^2 + h2 w2^2) / 2
START = np.array([-10.0, 3.0])
RAVINE = problems.ravine(condition=20)
BLACK, ORANGE, BLUE, GREEN = "#000000", "#E69F00", "#0072B2", "#009E73"  # Okabe-Ito


def hand(kind, lr, steps, x0=START):
    """A hand-written run on the ravine (torch.optim's formulas, full-batch gradients).

    Returns points, gradients, directions m_t, step sizes eta/sigma and the step at which
    the loss passed 1e8 * (first loss + 1) (the runner's documented rule), or None.
    """
    x = np.array(x0, dtype=float)
    points, grads, dirs, sizes = [x], [], [], []
    m, v, total = np.zeros(2), np.zeros(2), np.zeros(2)
    limit = 1e8 * (0.5 * (x * x) @ H + 1)
    for t in range(1, steps + 1):
        g = H * x
        if kind == "SGD":
            d, size = g, np.full(2, lr)
        elif kind == "Adagrad":
            total = total + g * g
            d, size = g, lr / (np.sqrt(total) + 1e-10)
        else:  # Adam, betas (0.9, 0.999), eps 1e-8
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            d, size = m / (1 - 0.9**t), lr / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        x = x - size * d
        grads.append(g), dirs.append(d), sizes.append(size)
        if not 0.5 * (x * x) @ H <= limit:
            return np.array(points), np.array(grads), np.array(dirs), np.array(sizes), t
        points.append(x)
    return np.array(points), np.array(grads), np.array(dirs), np.array(sizes), None


def hex_of(c):
    return mcolors.to_hex(c, keep_alpha=False).upper()


def is_red(c):
    r, g, b = mcolors.to_rgb(c)
    return r > 0.5 and g < 0.3 and b < 0.3


def parallel(u, v):
    u, v = np.asarray(u, float), np.asarray(v, float)
    return u @ v / (np.linalg.norm(u) * np.linalg.norm(v)) > 1 - 1e-6


def pixel_colour_near(view, ax, xy, radius=1):
    """The colours of the rendered figure within ``radius`` pixels of data point ``xy``."""
    x, y = view.to_pixels(ax, xy)[0].round().astype(int)
    patch = view.rgb()[y - radius:y + radius + 1, x - radius:x + radius + 1]
    return {mcolors.to_hex(p / 255).upper() for p in patch.reshape(-1, 3)}


# ------------------------------------------------------------------ PathView


def test_path_view_draws_the_path_and_loss_gap_of_the_run():
    points, *_ = hand("SGD", 0.5, 40)
    view = PathView(RAVINE, ["SGD"], 40).show([run(SGD(lr=0.5), RAVINE, steps=40)])
    path, head, (curve,) = view.paths[0], view.heads[0], view.curves[0]
    assert np.allclose(path.get_xydata(), points, rtol=1e-9, atol=1e-12)
    assert np.allclose(head.get_xydata(), points[-1:], rtol=1e-9, atol=1e-12)
    gap = 0.5 * (points * points) @ H
    assert np.array_equal(curve.get_xdata(), np.arange(41))
    assert np.allclose(curve.get_ydata(), np.maximum(gap, view.floor), rtol=1e-9)
    for artist in (path, head, curve):
        assert hex_of(artist.get_color()) == BLACK
    # what was drawn is in the picture: the head's pixel has SGD's colour
    assert BLACK in pixel_colour_near(view, view.ax, points[-1])
    said = re.search(r"SGD: loss gap (\S+) after 40 steps", view.text.get_text())
    assert said and float(said.group(1)) == pytest.approx(gap[-1], rel=0.05)
    assert not is_red(view.text.get_color())


def test_the_loss_panel_shows_the_gap_to_the_minimum_loss():
    """On least squares the minimum loss is not 0: the panel must subtract it."""
    problem = problems.linear_regression()
    X, y = problem.info["X"], problem.info["y"]
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    lowest = np.mean((X @ best - y) ** 2)
    theta, gaps = np.array(problem.start, dtype=float), []
    for _ in range(21):  # gradient descent written out: grad = 2/n X^T (X theta - y)
        gaps.append(np.mean((X @ theta - y) ** 2) - lowest)
        theta = theta - 0.1 * 2 / len(y) * X.T @ (X @ theta - y)
    view = PathView(problem, ["SGD"], 20).show([run(SGD(lr=0.1), problem, steps=20)])
    assert lowest > 0.5  # the noise: a panel showing the loss itself would be off by this
    assert np.allclose(view.curves[0][0].get_ydata(), gaps, rtol=1e-6)


def test_path_view_shows_a_prefix_up_to_a_step():
    points, *_ = hand("Adagrad", 1.0, 30)
    view = PathView(RAVINE, ["Adagrad"], 30).show([run(Adagrad(lr=1.0), RAVINE, steps=30)],
                                                  upto=12)
    assert np.allclose(view.paths[0].get_xydata(), points[:13], rtol=1e-9)
    assert np.allclose(view.heads[0].get_xydata(), points[12:13], rtol=1e-9)
    assert np.array_equal(view.curves[0][0].get_xdata(), np.arange(13))
    assert hex_of(view.paths[0].get_color()) == ORANGE


def test_path_view_axes_are_labelled_log_scaled_and_span_the_window():
    view = PathView(RAVINE, ["SGD", "Adam"], 50)
    assert view.ax.get_xlabel() == "$w_1$" and view.ax.get_ylabel() == "$w_2$"
    assert view.ax_right.get_yscale() == "log"
    assert "step" in view.ax_right.get_xlabel() and "loss gap" in view.ax_right.get_ylabel()
    assert view.ax_right.get_xlim() == pytest.approx((0, 50))
    # the loss axis: from ten times the window's largest loss (a corner) down 14 decades
    top = 10 * 0.5 * (np.array([11.0, 4.0]) ** 2) @ H
    low, high = view.ax_right.get_ylim()
    assert high == pytest.approx(top, rel=1e-9) and low == pytest.approx(top * 1e-14, rel=1e-9)
    labels = [t.get_text() for t in view.ax_right.get_legend().get_texts()]
    assert labels == ["SGD", "Adam"]
    assert [hex_of(p.get_color()) for p in view.paths] == [BLACK, BLUE]


def test_path_view_contours_are_log_spaced():
    from matplotlib.contour import ContourSet

    view = PathView(RAVINE, ["SGD"], 10)
    sets = [c for c in view.ax.collections if isinstance(c, ContourSet)]
    assert sets
    for cs in sets:
        ratios = np.asarray(cs.levels[1:]) / np.asarray(cs.levels[:-1])
        assert np.allclose(ratios, ratios[0], rtol=1e-6) and ratios[0] > 1.2


def test_path_view_reports_divergence_in_red_and_draws_only_finite_points():
    points, *_, diverged_at = hand("SGD", 1.5, 100)
    assert diverged_at is not None
    view = PathView(RAVINE, ["SGD"], 100).show([run(SGD(lr=1.5), RAVINE, steps=100)])
    assert f"SGD: diverged at step {diverged_at}" in view.text.get_text()
    assert is_red(view.text.get_color())
    xy = view.paths[0].get_xydata()
    assert np.all(np.isfinite(xy)) and np.allclose(xy, points, rtol=1e-9)
    assert np.all(np.isfinite(view.curves[0][0].get_xydata()))


def test_path_view_step_sizes_one_curve_per_parameter():
    _, _, _, sizes, _ = hand("Adagrad", 1.0, 25)
    view = PathView(RAVINE, ["Adagrad"], 25, right="step_size")
    view.show([run(Adagrad(lr=1.0), RAVINE, steps=25)])
    solid, dashed = view.curves[0]
    assert solid.get_linestyle() != dashed.get_linestyle()
    for j, line in enumerate((solid, dashed)):
        assert np.array_equal(line.get_xdata(), np.arange(1, 26))  # size of the step to t
        assert np.allclose(line.get_ydata(), sizes[:, j], rtol=1e-9)
    labels = [t.get_text() for t in view.ax_right.get_legend().get_texts()]
    assert labels == ["Adagrad", "$w_1$", "$w_2$"]
    assert "eta" in view.ax_right.get_ylabel()
    with pytest.raises(ValueError, match="right"):
        PathView(RAVINE, ["SGD"], 10, right="momentum")


def test_path_view_redraws_the_picture():
    view = PathView(RAVINE, ["SGD"], 50)
    first = view.show([run(SGD(lr=0.1), RAVINE, steps=50)]).rgb().copy()
    second = view.show([run(SGD(lr=0.9), RAVINE, steps=50)]).rgb()
    changed = np.any(first != second, axis=-1)
    assert changed.sum() > 200, "the picture did not change with the run"


def test_views_refuse_problems_they_cannot_draw():
    with pytest.raises(ValueError, match="problem must have two parameters"):
        PathView(problems.sparse_regression(), ["SGD"], 10)
    with pytest.raises(ValueError, match="problem must be a problem"):
        record_race({"SGD": SGD(lr=0.1)}, "ravine")
    with pytest.raises(ValueError, match=r"optimizers\['Adam'\] .*class Adam"):
        record_race({"Adam": Adam}, RAVINE)


# ------------------------------------------------------------------ the race


def test_race_records_the_gradient_and_direction_of_each_step():
    races = record_race({"SGD": SGD(lr=0.1), "Adam": Adam(lr=0.3)}, RAVINE, 20)
    for name, lr in (("SGD", 0.1), ("Adam", 0.3)):
        points, grads, dirs, sizes, _ = hand(name, lr, 20)
        race = races[name]
        assert np.allclose(race.trajectory.params, points, rtol=1e-9, atol=1e-12)
        assert np.allclose(race.grads, grads, rtol=1e-9, atol=1e-12)
        assert np.allclose(race.directions, dirs, rtol=1e-9, atol=1e-12)
        assert np.allclose(race.trajectory.step_size, sizes, rtol=1e-9)


@pytest.fixture(scope="module")
def race_view():
    optimizers = {"SGD": SGD(lr=0.1), "Adagrad": Adagrad(lr=1.0), "Adam": Adam(lr=0.5)}
    return RaceView(RAVINE, record_race(optimizers, RAVINE, 20))


def test_race_arrows_point_along_gradient_direction_and_step(race_view):
    t = 4
    race_view.show(t)
    for i, (name, lr) in enumerate((("SGD", 0.1), ("Adagrad", 1.0), ("Adam", 0.5))):
        points, grads, dirs, _, _ = hand(name, lr, 20)
        start, ends = race_view.arrow_ends(name, t)
        assert np.allclose(start, points[t], rtol=1e-9)
        assert parallel(ends["gradient"] - start, -grads[t])
        assert parallel(ends["direction"] - start, -dirs[t])
        assert parallel(ends["step"] - start, points[t + 1] - points[t])  # the step taken
        for kind, arrows in race_view.arrows.items():  # what is drawn is what was computed
            assert np.allclose(arrows[i].xyann, points[t], rtol=1e-9)
            assert np.allclose(arrows[i].xy, ends[kind], rtol=1e-9)


def test_race_arrows_have_one_readable_length(race_view):
    """Three arrows of one length per optimizer: longer than a marker, far shorter than the
    axes (a tenth of their width, give or take a factor of two)."""
    race_view.show(4)
    width = race_view.ax.bbox.width
    for name in race_view.names:
        start, ends = race_view.arrow_ends(name, 4)
        lengths = [np.hypot(*np.diff(race_view.to_pixels(race_view.ax, [start, end]), axis=0)[0])
                   for end in ends.values()]
        assert np.allclose(lengths, lengths[0], rtol=1e-6), (name, lengths)
        assert 0.05 * width < lengths[0] < 0.2 * width, (name, lengths[0], width)


def test_race_arrows_and_heads_in_the_optimizers_colour(race_view):
    race_view.show(4)
    for i, colour in enumerate((BLACK, ORANGE, BLUE)):
        for kind in ("direction", "step"):
            patch = race_view.arrows[kind][i].arrow_patch
            assert hex_of(patch.get_edgecolor()) == colour, (kind, i)
            assert hex_of(patch.get_facecolor()) == colour, (kind, i)  # the head is filled
        gradient = race_view.arrows["gradient"][i].arrow_patch
        grey = hex_of(gradient.get_facecolor())
        assert hex_of(gradient.get_edgecolor()) == grey
        r, g, b = mcolors.to_rgb(grey)
        assert r == g == b and grey not in (BLACK, ORANGE, BLUE)
    thin, thick = (race_view.arrows[k][0].arrow_patch.get_linewidth() for k in ("direction",
                                                                                 "step"))
    assert thick > 1.5 * thin  # the step taken stands out
    labels = [t.get_text() for t in race_view.ax.get_legend().get_texts()]
    assert labels == ["$-g_t$", "$-m_t$", "step taken"]


def test_race_bars_are_each_step_size(race_view):
    t = 7
    race_view.show(t)
    assert race_view.ax_bar.get_yscale() == "log"
    assert "eta" in race_view.ax_bar.get_ylabel()
    names = [x.get_text() for x in race_view.ax_bar.get_legend().get_texts()]
    assert names == ["SGD", "Adagrad", "Adam"]
    for i, (name, lr, colour) in enumerate((("SGD", 0.1, BLACK), ("Adagrad", 1.0, ORANGE),
                                            ("Adam", 0.5, BLUE))):
        _, _, _, sizes, _ = hand(name, lr, 20)
        for j, rect in enumerate(race_view.bars[i].patches):
            assert rect.get_visible()
            assert rect.get_y() + rect.get_height() == pytest.approx(sizes[t, j], rel=1e-9)
            assert hex_of(rect.get_facecolor()) == colour


def test_race_reports_a_diverged_run_and_hides_its_arrows():
    _, _, _, _, diverged_at = hand("SGD", 1.5, 30)
    view = RaceView(RAVINE, record_race({"SGD": SGD(lr=1.5), "Adam": Adam(lr=0.5)}, RAVINE, 30))
    view.show(29)
    assert f"SGD diverged at step {diverged_at}" in view.text.get_text()
    assert is_red(view.text.get_color())
    assert not any(arrows[0].get_visible() for arrows in view.arrows.values())
    assert all(arrows[1].get_visible() for arrows in view.arrows.values())
    assert not any(rect.get_visible() for rect in view.bars[0].patches)
    assert np.all(np.isfinite(view.paths[0].get_xydata()))
    assert f"SGD diverged at step {diverged_at}" in view.caption(29)
    view.show(0)
    assert "diverged" not in view.text.get_text() and not is_red(view.text.get_color())
