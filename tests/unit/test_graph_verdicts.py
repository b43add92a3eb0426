"""The judge carries the student's and the reference's autograd graphs to the report, for the
first failing public case of each check only, and the report keeps them through its JSON."""
from __future__ import annotations

import json


from grader.judge.grade import grade_exercise
from grader.model import Report, report_from_dict
from grader.observe.autograd_graph import GRAPH, from_plain
from grader.pack.load import Case
from grader.export.formats import FORMATS
from grader.render import feedback, terminal
from grader.render.graph_view import heading, words
from unit.fakes import X3, SolutionFunctions, check, evidence, exercise

CASES = (Case(0, X3, hidden=True, seed=1), Case(1, X3, seed=2), Case(2, {"x": {"shape": [2, 2]}}, seed=3))


def detach_grad(x):
    x.requires_grad_(True)
    z = (x * x).detach() * x
    z.sum().backward()
    return x.grad


def no_detach(x):
    x.requires_grad_(True)
    z = (x * x) * x
    z.sum().backward()
    return x.grad


def _graded(student, detail: str = "full", solution=detach_grad):
    ex = exercise(check("value"), cases=CASES)
    proof = evidence(ex, student, SolutionFunctions(f=solution))
    return grade_exercise(ex, proof, (), detail=detail)


def test_only_the_first_failing_public_case_carries_both_graphs():
    hidden, first, second = _graded(no_detach).diagnoses
    assert (hidden.hidden, hidden.graphs, second.graphs) == (True, None, None)
    mine, theirs = (from_plain(GRAPH(g, "graph")) for g in (first.graphs.student, first.graphs.reference))
    assert [n.op for n in mine.nodes] == ["SumBackward0", "MulBackward0", "MulBackward0", "AccumulateGrad"]
    assert [n.cuts for n in theirs.nodes] == [0, 1, 0] and mine.leaves_reached() == {"x"}


def test_no_graphs_on_a_pass_nor_in_a_summary_report():
    assert _graded(detach_grad).diagnoses == ()
    assert all(d.graphs is None for d in _graded(no_detach, detail="summary").diagnoses)


def test_no_graphs_when_neither_call_built_one():
    result = _graded(lambda x: x * 3, solution=lambda x: x * 2)  # values, no graph on either side
    assert result.diagnoses and all(d.graphs is None for d in result.diagnoses)


def test_the_json_report_keeps_the_graphs_and_adds_nothing_where_there_are_none():
    exercise_result = _graded(no_detach)
    report = Report(submission="s.py", score=0.0, max_score=1.0, exercises=(exercise_result,))
    data = json.loads(terminal.to_json(report))
    keys = [sorted(d) for d in data["exercises"][0]["diagnoses"]]
    assert [("graphs" in k) for k in keys] == [False, True, False]
    again = report_from_dict(data)
    assert again.exercises[0].diagnoses[1].graphs == exercise_result.diagnoses[1].graphs
    assert terminal.to_text(again, verbose=True) == terminal.to_text(report, verbose=True)


def test_the_terminal_draws_the_graph_only_when_verbose():
    report = Report(submission="s.py", score=0.0, max_score=1.0, exercises=(_graded(no_detach),))
    quiet, verbose = terminal.to_text(report), terminal.to_text(report, verbose=True)
    assert words("heading") not in quiet and words("student") not in quiet
    # the hidden case comes first, without a graph; the drawing follows the case it belongs to
    assert verbose.index("case a hidden case") < verbose.index("case x: float32[3]") < verbose.index(f"{heading()}:")
    assert f"└─ ×  (MulBackward0)  ◀ {words('parting')}" in verbose


def test_the_lms_formats_and_the_quiet_text_do_not_change_with_graphs():
    with_graphs = Report(submission="s.py", score=0.0, max_score=1.0, exercises=(_graded(no_detach),))
    data = with_graphs.to_dict()
    for diagnosis in data["exercises"][0]["diagnoses"]:
        diagnosis.pop("graphs", None)
    without = report_from_dict(data)
    for name in ("text", "gradescope", "prairielearn", "junit"):
        assert FORMATS[name].render(with_graphs) == FORMATS[name].render(without), name
    assert feedback.to_markdown(with_graphs) == feedback.to_markdown(without)
    shown = heading("x: float32[3]")
    assert shown in feedback.to_html(with_graphs) and shown not in feedback.to_html(without)
