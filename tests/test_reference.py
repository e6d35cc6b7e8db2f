"""lrcourse against PyTorch: every optimizer, schedule and plateau rule, to rel 1e-10.

Every optimizer case is checked for parameters of every shape: the stored vectors as a
single number per coordinate (0-d), as a vector, as a matrix and as a batch of runs.

The stored tests replay ``tests/data/torch_reference.npz`` (written by
``tools/make_reference.py`` with ``torch.optim`` in float64): the same gradients go
through lrcourse and the trajectories must agree. They need no PyTorch. When PyTorch is
installed, the live tests also compare fresh random cases.

An element of a trajectory that passes through zero has no meaningful relative error,
so every comparison allows an absolute error of 1e-15 times the largest value of the
reference it is compared with (``_close``).
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import lrcourse
from lrcourse import schedules

ROOT = Path(__file__).resolve().parent.parent
REF = np.load(ROOT / "tests" / "data" / "torch_reference.npz")
SETTINGS = json.loads(str(REF["settings"]))
RTOL = 1e-10

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _close(actual, desired, what=""):
    desired = np.asarray(desired, dtype=float)
    tiny = 1e-15 * np.nanmax(np.abs(desired)) if desired.size else 0.0
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=tiny, err_msg=what)


def build_schedule(spec):
    """An lrcourse schedule from a spec ``{"factory": name, "args": {...}}``."""
    args = dict(spec["args"])
    if spec["factory"] == "ReduceLROnPlateau":
        return schedules.ReduceLROnPlateau(**args)
    if spec["factory"] == "sequential":
        args["schedules"] = [build_schedule(s) for s in args["schedules"]]
    return getattr(schedules, spec["factory"])(**args)


def build_optimizer(name, kwargs, schedule=None):
    kwargs = dict(kwargs)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if schedule is not None:
        kwargs["lr"] = build_schedule(schedule)
    return getattr(lrcourse, name)(**kwargs)


def replay(opt, x0, grads, metrics=None, forced=None):
    """Feed recorded gradients (and plateau metrics) to ``opt``; return the trajectory.

    With ``forced`` (a reference trajectory), each step starts from the reference's
    parameters instead of the previous output, so every step gets exactly torch's
    inputs: a rounding difference cannot be amplified by dynamics that are chaotic,
    such as an adaptive method doing sign descent on a weight-decay-only coordinate.
    """
    xs = [np.asarray(x0, dtype=float)]
    for k, g in enumerate(grads):
        xs.append(opt.step(xs[-1] if forced is None else forced[k], g))
        if metrics is not None:
            opt.lr.step(metrics[k])
    return np.array(xs)


def _stored_run(case):
    setting = SETTINGS["optimizers"][case]
    prefix = f"optimizer/{case}/"
    arrays = {k[len(prefix):]: REF[k] for k in REF.files if k.startswith(prefix)}
    opt = build_optimizer(setting["optimizer"], setting["kwargs"], setting["schedule"])
    return opt, arrays


# ------------------------------------------------------------------ stored references


@pytest.mark.parametrize("case", sorted(SETTINGS["optimizers"]))
def test_optimizer_trajectory_matches_torch(case):
    opt, ref = _stored_run(case)
    params = replay(opt, ref["x0"], ref["grads"], ref.get("metrics"))
    _close(params, ref["params"], case)


# torch's optimizers are element-wise, so its numbers for the stored vector of 6 are its
# numbers for each coordinate alone, for a (2, 3) matrix and for a batch of one run.
SHAPES = {"matrix": (2, 3), "batch of one": (1, 6), "batch of matrices": (1, 2, 3)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", sorted(SETTINGS["optimizers"]))
def test_optimizer_matches_torch_for_every_shape(case, shape):
    opt, ref = _stored_run(case)
    new = SHAPES[shape]
    params = replay(opt, ref["x0"].reshape(new), ref["grads"].reshape(-1, *new),
                    ref.get("metrics"))
    _close(params, ref["params"].reshape(-1, *new), f"{case} as {new}")


@pytest.mark.parametrize("case", sorted(SETTINGS["optimizers"]))
def test_optimizer_matches_torch_on_single_numbers(case):
    """0-d parameters: each coordinate replayed alone as np.array(x), a number."""
    for i in range(len(_stored_run(case)[1]["x0"])):
        opt, ref = _stored_run(case)
        params = replay(opt, ref["x0"][i], ref["grads"][:, i], ref.get("metrics"))
        assert params.shape == (len(ref["grads"]) + 1,)
        _close(params, ref["params"][:, i], f"{case}, coordinate {i} as a 0-d parameter")


@pytest.mark.parametrize("case", sorted(SETTINGS["optimizers"]))
def test_optimizer_state_matches_torch(case):
    opt, ref = _stored_run(case)
    replay(opt, ref["x0"], ref["grads"], ref.get("metrics"))
    torch_state = {k[len("state/"):]: v for k, v in ref.items() if k.startswith("state/")}
    plain_sgd = not SETTINGS["optimizers"][case]["kwargs"].get("momentum")
    assert torch_state or plain_sgd, "torch keeps state for every optimizer but plain SGD"
    saved = opt.state_dict()
    assert saved["step"] == len(ref["grads"]) == int(torch_state.pop("step", saved["step"]))
    assert set(saved["state"]) == set(torch_state), case
    for name, value in torch_state.items():
        _close(saved["state"][name], value, f"{case}: state {name}")


@pytest.mark.parametrize("case", sorted(SETTINGS["optimizers"]))
def test_reset_restores_first_step_behaviour(case):
    opt, ref = _stored_run(case)
    rng = np.random.default_rng(0)
    x = ref["x0"]
    for _ in range(30):
        x = opt.step(x, rng.standard_normal(x.shape) * 10)
        if ref.get("metrics") is not None:
            opt.lr.step(rng.random())
    opt.reset()
    assert opt.state_dict() == {"step": 0, "state": {}}
    params = replay(opt, ref["x0"], ref["grads"], ref.get("metrics"))
    _close(params, ref["params"], case)


@pytest.mark.parametrize("case", sorted(SETTINGS["schedules"]))
def test_schedule_matches_torch(case):
    setting = SETTINGS["schedules"][case]
    schedule = build_schedule(setting)
    ref = REF[f"schedule/{case}/lr"]
    t = np.arange(setting["steps"] + 1)
    curve = schedule(t)
    _close(curve, ref, case)
    scalars = [schedule(int(k)) for k in t]
    assert all(isinstance(v, float) for v in scalars)
    # NumPy's vectorised pow may round differently from its scalar pow (last bit only)
    np.testing.assert_allclose(scalars, curve, rtol=1e-15, atol=0)


def test_schedule_cases_cover_every_factory():
    used = {s["factory"] for s in SETTINGS["schedules"].values()}
    factories = {"constant", "step_lr", "multistep_lr", "exponential_lr",
                 "cosine_annealing_lr", "linear_lr", "sequential", "warmup_cosine",
                 "inverse_sqrt"}
    assert factories <= used
    assert any(s["steps"] >= 3 * s["args"]["T_max"] for s in SETTINGS["schedules"].values()
               if s["factory"] == "cosine_annealing_lr"), "cosine beyond T_max"


@pytest.mark.parametrize("case", sorted(SETTINGS["plateaus"]))
def test_plateau_matches_torch(case):
    plateau = schedules.ReduceLROnPlateau(**SETTINGS["plateaus"][case]["kwargs"])
    metrics, ref = REF[f"plateau/{case}/metrics"], REF[f"plateau/{case}/lr"]
    lrs = [plateau(0)] + [plateau.step(m) for m in metrics]
    _close(lrs, ref, case)
    assert plateau(123) == lrs[-1], "calling it gives the current rate whatever t"
    plateau.reset()
    assert plateau(0) == ref[0]
    _close([plateau(0)] + [plateau.step(m) for m in metrics], ref, f"{case} after reset")


def test_optimizer_cases_cover_every_option():
    cases = SETTINGS["optimizers"].values()

    def has(name, **options):
        return any(c["optimizer"] == name and all(
            c["kwargs"].get(k, False) not in (False, 0, 0.0) if v is True
            else c["kwargs"].get(k) == v for k, v in options.items()) for c in cases)

    assert has("SGD", momentum=True) and has("SGD", dampening=True)
    assert has("SGD", nesterov=True) and has("SGD", weight_decay=True)
    assert has("Adagrad", lr_decay=True) and has("Adagrad", initial_accumulator_value=True)
    assert has("Adagrad", weight_decay=True)
    assert has("RMSprop", centered=True, momentum=True) and has("RMSprop", weight_decay=True)
    assert has("Adam", amsgrad=True) and has("Adam", weight_decay=True) and has("AdamW")
    assert all(REF[f"optimizer/{c}/grads"].shape[0] >= 500 for c in SETTINGS["optimizers"])


# ------------------------------------------------------------------ API behaviour

OPTIMIZERS = [
    lambda: lrcourse.SGD(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    lambda: lrcourse.Adagrad(lr=0.1, lr_decay=0.1, weight_decay=0.1),
    lambda: lrcourse.AdagradMean(lr=0.1),
    lambda: lrcourse.RMSprop(lr=0.1, momentum=0.5, centered=True, weight_decay=0.1),
    lambda: lrcourse.Adam(lr=0.1, amsgrad=True, weight_decay=0.1),
    lambda: lrcourse.AdamW(lr=schedules.warmup_cosine(0.1, 3, 10)),
    lambda: lrcourse.RMSpropLecture(lr=0.1, weight_decay=0.1),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_step_does_not_modify_its_inputs(make):
    opt = make()
    rng = np.random.default_rng(1)
    params = rng.standard_normal((3, 4))
    for _ in range(5):
        grads = rng.standard_normal((3, 4))
        before_p, before_g = params.copy(), grads.copy()
        new = opt.step(params, grads)
        np.testing.assert_array_equal(params, before_p)
        np.testing.assert_array_equal(grads, before_g)
        assert not np.shares_memory(new, params) and not np.shares_memory(new, grads)
        params = new


@pytest.mark.parametrize("make, names", [
    (lambda: lrcourse.SGD(lr=0.1, momentum=0.9), {"momentum_buffer"}),
    (lambda: lrcourse.Adagrad(), {"sum"}),
    (lambda: lrcourse.AdagradMean(), {"sum"}),
    (lambda: lrcourse.RMSprop(), {"square_avg"}),
    (lambda: lrcourse.RMSprop(centered=True, momentum=0.9),
     {"square_avg", "grad_avg", "momentum_buffer"}),
    (lambda: lrcourse.Adam(), {"exp_avg", "exp_avg_sq"}),
    (lambda: lrcourse.Adam(amsgrad=True), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (lambda: lrcourse.AdamW(), {"exp_avg", "exp_avg_sq"}),
    (lambda: lrcourse.RMSpropLecture(), {"square_avg"}),
])
def test_state_names_follow_torch(make, names):
    opt = make()
    g = np.array([1.0, -2.0, 0.0])
    opt.step(np.zeros(3), g)
    saved = opt.state_dict()
    assert set(saved["state"]) == names and saved["step"] == 1
    for name in names:
        assert np.shape(saved["state"][name]) == (3,)
        assert not np.shares_memory(saved["state"][name], opt.state_dict()["state"][name])


def test_batched_adam_equals_single_runs():
    rng = np.random.default_rng(3)
    lrs = np.array([[1e-3], [1e-2], [0.1], [0.5]])
    x0 = rng.standard_normal((4, 5))
    grads = rng.standard_normal((200, 4, 5)) * 10.0 ** rng.uniform(-3, 2, size=(200, 1, 5))
    batched = replay(lrcourse.Adam(lr=lrs, betas=(0.8, 0.99)), x0, grads)
    assert batched.shape == (201, 4, 5)
    for b, lr in enumerate(lrs[:, 0]):
        single = replay(lrcourse.Adam(lr=float(lr), betas=(0.8, 0.99)), x0[b], grads[:, b])
        np.testing.assert_allclose(batched[:, b], single, rtol=1e-14, atol=0)


# ------------------------------------------------------------------ live, with PyTorch


def _make_reference():
    spec = importlib.util.spec_from_file_location("make_reference",
                                                  ROOT / "tools" / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mr():
    return _make_reference()


def _log_uniform(rng, low, high):
    return float(10.0 ** rng.uniform(np.log10(low), np.log10(high)))


def _maybe(rng, value, p=0.5):
    return value if rng.random() < p else 0.0


def random_optimizer(rng):
    """A random optimizer name and torch-style keyword arguments."""
    name = rng.choice(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
    wd = _maybe(rng, _log_uniform(rng, 1e-4, 0.3))
    if name == "SGD":
        momentum = _maybe(rng, float(rng.uniform(0, 0.99)), 0.7)
        nesterov = bool(momentum > 0 and rng.random() < 0.5)
        dampening = 0.0 if nesterov else _maybe(rng, float(rng.uniform(0, 0.9)))
        kw = dict(lr=_log_uniform(rng, 1e-4, 1e-2), momentum=momentum, dampening=dampening,
                  nesterov=nesterov, weight_decay=wd)
    elif name == "Adagrad":
        kw = dict(lr=_log_uniform(rng, 1e-3, 1.0), lr_decay=_maybe(rng, _log_uniform(
            rng, 1e-4, 0.1)), weight_decay=wd, initial_accumulator_value=_maybe(
            rng, float(rng.uniform(0, 2))), eps=_log_uniform(rng, 1e-12, 1e-4))
    elif name == "RMSprop":
        # Centered with a short memory (small alpha) divides by the root of a variance
        # that cancels to rounding noise whenever a gradient repeats: ill-conditioned
        # in torch as much as here, so no 1e-10 agreement is possible there.
        centered = bool(rng.random() < 0.5)
        kw = dict(lr=_log_uniform(rng, 1e-4, 1e-1),
                  alpha=float(rng.uniform(0.5 if centered else 0.0, 0.999)),
                  eps=_log_uniform(rng, 1e-10, 1e-4), weight_decay=wd,
                  momentum=_maybe(rng, float(rng.uniform(0, 0.95))), centered=centered)
    else:
        kw = dict(lr=_log_uniform(rng, 1e-4, 1e-1),
                  betas=(float(rng.uniform(0, 0.99)), float(rng.uniform(0, 0.9999))),
                  eps=_log_uniform(rng, 1e-10, 1e-4), weight_decay=wd,
                  amsgrad=bool(rng.random() < 0.5))
    return str(name), kw


def random_schedule(rng, lr):
    """A random schedule spec, nested one level for ``sequential``."""
    factory = rng.choice(["constant", "step_lr", "multistep_lr", "exponential_lr",
                          "cosine_annealing_lr", "linear_lr", "sequential", "warmup_cosine",
                          "inverse_sqrt"])
    a = {"lr": lr}
    if factory == "step_lr":
        a.update(step_size=int(rng.integers(1, 60)), gamma=float(rng.uniform(0.05, 1)))
    elif factory == "multistep_lr":
        a.update(milestones=sorted(int(m) for m in rng.choice(np.arange(1, 200), 4,
                                                              replace=False)),
                 gamma=float(rng.uniform(0.05, 1)))
    elif factory == "exponential_lr":
        a.update(gamma=float(rng.uniform(0.9, 1.01)))
    elif factory == "cosine_annealing_lr":
        a.update(T_max=int(rng.integers(1, 80)), eta_min=float(rng.uniform(0, lr)))
    elif factory == "linear_lr":
        a.update(start_factor=float(rng.uniform(0.01, 1)), end_factor=float(rng.uniform(0, 1)),
                 total_iters=int(rng.integers(1, 100)))
    elif factory == "sequential":
        # torch cannot restart a SequentialLR inside another one, so no nesting here
        parts = [random_schedule(rng, lr) for _ in range(int(rng.integers(2, 4)))]
        parts = [p if p["factory"] not in ("sequential", "warmup_cosine")
                 else {"factory": "constant", "args": {"lr": lr}} for p in parts]
        cuts = rng.choice(np.arange(1, 150), len(parts) - 1, replace=False)
        a.update(schedules=parts, milestones=sorted(int(m) for m in cuts))
        del a["lr"]
    elif factory == "warmup_cosine":
        w = int(rng.integers(1, 50))
        a.update(warmup_steps=w, total_steps=w + int(rng.integers(1, 150)),
                 eta_min=float(rng.uniform(0, lr)),
                 warmup_start_factor=float(rng.uniform(0.01, 1)))
    elif factory == "inverse_sqrt":
        a.update(warmup_steps=int(rng.integers(1, 100)))
    return {"factory": str(factory), "args": a}


@needs_torch
@pytest.mark.parametrize("seed", range(40))
def test_live_random_optimizer_matches_torch(mr, seed):
    rng = np.random.default_rng(1000 + seed)
    name, kwargs = random_optimizer(rng)
    schedule = random_schedule(rng, kwargs["lr"]) if rng.random() < 0.3 else None
    source = mr.GradientSource(2000 + seed, dim=int(rng.integers(1, 9)))
    ref = mr.torch_trajectory(name, kwargs, schedule, source, steps=300)
    opt = build_optimizer(name, kwargs, schedule)
    params = replay(opt, ref["x0"], ref["grads"], forced=ref["params"])
    _close(params, ref["params"], f"{name} {kwargs} {schedule}")


@needs_torch
@pytest.mark.parametrize("seed", range(60))
def test_live_random_schedule_matches_torch(mr, seed):
    rng = np.random.default_rng(3000 + seed)
    spec = random_schedule(rng, _log_uniform(rng, 1e-4, 1.0))
    ref = mr.torch_schedule_values(spec, 400)
    _close(build_schedule(spec)(np.arange(401)), ref, str(spec))


@needs_torch
@pytest.mark.parametrize("seed", range(40))
def test_live_random_plateau_matches_torch(mr, seed):
    rng = np.random.default_rng(4000 + seed)
    mode, threshold_mode = rng.choice(["min", "max"]), rng.choice(["rel", "abs"])
    kwargs = dict(lr=_log_uniform(rng, 1e-6, 1.0), mode=str(mode),
                  factor=float(rng.uniform(0.0, 0.99)), patience=int(rng.integers(0, 6)),
                  threshold=float(rng.choice([0.0, 1e-4, 1e-2, 0.1])),
                  threshold_mode=str(threshold_mode), cooldown=int(rng.integers(0, 4)),
                  min_lr=_maybe(rng, _log_uniform(rng, 1e-8, 1e-2)),
                  eps=float(rng.choice([0.0, 1e-8, 1e-6])))
    # a random walk with flat stretches, rounded so exact ties happen
    steps = rng.standard_normal(200) * (rng.random(200) < 0.4)
    metrics = np.round(5 + np.cumsum(steps) * 0.1, 2)
    ref = mr.torch_plateau_lrs(kwargs, metrics.tolist())
    plateau = schedules.ReduceLROnPlateau(**kwargs)
    _close([plateau(0)] + [plateau.step(m) for m in metrics], ref, str(kwargs))


@needs_torch
def test_live_batched_adam_equals_torch_runs(mr):
    lrs = np.array([[1e-3], [3e-2], [0.2]])
    sources = [mr.GradientSource(s, dim=4) for s in (11, 12, 13)]
    refs = [mr.torch_trajectory("Adam", {"lr": float(lr), "amsgrad": True}, None, src,
                                steps=200) for lr, src in zip(lrs[:, 0], sources)]
    x0 = np.stack([r["x0"] for r in refs])
    grads = np.stack([r["grads"] for r in refs], axis=1)
    batched = replay(lrcourse.Adam(lr=lrs, amsgrad=True), x0, grads)
    for b, ref in enumerate(refs):
        _close(batched[:, b], ref["params"], f"run {b}")


@needs_torch
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 2, 2)])
@pytest.mark.parametrize("seed", range(10))
def test_live_every_shape_matches_torch(mr, seed, shape):
    """torch on a parameter of that shape (a 0-d tensor for ()), with random gradients."""
    rng = np.random.default_rng(5000 + seed)
    name, kwargs = random_optimizer(rng)
    schedule = random_schedule(rng, kwargs["lr"]) if rng.random() < 0.3 else None
    grads = rng.standard_normal((150, *shape)) * 10.0 ** rng.uniform(-3, 2, (150, *shape))
    grads[rng.random(grads.shape) < 0.1] = 0.0
    x0 = rng.standard_normal(shape)
    ref = mr.torch_replay(name, kwargs, x0, grads, schedule)
    opt = build_optimizer(name, kwargs, schedule)
    params = replay(opt, x0, grads, forced=ref)
    assert params.shape == ref.shape
    _close(params, ref, f"{name} {kwargs} {schedule} shape {shape}")


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_live_batched_sweep_equals_torch_runs(mr, name):
    """One run per learning rate, shape (B, 1), against B separate torch optimizers."""
    rng = np.random.default_rng(17)
    lrs = np.array([[1e-3], [3e-2], [0.2]])
    kwargs = {"SGD": {"momentum": 0.9}, "Adagrad": {"lr_decay": 0.01},
              "RMSprop": {"centered": True, "momentum": 0.5}, "Adam": {"amsgrad": True},
              "AdamW": {"weight_decay": 0.1}}[name]
    grads = rng.standard_normal((120, 3, 4)) * 10.0 ** rng.uniform(-2, 1, (120, 3, 4))
    x0 = rng.standard_normal((3, 4))
    refs = [mr.torch_replay(name, {"lr": float(lr), **kwargs}, x0[b], grads[:, b])
            for b, lr in enumerate(lrs[:, 0])]
    batched = replay(getattr(lrcourse, name)(lr=lrs, **kwargs), x0, grads)
    for b, ref in enumerate(refs):
        _close(batched[:, b], ref, f"{name} run {b}")
