"""Bad input raises ValueError naming the argument and the allowed range.

A table: each row is something a learner might type and the words the error must say.
"""

import re

import numpy as np
import pytest

import lrcourse
from lrcourse import schedules as S

BAD_OPTIMIZERS = [
    (lambda: lrcourse.SGD(lr=-0.1), "lr must be >= 0"),
    (lambda: lrcourse.Adagrad(lr=-1), "lr must be >= 0"),
    (lambda: lrcourse.AdagradMean(lr=-1), "lr must be >= 0"),
    (lambda: lrcourse.RMSprop(lr=-1e-3), "lr must be >= 0"),
    (lambda: lrcourse.Adam(lr=-1), "lr must be >= 0"),
    (lambda: lrcourse.AdamW(lr=-1), "lr must be >= 0"),
    (lambda: lrcourse.Adam(lr=np.array([[0.1], [-0.1]])), "lr must be >= 0"),
    (lambda: lrcourse.Adam(lr=float("nan")), "lr must be finite"),
    (lambda: lrcourse.Adam(lr="fast"), "lr must be a number"),
    (lambda: lrcourse.Adam(betas=(1.0, 0.999)), "betas[0] must be in [0.0, 1.0)"),
    (lambda: lrcourse.Adam(betas=(-0.1, 0.999)), "betas[0] must be in [0.0, 1.0)"),
    (lambda: lrcourse.Adam(betas=(0.9, 1.0)), "betas[1] must be in [0.0, 1.0)"),
    (lambda: lrcourse.AdamW(betas=(0.9, 1.5)), "betas[1] must be in [0.0, 1.0)"),
    (lambda: lrcourse.Adam(betas=0.9), "betas must be a pair"),
    (lambda: lrcourse.Adam(eps=0.0), "eps must be > 0"),
    (lambda: lrcourse.Adagrad(eps=-1e-10), "eps must be > 0"),
    (lambda: lrcourse.RMSprop(eps=0), "eps must be > 0"),
    (lambda: lrcourse.RMSprop(alpha=1.0), "alpha must be in [0.0, 1.0)"),
    (lambda: lrcourse.RMSprop(alpha=-0.5), "alpha must be in [0.0, 1.0)"),
    (lambda: lrcourse.RMSprop(momentum=-0.9), "momentum must be >= 0"),
    (lambda: lrcourse.SGD(momentum=-0.5), "momentum must be >= 0"),
    (lambda: lrcourse.SGD(momentum=0.9, dampening=-1), "dampening must be >= 0"),
    (lambda: lrcourse.SGD(nesterov=True), "nesterov=True requires momentum > 0"),
    (lambda: lrcourse.SGD(momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
    (lambda: lrcourse.SGD(weight_decay=-1), "weight_decay must be >= 0"),
    (lambda: lrcourse.Adam(weight_decay=-0.1), "weight_decay must be >= 0"),
    (lambda: lrcourse.AdamW(weight_decay=-0.1), "weight_decay must be >= 0"),
    (lambda: lrcourse.Adagrad(lr_decay=-0.1), "lr_decay must be >= 0"),
    (lambda: lrcourse.Adagrad(initial_accumulator_value=-1),
     "initial_accumulator_value must be >= 0"),
    (lambda: lrcourse.RMSpropLecture(alpha=1.0), "alpha must be in [0.0, 1.0)"),
    (lambda: lrcourse.RMSpropLecture(lr=-1), "lr must be >= 0"),
]

# What a learner is likely to type: strings, booleans, classes and factories where a
# number or a schedule belongs, misplaced pairs, flags given as strings.
LIKELY_SLIPS = [
    (lambda: lrcourse.Adam(lr="0.1"), "lr must be a number, got '0.1' (a str)"),
    (lambda: lrcourse.SGD(lr=True), "lr must be a number, got True (a bool)"),
    (lambda: lrcourse.Adam(lr=None), "lr must be a number"),
    (lambda: lrcourse.Adam(lr=[0.1, "0.2"]), "lr must be a number"),
    (lambda: lrcourse.Adam(lr=S.cosine_annealing_lr),
     "calling cosine_annealing_lr(0) failed"),
    (lambda: lrcourse.Adam(lr=S.ReduceLROnPlateau), "got the class ReduceLROnPlateau"),
    (lambda: lrcourse.Adam(lr=lambda t: -0.1), "lr(0) must be >= 0"),
    (lambda: lrcourse.Adam(betas=0.9), "betas must be a pair such as (0.9, 0.999)"),
    (lambda: lrcourse.Adam(betas="0.9, 0.999"), "betas must be a pair"),
    (lambda: lrcourse.Adam(betas=(0.9, 0.999, 0.9)), "betas must be a pair"),
    (lambda: lrcourse.Adam(betas=(0.9, "0.999")), "betas[1] must be a number"),
    (lambda: lrcourse.Adam(betas=(0.999, 1)), "betas[1] must be in [0.0, 1.0)"),
    (lambda: lrcourse.Adam(betas=(True, 0.999)), "betas[0] must be a number"),
    (lambda: lrcourse.Adam(amsgrad="yes"), "amsgrad must be True or False"),
    (lambda: lrcourse.Adam(amsgrad=1), "amsgrad must be True or False"),
    (lambda: lrcourse.RMSprop(centered="False"), "centered must be True or False"),
    (lambda: lrcourse.SGD(momentum=0.9, nesterov="True"), "nesterov must be True or False"),
    (lambda: lrcourse.RMSprop(alpha=0.99, eps="1e-8"), "eps must be a number"),
    (lambda: lrcourse.Adagrad(lr_decay=False), "lr_decay must be a number"),
    (lambda: lrcourse.Adam(weight_decay=float("inf")), "weight_decay must be finite"),
    (lambda: lrcourse.Adam(eps=np.nan), "eps must be finite"),
    (lambda: lrcourse.Adam(lr=0.1).step([1.0, "a"], [0.0, 1.0]),
     "params must be an array of numbers"),
    (lambda: lrcourse.Adam(lr=0.1).step(np.zeros(2), None), "grads must be an array"),
    (lambda: lrcourse.Adam(lr=np.full((3, 1), 0.1), betas=(np.full(4, 0.9), 0.999)).step(
        np.zeros((3, 2)), np.ones((3, 2))),
     "betas[0] has shape (4,), which does not fit params of shape (3, 2)"),
    (lambda: S.with_warmup(S.cosine_annealing_lr(0.1, 10), 2.5),
     "warmup_steps must be an integer"),
    (lambda: S.step_lr(0.1, True), "step_size must be an integer"),
]


BAD_SCHEDULES = [
    (lambda: S.constant(-0.1), "lr must be >= 0"),
    (lambda: S.step_lr(-1, 10), "lr must be >= 0"),
    (lambda: S.step_lr(0.1, 0), "step_size must be an integer > 0"),
    (lambda: S.step_lr(0.1, 2.5), "step_size must be an integer"),
    (lambda: S.step_lr(0.1, 10, gamma=0), "gamma must be in (0.0, 1.0]"),
    (lambda: S.step_lr(0.1, 10, gamma=1.5), "gamma must be in (0.0, 1.0]"),
    (lambda: S.multistep_lr(0.1, [30, 10]), "milestones must be strictly increasing"),
    (lambda: S.multistep_lr(0.1, [10, 10]), "milestones must be strictly increasing"),
    (lambda: S.multistep_lr(0.1, [0, 10]), "milestones[0] must be an integer > 0"),
    (lambda: S.multistep_lr(0.1, [10], gamma=-0.1), "gamma must be in (0.0, 1.0]"),
    (lambda: S.exponential_lr(0.1, 0.0), "gamma must be > 0"),
    (lambda: S.exponential_lr(-0.1, 0.9), "lr must be >= 0"),
    (lambda: S.cosine_annealing_lr(0.1, 0), "T_max must be an integer > 0"),
    (lambda: S.cosine_annealing_lr(0.1, 10.0), "T_max must be an integer"),
    (lambda: S.cosine_annealing_lr(0.1, 10, eta_min=-1e-3), "eta_min must be >= 0"),
    (lambda: S.cosine_annealing_lr(0.1, 10, eta_min=0.2), "eta_min must be in [0, lr=0.1]"),
    (lambda: S.linear_lr(0.1, start_factor=0), "start_factor must be in (0.0, 1.0]"),
    (lambda: S.linear_lr(0.1, start_factor=1.5), "start_factor must be in (0.0, 1.0]"),
    (lambda: S.linear_lr(0.1, end_factor=-0.1), "end_factor must be in [0.0, 1.0]"),
    (lambda: S.linear_lr(0.1, end_factor=1.1), "end_factor must be in [0.0, 1.0]"),
    (lambda: S.linear_lr(0.1, total_iters=0), "total_iters must be an integer > 0"),
    (lambda: S.sequential([], []), "schedules must be a non-empty list"),
    (lambda: S.sequential([0.1, S.constant(0.1)], [5]), "schedules must be a non-empty list"),
    (lambda: S.sequential([S.constant(0.1), S.constant(0.2)], []),
     "milestones must have len(schedules) - 1 = 1 entries"),
    (lambda: S.sequential([S.constant(0.1)] * 3, [20, 10]),
     "milestones must be strictly increasing"),
    (lambda: S.sequential([S.constant(0.1), S.ReduceLROnPlateau(0.1)], [5]),
     "cannot contain ReduceLROnPlateau"),
    (lambda: S.warmup_cosine(0.1, 0, 100), "warmup_steps must be an integer > 0"),
    (lambda: S.warmup_cosine(0.1, 100, 100), "total_steps must be > warmup_steps = 100"),
    (lambda: S.warmup_cosine(0.1, 10, 100, warmup_start_factor=0),
     "warmup_start_factor must be in (0.0, 1.0]"),
    (lambda: S.warmup_cosine(-0.1, 10, 100), "lr must be >= 0"),
    (lambda: S.warmup_cosine(0.1, 10, 100, eta_min=0.5), "eta_min must be in [0, lr=0.1]"),
    (lambda: S.inverse_sqrt(0.1, 0), "warmup_steps must be an integer > 0"),
    (lambda: S.inverse_sqrt(-0.1, 10), "lr must be >= 0"),
    (lambda: S.cosine_annealing_lr(0.1, 10)(-1), "t must be >= 0"),
    (lambda: S.cosine_annealing_lr(0.1, 10)(np.array([0, 1, -2])), "t must be >= 0"),
    (lambda: S.step_lr(0.1, 10)(1.5), "t must be an integer step count"),
]


BAD_PLATEAUS = [
    (dict(lr=-0.1), "lr must be >= 0"),
    (dict(lr=np.array([0.1, 0.2])), "lr must be a single number"),
    (dict(lr=0.1, mode="avg"), "mode must be 'min' or 'max'"),
    (dict(lr=0.1, threshold_mode="pct"), "threshold_mode must be 'rel' or 'abs'"),
    (dict(lr=0.1, factor=1.0), "factor must be in [0.0, 1.0)"),
    (dict(lr=0.1, factor=-0.5), "factor must be in [0.0, 1.0)"),
    (dict(lr=0.1, patience=-1), "patience must be an integer >= 0"),
    (dict(lr=0.1, patience=2.5), "patience must be an integer"),
    (dict(lr=0.1, threshold=1.0), "threshold must be in [0.0, 1.0)"),
    (dict(lr=0.1, threshold=-1e-4), "threshold must be in [0.0, 1.0)"),
    (dict(lr=0.1, threshold=-1.0, threshold_mode="abs"), "threshold must be >= 0"),
    (dict(lr=0.1, cooldown=-1), "cooldown must be an integer >= 0"),
    (dict(lr=0.1, min_lr=-1e-3), "min_lr must be >= 0"),
    (dict(lr=0.1, eps=-1e-8), "eps must be >= 0"),
]


@pytest.mark.parametrize("make, message", BAD_OPTIMIZERS + BAD_SCHEDULES + LIKELY_SLIPS)
def test_bad_argument_is_named_with_its_range(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize("kwargs, message", BAD_PLATEAUS)
def test_bad_plateau_argument_is_named_with_its_range(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        S.ReduceLROnPlateau(**kwargs)


@pytest.mark.parametrize("make", [
    lambda: lrcourse.SGD(lr=0.1), lambda: lrcourse.Adagrad(), lambda: lrcourse.RMSprop(),
    lambda: lrcourse.Adam(), lambda: lrcourse.AdamW(), lambda: lrcourse.AdagradMean(),
    lambda: lrcourse.RMSpropLecture(),
])
def test_shape_mismatch_between_params_and_grads(make):
    opt = make()
    with pytest.raises(ValueError, match=re.escape("grads has shape (3,) but params has "
                                                   "shape (2,); they must match")):
        opt.step(np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match=re.escape("grads has shape () but params has "
                                                   "shape (2,)")):
        opt.step(np.zeros(2), 1.0)
    assert opt.state_dict()["step"] == 0, "a rejected step does not count"


def test_the_error_shows_the_bad_value():
    with pytest.raises(ValueError, match=r"got -0\.5"):
        lrcourse.Adam(lr=-0.5)
    with pytest.raises(ValueError, match=r"betas\[1\] .*got 1\.2"):
        lrcourse.Adam(betas=(0.9, 1.2))


@pytest.mark.parametrize("make", [
    lambda: S.constant(0.0), lambda: S.step_lr(0.1, 1, gamma=1.0),
    lambda: S.exponential_lr(0.1, 1.05), lambda: S.cosine_annealing_lr(0.1, 1, eta_min=0.1),
    lambda: S.linear_lr(0.1, start_factor=1.0, end_factor=0.0, total_iters=1),
    lambda: S.multistep_lr(0.1, []), lambda: S.sequential([S.constant(0.1)], []),
    lambda: S.warmup_cosine(0.1, 1, 2, warmup_start_factor=1.0),
    lambda: S.inverse_sqrt(0.1, 1), lambda: S.step_lr(0.1, np.int64(3)),
])
def test_edges_of_the_allowed_ranges_are_accepted(make):
    schedule = make()
    assert np.all(np.isfinite(schedule(np.arange(10))))


def test_edges_of_plateau_ranges_are_accepted():
    S.ReduceLROnPlateau(0.0, factor=0.0, patience=0, threshold=0.0, cooldown=0, min_lr=0.0,
                        eps=0.0)
    S.ReduceLROnPlateau(0.1, threshold=5.0, threshold_mode="abs")
