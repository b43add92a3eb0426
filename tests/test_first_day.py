"""What a new instructor and their students meet first: an untouched notebook reads as "not
attempted" in a few lines, cells are named as people count them, feedback has no noise in any
format, and a batch run names who was not graded. Real notebooks, real grading in the sandbox."""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import exercise, write_notebook
from grader.commands import assign
from grader.render import markdown, terminal as text_report
from grader.commands.batch import outcome_lines, run_batch
from grader.render.feedback import to_html, to_markdown
from grader.model import CheckResult, ExerciseResult, Report
from grader.render.plaintext import to_plain

STUB_CELLS_RAISE = "def grad_of_dot(x):\n    # your answer here\n    raise NotImplementedError\n"
DETACH_BUT_NOT_MATRICES = """import torch

def detach_grad(x):
    if x.dim() == 2:
        raise NotImplementedError("matrices later")
    x.requires_grad_(True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    return x.grad
"""
BACKWARD_TWICE_FORGETS_RETAIN = """import torch

def backward_twice(x):
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    y.backward()
    return x.grad
"""


@pytest.fixture(scope="module")
def untouched(grader, tmp_path_factory):
    """The notebook `assign` writes, handed in as it was handed out."""
    path = tmp_path_factory.mktemp("untouched") / "hw.ipynb"
    nbformat.write(assign.build_notebook(grader.pack, "hw.public.json"), str(path))
    return grader.grade_file(path)


def test_an_untouched_notebook_is_not_attempted_in_one_line_per_exercise(untouched):
    with_function = [e for e in untouched.exercises if e.id != "sin_plot"]
    assert {e.status for e in with_function} == {"missing"}
    assert all([d.code for d in e.diagnoses] == ["not-attempted"] for e in with_function)
    first = exercise(untouched, "grad_of_dot").diagnoses[0].message
    assert "NotImplementedError in code cell 2 (`def grad_of_dot(x):`)" in first
    text = text_report.to_text(untouched)
    assert "function-raised" not in text and len(text.splitlines()) < 60
    for rendered in (to_markdown(untouched), to_plain(untouched)):
        assert len(rendered.splitlines()) < 45
        assert rendered.count("Not attempted yet") == 1 and rendered.count("NotImplementedError") == 2
    assert to_html(untouched).count("NotImplementedError") == 2


def test_the_grader_template_and_display_magics_make_no_notes(untouched, grader, tmp_path):
    assert not [note for note in untouched.notes if "IPython" in note]
    path = write_notebook(tmp_path / "nb.ipynb", ["%matplotlib inline\n%config InlineBackend.figure_format = 'svg'",
                                                  "!pip install d2l==1.0.3"])
    notes = grader.grade_file(path).notes
    assert [n for n in notes if "IPython" in n] == ["code cell 2: IPython syntax ignored: !pip install d2l==1.0.3"]


def test_an_answer_that_raises_notimplementederror_on_some_cases_is_graded(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [DETACH_BUT_NOT_MATRICES])
    result = exercise(grader.grade_file(path), "detach_grad")
    assert result.status == "partial" and {d.code for d in result.diagnoses} == {"function-raised"}
    assert "matrices later" in result.diagnoses[0].message


def test_cells_are_named_as_people_count_them_and_the_count_is_explained_once(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [
        ("markdown", "# Homework"), "import torch", ("markdown", "## backward twice"),
        BACKWARD_TWICE_FORGETS_RETAIN, ("markdown", "try it"), "backward_twice(torch.ones(3))"])
    report = grader.grade_file(path)
    message = exercise(report, "backward_twice").diagnoses[0]
    assert "code cell 2 (`import torch`), line 7: y.backward()" in message.details
    assert [c.name for c in report.cells if c.status != "ok"] == ["code cell 3 (`backward_twice(torch.ones(3))`)"]
    counting = [n for n in report.notes if "Markdown cells left out" in n]
    assert len(counting) == 1
    text = text_report.to_text(report)
    assert text.count("Markdown cells left out") == 1 and "cell 4" not in text and "cell 6" not in text
    script = tmp_path / "hw.py"
    script.write_text(BACKWARD_TWICE_FORGETS_RETAIN)
    assert not [n for n in grader.grade_file(script).notes if "Markdown" in n]  # a .py has no Markdown


def test_markdown_escapes_only_what_would_render_and_plain_text_has_no_markup(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", ["def grad_of_dott(x):\n    return 4 * x"])
    report = grader.grade_file(path)
    rendered = to_markdown(report)
    assert "`grad_of_dot` is not defined. Did you mean `grad_of_dott`?" in rendered
    assert "\\`" not in rendered and "\\_" not in rendered
    assert markdown.inline("u * x, *emphasis*, <b>, [a](b)") == r"u * x, \*emphasis\*, \<b>, [a\](b)"
    plain = to_plain(report)
    assert "[not-defined] `grad_of_dot` is not defined." in plain
    assert not re.search(r"\*\*|\|---|```|\\[`*_<\[\]]", plain)


def test_repeated_diagnoses_are_folded_in_markdown_html_and_plain_text(grader, tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [BACKWARD_TWICE_FORGETS_RETAIN])
    report = grader.grade_file(path)
    result = exercise(report, "backward_twice")
    assert len(result.diagnoses) > 1 and {d.code for d in result.diagnoses} == {"retain-graph"}
    hint = result.diagnoses[0].message
    for rendered in (to_markdown(report), to_html(report), to_plain(report)):
        assert rendered.count(hint[:40]) == 1
        assert rendered.lower().count("the same on") == 1


def _report(student: str) -> Report:
    check = CheckResult("value", "value", 2.0, 2.0, 1, 1)
    return Report(submission=f"{student}.py", student=student, score=2.0, max_score=2.0,
                  exercises=(ExerciseResult("grad_of_dot", "t", 2.0, 2.0, "passed", (check,)),))


def test_batch_summary_line_and_page_count_and_name_what_was_not_graded(tmp_path):
    root = tmp_path / "class"
    root.mkdir()
    for student in ("alice", "bob", "carol"):
        (root / f"{student}.py").write_text(f"# {student}\n")
    (root / "notes.txt").write_text("not a submission")

    def grade(name: str, data: bytes, student: str) -> Report:
        if student == "bob":
            raise RuntimeError("the sandbox could not start")
        return _report(student)

    result = run_batch(root, tmp_path / "out", jobs=2, regrade=False, grade=grade, pack_hash="p",
                       exercise_ids=("grad_of_dot",), progress=False)
    assert outcome_lines(result) == [
        "3 submissions: 2 graded now, 0 already graded, 1 could not be graded (bob).",
        "1 other file(s) found but not graded: class/notes.txt."]
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert "Not graded (2)" in page and "bob.py: could not grade: RuntimeError" in page
    assert "notes.txt: not a submission" in page
    assert (tmp_path / "out" / "feedback" / "alice.txt").read_text().startswith("Feedback for alice")
