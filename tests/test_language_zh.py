"""Feedback in Simplified Chinese, end to end: every wrong-answer fixture graded with
`language: zh_CN` gets the same scores, statuses and codes as in English, and every sentence a
student reads in every format is Chinese (tests/language_check.py says what counts as an
untranslated sentence); HTML feedback declares its language and renders CJK glyphs in a real
browser; `grader.check()` answers in Chinese in a notebook `assign --lang zh_CN` wrote."""
from __future__ import annotations

import html
import json
import os
import re

import nbformat
import pytest

from conftest import FIXTURES, REPO
from test_assign_and_check import TWO_GRADS_FORGETS_ZERO
from language_check import english_runs
from grader import i18n
from grader.api import Grader
from grader.commands import assign
from grader.export import gradescope, junit, prairielearn
from grader.render import feedback, plaintext, terminal
from grader.render.summary import render_summary

SUBMISSIONS = sorted((FIXTURES / "wrong").glob("*.py")) + [REPO / "examples" / "sample_submission.ipynb"]


def _graded(language: str) -> dict[str, object]:
    with Grader.open(str(REPO / "config.yaml"), {"language": language}) as grader:
        return {path.name: grader.grade_file(path) for path in SUBMISSIONS}


@pytest.fixture(scope="module")
def reports():
    """(English reports, Chinese reports) of every wrong-answer fixture and the sample notebook."""
    return _graded("en"), _graded("zh_CN")


def _outcome(report) -> list[tuple]:
    return [(e.id, e.score, e.status, [(d.code, d.check, d.hidden) for d in e.diagnoses])
            for e in report.exercises]


def test_scores_statuses_and_codes_are_the_same_in_both_languages(reports):
    english, chinese = reports
    assert len(english) == len(SUBMISSIONS) > 30
    for name in english:
        assert (english[name].score, _outcome(english[name])) == (chinese[name].score, _outcome(chinese[name])), name
        assert json.loads(terminal.to_json(chinese[name])).keys() == json.loads(terminal.to_json(english[name])).keys()
    messages = {d.message for r in english.values() for e in r.exercises for d in e.diagnoses}
    translated = {d.message for r in chinese.values() for e in r.exercises for d in e.diagnoses}
    assert not messages & translated  # no message is the same text in both


def _visible_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>|<title>.*?</title>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", page, flags=re.S)
    page = re.sub(r"</?(code|b|a|span)\b[^>]*>", "", page)  # inline: `<code>NameError</code>: …` stays one line
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for key, v in value.items() if key not in ("extra_data", "tags", "status", "visibility",
                                                              "output_format", "test_output_format",
                                                              "test_name_format", "stdout_visibility")
                for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _every_format(report) -> dict[str, str]:
    """What a student (or a TA) reads of one report, format by format."""
    with i18n.using("zh_CN"):
        return {
            "text": terminal.to_text(report, verbose=True),
            "json messages": "\n".join(d.message for e in report.exercises for d in e.diagnoses),
            "feedback.md": feedback.to_markdown(report),
            "feedback.txt": plaintext.to_plain(report),
            "feedback.html": _visible_text(feedback.to_html(report)),
            "gradescope": "\n".join(_strings(gradescope.render(report))),
            "prairielearn": "\n".join(_strings(prairielearn.render(report))),
            "junit": junit.render(report),
        }


def test_every_sentence_a_student_reads_is_chinese(reports):
    _, chinese = reports
    check_names = {d.check for r in chinese.values() for e in r.exercises for d in e.diagnoses}
    left = {}
    for name, report in chinese.items():
        for fmt, text in _every_format(report).items():
            for name_of_check in check_names:  # check names are identifiers of the pack, like ids
                text = re.sub(rf"(?<!\w){re.escape(name_of_check)}(?!\w)", " ", text)
            for run in english_runs(text):
                left.setdefault(run, f"{name} ({fmt})")
    assert not left, "\n".join(f"{where}: {run}" for run, where in sorted(left.items()))


def test_the_class_summary_is_chinese_and_says_so(reports):
    _, chinese = reports
    with i18n.using("zh_CN"):
        page = render_summary(list(chinese.values()))
    assert '<html lang="zh-CN">' in page and "全班汇总" in page
    without_code = re.sub(r"<details>.*?</details>", " ", page, flags=re.S)  # a student's code, as written
    assert not english_runs(_visible_text(without_code))


def test_the_checker_finds_english_left_in_chinese_text():
    """The checker itself can fail: an English sentence is found, code and names are not."""
    assert english_runs("梯度在 x.grad 中累积了；the second result still holds the first") == [
        "the second result still holds the first"]
    assert english_runs("在两次 backward 之间调用 `x.grad.zero_()`；第 5 行：y.backward()  # twice over here") == []
    assert english_runs("RuntimeError: Trying to backward through the graph a second time") == []


def test_check_answers_in_chinese_in_a_notebook_assign_wrote_in_chinese(tmp_path):
    from nbclient import NotebookClient

    assert assign.command(["--config", str(REPO / "config.yaml"), "--out", str(tmp_path / "hw.ipynb"),
                           "--lang", "zh_CN", "--select", "grad_of_dot", "two_grads"]) == 0
    notebook = nbformat.read(tmp_path / "hw.ipynb", as_version=4)
    assert notebook.metadata["grader"]["language"] == "zh_CN"
    prompt = next(c for c in notebook.cells if c.id == "two_grads-prompt").source
    assert prompt.startswith("## 2. 同一个叶子节点上的两个梯度（2 分）") and "叶子节点" in prompt
    assert "# TODO: g1 = 2 * x^T x 的梯度" in next(c for c in notebook.cells if c.id == "two_grads-answer").source
    next(c for c in notebook.cells if c.id == "two_grads-answer").source = TWO_GRADS_FORGETS_ZERO
    python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env={**os.environ, "PYTHONPATH": python_path})
    check = next(c for c in notebook.cells if c.id == "two_grads-check")
    assert not [o for o in check.outputs if o.output_type == "error"]
    shown = next(o["data"] for o in check.outputs if o.output_type == "execute_result")
    page, text = shown["text/html"], shown["text/plain"]
    assert "grad-accumulation" in page and "梯度在 x.grad 中累积了；在两次 backward 之间调用 x.grad.zero_()" in page
    assert "未通过" in page and "0 / 2" in page and "个公开用例中通过" in page and "隐藏用例" in page
    assert "✗ two_grads" in text and "未通过" in text and "总分" in text
    assert not english_runs(_visible_text(page)) and not english_runs(text)
    total = next(o["data"] for c in notebook.cells if c.id == "total"
                 for o in c.outputs if o.output_type == "execute_result")["text/html"]
    assert "总分" in total and "第一个问题" in total and not english_runs(_visible_text(total))
