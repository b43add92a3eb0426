"""The summary's tally: reports added one at a time, in any order, give the page the list gives."""
import random
import statistics

import pytest

from grader.model import CheckResult, Diagnosis, ExerciseResult, Report
from grader.render.class_tally import ClassTally, expand, median
from grader.render.summary import render_summary


def _report(student: str, rng: random.Random) -> Report:
    exercises = []
    for ex in ("grad_of_dot", "two_grads", "sin_plot"):
        score = float(rng.choice([0, 0.5, 1, 1.5, 2]))
        wrong = score < 2
        # A message of its own per student: the example shown must be the first student's by name.
        codes = [Diagnosis(code, f"{ex}: {code} for {student}", check="value")
                 for code in rng.sample(["mismatch", "no_grad", "shape"], rng.randint(1, 2))] if wrong else []
        check = CheckResult("value", "value", score, 2.0, int(score), 2, tuple(codes))
        behaviour = (f"c1=mismatch:{rng.randint(0, 2)}", "c2=ok") if wrong else ("c1=ok", "c2=ok")
        exercises.append(ExerciseResult(ex, f"{ex} ({student})", score, 2.0, "passed" if not wrong else
                                        rng.choice(["failed", "partial"]), (check,),
                                        source=f"def f():  # by {student}\n    return {score}\n",
                                        behaviour=behaviour))
    return Report(submission=f"{student}.py", student=student, score=sum(e.score for e in exercises),
                  max_score=6.0, exercises=tuple(exercises))


@pytest.mark.parametrize("n", [1, 40])
def test_the_page_does_not_depend_on_the_order_reports_come_in(n):
    rng = random.Random(n)
    reports = [_report(f"s{i:03d}", rng) for i in range(n)]
    page = render_summary(reports)
    random.Random(0).shuffle(reports)
    assert render_summary(reports) == page
    if n >= 7:  # the first student by name gives the titles, the example messages and code
        assert "grad_of_dot (s000)" in page and "for s000" in page
        assert "grad_of_dot (s001)" not in page


def test_mean_and_median_from_counts_are_those_of_the_list():
    rng = random.Random(0)
    for n in (1, 2, 3, 10, 101, 1000):
        values = [rng.choice([0.0, 0.1, 1 / 3, 2.5, 6.0, 1e-17]) for _ in range(n)]
        tally = ClassTally(lambda student, exercise: None)
        for v in values:
            tally.totals[v] += 1
        assert list(expand(tally.totals)) == sorted(values)
        assert tally.mean == statistics.fmean(values)
        assert median(tally.totals) == statistics.median(values)


def test_a_tally_keeps_no_report():
    """What is kept grows with distinct scores and codes, not with the class."""
    rng = random.Random(1)
    tally = ClassTally(lambda student, exercise: None)
    for i in range(300):
        tally.add(_report(f"s{i:03d}", rng))
    before = (len(tally.totals), sum(len(e.examples) + len(e.scores) for e in tally.exercises.values()))
    for i in range(300, 1000):
        tally.add(_report(f"s{i:03d}", rng))
    after = (len(tally.totals), sum(len(e.examples) + len(e.scores) for e in tally.exercises.values()))
    assert tally.students == 1000 and after == before
