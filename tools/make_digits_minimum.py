"""Solve the minimum of ``problems.digits_softmax()`` once and ship it with the package.

Chapters 5 and 6 and the graded notebooks all need it; solving it in each costs seconds.
Run by hand when the data, the model or its default arguments change::

    .venv/bin/python tools/make_digits_minimum.py

``tests/test_problems.py`` checks the shipped point independently on every machine: its
gradient is tiny (the loss is strongly convex, so this bounds the distance to the true
minimum) and no fresh L-BFGS run finds a lower loss.
"""

import inspect

import numpy as np

from lrcourse.numerics import problems

defaults = {k: v.default for k, v in inspect.signature(problems.digits_softmax).parameters.items()}
problem = problems.digits_softmax(**defaults)
minimum = problems._solve_minimum(problem.loss, problem.grad, problem.hvp, problem.start)
gradient_norm = np.linalg.norm(problem.grad(minimum))
if gradient_norm > 1e-12:
    raise SystemExit(f"not solved: gradient norm {gradient_norm:.2g} at the end")
np.savez(problems.SOFTMAX_MINIMUM, minimum=minimum, **defaults)
print(f"{problems.SOFTMAX_MINIMUM.name}: loss {problem.loss(minimum):.15f}, "
      f"gradient norm {gradient_norm:.2g}")
