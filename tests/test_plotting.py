"""The static figures (``lrcourse.figures.plotting``), read back from the drawn artists.

Each test states what a reader must see (which colour, which levels, which labels,
where a path ends) and compares the artists with numbers computed here: closed-form
losses, hand-written optimizer loops, the published Okabe-Ito palette.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import SGD, Adagrad, Adam, problems, run  # noqa: E402
from lrcourse import schedules as sched  # noqa: E402
from lrcourse.figures import plotting as lp  # noqa: E402

H = np.array([0.1, 2.0])  # the ravine's curvatures: L(w) = (h1 w1^2 + h2 w2^2) / 2
RAVINE = problems.ravine(condition=20)
#: Okabe & Ito (2008), "Color Universal Design", plus its grey: the book's palette.
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7", "#999999"}
OPTIMIZERS = ["SGD", "Momentum", "Adagrad", "AdagradMean", "RMSprop", "Adam", "AdamW"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def hand_sgd(lr, steps, x0=(-10.0, 3.0)):
    """Gradient descent on the ravine, and the step at which its loss blew up (or None)."""
    x, path = np.array(x0), [np.array(x0)]
    limit = 1e8 * (0.5 * (x * x) @ H + 1)
    for t in range(steps):
        x = x - lr * H * x
        if not 0.5 * (x * x) @ H <= limit:
            return np.array(path), t + 1
        path.append(x)
    return np.array(path), None


def hex_of(artist_color):
    return mcolors.to_hex(artist_color, keep_alpha=False).upper()


def contour_set(ax):
    """The filled contour set drawn by ``contour`` (the first ContourSet on the axes)."""
    from matplotlib.contour import ContourSet

    sets = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert sets, "no contour set on the axes"
    return sets


# ------------------------------------------------------------------ palette


def test_one_distinct_colour_blind_safe_colour_per_optimizer():
    colours = [lp.color(name).upper() for name in OPTIMIZERS]
    assert len(set(colours)) == len(OPTIMIZERS), dict(zip(OPTIMIZERS, colours))
    assert set(colours) <= OKABE_ITO, dict(zip(OPTIMIZERS, colours))
    assert lp.color("Adam + cosine") == lp.color("Adam")  # a variant keeps its optimizer's
    assert lp.color("AdamW") != lp.color("Adam") and lp.color("AdagradMean") != lp.color("Adagrad")
    # schedules never borrow an optimizer's colour
    assert not {c.upper() for c in lp.SCHEDULE_COLORS} & set(colours)


# ------------------------------------------------------------------ contour


def test_contour_levels_are_log_spaced_over_the_window():
    ax = lp.contour(RAVINE, n=50, levels=30)
    # the loss of a quadratic is largest at a corner of the window (closed form)
    corners = np.array([[x, y] for x in RAVINE.xlim for y in RAVINE.ylim])
    top = float(np.max(0.5 * (corners * corners) @ H))
    for cs in contour_set(ax):
        levels = np.asarray(cs.levels)
        assert len(levels) == 30
        assert levels[-1] == pytest.approx(top, rel=1e-9)
        ratios = levels[1:] / levels[:-1]
        assert np.allclose(ratios, ratios[0], rtol=1e-6), "levels are not geometric"
        # from the grid's lowest loss, but never more than six decades below the top
        w1, w2 = np.linspace(*RAVINE.xlim, 50), np.linspace(*RAVINE.ylim, 50)
        lowest = 0.5 * (H[0] * np.min(w1 * w1) + H[1] * np.min(w2 * w2))
        assert levels[0] == pytest.approx(max(lowest, top * 1e-6), rel=1e-6)
    linear = lp.contour(RAVINE, n=50, levels=30, log=False)
    for cs in contour_set(linear):
        assert np.allclose(np.diff(cs.levels), np.diff(cs.levels)[0], rtol=1e-6)


def test_contour_draws_paths_in_their_colour_to_their_last_point():
    runs = [run(SGD(lr=0.5), RAVINE, steps=40), run(Adagrad(lr=1.0), RAVINE, steps=40)]
    ax = lp.contour(RAVINE, runs, n=40)
    expected, _ = hand_sgd(0.5, 40)
    paths = {line.get_label(): line for line in ax.get_lines()}
    sgd = paths["SGD"]
    assert hex_of(sgd.get_color()) == "#000000"  # Okabe-Ito black for SGD
    assert hex_of(paths["Adagrad"].get_color()) == hex_of(lp.COLORS["Adagrad"])
    assert np.allclose(sgd.get_xydata(), expected, rtol=1e-9, atol=1e-12)
    assert np.allclose(sgd.get_xydata()[-1], expected[-1], atol=1e-12)
    starts = [line for line in ax.get_lines() if len(line.get_xydata()) == 1
              and line.get_marker() == "o"]
    assert len(starts) == 2 and all(np.allclose(s.get_xydata()[0], [-10, 3]) for s in starts)
    star = paths["minimum"]
    assert np.allclose(star.get_xydata(), [[0, 0]]) and star.get_marker() == "*"


def test_contour_axes_are_labelled_and_span_the_window():
    ax = lp.contour(RAVINE, n=30)
    assert ax.get_xlabel() == "$w_1$" and ax.get_ylabel() == "$w_2$"
    assert ax.get_xlim() == pytest.approx((-11, 11)) and ax.get_ylim() == pytest.approx((-4, 4))


def test_contour_legend_names_every_run_and_its_divergence():
    stable = run(SGD(lr=0.5), RAVINE, steps=100)
    adam = run(Adam(lr=0.1), RAVINE, steps=100)
    bursting = run(SGD(lr=1.5), RAVINE, steps=100, name="SGD fast")
    _, diverged_at = hand_sgd(1.5, 100)
    assert diverged_at is not None
    ax = lp.contour(RAVINE, [stable, adam, bursting], n=30)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["SGD", "Adam", f"SGD fast (diverged at step {diverged_at})", "minimum"]
    for line in ax.get_lines():  # nothing non-finite is handed to matplotlib
        assert np.all(np.isfinite(line.get_xydata()))
    (x0, x1), (y0, y1) = RAVINE.xlim, RAVINE.ylim
    burst = [line for line in ax.get_lines() if line.get_label().startswith("SGD fast")][0]
    inside = burst.get_xydata()[:-1]  # drawn until it leaves the window, not beyond
    assert np.all((inside[:, 0] >= x0) & (inside[:, 0] <= x1)
                  & (inside[:, 1] >= y0) & (inside[:, 1] <= y1))


def test_contour_refuses_a_problem_it_cannot_draw():
    with pytest.raises(ValueError, match="problem.*two parameters"):
        lp.contour(problems.sparse_regression())
    with pytest.raises(ValueError, match=r"call it.*problems\.ravine\(\)"):
        lp.contour(problems.ravine)


# ------------------------------------------------------------------ curves


def test_curves_draw_the_recorded_quantity_on_a_log_axis():
    runs = [run(SGD(lr=0.5), RAVINE, steps=30), run(Adagrad(lr=1.0), RAVINE, steps=30)]
    expected, _ = hand_sgd(0.5, 30)
    ax = lp.curves(runs, "loss")
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel() == "loss"
    sgd = ax.get_lines()[0]
    assert hex_of(sgd.get_color()) == "#000000"
    assert np.allclose(sgd.get_ydata(), 0.5 * (expected * expected) @ H, rtol=1e-9)
    assert np.array_equal(sgd.get_xdata(), np.arange(31))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD", "Adagrad"]


def test_step_size_curves_one_style_per_parameter():
    adagrad = run(Adagrad(lr=1.0, eps=1e-10), RAVINE, steps=20)
    x, total, sizes = np.array([-10.0, 3.0]), np.zeros(2), []
    for _ in range(20):  # torch.optim.Adagrad, written out
        g = H * x
        total += g * g
        sizes.append(1.0 / (np.sqrt(total) + 1e-10))
        x = x - sizes[-1] * g
    ax = lp.curves([adagrad], "step_size")
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    for j, line in enumerate(lines):
        assert np.allclose(line.get_ydata(), np.array(sizes)[:, j], rtol=1e-9)
        assert hex_of(line.get_color()) == "#E69F00"  # Okabe-Ito orange for Adagrad
    assert "eta" in ax.get_ylabel() and "sigma" in ax.get_ylabel()
    with pytest.raises(ValueError, match="what"):
        lp.curves([adagrad], "momentum")


def test_schedules_draw_each_rate_in_a_schedule_colour():
    named = {"step": sched.step_lr(0.3, step_size=10, gamma=0.5),
             "cosine": sched.cosine_annealing_lr(0.3, T_max=40)}
    ax = lp.schedules(named, 40)
    t = np.arange(40)
    step, cosine = ax.get_lines()
    assert np.allclose(step.get_ydata(), 0.3 * 0.5 ** (t // 10))
    assert np.allclose(cosine.get_ydata(), 0.15 * (1 + np.cos(np.pi * t / 40)))
    assert {hex_of(step.get_color()), hex_of(cosine.get_color())} <= {
        c.upper() for c in lp.SCHEDULE_COLORS}
    assert step.get_color() != cosine.get_color()
    assert ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["step", "cosine"]
