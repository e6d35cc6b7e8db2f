"""The live explorers and races (``lrcourse.figures.interactive``) in a Python process.

A slider is moved as a frontend would move it (setting its value), and the picture and
the data behind it must follow: the new run of a hand-written loop, or "diverged at step
k" in red, or the optimizer's own error message. No frontend is needed; a real
JupyterLab is tested elsewhere.
"""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import SGD, Adagrad, Adam, problems  # noqa: E402

pytest.importorskip("ipywidgets")
PIL = pytest.importorskip("PIL.Image")

from lrcourse.figures.interactive import (  # noqa: E402
    SCHEDULES,
    Choice,
    LogRange,
    Range,
    explore,
    explorer,
    race,
    race_explorer,
)

H = np.array([0.1, 2.0])  # the ravine's curvatures: L(w) = (h1 w1^2 + h2 w2^2) / 2
RAVINE = problems.ravine(condition=20)


def hand_sgd(lr, steps, x0=(-10.0, 3.0)):
    """Gradient descent on the ravine; the step its loss passed 1e8 * (first + 1), or None."""
    x, path = np.array(x0), [np.array(x0)]
    limit = 1e8 * (0.5 * (x * x) @ H + 1)
    for t in range(steps):
        x = x - lr * H * x
        if not 0.5 * (x * x) @ H <= limit:
            return np.array(path), t + 1
        path.append(x)
    return np.array(path), None


def pixels(png):
    return np.asarray(PIL.open(io.BytesIO(png)).convert("RGB")).astype(int)


def is_red(c):
    r, g, b = mcolors.to_rgb(c)
    return r > 0.5 and g < 0.3 and b < 0.3


def shown(box):
    box.keep[0].value = 1  # what a frontend's jslink does when it shows the widget
    return box.children[-1] if len(box.children) == 2 else box.children[1]


# ------------------------------------------------------------------ the explorer


@pytest.fixture
def sgd_explorer():
    return explorer(lambda lr: SGD(lr=lr), RAVINE, {"lr": LogRange(1e-2, 2.0, 0.1)}, steps=60)


def test_explorer_draws_only_when_shown(sgd_explorer):
    image = sgd_explorer.children[1]
    assert image.value == b"" and not sgd_explorer.views  # no frontend: nothing drawn
    shown(sgd_explorer)
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_moving_the_slider_reruns_and_redraws(sgd_explorer):
    image = shown(sgd_explorer)
    slider = sgd_explorer.children[0].children[0].children[0]
    before, picture = image.value, pixels(image.value)
    slider.value = 0.5
    assert image.value != before
    changed = np.any(pixels(image.value) != picture, axis=-1)
    assert changed.sum() > 200, "the picture barely changed"
    view = sgd_explorer.views[0]
    expected, _ = hand_sgd(0.5, 60)
    assert np.allclose(view.paths[0].get_xydata(), expected, rtol=1e-9, atol=1e-12)
    # the start sliders move the path's first point
    start_w1 = sgd_explorer.children[0].children[0].children[1]
    start_w1.value = -6.0
    assert np.allclose(view.paths[0].get_xydata()[0], [-6.0, 3.0])
    assert np.allclose(view.paths[0].get_xydata(), hand_sgd(0.5, 60, (-6.0, 3.0))[0], rtol=1e-9)


def test_a_diverging_setting_is_reported_not_plotted(sgd_explorer):
    image = shown(sgd_explorer)
    slider = sgd_explorer.children[0].children[0].children[0]
    slider.value = 1.5
    _, diverged_at = hand_sgd(1.5, 60)
    view = sgd_explorer.views[0]
    assert f"diverged at step {diverged_at}" in view.text.get_text()
    assert is_red(view.text.get_color())
    for line in view.paths + view.heads + view.curves[0]:
        assert np.all(np.isfinite(line.get_xydata()))
    assert image.value[:4] == b"\x89PNG"
    slider.value = 0.1  # and it recovers
    assert "diverged" not in view.text.get_text() and not is_red(view.text.get_color())


def test_a_rejected_value_shows_the_optimizer_s_message():
    box = explorer(lambda lr, beta2: Adam(lr=lr, betas=(0.9, beta2)), RAVINE,
                   {"lr": LogRange(1e-3, 1.0, 0.1), "beta2": Range(0.5, 1.0, 0.999)}, steps=50)
    image = shown(box)
    first = image.value
    beta2 = box.children[0].children[0].children[1]
    beta2.value = 1.0  # Adam rejects it: the figure shows the message instead
    assert image.value != first and image.value[:4] == b"\x89PNG"
    assert "betas" in box.views[0].text.get_text()
    assert all(len(p.get_xydata()) == 0 for p in box.views[0].paths)


def test_a_schedule_dropdown_redraws():
    box = explorer(lambda lr, schedule: SGD(lr=SCHEDULES[schedule](lr, 60)), RAVINE,
                   {"lr": LogRange(1e-2, 1.0, 0.5), "schedule": Choice(SCHEDULES)}, steps=60)
    image = shown(box)
    before = image.value
    dropdown = box.children[0].children[0].children[1]
    dropdown.value = "cosine"
    assert image.value != before


# ------------------------------------------------------------------ the race


def test_race_step_slider_redraws_picture_and_caption():
    box = race_explorer({"SGD": SGD(lr=0.1), "Adagrad": Adagrad(lr=1.0)}, RAVINE, steps=30)
    image, caption = shown(box), box.children[2]
    step = box.children[0].children[1]
    before, words = pixels(image.value), caption.value
    step.value = 12
    assert np.any(pixels(image.value) != before, axis=-1).sum() > 50
    assert caption.value != words and caption.value.startswith("step 12")
    expected, _ = hand_sgd(0.1, 30)
    assert np.allclose(box.views[0].heads[0].get_xydata(), expected[12:13], rtol=1e-9)


def test_race_reports_a_run_that_diverged():
    box = race_explorer({"SGD": SGD(lr=1.5)}, RAVINE, steps=30)
    _, caption = shown(box), box.children[2]
    _, diverged_at = hand_sgd(1.5, 30)
    box.children[0].children[1].value = 29
    assert f"SGD diverged at step {diverged_at}" in caption.value


# ------------------------------------------------------------------ live or static


def test_explore_and_race_carry_both_the_widget_and_the_static_figure():
    bundle = explore(lambda lr: Adagrad(lr=lr), RAVINE, {"lr": LogRange(0.1, 10, 1.0)},
                     steps=50, frames=4)._repr_mimebundle_()
    assert {"text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)
    assert 'class="lrcourse-scrubber"' in bundle["text/html"]
    bundle = race({"SGD": SGD(lr=0.1)}, RAVINE, steps=10)._repr_mimebundle_()
    assert {"text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)


class CountingSGD(SGD):
    """SGD that counts the steps taken by every instance."""

    steps = 0

    def step(self, params, grad):
        CountingSGD.steps += 1
        return super().step(params, grad)


def test_static_figure_runs_nothing_until_it_is_shown():
    """The static figure runs every frame's optimizer: an output never shown costs nothing."""
    CountingSGD.steps = 0
    explored = explore(lambda lr: CountingSGD(lr=lr), RAVINE, {"lr": LogRange(0.01, 1, 0.1)},
                       steps=20, frames=4)
    raced = race({"SGD": CountingSGD(lr=0.1)}, RAVINE, steps=10)
    assert CountingSGD.steps == 0
    html = explored._repr_mimebundle_()["text/html"]
    assert CountingSGD.steps == 4 * 20 and "lr = 0.01" in html
    assert "SGD" in raced._repr_mimebundle_()["text/html"] and CountingSGD.steps > 4 * 20
    shown = CountingSGD.steps
    assert explored.static is explored.static and CountingSGD.steps == shown  # made once


ADAGRAD = lambda lr: Adagrad(lr=lr)  # noqa: E731
LR = {"lr": LogRange(0.1, 10, 1.0)}


@pytest.mark.parametrize("call, message", [
    (lambda: explore(ADAGRAD, problems.sparse_regression(), LR),
     r"problem must have two parameters.*has 20 parameters"),
    (lambda: explore(ADAGRAD, problems.ravine, LR), r"problem must be a problem.*call it"),
    (lambda: explore(RAVINE, ADAGRAD, LR), r"problem must be a problem"),  # swapped
    (lambda: explore(Adagrad(lr=1.0), RAVINE, LR), r"make_optimizer must be a function"),
    (lambda: explore(ADAGRAD, RAVINE, {"lr": (0.1, 10)}), r"controls\['lr'\] must be a"),
    (lambda: explore(ADAGRAD, RAVINE, [LogRange(0.1, 10, 1.0)]), r"controls must be a dict"),
    (lambda: explore(ADAGRAD, RAVINE, LR, scrub="alpha"), r"scrub must be one of.*'lr'"),
    (lambda: explore(ADAGRAD, RAVINE, LR, steps=0), r"steps must be an integer > 0"),
    (lambda: explore(ADAGRAD, RAVINE, LR, x0=(1.0, 2.0, 3.0)), r"x0 must"),
    (lambda: explore(lambda lr: Adagrad(lr=lr if lr < 5 else -lr), RAVINE, LR),  # a frame
     r"lr must"),
    (lambda: race({"SGD": SGD(lr=0.1)}, RAVINE, x0=(1.0,)), r"x0 must"),
    (lambda: race({"SGD": SGD(lr=0.1)}, RAVINE, frames=0), r"frames must be an integer > 0"),
    (lambda: explorer(ADAGRAD, problems.sparse_regression(), LR), r"two parameters"),
    (lambda: race({"Adam": Adam}, RAVINE), r"optimizers\['Adam'\].*class Adam.*Adam\(lr="),
    (lambda: race([SGD(lr=0.1)], RAVINE), r"optimizers must be a dict"),
    (lambda: race({"SGD": SGD(lr=0.1)}, problems.sparse_regression()), r"two parameters"),
    (lambda: race_explorer({"SGD": "sgd"}, RAVINE), r"optimizers\['SGD'\] must be an optim"),
])
def test_misuse_fails_at_the_call_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ controls and schedules


def test_schedule_choices_warm_up_linearly_to_the_peak():
    lr, steps, warmup = 0.3, 200, 10
    t = np.arange(warmup)
    ramp = lr * (0.01 + 0.99 * t / warmup)  # linear from 1% of the peak (with_warmup)
    for name in ("constant", "step decay", "exponential", "cosine"):
        schedule = SCHEDULES[name](lr, steps, warmup)
        assert np.allclose([schedule(k) for k in t], ramp, rtol=1e-12), name
        assert schedule(warmup) == pytest.approx(lr), name  # the peak, at t = W
        assert max(schedule(k) for k in range(steps)) == pytest.approx(lr), name
        assert SCHEDULES[name](lr, steps)(0) == pytest.approx(lr), name  # 0: no warmup
    cosine = SCHEDULES["cosine"](lr, steps, warmup)
    after = np.arange(warmup, steps)
    assert np.allclose([cosine(k) for k in after],
                       lr / 2 * (1 + np.cos(np.pi * (after - warmup) / (steps - warmup))))
    inverse = SCHEDULES["inverse sqrt"](lr, steps, warmup)
    assert inverse(warmup - 1) == pytest.approx(lr) and inverse(0) < 0.2 * lr


def test_controls():
    assert Choice(SCHEDULES).value == "constant"
    assert list(Range(0, 100, 10, 1).values(5)) == [0, 25, 50, 75, 100]
    assert np.allclose(LogRange(1e-3, 1, 0.1).values(4), [1e-3, 1e-2, 1e-1, 1])
    with pytest.raises(ValueError, match="must be one of"):
        Choice(["a", "b"], "c")
