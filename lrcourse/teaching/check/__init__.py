"""Exercise checkers: call ``check.<exercise>(your_function_or_answer)`` from a notebook.

Each checker compares your answer with the reference on random and edge-case inputs
and answers in plain words; ``check.<exercise>.hint()`` prints the next hint. See
``lrcourse.teaching.check._core`` for how a checker is built and what a grader uses.
"""

from . import adagrad, adam, comparison, gradient_descent, rmsprop, schedules
from ._core import (
    REGISTRY,
    AnswerChecker,
    Case,
    FunctionChecker,
    Result,
    Verdict,
    describe_exception,
)


def __getattr__(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise AttributeError(
            f"no exercise checker named {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def for_chapter(chapter):
    """The checkers of one chapter (an integer), in the order they were defined."""
    return [c for c in REGISTRY.values() if c.chapter == chapter]


__all__ = ["REGISTRY", "AnswerChecker", "Case", "FunctionChecker", "Result", "Verdict",
           "describe_exception", "for_chapter",
           "adagrad", "adam", "comparison", "gradient_descent", "rmsprop", "schedules"]
