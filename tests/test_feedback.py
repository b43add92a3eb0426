"""Student feedback (Markdown, HTML) and the class summary page."""
from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

from matplotlib.figure import Figure

from grader.render.feedback import PNG_SIGNATURE, to_html, to_markdown
from grader.model import Attachment, CellRun, CheckResult, Diagnosis, ExerciseResult, Report
from grader.render.summary import write_summary

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>[click](javascript:alert(1))'


def parse_tags(page: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    tags = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, attrs))

    Collector().feed(page)
    return tags


def png_base64() -> str:
    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def exercise(id: str, status: str, score: float, diagnoses=(), attachments=()) -> ExerciseResult:
    check = CheckResult("value", "value", score, 2.0, 3 if status == "passed" else 0, 3, tuple(diagnoses))
    return ExerciseResult(id, id.replace("_", " "), score, 2.0, status, (check,), tuple(attachments))


def hostile_report() -> Report:
    return Report(
        submission=f"class/{HOSTILE}.ipynb", score=2.0, max_score=6.0, student=HOSTILE, notes=(HOSTILE,),
        exercises=(
            exercise("grad_of_dot", "passed", 2.0),
            exercise("two_grads", "failed", 0.0, [
                Diagnosis("grad-accumulation", f"accumulated {HOSTILE}", case=f"x: {HOSTILE}",
                          details=f"```\n{HOSTILE}\n```"),
                Diagnosis("mismatch", "a hidden case differs", case="SECRET-CASE x: float32[7]",
                          details="SECRET-DETAILS 0.123", hidden=True)]),
            exercise("sin_plot", "failed", 0.0, [Diagnosis("curve-mismatch", "no cos curve")], [
                Attachment("figure", "image/png", png_base64(), caption=HOSTILE),
                Attachment("figure", "image/png", 'AAAA" onerror="alert(1)', caption="bad data")]),
        ),
        cells=(CellRun(3, "error", "NameError", f"name {HOSTILE!r} is not defined", 2, HOSTILE),))


def test_html_escapes_everything_from_the_student():
    page = to_html(hostile_report())
    tags = parse_tags(page)
    assert "script" not in {tag for tag, _ in tags}
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]
    assert [tag for tag, _ in tags].count("img") == 1  # the one valid figure, never the student's tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;") >= 6  # title, student, path, note, message, case, details, cell


def test_html_is_self_contained_and_embeds_figures():
    page = to_html(hostile_report())
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<link" not in page and "<style>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1  # the invalid attachment is not embedded
    assert base64.b64decode(images[0]).startswith(PNG_SIGNATURE)
    assert "This figure could not be shown" in page


def test_hidden_diagnoses_show_the_message_only():
    report = hostile_report()
    for text in (to_html(report), to_markdown(report)):
        assert "a hidden case differs" in text
        assert "SECRET-CASE" not in text and "SECRET-DETAILS" not in text


def test_html_shows_scores_statuses_codes_and_details():
    page = to_html(hostile_report())
    assert "Total: 2 / 6" in page
    for text in ("grad_of_dot", "two_grads", "grad-accumulation", "curve-mismatch", "NameError", "<pre>"):
        assert text in page
    assert 'class="badge failed"' in page and 'class="badge passed"' in page


def test_markdown_is_inert_and_complete():
    text = to_markdown(hostile_report())
    outside_code = re.sub(r"(`{3,})\n.*?\n *\1", "", text, flags=re.DOTALL)  # fenced blocks
    outside_code = re.sub(r"(`+).+?\1", "", outside_code)  # code spans
    assert HOSTILE in text  # verbatim only in code, where nothing renders
    assert not re.search(r"(?<!\\)<(script|img)", outside_code)  # `\<` is a literal `<`
    assert "[click](javascript:" not in outside_code and r"[click\](javascript:" in outside_code
    assert "| two_grads | 0 / 2 | failed |" in text
    assert "**grad-accumulation**" in text
    # The details hold a ``` fence of their own: the block around them uses a longer one.
    assert "  ````" in text
    assert "1 figure(s) drawn" not in text and "2 figure(s) drawn" in text


def report(student: str, scores: dict[str, tuple[str, float]], codes: dict[str, list[str]]) -> Report:
    exercises = tuple(
        exercise(ex, status, score, [Diagnosis(c, f"{c} for {student} <b>") for c in codes.get(ex, [])])
        for ex, (status, score) in scores.items())
    return Report(submission=f"{student}.ipynb", student=student, score=sum(e.score for e in exercises),
                  max_score=2.0 * len(exercises), exercises=exercises)


def test_summary_has_embedded_charts_pass_rates_and_frequent_codes(tmp_path):
    reports = [
        report("alice", {"grad_of_dot": ("passed", 2.0), "two_grads": ("passed", 2.0)}, {}),
        report("bob", {"grad_of_dot": ("passed", 2.0), "two_grads": ("failed", 0.0)},
               {"two_grads": ["grad-accumulation", "grad-accumulation", "mismatch"]}),
        report("carol", {"grad_of_dot": ("failed", 0.0), "two_grads": ("failed", 0.0)},
               {"grad_of_dot": ["int-dtype"], "two_grads": ["grad-accumulation"]}),
    ]
    path = write_summary(reports, tmp_path)
    page = path.read_text(encoding="utf-8")
    assert path == tmp_path / "summary.html"
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(i).startswith(PNG_SIGNATURE) for i in images)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<td>grad_of_dot</td>" in page and "<td>67%</td>" in page and "<td>33%</td>" in page
    # Counted once per student: bob's two cases and carol's one make 2 students.
    assert ("<td><code>grad-accumulation</code></td><td>2</td>"
            "<td>grad-accumulation for bob &lt;b&gt;</td>") in page
    assert page.index("grad-accumulation</code>") < page.index("mismatch</code>")


def test_summary_of_no_reports(tmp_path):
    page = write_summary([], tmp_path).read_text(encoding="utf-8")
    assert "No graded submissions" in page and "data:image/png" not in page
