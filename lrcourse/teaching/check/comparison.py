r"""Checkers for the exercises of chapter 6 (comparison: when to use what).

* ``steps_to_target``: the first step at which a loss curve reaches a target.
* ``best_learning_rate``: the best rate of a sweep, ignoring runs that diverged.
* ``sparse_minibatch_winner``: which optimizer, tuned by a sweep, needs the fewest
  steps on the sparse problem when every gradient comes from 10 samples.
* ``adam_state_gigabytes``: the memory Adam's state adds to a model of 10^9 parameters.

The expected answers are computed here with ``lrcourse`` (``Trajectory.steps_to``, a
sweep, the state of a real ``lrcourse.Adam``), not copied from the notebook.
"""

import dataclasses
from functools import lru_cache

import numpy as np

from ...numerics import SGD, Adagrad, Adam, AdamW, RMSprop, Trajectory, problems, sweep
from ._core import AnswerChecker, Case, FunctionChecker

# ------------------------------------------------------------ exercise 6.1


def _steps_to_target(losses, target):
    """Reference: ``lrcourse.Trajectory.steps_to`` on the loss curve."""
    losses = np.asarray(losses, dtype=float)
    # only the loss matters to steps_to; every other field is an empty record
    fields = {f.name: np.zeros((0,) + losses.shape) for f in dataclasses.fields(Trajectory)}
    fields.update(name="reference", loss=losses, diverged_at=None)
    return int(Trajectory(**fields).steps_to(target))


def _steps_cases(rng):
    def curve(n):
        return 10.0 * np.exp(-rng.uniform(0.01, 0.2) * np.arange(n)) * rng.uniform(
            0.8, 1.2, size=n)

    cases = [
        ("a curve that starts below the target", (np.array([0.5, 0.4, 0.3]), 1.0)),
        ("a curve that never reaches the target", (np.array([5.0, 4.0, 3.0, 2.5]), 1.0)),
        ("a loss exactly equal to the target", (np.array([3.0, 2.0, 1.0, 0.5]), 1.0)),
        ("a curve that dips below, rises, and falls again",
         (np.array([4.0, 0.9, 1.5, 0.8, 0.2]), 1.0)),
        ("a run that diverged (NaN after step 2)",
         (np.array([4.0, 3.0, np.nan, np.nan]), 1.0)),
        ("a Python list", ([9.0, 6.0, 4.0, 2.0, 1.0], 3.0)),
    ]
    for i in range(16):
        losses = curve(int(rng.integers(5, 60)))
        target = float(np.quantile(losses, rng.uniform(0.0, 0.6))) if i % 4 else 1e-3
        cases.append((f"random curve {i}", (losses, target)))
    return cases


def _wrong_steps_off_by_one(losses, target):
    k = _steps_to_target(losses, target)
    return k + 1 if k >= 0 else -1


def _wrong_steps_strict(losses, target):
    below = np.asarray(losses, dtype=float) < target
    return int(np.argmax(below)) if below.any() else -1


def _wrong_steps_len_when_never(losses, target):
    k = _steps_to_target(losses, target)
    return k if k >= 0 else len(losses)


def _wrong_steps_argmax_only(losses, target):
    return int(np.argmax(np.asarray(losses, dtype=float) <= target))


def _wrong_steps_none_when_never(losses, target):
    k = _steps_to_target(losses, target)
    return k if k >= 0 else None


def _wrong_steps_last(losses, target):
    below = np.flatnonzero(np.asarray(losses, dtype=float) <= target)
    return int(below[-1]) if below.size else -1


steps_to_target = FunctionChecker(
    "steps_to_target", _steps_to_target, _steps_cases,
    title="Exercise 6.1 (steps to a target loss)", chapter=6,
    mistakes=[
        (_wrong_steps_strict, "you used < instead of <=: a loss exactly equal to the "
         "target has reached it"),
        (_wrong_steps_off_by_one, "off by one: losses[0] is the loss before any step, so "
         "the index of the first loss <= target is already the number of steps"),
        (_wrong_steps_len_when_never, "when the target is never reached, return -1, not "
         "len(losses) (which looks like a real step count)"),
        (_wrong_steps_argmax_only, "np.argmax of an all-False array is 0, so a run that "
         "never reaches the target looks like it started there; check .any() first and "
         "return -1"),
        (_wrong_steps_none_when_never, "when the target is never reached, return -1 "
         "(an integer), not None"),
        (_wrong_steps_last, "that is the last index below the target; the question asks "
         "for the first"),
    ],
    hints=[
        "losses[t] is the loss after t steps, so the answer is an index into losses.",
        "np.asarray(losses) <= target gives a boolean array; np.argmax finds its first True.",
        "If no element is True, np.argmax still returns 0: test .any() and return -1.",
    ])

# ------------------------------------------------------------ exercise 6.2


def _best_learning_rate(lrs, final_losses):
    """Reference: the rate with the smallest finite final loss (nan if none is finite)."""
    lrs = np.asarray(lrs, dtype=float)
    final = np.asarray(final_losses, dtype=float)
    finite = np.isfinite(final)
    if not finite.any():
        return float("nan")
    return float(lrs[np.argmin(np.where(finite, final, np.inf))])


def _best_cases(rng):
    lrs5 = np.geomspace(1e-3, 10.0, 5)
    cases = [
        ("no run diverged", (lrs5, np.array([2.0, 0.5, 0.1, 0.3, 0.9]))),
        ("the largest rates diverged (inf)", (lrs5, np.array([2.0, 0.5, 0.1, np.inf, np.inf]))),
        ("the largest rates diverged (NaN)", (lrs5, np.array([2.0, 0.5, 0.1, np.nan, np.nan]))),
        ("a NaN before the best run", (lrs5, np.array([np.nan, 0.5, 0.1, 0.3, np.inf]))),
        ("a tie: the smaller rate wins", (lrs5, np.array([2.0, 0.1, 0.1, 0.3, 0.9]))),
        ("every run diverged", (lrs5, np.array([np.nan, np.inf, np.nan, np.inf, np.nan]))),
        ("a single run", (np.array([0.1]), np.array([0.25]))),
    ]
    for i in range(16):
        n = int(rng.integers(3, 12))
        lrs = np.sort(10.0 ** rng.uniform(-4, 1, size=n))
        final = 10.0 ** rng.uniform(-6, 1, size=n)
        bad = rng.random(n) < (0.3 if i % 2 else 0.0)  # half the sweeps all finite
        final[bad] = rng.choice([np.inf, np.nan], size=int(bad.sum()))
        cases.append((f"random sweep {i}", (lrs, final)))
    return [Case(d, args, "diverged runs" if not np.isfinite(args[1]).all() else "finite runs")
            for d, args in cases]


def _wrong_best_argmin(lrs, final_losses):
    return float(np.asarray(lrs, dtype=float)[np.argmin(np.asarray(final_losses, dtype=float))])


def _wrong_best_index(lrs, final_losses):
    final = np.asarray(final_losses, dtype=float)
    return int(np.argmin(np.where(np.isfinite(final), final, np.inf)))


def _wrong_best_loss(lrs, final_losses):
    final = np.asarray(final_losses, dtype=float)
    return float(np.min(final[np.isfinite(final)]))


def _wrong_best_max(lrs, final_losses):
    lrs = np.asarray(lrs, dtype=float)
    final = np.asarray(final_losses, dtype=float)
    return float(lrs[np.argmax(np.where(np.isfinite(final), final, -np.inf))])


def _wrong_best_largest_stable(lrs, final_losses):
    lrs = np.asarray(lrs, dtype=float)
    return float(lrs[np.isfinite(np.asarray(final_losses, dtype=float))].max())


best_learning_rate = FunctionChecker(
    "best_learning_rate", _best_learning_rate, _best_cases,
    title="Exercise 6.2 (the best rate of a sweep)", chapter=6,
    # picking the smallest loss and leaving out diverged runs: a point each
    parts={"finite runs": 1, "diverged runs": 1},
    mistakes=[
        (_wrong_best_argmin, "np.argmin returns the index of the first NaN when there is "
         "one, so a diverged run was picked; replace NaN and inf by np.inf first, or use "
         "np.isfinite to leave them out"),
        (_wrong_best_index, "you returned the index of the best run; return the learning "
         "rate itself, lrs[index]"),
        (_wrong_best_loss, "you returned the best final loss; return the learning rate "
         "that produced it"),
        (_wrong_best_max, "you picked the largest final loss; the best run has the smallest"),
        (_wrong_best_largest_stable, "you picked the largest rate that did not diverge; "
         "the best rate is the one with the smallest final loss, which is often lower"),
    ],
    hints=[
        "np.isfinite(final_losses) is False for both inf and NaN.",
        "np.where(finite, final_losses, np.inf) turns every diverged run into the worst "
        "possible loss; then np.argmin is safe.",
        "If no run is finite, return float('nan').",
    ])

# ------------------------------------------------------------ exercise 6.3

#: The protocol of the chapter's race, repeated here so the answer does not come from
#: the notebook: three rates per decade, 200 steps, mini-batches of 10 samples, a random
#: start, and a target of 1/1000 of the starting excess loss. A run counts only if it
#: ends below the target and its loss never rose above 10 times its start.
RACE_LRS = 10.0 ** (np.arange(-11, 6) / 3 - 1 / 6)
RACE_STEPS, RACE_BATCH, RACE_TARGET, RACE_SPIKE = 200, 10, 1e-3, 10.0
RACE_OPTIMIZERS = {
    "SGD": lambda lr: SGD(lr=lr),
    "Momentum": lambda lr: SGD(lr=lr, momentum=0.9),
    "Adagrad": lambda lr: Adagrad(lr=lr),
    "RMSprop": lambda lr: RMSprop(lr=lr),
    "Adam": lambda lr: Adam(lr=lr),
    "AdamW": lambda lr: AdamW(lr=lr),
}


@lru_cache(maxsize=1)
def sparse_minibatch_steps():
    """Fewest steps to the target for each optimizer (``-1``: no rate reached it)."""
    problem = problems.sparse_regression()
    start = np.random.default_rng(0).normal(size=problem.dim)
    first = float(problem.loss(start))
    target = problem.min_loss + RACE_TARGET * (first - problem.min_loss)
    out = {}
    for name, make in RACE_OPTIMIZERS.items():
        tr = sweep(make, RACE_LRS, problem, start, steps=RACE_STEPS, batch_size=RACE_BATCH)
        with np.errstate(invalid="ignore"):
            calm = np.all(np.nan_to_num(tr.loss, nan=np.inf) <= RACE_SPIKE * first, axis=0)
        good = (tr.final_loss <= target) & calm
        steps = tr.steps_to(target)
        out[name] = int(steps[good].min()) if good.any() else -1
    return out


def _sparse_winner():
    steps = {k: v for k, v in sparse_minibatch_steps().items() if v >= 0}
    return min(steps, key=steps.get)


sparse_minibatch_winner = AnswerChecker(
    "sparse_minibatch_winner", _sparse_winner,
    title="Exercise 6.3 (sparse features, noisy mini-batches)", chapter=6,
    learner_name="fewest_steps", choices=tuple(RACE_OPTIMIZERS),
    mistakes=[
        ("RMSprop", "RMSprop's moving average does not keep growing, so a frequent weight "
         "keeps taking steps of about the learning rate for ever; a rate large enough to "
         "move the rare weights keeps the frequent ones jittering, so the tuned rate is "
         "small and the rare weights crawl. Adagrad's sums grow: the frequent weights' "
         "steps shrink by themselves while the rare weights' stay large"),
        ("Adam", "Adam's second moment is a moving average like RMSprop's: a frequent "
         "weight's step stays about the learning rate for ever, so the rate must stay "
         "small and the rare weights crawl; momentum does not change that"),
        ("AdamW", "AdamW is Adam plus weight decay: its scale is a moving average like "
         "RMSprop's, and the decay pulls the weights away from the true ones"),
        ("Momentum", "momentum helps along the frequent features, but a rare weight still "
         "gets a gradient only about once in five batches, with one learning rate for all"),
        ("SGD", "with one learning rate for every weight, SGD cannot move the rare weights "
         "fast enough without the frequent ones diverging: no rate reached the target"),
    ],
    hints=[
        "A rare feature is non-zero in about 2% of the samples: a batch of 10 contains it "
        "roughly once in five batches.",
        "Which scale keeps growing as gradients arrive, and which one settles at the "
        "typical size of the gradient? What does that do to a frequent weight's step?",
        "Answer with one of the names 'SGD', 'Momentum', 'Adagrad', 'RMSprop', 'Adam', "
         "'AdamW'.",
    ])

# ------------------------------------------------------------ exercise 6.5

N_PARAMETERS, BYTES_PER_FLOAT = 10**9, 4


def _state_floats_per_parameter(optimizer):
    """How many floats ``optimizer`` keeps per parameter, read off its state after a step."""
    x = np.ones(8)
    optimizer.step(x, x)
    return sum(np.size(v) for v in optimizer.state_dict()["state"].values()) / x.size


def _adam_gigabytes():
    return _state_floats_per_parameter(Adam()) * N_PARAMETERS * BYTES_PER_FLOAT / 1e9


adam_state_gigabytes = AnswerChecker(
    "adam_state_gigabytes", _adam_gigabytes,
    title="Exercise 6.5 (the memory cost of Adam)", chapter=6,
    learner_name="adam_gigabytes",
    mistakes=[
        (4.0, "that is one buffer; Adam keeps two per parameter: exp_avg (m) and "
         "exp_avg_sq (v)"),
        (12.0, "you added the parameters themselves; the question asks for the extra "
         "memory of the optimizer's state"),
        (16.0, "you added the parameters and the gradients; count only Adam's own state"),
        (2.0, "that is the number of floats in billions; multiply by 4 bytes per float32"),
        (64.0, "that is in gigabits (32 bits per float); a float32 takes 4 bytes"),
        (0.0, "Adam's scale and direction are arrays with one entry per parameter: "
         "they are not free"),
    ],
    hints=[
        "Look at Adam().state_dict() after one step: which arrays have the parameters' "
        "shape?",
        "Two arrays of 10**9 float32 numbers each; one float32 takes 4 bytes.",
    ])
