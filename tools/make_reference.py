"""Write PyTorch's numbers for every optimizer and schedule to tests/data/torch_reference.npz.

Run by hand when a case is added (PyTorch needed, not otherwise a dependency)::

    .venv/bin/python tools/make_reference.py

Everything is computed by ``torch.optim`` in float64; nothing here imports lrcourse.
``tests/test_reference.py`` replays the stored gradients and metrics through lrcourse and
compares. The npz holds one JSON string, ``settings``, describing every case (what to
build, with which arguments), and for each case a few arrays named
``<kind>/<case>/<what>`` (``kind`` is ``optimizer``, ``schedule`` or ``plateau``):

* optimizer cases: ``x0`` (d,), ``grads`` (T, d) the gradients fed to ``step``,
  ``params`` (T+1, d) the trajectory, ``state/<name>`` torch's final state, and for a
  plateau-driven case ``metrics`` (T,);
* schedule cases: ``lr`` (T+1,), ``get_last_lr()`` after 0..T scheduler steps;
* plateau cases: ``metrics`` (T,) and ``lr`` (T+1,), the rate before any step and after
  each ``step(metric)``.

The functions ``torch_optimizer``, ``torch_scheduler``, ``torch_schedule_values``,
``torch_plateau_lrs``, ``torch_trajectory`` and ``torch_replay`` are also used by the
live tests when PyTorch is installed.
"""

import json
import math
from pathlib import Path

import numpy as np
import torch
from torch.optim import lr_scheduler as sched

torch.set_default_dtype(torch.float64)

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_reference.npz"
DIM = 6
STEPS = 500

# ------------------------------------------------------------------ cases

OPTIMIZER_CASES = {
    "sgd_plain": ("SGD", {"lr": 0.01}),
    "sgd_momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "sgd_dampening": ("SGD", {"lr": 0.02, "momentum": 0.8, "dampening": 0.3}),
    "sgd_nesterov": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
    "adagrad_default": ("Adagrad", {}),
    "adagrad_lr_decay": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    "adagrad_initial_accumulator": ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    "adagrad_weight_decay": ("Adagrad", {"lr": 0.05, "weight_decay": 0.01, "eps": 1e-6}),
    "rmsprop_default": ("RMSprop", {}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.001, "centered": True}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.001, "momentum": 0.9}),
    "rmsprop_centered_momentum": ("RMSprop", {"lr": 0.001, "alpha": 0.3, "momentum": 0.5,
                                              "centered": True}),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6,
                                         "weight_decay": 0.1}),
    "adam_default": ("Adam", {}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    "adam_odd_betas": ("Adam", {"lr": 0.01, "betas": [0.3, 0.6], "eps": 1e-4}),
    "adam_beta1_zero_amsgrad": ("Adam", {"lr": 0.005, "betas": [0.0, 0.5], "amsgrad": True,
                                         "weight_decay": 0.01}),
    "adamw_default": ("AdamW", {}),
    "adamw_custom": ("AdamW", {"lr": 0.01, "betas": [0.8, 0.95], "eps": 1e-6,
                               "weight_decay": 0.3, "amsgrad": True}),
    "adamw_strong_decay": ("AdamW", {"lr": 0.05, "weight_decay": 0.5}),
}

# Optimizers driven by a schedule (or by ReduceLROnPlateau fed with |theta|^2).
SCHEDULED_CASES = {
    "adam_warmup_cosine": ("Adam", {"lr": 0.05},
                           {"factory": "warmup_cosine",
                            "args": {"lr": 0.05, "warmup_steps": 50, "total_steps": 400}}),
    "sgd_momentum_step_lr": ("SGD", {"lr": 0.02, "momentum": 0.9},
                             {"factory": "step_lr",
                              "args": {"lr": 0.02, "step_size": 100, "gamma": 0.5}}),
    "adagrad_lr_decay_exponential": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01},
                                     {"factory": "exponential_lr",
                                      "args": {"lr": 0.1, "gamma": 0.995}}),
    "adamw_cosine": ("AdamW", {"lr": 0.01, "weight_decay": 0.2},
                     {"factory": "cosine_annealing_lr",
                      "args": {"lr": 0.01, "T_max": 150, "eta_min": 1e-4}}),
    "rmsprop_inverse_sqrt": ("RMSprop", {"lr": 0.01, "centered": True},
                             {"factory": "inverse_sqrt",
                              "args": {"lr": 0.01, "warmup_steps": 40}}),
    "adam_plateau": ("Adam", {"lr": 0.05},
                     {"factory": "ReduceLROnPlateau",
                      "args": {"lr": 0.05, "factor": 0.5, "patience": 5, "cooldown": 3,
                               "min_lr": 1e-3}}),
}


def _s(factory, **args):
    return {"factory": factory, "args": args}


SCHEDULE_CASES = {
    "constant": _s("constant", lr=0.1),
    "step_lr_default_gamma": _s("step_lr", lr=0.1, step_size=30),
    "step_lr_half": _s("step_lr", lr=0.5, step_size=7, gamma=0.5),
    "step_lr_every_step": _s("step_lr", lr=1.0, step_size=1, gamma=0.97),
    "multistep_lr": _s("multistep_lr", lr=0.1, milestones=[30, 80]),
    "multistep_lr_dense": _s("multistep_lr", lr=0.3, milestones=[1, 2, 3, 100, 101], gamma=0.5),
    "exponential_lr": _s("exponential_lr", lr=0.1, gamma=0.99),
    "exponential_lr_fast": _s("exponential_lr", lr=0.5, gamma=0.9),
    "exponential_lr_growing": _s("exponential_lr", lr=1e-4, gamma=1.03),
    "cosine": _s("cosine_annealing_lr", lr=0.1, T_max=100),
    "cosine_eta_min": _s("cosine_annealing_lr", lr=0.1, T_max=50, eta_min=1e-3),
    "cosine_short": _s("cosine_annealing_lr", lr=1.0, T_max=7, eta_min=0.1),
    "cosine_t_max_1": _s("cosine_annealing_lr", lr=0.01, T_max=1),
    "cosine_long": _s("cosine_annealing_lr", lr=0.3, T_max=200, eta_min=0.01),
    "linear_default": _s("linear_lr", lr=0.1),
    "linear_warmup": _s("linear_lr", lr=0.1, start_factor=0.01, end_factor=1.0, total_iters=50),
    "linear_to_zero": _s("linear_lr", lr=0.2, start_factor=1.0, end_factor=0.0,
                         total_iters=100),
    "linear_down": _s("linear_lr", lr=0.2, start_factor=0.5, end_factor=0.25, total_iters=30),
    "sequential_linear_exponential": _s(
        "sequential", schedules=[_s("linear_lr", lr=0.1, start_factor=0.1, total_iters=20),
                                 _s("exponential_lr", lr=0.1, gamma=0.98)],
        milestones=[20]),
    "sequential_three": _s(
        "sequential", schedules=[_s("constant", lr=0.2),
                                 _s("step_lr", lr=0.2, step_size=10, gamma=0.5),
                                 _s("cosine_annealing_lr", lr=0.2, T_max=40, eta_min=0.02)],
        milestones=[15, 60]),
    "sequential_cosine_first": _s(
        "sequential", schedules=[_s("cosine_annealing_lr", lr=0.3, T_max=30),
                                 _s("multistep_lr", lr=0.3, milestones=[10, 20], gamma=0.3)],
        milestones=[45]),
    "warmup_cosine": _s("warmup_cosine", lr=0.1, warmup_steps=10, total_steps=100),
    "warmup_cosine_custom": _s("warmup_cosine", lr=0.01, warmup_steps=25, total_steps=200,
                               eta_min=1e-4, warmup_start_factor=0.1),
    "warmup_cosine_one_step": _s("warmup_cosine", lr=1.0, warmup_steps=1, total_steps=50,
                                 warmup_start_factor=0.5),
    "inverse_sqrt": _s("inverse_sqrt", lr=0.1, warmup_steps=10),
    "inverse_sqrt_no_warmup": _s("inverse_sqrt", lr=1.0, warmup_steps=1),
    "inverse_sqrt_long_warmup": _s("inverse_sqrt", lr=0.01, warmup_steps=100),
}


def _plateau_metrics():
    """Hand-made metric sequences, each aimed at one rule of ReduceLROnPlateau."""
    rng = np.random.default_rng(7)
    noisy = np.concatenate([
        np.linspace(10, 2, 60) + 0.3 * rng.standard_normal(60),  # improving, noisy
        np.full(40, 2.0) + 0.01 * rng.standard_normal(40),      # plateau: reductions
        np.linspace(2, 0.5, 50), [np.nan], np.full(80, 0.5),      # NaN counts as bad
        0.5 * 0.999 ** np.arange(70),                             # tiny improvements
    ])
    return {
        # best = 1.0: 0.905 and exactly 0.9 are not improvements (strict <), 0.899 is.
        "min_rel_threshold_edges": (
            {"lr": 1.0, "factor": 0.5, "patience": 2, "threshold": 0.1},
            [1.0, 0.905, 0.9, 0.95, 0.899, 0.85, 0.82, 0.81, 0.80, 0.8, 0.72, 0.7199,
             0.7, 0.65, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5]),
        # abs mode: an improvement must beat best - 0.05; cooldown; the floor min_lr.
        "min_abs_cooldown_floor": (
            {"lr": 0.5, "factor": 0.3, "patience": 1, "threshold": 0.05,
             "threshold_mode": "abs", "cooldown": 2, "min_lr": 0.05},
            [3.0, 2.96, 2.951, 2.949, 2.94, 2.9, 2.9, 2.9, 2.9, 2.9, 2.8, 2.79, 2.79,
             2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 2.79, 1.0]),
        # max mode, relative: must exceed best * 1.01; patience 0 reduces at once.
        "max_rel_patience_0": (
            {"lr": 0.1, "mode": "max", "factor": 0.5, "patience": 0, "threshold": 0.01},
            [0.5, 0.505, 0.5051, 0.52, 0.525, 0.5252, 0.53, 0.6, 0.6, 0.61, 0.6061,
             0.6062, 0.7, 0.69, 0.68, 0.71, 0.72, 0.8]),
        # max mode, absolute, with cooldown.
        "max_abs_cooldown": (
            {"lr": 1.0, "mode": "max", "factor": 0.1, "patience": 1, "threshold": 0.1,
             "threshold_mode": "abs", "cooldown": 3},
            [0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.31, 0.3, 0.3, 0.3, 0.3, 0.3, 0.45, 0.5,
             0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
        # eps rule: from 1e-7 halving gives 5e-8, 2.5e-8, 1.25e-8; the next cut
        # (6.25e-9) is smaller than eps = 1e-8 and is skipped.
        "eps_rule": (
            {"lr": 1e-7, "factor": 0.5, "patience": 0, "eps": 1e-8},
            [1.0] * 12),
        # a tie: from 0.5 the cut to 0.25 changes the rate by exactly eps = 0.25 and
        # "more than eps" is strict, so the rate stays at 0.5.
        "eps_rule_tie": (
            {"lr": 1.0, "factor": 0.5, "patience": 0, "eps": 0.25},
            [1.0] * 5),
        # the floor reached in steps of factor 0.1, then held.
        "min_lr_floor": (
            {"lr": 1.0, "factor": 0.1, "patience": 1, "min_lr": 0.003},
            [5.0, 5.0] + [5.0] * 14),
        # the floor closer than eps to the rate: the cut to min_lr is skipped.
        "min_lr_within_eps": (
            {"lr": 1e-3, "factor": 0.5, "patience": 0, "min_lr": 1e-3 - 5e-9},
            [1.0, 1.0, 1.0]),
        # negative metrics in rel/min mode: PyTorch's bar best*(1-thr) is then *above*
        # best, so a slightly worse value still counts as an improvement.
        "min_rel_negative_metrics": (
            {"lr": 1.0, "factor": 0.5, "patience": 1, "threshold": 0.1},
            [-1.0, -0.95, -0.9, -0.89, -0.95, -1.2, -1.2, -1.19, -1.3, -1.3, -1.3,
             -1.0, -1.0, -1.0, -1.1, -1.1, -1.5]),
        # PyTorch's defaults on a long noisy run.
        "defaults_long": ({"lr": 0.01}, noisy.tolist()),
    }


# ------------------------------------------------------------------ gradients


class GradientSource:
    """Gradients that span many orders of magnitude, change sign, are sometimes exactly
    zero, and in some phases feed back from the parameters (``g = A theta + noise``)."""

    def __init__(self, seed, dim=DIM):
        self.rng = np.random.default_rng(seed)
        self.coord_scale = 10.0 ** np.linspace(-3, 2, dim)[self.rng.permutation(dim)]
        q, _ = np.linalg.qr(self.rng.standard_normal((dim, dim)))
        self.A = q @ np.diag(10.0 ** np.linspace(-1, 1, dim)) @ q.T
        self.x0 = self.rng.standard_normal(dim) * np.sqrt(self.coord_scale)

    def __call__(self, k, theta):
        rng, dim = self.rng, len(self.x0)
        noise = rng.standard_normal(dim) * self.coord_scale * 10.0 ** rng.uniform(-2, 1)
        phase = (k // 50) % 4
        if phase == 1:      # feedback: a quadratic bowl
            g = self.A @ theta + 0.01 * noise
        elif phase == 2:    # steady drift with noise
            g = self.coord_scale * (1 + 0.3 * rng.standard_normal(dim))
        elif phase == 3:    # pure sign flips
            g = np.where(rng.random(dim) < 0.5, -1.0, 1.0) * self.coord_scale
        else:
            g = noise
        g[rng.random(dim) < 0.15] = 0.0
        if k % 97 == 0:
            g[:] = 0.0
        if k < 80:          # one feature silent at first (a sparse feature)
            g[0] = 0.0
        return g


# ------------------------------------------------------------------ torch side


def torch_optimizer(name, kwargs, param):
    kwargs = dict(kwargs)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return getattr(torch.optim, name)([param], **kwargs)


def torch_scheduler(spec, opt):
    """The torch scheduler for a schedule spec (``ReduceLROnPlateau`` included)."""
    f, a = spec["factory"], dict(spec["args"])
    a.pop("lr", None)  # torch takes the rate from the optimizer
    if f == "constant":
        return sched.LambdaLR(opt, lambda t: 1.0)
    if f == "step_lr":
        return sched.StepLR(opt, **a)
    if f == "multistep_lr":
        return sched.MultiStepLR(opt, **a)
    if f == "exponential_lr":
        return sched.ExponentialLR(opt, **a)
    if f == "cosine_annealing_lr":
        return sched.CosineAnnealingLR(opt, **a)
    if f == "linear_lr":
        return sched.LinearLR(opt, **a)
    if f == "sequential":
        parts = [torch_scheduler(s, opt) for s in a["schedules"]]
        return sched.SequentialLR(opt, parts, a["milestones"])
    if f == "warmup_cosine":
        w, total = a["warmup_steps"], a["total_steps"]
        warm = sched.LinearLR(opt, a.get("warmup_start_factor", 0.01), 1.0, w)
        cos = sched.CosineAnnealingLR(opt, total - w, a.get("eta_min", 0.0))
        return sched.SequentialLR(opt, [warm, cos], [w])
    if f == "inverse_sqrt":
        w = a["warmup_steps"]
        return sched.LambdaLR(opt, lambda t: min((t + 1) / w, math.sqrt(w / (t + 1))))
    if f == "ReduceLROnPlateau":
        return sched.ReduceLROnPlateau(opt, **a)
    raise ValueError(f"unknown schedule {f!r}")


def _dummy_optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def torch_schedule_values(spec, steps):
    """``get_last_lr()[0]`` after 0, 1, ..., ``steps`` scheduler steps."""
    args = spec["args"]
    lr = args["lr"] if "lr" in args else args["schedules"][0]["args"]["lr"]
    opt = _dummy_optimizer(lr)
    scheduler = torch_scheduler(spec, opt)
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return np.array(out, dtype=float)


def torch_plateau_lrs(kwargs, metrics):
    """The rate before any step and after each ``step(metric)``."""
    opt = _dummy_optimizer(kwargs["lr"])
    scheduler = sched.ReduceLROnPlateau(opt, **{k: v for k, v in kwargs.items() if k != "lr"})
    out = [opt.param_groups[0]["lr"]]
    for m in metrics:
        scheduler.step(m)
        out.append(opt.param_groups[0]["lr"])
    return np.array(out, dtype=float)


def torch_trajectory(name, kwargs, schedule, source, steps=STEPS):
    """Run a torch optimizer on the gradients of ``source``; return arrays by name."""
    param = torch.nn.Parameter(torch.tensor(source.x0))
    opt = torch_optimizer(name, kwargs, param)
    scheduler = None if schedule is None else torch_scheduler(schedule, opt)
    grads, params, metrics = [], [source.x0.copy()], []
    for k in range(steps):
        g = source(k, param.detach().numpy().copy())
        param.grad = torch.tensor(g)
        opt.step()
        theta = param.detach().numpy().copy()
        grads.append(g)
        params.append(theta)
        if isinstance(scheduler, sched.ReduceLROnPlateau):
            metrics.append(float(theta @ theta))
            scheduler.step(metrics[-1])
        elif scheduler is not None:
            scheduler.step()
    out = {"x0": source.x0, "grads": np.array(grads), "params": np.array(params)}
    for key, value in opt.state[param].items():
        out[f"state/{key}"] = np.asarray(value.detach().numpy(), dtype=float)
    if metrics:
        out["metrics"] = np.array(metrics)
    return out


def torch_replay(name, kwargs, x0, grads, schedule=None):
    """torch's parameters before and after each of ``grads``, for a parameter of any
    shape (a 0-d tensor included); ``schedule`` is a spec without ReduceLROnPlateau."""
    param = torch.nn.Parameter(torch.tensor(np.asarray(x0, dtype=float)))
    opt = torch_optimizer(name, kwargs, param)
    scheduler = None if schedule is None else torch_scheduler(schedule, opt)
    params = [np.array(x0, dtype=float)]
    for g in grads:
        param.grad = torch.tensor(np.asarray(g, dtype=float))
        opt.step()
        params.append(param.detach().numpy().copy())
        if scheduler is not None:
            scheduler.step()
    return np.array(params)


# ------------------------------------------------------------------ main


def main():
    settings = {"torch_version": torch.__version__, "optimizers": {}, "schedules": {},
                "plateaus": {}}
    arrays = {}
    all_optimizers = {**{k: (*v, None) for k, v in OPTIMIZER_CASES.items()},
                      **SCHEDULED_CASES}
    for seed, (case, (name, kwargs, schedule)) in enumerate(all_optimizers.items()):
        settings["optimizers"][case] = {"optimizer": name, "kwargs": kwargs,
                                        "schedule": schedule, "seed": seed}
        for key, value in torch_trajectory(name, kwargs, schedule,
                                           GradientSource(seed)).items():
            arrays[f"optimizer/{case}/{key}"] = value
    for case, spec in SCHEDULE_CASES.items():
        steps = max(250, 3 * spec["args"].get("T_max", 0) + 20)
        settings["schedules"][case] = {**spec, "steps": steps}
        arrays[f"schedule/{case}/lr"] = torch_schedule_values(spec, steps)
    for case, (kwargs, metrics) in _plateau_metrics().items():
        settings["plateaus"][case] = {"kwargs": kwargs}
        arrays[f"plateau/{case}/metrics"] = np.array(metrics, dtype=float)
        arrays[f"plateau/{case}/lr"] = torch_plateau_lrs(kwargs, metrics)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, settings=json.dumps(settings, indent=1), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): "
          f"{len(settings['optimizers'])} optimizer runs, {len(settings['schedules'])} "
          f"schedules, {len(settings['plateaus'])} plateau sequences")


if __name__ == "__main__":
    main()
