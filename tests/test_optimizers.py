"""The optimizers, each checked against a hand-written loop of its formula."""

import numpy as np
import pytest

import lrcourse


def lecture_rmsprop_loop(x0, grads, lr, alpha, eps):
    """The lecture's formula, written out: sigma_0 = |g_0|, then the weighted root."""
    x, sigma = np.array(x0, dtype=float), None
    xs = [x]
    for g in grads:
        sigma = np.sqrt(g**2) if sigma is None else np.sqrt(alpha * sigma**2 + (1 - alpha) * g**2)
        x = x - lr / (sigma + eps) * g
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9, 0.99])
def test_rmsprop_lecture_is_the_lecture_formula(alpha):
    rng = np.random.default_rng(5)
    grads = rng.standard_normal((60, 4)) * 10.0 ** rng.uniform(-3, 2, size=(60, 4))
    x0 = rng.standard_normal(4)
    opt = lrcourse.RMSpropLecture(lr=0.05, alpha=alpha, eps=1e-8)
    xs = [x0]
    for g in grads:
        xs.append(opt.step(xs[-1], g))
    np.testing.assert_allclose(xs, lecture_rmsprop_loop(x0, grads, 0.05, alpha, 1e-8),
                               rtol=1e-12, atol=1e-15)


def test_rmsprop_lecture_first_step_is_lr_while_torch_form_is_ten_times_larger():
    g = np.array([3.0, -1e-3])
    lecture = lrcourse.RMSpropLecture(lr=0.1, alpha=0.99).step(np.zeros(2), g)
    torch_form = lrcourse.RMSprop(lr=0.1, alpha=0.99).step(np.zeros(2), g)
    np.testing.assert_allclose(lecture, -0.1 * np.sign(g), rtol=1e-5)
    np.testing.assert_allclose(torch_form, -0.1 / np.sqrt(0.01) * np.sign(g), rtol=1e-4)
