"""Fixtures shared by the test modules.

Checker tests: ``not_implemented`` and ``broken`` stand for a learner's untouched stub
and a function with a NameError; ``failed_with(result, cause)`` and ``says(result,
*words)`` assert what a failed check told the learner; ``line_of(fn, text)`` is the
line number of the line of ``fn``'s source that contains ``text``.
"""

import inspect

import pytest


def _not_implemented(*args, **kwargs):
    raise NotImplementedError


def _broken(*args, **kwargs):
    return undefined_name  # noqa: F821


@pytest.fixture
def not_implemented():
    return _not_implemented


@pytest.fixture
def broken():
    return _broken


def _says(result, *words):
    assert result.status == "failed" and not result.passed, result.message
    for word in words:
        assert word in result.message, f"{word!r} not in:\n{result.message}"


@pytest.fixture
def says():
    return _says


@pytest.fixture
def failed_with():
    def failed_with(result, cause):
        _says(result, "likely cause", cause)

    return failed_with


@pytest.fixture
def line_of():
    def line_of(fn, text):
        lines, first = inspect.getsourcelines(fn)
        hits = [first + i for i, line in enumerate(lines) if text in line]
        assert len(hits) == 1, f"{text!r} is on {len(hits)} lines of {fn.__name__}"
        return hits[0]

    return line_of
