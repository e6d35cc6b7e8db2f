"""Helpers shared by the checker tests: stand-ins for a learner's unfinished or broken code."""


def not_implemented(*args, **kwargs):
    """A learner's untouched stub."""
    raise NotImplementedError


def broken(*args, **kwargs):
    """A learner's function with a NameError in it."""
    return undefined_name  # noqa: F821


def failed_with(result, cause):
    """Assert that a check failed and named ``cause`` as the likely cause."""
    assert result.status == "failed", result.message
    assert not result.passed
    assert "likely cause" in result.message and cause in result.message, result.message
