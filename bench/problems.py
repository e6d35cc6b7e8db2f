"""Benchmarks of the problems: the digits models, each a ratio against a baseline run here."""

import multiprocessing
import os

import numpy as np

from bench.engine import best_cpu_time, best_time
from lrcourse import Adam, problems, run

MLP_STEPS = 300


def softmax_minimum():
    """digits_softmax() with its shipped minimum vs solving the minimum as before."""
    ours = best_time(lambda: problems.digits_softmax().minimum, repeat=5)
    p = problems.digits_softmax()
    solve = best_time(lambda: problems._solve_minimum(p.loss, p.grad, p.hvp, p.start), repeat=1)
    return "digits_softmax() with its minimum", ours, solve, 100.0


def _torch_mlp(problem):
    """The same network in PyTorch (float64, autograd), from the same start."""
    import torch

    X = torch.tensor(problems._digits()[0][problem.info["train"]] / 16.0)
    labels = torch.tensor(problems._digits()[1][problem.info["train"]])
    parts = [torch.tensor(a.copy(), requires_grad=True)
             for a in problem.info["layers"](problem.start)]
    l2 = problem.info["l2"]

    def loss():
        W1, b1, W2, b2 = parts
        z = torch.tanh(X @ W1 + b1) @ W2 + b2
        return (torch.nn.functional.cross_entropy(z, labels)
                + 0.5 * l2 * sum((a * a).sum() for a in parts))

    return parts, loss


def mlp_training():
    """300 full-batch Adam steps on digits_mlp(): run() vs torch.optim.Adam with autograd.

    run() also evaluates the loss after every step (a second forward pass), as the
    torch loop does not; the target allows for that.
    """
    try:
        import torch
    except ImportError:
        return None
    p = problems.digits_mlp()
    ours = best_time(lambda: run(Adam(lr=0.01), p, steps=MLP_STEPS), repeat=3)

    def torch_loop():
        parts, loss = _torch_mlp(p)
        opt = torch.optim.Adam(parts, lr=0.01)
        for _ in range(MLP_STEPS):
            opt.zero_grad()
            value = loss()
            value.backward()
            opt.step()
        return value.item()

    baseline = best_time(torch_loop, repeat=3)
    # torch's last loss is that of the point before its last step
    ours_last = run(Adam(lr=0.01), p, steps=MLP_STEPS).loss[-2]
    assert np.isclose(ours_last, torch_loop(), rtol=1e-6), "not the same training"
    return f"digits_mlp {MLP_STEPS} Adam steps", ours, baseline, 0.5


def mlp_hvp():
    """One exact Hessian-vector product of digits_mlp(): the R-operator vs torch's
    double backward."""
    try:
        import torch
    except ImportError:
        return None
    p = problems.digits_mlp()
    v = np.random.default_rng(0).standard_normal(p.dim)
    ours = best_time(lambda: p.hvp(p.start, v), repeat=20)
    parts, loss = _torch_mlp(p)
    vs = [torch.tensor(a.copy()) for a in p.info["layers"](v)]

    def torch_hvp():
        grads = torch.autograd.grad(loss(), parts, create_graph=True)
        dot = sum((g * u).sum() for g, u in zip(grads, vs))
        return torch.autograd.grad(dot, parts)

    baseline = best_time(torch_hvp, repeat=20)
    flat = np.concatenate([h.numpy().ravel() for h in torch_hvp()])
    assert np.allclose(p.hvp(p.start, v), flat, rtol=1e-8, atol=1e-12), "not the same hvp"
    return "digits_mlp Hessian-vector product", ours, baseline, 0.5


def _spin(stop):
    while not stop.is_set():
        pass


def mlp_gradient_on_a_busy_machine():
    """The CPU time of full-batch gradients of digits_mlp() for three starts at once,
    while every core is busy with other work (as in a build, or beside a browser):
    products of at most ``problems._ONE_CALL`` multiply-adds, which OpenBLAS runs on one
    thread, vs one product each, which it spreads over every core."""
    p = problems.digits_mlp()
    starts = np.stack([problems.digits_mlp(seed=s).start for s in range(3)])

    def gradients():
        for _ in range(20):
            p.grad(starts)

    stop = multiprocessing.Event()
    others = [multiprocessing.Process(target=_spin, args=(stop,))
              for _ in range(os.cpu_count() or 1)]
    for other in others:
        other.start()
    try:
        ours = best_cpu_time(gradients)
        blocks, problems._ONE_CALL = problems._ONE_CALL, float("inf")
        try:
            baseline = best_cpu_time(gradients)
        finally:
            problems._ONE_CALL = blocks
    finally:
        stop.set()
        for other in others:
            other.join()
    return "digits_mlp gradients, CPU, busy cores", ours, baseline, 1.0


def all_benchmarks():
    return [softmax_minimum, mlp_training, mlp_hvp, mlp_gradient_on_a_busy_machine]
