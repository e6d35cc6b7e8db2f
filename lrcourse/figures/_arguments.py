"""Argument checks of the figures, made on the first line of each call.

A figure is built in a few hundred milliseconds and shown later; a wrong argument must
fail at the learner's own call, naming the argument, not deep inside matplotlib or in a
widget callback. Each check raises ``ValueError``, as the numerics layer's checks do.
"""

import inspect

from ..numerics.problems import Problem


def plane(problem, argument="problem"):
    """A problem whose loss can be drawn as contours: two parameters, a plotting window."""
    if isinstance(problem, Problem):
        if problem.dim != 2 or problem.xlim is None:
            raise ValueError(
                f"{argument} must have two parameters and a plotting window, so that its "
                f"loss can be drawn as contours; {problem.name} has {problem.dim} "
                f"parameters (two-parameter problems: problems.ravine(), "
                f"problems.rosenbrock(), ...)")
        return problem
    if inspect.isfunction(problem):
        raise ValueError(f"{argument} must be a problem, got the function {problem.__name__}: "
                         f"call it, as in problems.{problem.__name__}()")
    raise ValueError(f"{argument} must be a problem such as problems.ravine(), "
                     f"got {kind(problem)}")


def entrants(optimizers, argument="optimizers"):
    """A race's entrants: a non-empty dict ``name -> optimizer`` (instances, not classes)."""
    if not isinstance(optimizers, dict) or not optimizers:
        raise ValueError(f"{argument} must be a dict name -> optimizer, such as "
                         f"{{'SGD': SGD(lr=0.1), 'Adam': Adam(lr=0.1)}}, got {kind(optimizers)}")
    for name, optimizer in optimizers.items():
        if isinstance(optimizer, type):
            raise ValueError(f"{argument}[{name!r}] must be an optimizer, got the class "
                             f"{optimizer.__name__}: create one, as in "
                             f"{optimizer.__name__}(lr=0.1)")
        if not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"{argument}[{name!r}] must be an optimizer (with a step "
                             f"method), got {kind(optimizer)}")
    return optimizers


def kind(value):
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"
