"""Every wrong answer the pack's contract lists is caught with its code; right answers pass."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, REPO, codes, exercise
from grader.commands.validate import expected_diagnosis

WRONG = sorted((FIXTURES / "wrong").glob("*.py"))


def test_every_fixture_names_its_expectation():
    assert len(WRONG) >= 40
    for path in WRONG:
        assert expected_diagnosis(path) is not None, path.name


@pytest.mark.parametrize("path", WRONG, ids=[p.stem for p in WRONG])
def test_wrong_answer_is_caught_with_its_code(grader, path):
    exercise_id, code = expected_diagnosis(path)
    result = exercise(grader.grade_file(path), exercise_id)
    assert result.score < result.max_score
    assert code in codes(result), (result.status, [(d.code, d.message) for d in result.diagnoses])
    hit = next(d for d in result.diagnoses if d.code == code)
    assert hit.message and hit.check


def test_right_answers_get_full_marks(grader):
    report = grader.grade_file(FIXTURES / "right" / "all_correct.py")
    assert [e.id for e in report.exercises if e.status != "passed"] == []
    assert report.score == report.max_score == 36


def test_each_reference_solution_gets_full_marks_on_its_exercise(grader):
    for exercise_def in grader.pack.exercises:
        path = REPO / "solutions" / f"{exercise_def.solution}.py"
        if path.exists():
            result = exercise(grader.grade_file(path), exercise_def.id)
            assert result.status == "passed", (exercise_def.id, result.diagnoses)


def test_sample_submission_mixes_right_and_wrong(grader):
    report = grader.grade_file(REPO / "examples" / "sample_submission.ipynb")
    statuses = {e.id: e.status for e in report.exercises}
    assert 0 < report.score < report.max_score
    assert list(statuses) == [e.id for e in grader.pack.exercises]
    assert "passed" in statuses.values() and "failed" in statuses.values()


def test_grading_is_deterministic(grader):
    path = REPO / "examples" / "sample_submission.ipynb"
    first, second = grader.grade_file(path).to_dict(), grader.grade_file(path).to_dict()
    for report in (first, second):
        report.pop("seconds"), report.pop("isolation")
    assert first == second


def test_a_student_id_changes_nothing_on_shared_problems(grader):
    path = FIXTURES / "right" / "all_correct.py"
    assert grader.grade_file(path, student="bob").score == 36
