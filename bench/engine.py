"""Benchmarks of the numerical engine, each a ratio against a baseline run here and now."""

import time

import numpy as np

from lrcourse import SGD, Adam, problems, run, sweep


def best_time(fn, repeat=5, number=1):
    """The fastest of ``repeat`` timings of ``number`` calls, in seconds per call."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def best_cpu_time(fn, repeat=5):
    """The least CPU time of ``repeat`` calls of ``fn``, in seconds: this process's, all
    of its threads (the BLAS's included)."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def contour_grid():
    """200 x 200 linear-regression loss grid: vectorised vs the notes' double loop."""
    problem = problems.linear_regression()
    X, y = problem.info["X"], problem.info["y"][:, None]
    a, b = np.linspace(*problem.xlim, 200), np.linspace(*problem.ylim, 200)

    def loop():
        A, B = np.meshgrid(a, b)
        L = np.zeros(A.shape)
        for i in range(len(a)):
            for j in range(len(b)):
                t = np.array([[A[i, j]], [B[i, j]]])
                L[i, j] = np.mean((X.dot(t) - y) ** 2)
        return L

    slow = best_time(loop, repeat=1)
    fast = best_time(lambda: problem.grid(200), repeat=5)
    assert np.allclose(loop(), problem.grid(200)[2])
    return "loss-contour grid 200x200", fast, slow, 100.0


def lr_sweep():
    """256 learning rates x 500 steps on the ravine: one batched call vs 256 runs."""
    problem = problems.ravine(condition=20)
    lrs = np.geomspace(1e-3, 1.0, 256)
    fast = best_time(lambda: sweep(lambda lr: SGD(lr=lr), lrs, problem, steps=500), repeat=3)
    t0 = time.perf_counter()
    singles = [run(SGD(lr=lr), problem, steps=500).loss[-1] for lr in lrs]
    slow = time.perf_counter() - t0
    batched = sweep(lambda lr: SGD(lr=lr), lrs, problem, steps=500).loss[-1]
    assert np.allclose(batched, singles, rtol=1e-12, atol=1e-300)
    return "sweep 256 lrs x 500 steps", fast, slow, 20.0


def adam_million():
    """Adam's step on 1,000,000 float64 parameters vs torch.optim.Adam (if installed).

    The two are timed in turn, one step each, and the fastest of each is kept: on a
    shared machine the other processes then slow both alike.
    """
    try:
        import torch
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    theta, grad = rng.standard_normal(1_000_000), rng.standard_normal(1_000_000)
    opt = Adam(lr=1e-3)
    state = {"theta": theta}

    def ours():
        state["theta"] = opt.step(state["theta"], grad)

    p = torch.nn.Parameter(torch.tensor(theta))
    p.grad = torch.tensor(grad)
    topt = torch.optim.Adam([p], lr=1e-3, foreach=False)
    torch.set_num_threads(1)
    ours(), topt.step()  # warm up: allocate state
    mine, theirs = [], []
    for _ in range(40):
        mine.append(best_time(ours, repeat=1))
        theirs.append(best_time(topt.step, repeat=1))
    return "Adam step, 1e6 params (vs torch)", min(mine), min(theirs), 1 / 1.5


def all_benchmarks():
    return [contour_grid, lr_sweep, adam_million]
