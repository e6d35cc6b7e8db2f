r"""Checkers for the exercises of chapter 5 (learning-rate scheduling).

* ``warmup_cosine_lr``: linear warmup to a peak, then cosine decay to a floor,

  .. math::

      \eta_t = \begin{cases}
        \eta_{\max}\,\dfrac{t+1}{W} & 0 \le t < W \\[4pt]
        \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})
            \Bigl(1 + \cos\dfrac{\pi (t - W)}{T - W}\Bigr) & W \le t \le T \\[4pt]
        \eta_{\min} & t > T
      \end{cases}

  with ``t`` the number of completed steps, ``W = warmup_steps``, ``T = total_steps``.
* ``mean_form_burst_step``: the step at which the lecture's mean-form Adagrad, run at
  ``lr = 0.1`` on ``problems.curved_ravine()``, first bursts out of the valley.
* ``plateau_final_lr``: the rate ``ReduceLROnPlateau`` ends with after a given sequence
  of validation losses.

The references are built from :mod:`lrcourse.schedules` and :func:`lrcourse.run`, not
from the formulas the notebook shows, so a slip in the chapter cannot hide a slip in
the checker.
"""

import math

import numpy as np

from ...numerics import schedules as sched
from ...numerics.optimizers import AdagradMean
from ...numerics.problems import curved_ravine
from ...numerics.runner import run
from ...numerics.schedules import ReduceLROnPlateau
from ._core import AnswerChecker, Case, FunctionChecker

# ------------------------------------------------------------ exercise 5.1


def _warmup_cosine_lr(t, peak, warmup_steps, total_steps, floor=0.0):
    """Reference: ``lrcourse.schedules``, in the exercise's step convention.

    The exercise's warmup, ``peak * (t + 1) / W``, is ``with_warmup``'s line from
    ``peak / W`` at ``t = 0`` to the peak at ``t = W - 1``; the peak then holds for that
    one step, and the cosine runs from ``t = W`` to ``t = T``, then the floor.
    """
    W, T = int(warmup_steps), int(total_steps)
    after = sched.sequential([sched.constant(peak), sched.cosine_annealing_lr(peak, T - W, floor),
                              sched.constant(floor)], [1, T - W + 1])
    schedule = sched.with_warmup(after, W - 1, start_factor=1 / W) if W > 1 else after
    return schedule(int(t))


def _part(t, W, T):
    """The independently scored part of the schedule that step ``t`` exercises."""
    return "warmup" if t < W else "cosine" if t <= T else "after the end"


def _warmup_cases(rng):
    def case():
        W = int(rng.integers(1, 60))
        T = W + int(rng.integers(1, 400))
        t = int(rng.choice([rng.integers(0, W), rng.integers(W, T + 1),
                            rng.integers(T + 1, T + 80)]))
        peak = float(rng.uniform(1e-4, 1.0))
        return (t, peak, W, T, float(rng.uniform(0.0, 0.2)) * peak)

    cases = [
        ("the first step (t = 0)", (0, 0.6, 10, 100, 0.06)),
        ("the last warmup step (t = W - 1)", (9, 0.6, 10, 100, 0.06)),
        ("the first cosine step (t = W)", (10, 0.6, 10, 100, 0.06)),
        ("half-way through the cosine", (55, 0.6, 10, 100, 0.06)),
        ("the end of the cosine (t = T)", (100, 0.6, 10, 100, 0.06)),
        ("past the end (t > T)", (130, 0.6, 10, 100, 0.06)),
        ("a floor of zero", (30, 0.5, 5, 45, 0.0)),
        ("one warmup step (W = 1)", (0, 0.3, 1, 20, 0.01)),
    ] + [(f"random case {i}", case()) for i in range(40)]
    return [Case(d, args, _part(args[0], args[2], args[3])) for d, args in cases]


def _cosine_part(t, peak, W, T, floor):
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * (t - W) / (T - W)))


def _wrong_warmup_from_zero(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * t / W
    return floor if t > T else _cosine_part(t, peak, W, T, floor)


def _wrong_warmup_short_of_peak(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / (W + 1)
    return floor if t > T else _cosine_part(t, peak, W, T, floor)


def _wrong_cosine_whole_horizon(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / W
    return floor if t > T else floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * t / T))


def _wrong_no_floor(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / W
    return 0.0 if t > T else _cosine_part(t, peak, W, T, 0.0)


def _wrong_floor_added(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / W
    return floor if t > T else floor + _cosine_part(t, peak, W, T, 0.0)


def _wrong_no_clamp(t, peak, warmup_steps, total_steps, floor=0.0):
    W, T = warmup_steps, total_steps
    if t < W:
        return peak * (t + 1) / W
    return _cosine_part(t, peak, W, T, floor)


warmup_cosine_lr = FunctionChecker(
    "warmup_cosine_lr", _warmup_cosine_lr, _warmup_cases,
    title="Exercise 5.1 (warmup, then cosine)", chapter=5,
    # three independent branches, a point each: a grader gives partial credit
    parts={"warmup": 1, "cosine": 1, "after the end": 1},
    mistakes=[
        (_wrong_warmup_from_zero,
         "off by one in the warmup: peak * t / W gives the first step (t = 0) a learning "
         "rate of 0; use (t + 1) / W so the first step already moves and step W - 1 "
         "reaches the peak"),
        (_wrong_warmup_short_of_peak,
         "the warmup divides by W + 1 and never reaches the peak; at t = W - 1 the rate "
         "should be exactly peak, so divide (t + 1) by W"),
        (_wrong_cosine_whole_horizon,
         "the cosine runs over the whole horizon (pi * t / T); it should start at the "
         "end of the warmup: pi * (t - W) / (T - W)"),
        (_wrong_no_floor,
         "the floor is missing: the cosine decays to 0 instead of to floor; use "
         "floor + 0.5 * (peak - floor) * (1 + cos(...))"),
        (_wrong_floor_added,
         "the floor is added on top of the full cosine, so the decay starts at "
         "peak + floor; the cosine should swing between peak and floor: "
         "floor + 0.5 * (peak - floor) * (1 + cos(...))"),
        (_wrong_no_clamp,
         "past total_steps the cosine climbs back up; for t > T return floor"),
    ],
    hints=[
        "Three cases: t < warmup_steps, warmup_steps <= t <= total_steps, and t > "
        "total_steps. Write them as an if / elif / else.",
        "The warmup gives peak / W at t = 0 and peak at t = W - 1.",
        "The cosine's progress (t - W) / (T - W) runs from 0 at t = W to 1 at t = T; "
        "0.5 * (1 + cos(pi * progress)) then falls from 1 to 0.",
    ])


# ------------------------------------------------------------ exercise 5.2

BURST_LR = 0.1
BURST_STEPS = 600
BURST_FACTOR = 100.0


def _first_burst(lr):
    """First ``t`` with ``loss[t] > 100 * min(loss[:t + 1])`` for AdagradMean(lr)."""
    tr = run(AdagradMean(lr=lr), curved_ravine(), steps=BURST_STEPS)
    rising = tr.loss > BURST_FACTOR * np.minimum.accumulate(tr.loss)
    return int(np.argmax(rising)) if rising.any() else -1


def _first_unstable_step(lr):
    """First ``t`` at which the step size of w2 exceeds 2 / h2."""
    problem = curved_ravine()
    tr = run(AdagradMean(lr=lr), problem, steps=BURST_STEPS)
    h2 = problem.info["curvatures"][1]
    return int(np.argmax(tr.step_size[:, 1] > 2 / h2))


# The burst grows out of rounding errors across the valley: the step it shows at moves by
# a few steps with the last bit of the start (chapter 5 measures 375 to 382 at lr = 0.1),
# and so may move with another machine's arithmetic. Any step within 10 of this
# machine's counts; an off-by-one in the indexing is then part of that window.
mean_form_burst_step = AnswerChecker(
    "mean_form_burst_step", lambda: _first_burst(BURST_LR),
    title="Exercise 5.2 (when does the burst come?)", chapter=5, atol=10, rtol=0.0,
    learner_name="burst_step",
    mistakes=[
        (lambda: _first_burst(0.2),
         "that is the first burst at lr = 0.2, the chapter's setting; run AdagradMean "
         "with lr = 0.1"),
        (lambda: _first_unstable_step(BURST_LR),
         "that is the step at which eta / sigma of w2 first exceeds 2 / h2; the burst "
         "shows in the loss only later, once the error across the valley has grown"),
    ],
    hints=[
        "tr = run(AdagradMean(lr=0.1), problems.curved_ravine(), steps=600)",
        "np.minimum.accumulate(tr.loss) is the running minimum; compare tr.loss with 100 "
        "times it and take the first index where it is larger (np.argmax of a boolean "
        "array gives the first True).",
    ])


# ------------------------------------------------------------ exercise 5.3

#: The validation losses of the exercise, one per epoch.
PLATEAU_LOSSES = (1.0, 0.9, 0.85, 0.75, 0.76, 0.66, 0.655, 0.655, 0.655, 0.665, 0.685, 0.665)
PLATEAU_ARGS = {"lr": 0.1, "factor": 0.5, "patience": 2, "threshold": 0.01}


def _plateau_lr():
    """Reference: ``lrcourse.ReduceLROnPlateau`` fed the losses."""
    rule = ReduceLROnPlateau(**PLATEAU_ARGS)
    for value in PLATEAU_LOSSES:
        rule.step(value)
    return rule.lr


def _plateau_variant(early=False, no_threshold=False, no_reset=False):
    """The rule with one slip, written out by hand."""
    lr, factor, patience, thr = (PLATEAU_ARGS[k] for k in ("lr", "factor", "patience",
                                                             "threshold"))
    best, bad = math.inf, 0
    for value in PLATEAU_LOSSES:
        if value < (best if no_threshold else best * (1 - thr)):
            best, bad = value, 0
        else:
            bad += 1
        if bad >= patience if early else bad > patience:
            lr *= factor
            if not no_reset:
                bad = 0
    return lr


plateau_final_lr = AnswerChecker(
    "plateau_final_lr", _plateau_lr,
    title="Exercise 5.3 (reading the plateau rule)", chapter=5, rtol=1e-9,
    learner_name="plateau_lr",
    mistakes=[
        (lambda: _plateau_variant(early=True),
         "the rate is cut after `patience` epochs without improvement; it must be more "
         "than `patience`, so here the third bad epoch in a row triggers the cut"),
        (lambda: _plateau_variant(no_threshold=True),
         "0.655 is not an improvement on 0.66: with threshold=0.01 a new value must be "
         "below best * (1 - 0.01) = 0.6534"),
        (lambda: _plateau_variant(no_reset=True),
         "after a cut the count of bad epochs starts again from zero, so the next cut "
         "needs another patience + 1 bad epochs"),
        (PLATEAU_ARGS["lr"],
         "the rule does cut the rate: count the epochs in a row without a new best"),
    ],
    hints=[
        "Keep two numbers while you read the losses: the best value so far and how many "
        "epochs in a row have not beaten it by the threshold.",
        "rule = ReduceLROnPlateau(0.1, factor=0.5, patience=2, threshold=0.01); call "
        "rule.step(loss) for each loss, then look at rule.lr.",
    ])

