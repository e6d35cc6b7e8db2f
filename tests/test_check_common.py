"""Every registered checker handles unfinished and broken answers without raising."""

import pytest
from checking import broken, not_implemented

from lrcourse import check
from lrcourse.teaching.check import AnswerChecker, FunctionChecker

CHECKERS = sorted(check.REGISTRY.values(), key=lambda c: (c.chapter, c.title))


def test_every_chapter_has_at_least_three_checkers():
    chapters = [c.chapter for c in CHECKERS]
    assert all(chapters.count(n) >= 3 for n in range(1, 7)), chapters


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_unfinished_answer_reads_not_implemented(checker):
    answer = not_implemented if isinstance(checker, FunctionChecker) else ...
    result = checker(answer)
    assert result.status == "not implemented" and not result.passed


@pytest.mark.parametrize("checker", [c for c in CHECKERS if isinstance(c, FunctionChecker)],
                         ids=lambda c: c.name)
def test_learner_exception_is_reported_not_raised(checker):
    result = checker(broken)
    assert result.status == "error" and "NameError" in result.message


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_titles_name_their_exercise_and_hints_exist(checker, capsys):
    assert checker.title.startswith(f"Exercise {checker.chapter}.")
    assert isinstance(checker, (FunctionChecker, AnswerChecker))
    checker.hint()
    assert "Hint" in capsys.readouterr().out
