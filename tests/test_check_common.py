"""What every checker does: unfinished and broken answers, hints, one verdict per call,
wrong signatures, and the interface a grader uses (cases, reference, compare, score)."""

import copy
import pickle
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter

from lrcourse import check
from lrcourse.teaching.check import (
    AnswerChecker,
    Case,
    FunctionChecker,
    Verdict,
    describe_exception,
)

ROOT = Path(__file__).resolve().parents[1]
CHECKERS = sorted(check.REGISTRY.values(), key=lambda c: (c.chapter, c.title))
FUNCTIONS = [c for c in CHECKERS if isinstance(c, FunctionChecker)]


def test_every_chapter_has_at_least_three_checkers():
    chapters = [c.chapter for c in CHECKERS]
    assert all(chapters.count(n) >= 3 for n in range(1, 7)), chapters


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_unfinished_answer_reads_not_implemented(checker, not_implemented):
    answer = not_implemented if isinstance(checker, FunctionChecker) else ...
    result = checker(answer)
    assert result.status == "not implemented" and not result.passed


@pytest.mark.parametrize("checker", FUNCTIONS, ids=lambda c: c.name)
def test_learner_exception_names_the_learners_line(checker, broken, line_of):
    result = checker(broken)
    assert result.status == "error" and "NameError" in result.message
    assert f"line {line_of(broken, 'undefined_name')}" in result.message, result.message
    assert "conftest.py" in result.message and "lrcourse" not in result.message


@pytest.mark.parametrize("checker", FUNCTIONS, ids=lambda c: c.name)
def test_wrong_signature_says_which_arguments_were_expected(checker, says):
    def answer(x):
        return x

    result = checker(answer)
    params = ", ".join(p.split("=")[0] for p in checker.parameters)
    says(result, "answer(x)", f"Expected: {checker.learner_name}({params}".split("(")[0])
    assert all(p in result.message.split("Expected:")[1] for p in checker.parameters)


@pytest.mark.parametrize("checker", FUNCTIONS, ids=lambda c: c.name)
def test_a_result_instead_of_a_function_is_explained(checker, says):
    says(checker(0.5), "expected a function", f"check.{checker.name}({checker.learner_name})")


# ------------------------------------------------------------------ hints


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_hints_come_one_at_a_time_in_order_and_count_down(checker, capsys):
    checker = copy.copy(checker)  # its own count of hints seen
    total = len(checker.hints)
    assert total >= 2 and checker.title.startswith(f"Exercise {checker.chapter}.")
    for n in range(1, total + 1):
        checker.hint()
        out = capsys.readouterr().out
        assert out.startswith(f"Hint {n} of {total} ")
        assert checker.hints[n - 1] in out
        assert all(other not in out for i, other in enumerate(checker.hints) if i != n - 1)
        left = total - n
        assert ("that was the last hint" in out) if left == 0 else (f"{left} more" in out)
    checker.hint()
    out = capsys.readouterr().out
    assert f"seen all {total} hints" in out and checker.hints[-1] not in out


def test_the_last_hint_only_when_asked_for(capsys):
    checker = copy.copy(check.adagrad_step)
    checker.hint()
    assert checker.hints[-1] not in capsys.readouterr().out
    checker.hint(len(checker.hints))
    assert checker.hints[-1] in capsys.readouterr().out
    checker.hint(1)
    assert checker.hints[0] in capsys.readouterr().out


@pytest.mark.parametrize("n", [0, 4, -1, 1.5, "2", True, None])
def test_hint_number_out_of_range_or_not_an_integer(n, capsys):
    checker = copy.copy(check.adagrad_step)  # three hints
    if n is None:
        return  # hint() with no number is the next hint, tested above
    checker.hint(n)
    out = capsys.readouterr().out
    assert "a whole number n from 1 to 3" in out and repr(n) in out
    assert not any(h in out for h in checker.hints)


def test_numpy_integer_selects_a_hint(capsys):
    checker = copy.copy(check.adagrad_step)
    checker.hint(np.int64(2))
    assert checker.hints[1] in capsys.readouterr().out


# ------------------------------------------------------------------ one verdict


def test_a_checker_on_its_own_says_how_to_use_it():
    assert repr(check.gd_path) == ("<checker of Exercise 1.1 (gradient descent by hand): "
                                   "check.gd_path(gd_path) checks your answer, "
                                   "check.gd_path.hint() gives a hint>")


def test_result_displays_nothing_more_in_ipython():
    result = check.adagrad_distance(1.0)
    data, metadata = DisplayFormatter().format(result)
    assert data == {} and metadata == {}
    assert repr(result) == "<check adagrad_distance: failed>"
    assert str(result) == result.message and not result


def test_verdict_shows_once_in_a_real_kernel_with_and_without_semicolon():
    """A real ipykernel runs a notebook; each check's verdict appears once in its outputs."""
    from nbclient import NotebookClient

    setup = ("import numpy as np\nfrom lrcourse import check\n"
             "def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):\n"
             "    state_sum = state_sum + grad**2\n"
             "    return theta - lr * grad / (np.sqrt(state_sum) + eps), state_sum\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("check.adagrad_step(adagrad_step)"),
        nbformat.v4.new_code_cell("check.adagrad_step(adagrad_step);"),
        nbformat.v4.new_code_cell("check.adagrad_distance(2.0)"),
        nbformat.v4.new_code_cell("check.adagrad_step.hint()"),
        nbformat.v4.new_code_cell("def adagrad_step(theta, grad, state_sum, lr=0.01, eps=1e-10):\n"
                                  "    new_sum = state_sum + grad**2\n"
                                  "    return theta - lr * grad / np.sqrt(new_sum, eps), new_sum\n"
                                  "check.adagrad_step(adagrad_step)"),
    ])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()

    def shown(cell):
        texts = [o.get("text", "") for o in cell.outputs]
        texts += [str(v) for o in cell.outputs for v in o.get("data", {}).values()]
        return "".join(texts)

    for cell, verdict in [(nb.cells[1], "✓ Exercise 2.1"), (nb.cells[2], "✓ Exercise 2.1"),
                          (nb.cells[3], "✗ Exercise 2.3")]:
        assert shown(cell).count(verdict) == 1, cell.outputs
        assert not any(o.output_type == "execute_result" for o in cell.outputs), cell.outputs
    assert shown(nb.cells[4]).count("Hint 1 of 3") == 1
    error = shown(nb.cells[5])
    assert error.count("your code raised an error") == 1
    assert "Cell In[6], line 3" in error and "np.sqrt(new_sum, eps)" in error, error


# ------------------------------------------------------------------ grading interface


def test_learner_names_are_the_names_the_notebooks_pass():
    calls = {}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", []):
                calls.update(re.findall(r"^check\.(\w+)\((\w+)\);?\s*$", cell.source, re.M))
    assert calls == {c.name: c.learner_name for c in CHECKERS}


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.name)
def test_points_are_declared(checker):
    assert checker.points == sum(checker.parts.values()) >= 1
    assert all(isinstance(p, int) and p > 0 for p in checker.parts.values())


@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("checker", FUNCTIONS, ids=lambda c: c.name)
def test_cases_for_any_seed_pickle_and_cover_every_part(checker, seed):
    cases = checker.cases(np.random.default_rng(seed))
    assert len(cases) >= 10 and all(isinstance(c, Case) for c in cases)
    assert {c.part for c in cases} == set(checker.parts)
    again = pickle.loads(pickle.dumps(cases))
    for case, copy_ in zip(cases, again):
        assert checker.compare(checker.reference(*copy_.args),
                               checker.reference(*case.args), case.args).passed


@pytest.mark.parametrize("checker", FUNCTIONS, ids=lambda c: c.name)
def test_grading_pieces_judge_outside_the_learners_code(checker):
    """run_learner -> compare -> score, as a grader runs them, on a function that is
    right except in one part (a wrong value on that part's cases)."""
    cases = checker.cases(np.random.default_rng(7))
    wrong_part = sorted(checker.parts)[0]

    def wrong(*args):
        return None

    verdicts = []
    for case in cases:
        learner = wrong if case.part == wrong_part else checker.reference
        output, after = checker.run_learner(learner, case.args)
        verdict = checker.compare(output, checker.reference(*case.args), case.args, after)
        assert isinstance(verdict, Verdict) and verdict.passed == (case.part != wrong_part)
        verdicts.append((case, verdict.passed))
    assert checker.score(verdicts) == checker.points - checker.parts[wrong_part]
    assert checker.score([(c, True) for c in cases]) == checker.points
    assert checker.score([]) == 0


def test_score_gives_partial_credit_by_part():
    checker = check.warmup_cosine_lr
    cases = checker.cases(np.random.default_rng(0))
    assert checker.points == 3
    only_warmup_wrong = [(c, c.part != "warmup") for c in cases]
    assert checker.score(only_warmup_wrong) == 2
    assert checker.score([(c, c.part == "cosine") for c in cases]) == 1


def test_compare_reports_an_input_changed_in_place_without_running_anything():
    checker = check.adagrad_step
    args = (np.ones(2), np.ones(2), np.zeros(2), 0.1, 1e-10)
    expected = checker.reference(*args)
    after = (args[0], args[1], np.ones(2), 0.1, 1e-10)
    verdict = checker.compare(expected, expected, args, after)
    assert not verdict.passed and "state_sum in place" in verdict.message
    assert checker.compare(expected, expected, args).passed


def test_compare_accepts_a_gradient_sent_back_as_none():
    checker = check.gd_path
    case = checker.cases(np.random.default_rng(0))[2]
    expected = checker.reference(*case.args)
    theta0, _, lr, steps = case.args
    assert checker.compare(expected, expected, case.args, (theta0.copy(), None, lr, steps)).passed
    verdict = checker.compare(expected, expected, case.args, (theta0 + 1, None, lr, steps))
    assert "theta0 in place" in verdict.message


def test_describe_exception_runs_where_the_learner_ran():
    def learner(x):
        return np.linalg.inv(x)

    try:
        learner(np.zeros((2, 2)))
    except Exception as exc:
        text = describe_exception(exc)
    assert "LinAlgError" in text and "return np.linalg.inv(x)" in text and "in learner" in text


@pytest.mark.parametrize("checker", [c for c in CHECKERS if isinstance(c, AnswerChecker)],
                         ids=lambda c: c.name)
def test_answer_messages_never_show_the_expected_value(checker):
    expected = checker.value()
    wrong = (next(c for c in checker.choices if c != expected) if isinstance(expected, str)
             else np.asarray(expected) * 1.5 + 1)
    verdict = checker.compare(wrong, expected)
    assert not verdict.passed
    shown = [str(expected)] if isinstance(expected, str) else [
        f"{float(v):.6g}" for v in np.ravel(expected)] + [f"{float(v):.3g}"
                                                         for v in np.ravel(expected)]
    assert not any(s in verdict.message for s in shown), verdict.message
