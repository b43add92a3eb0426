"""Gradescope, PrairieLearn and JUnit exports of hand-built Reports, checked against each
platform's documented rules (test_export_schemas.py), not against the exporters' own shapes."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from grader.export import gradescope, junit, prairielearn
from grader.export.formats import FORMATS
from grader.model import CellRun, CheckResult, Diagnosis, ExerciseResult, Report
from test_export_schemas import (GRADESCOPE_SCHEMA, PRAIRIELEARN_SCHEMA, PRAIRIELEARN_SIZE_LIMIT,
                                 junit_problems, points_all_or_nothing)

REPO = Path(__file__).resolve().parent.parent
SECRET = "hidden input 0.123456"
TYPOGRAPHIC = "“quoted” ：，（） 自动微分 ∂y/∂x 🙂"
CONTROL = "bell\x07 nul\x00 esc\x1b[31m form\x0c lone\udcff surrogate"


def diagnosis(code: str, message: str = "", *, hidden: bool = False, details: str = "",
              case: str = "x: float32[4]") -> Diagnosis:
    return Diagnosis(code=code, message=message or f"message for {code}", case=case,
                     check="value", details=details, hidden=hidden)


def exercise(id: str, status: str, score: float, max_score: float,
             *diagnoses: Diagnosis) -> ExerciseResult:
    check = CheckResult(name="value", kind="value", score=score, max_score=max_score,
                        cases_passed=3 - len(diagnoses), cases_total=3, diagnoses=diagnoses)
    return ExerciseResult(id=id, title=id.replace("_", " "), score=score, max_score=max_score,
                          status=status, checks=(check,))


MIXED = Report(
    submission="alice.ipynb", student="alice", score=3.5, max_score=12.0, seconds=3.5,
    exercises=(
        exercise("grad_of_dot", "passed", 2.0, 2.0),
        exercise("two_grads", "partial", 1.0, 2.0,
                 diagnosis("grad-accumulation", "gradients accumulate: call `x.grad.zero_()`",
                           details="got tensor([5., 5.])\nexpected tensor([4., 4.])"),
                 diagnosis("mismatch", SECRET, hidden=True, details=SECRET, case=SECRET)),
        exercise("detach_grad", "failed", 0.0, 2.0, diagnosis("no-detach")),
        exercise("hessian", "error", 0.0, 3.0,
                 diagnosis("function-raised", "RuntimeError: boom", details="Traceback …")),
        exercise("sin_plot", "missing", 0.0, 2.0, diagnosis("no-figure")),
        exercise("mm_grads", "partial", 0.5, 1.0),
    ),
    cells=(CellRun(index=3, status="error", error_type="NameError", message="name 'y' is "
                   "not defined", line=2),),
    output=f"student printed {SECRET}",
)
UNICODE = Report(
    submission="数学作业 “final”.ipynb", student="zoë", score=0.0, max_score=2.0,
    exercises=(exercise("sin_derivative", "failed", 0.0, 2.0,
                        diagnosis("typographic-characters", f"{TYPOGRAPHIC} {CONTROL}",
                                  details=f"```\n{TYPOGRAPHIC}\n{CONTROL}\n````")),),
)
HUGE = Report(
    submission="huge.py", score=0.0, max_score=8.0, notes=("x" * 2_000_000,),
    exercises=tuple(exercise(f"ex{i}", "failed", 0.0, 2.0,
                             diagnosis("mismatch", "m" * 300_000, details="d" * 3_000_000),
                             diagnosis("mismatch", "hidden", hidden=True, details="h" * 10**6))
                    for i in range(4)),
)
UNGRADABLE = Report(
    submission="broken.ipynb", score=0.0, max_score=4.0,
    notes=("the notebook is not valid JSON: nbformat could not read it",),
    exercises=(exercise("grad_of_dot", "error", 0.0, 2.0, diagnosis("syntax-error")),
               exercise("two_grads", "error", 0.0, 2.0, diagnosis("syntax-error"))),
)
EMPTY = Report(submission="empty.py", score=0.0, max_score=0.0, exercises=())
REPORTS = {"mixed": MIXED, "unicode": UNICODE, "huge": HUGE, "ungradable": UNGRADABLE,
           "empty": EMPTY}


def visible_tests(results: dict) -> list[dict]:
    return [t for t in results["tests"] if t.get("visibility", "visible") == "visible"]


# --- Gradescope --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REPORTS)
def test_gradescope_results_follow_the_spec(name: str) -> None:
    report = REPORTS[name]
    results = json.loads(FORMATS["gradescope"].render(report))
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == pytest.approx(report.score)
    assert isinstance(results["execution_time"], (int, float))
    scored = [t for t in results["tests"] if "score" in t]
    assert [t["name"].split(":")[0] for t in scored] == [e.id for e in report.exercises]
    assert sum(t["score"] for t in scored) == pytest.approx(report.score)
    assert all(t["output_format"] == "md" for t in results["tests"])
    assert len({t["number"] for t in results["tests"]}) == len(results["tests"])


def test_gradescope_status_is_passed_only_for_full_marks_and_shows_every_diagnosis() -> None:
    results = gradescope.render(MIXED)
    by_id = {t["name"].split(":")[0]: t for t in visible_tests(results)}
    assert [t["status"] for t in by_id.values()] == ["passed"] + ["failed"] * 5
    two = by_id["two_grads"]["output"]
    assert "grad-accumulation" in two and "gradients accumulate" in two
    assert "x: float32[4]" in two
    assert re.search(r"```text\ngot tensor\(\[5\., 5\.\]\)\nexpected tensor\(\[4\., 4\.\]\)\n```",
                     two)
    assert "function-raised" in by_id["hessian"]["output"]
    assert "Cell 3, line 2 raised NameError" in results["output"]


def test_gradescope_hidden_diagnoses_wait_for_the_chosen_visibility() -> None:
    results = gradescope.render(MIXED)
    assert not any(SECRET in t["output"] for t in visible_tests(results))
    assert SECRET not in results["output"]
    [hidden] = [t for t in results["tests"] if SECRET in t["output"]]
    assert hidden["visibility"] == "after_published" and "score" not in hidden
    never = gradescope.render(MIXED, hidden_visibility="hidden")
    assert [t["visibility"] for t in never["tests"] if SECRET in t["output"]] == ["hidden"]
    with pytest.raises(ValueError, match="hidden_visibility"):
        gradescope.render(MIXED, hidden_visibility="later")


def test_gradescope_caps_each_output_and_the_total() -> None:
    results = gradescope.render(HUGE, output_cap=5_000, total_cap=20_000)
    outputs = [results["output"]] + [t["output"] for t in results["tests"]]
    assert max(map(len, outputs)) <= 5_000
    assert sum(map(len, outputs)) <= 20_000
    assert all("cut to fit" in text for text in outputs)
    default = gradescope.render(HUGE)
    assert max(len(t["output"]) for t in default["tests"]) <= gradescope.OUTPUT_CAP
    assert sum(len(t["output"]) for t in default["tests"]) <= gradescope.TOTAL_OUTPUT_CAP


def test_gradescope_keeps_unicode_and_fences_backticks_in_details() -> None:
    results = json.loads(FORMATS["gradescope"].render(UNICODE))
    output = results["tests"][0]["output"]
    assert TYPOGRAPHIC in output
    fence = re.search(r"^(`{3,})text$", output, re.M).group(1)
    assert len(fence) > 4  # longer than the four backticks inside the details


def test_gradescope_failure_results_tell_the_student_and_hide_the_traceback() -> None:
    results = gradescope.failure_results("Submit exactly one .ipynb file.",
                                         details="Traceback: boom " * 10_000)
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == 0
    [shown] = visible_tests(results)
    assert shown["name"] == "Autograder failed" and shown["status"] == "failed"
    assert "Submit exactly one .ipynb file." in shown["output"] and "instructor" in shown["output"]
    [staff] = [t for t in results["tests"] if t["visibility"] == "hidden"]
    assert staff["output"].endswith("boom ") and len(staff["output"]) <= gradescope.OUTPUT_CAP


def test_gradescope_failure_module_writes_results_without_importing_torch(
        tmp_path: Path) -> None:
    out = tmp_path / "results" / "results.json"
    (tmp_path / "log").write_text("Traceback (most recent call last): boom\n")
    # grader/__init__.py is the engine's and may import torch; stubbing it tests what this
    # module itself imports (run_autograder has a stdlib-only fallback for the rest)
    script = ("import runpy, sys, types\n"
              "package = types.ModuleType('grader')\n"
              f"package.__path__ = [{str(REPO / 'grader')!r}]\n"
              "sys.modules['grader'] = package\n"
              "try:\n"
              "    runpy.run_module('grader.export.gradescope', run_name='__main__')\n"
              "finally:\n"
              "    assert 'torch' not in sys.modules, 'torch was imported'\n")
    command = [sys.executable, "-W", "error", "-c", script, "--failure", "no notebook found",
               "--details-file", str(tmp_path / "log"), "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert "no notebook found" in visible_tests(results)[0]["output"]
    assert any("boom" in t["output"] for t in results["tests"] if t["visibility"] == "hidden")


def test_the_same_diagnosis_in_several_cases_is_said_once() -> None:
    names = ("x: float32[]", "x: float32[4]", "x: float32[2, 3]")
    same = [diagnosis("autograd-not-used", "no backward ran", case=c) for c in names]
    report = Report(submission="s.py", score=0.0, max_score=2.0,
                    exercises=(exercise("grad_of_dot", "failed", 0.0, 2.0, *same),))
    output = gradescope.render(report)["tests"][0]["output"]
    assert output.count("no backward ran") == 1 and all(f"`{c}`" in output for c in names)
    message = prairielearn.render(report)["tests"][0]["message"]
    assert message == "[autograd-not-used] no backward ran (cases x: float32[]; x: float32[4]; "\
                      "x: float32[2, 3], check value)"


# --- PrairieLearn ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REPORTS)
def test_prairielearn_results_follow_the_documentation(name: str) -> None:
    report = REPORTS[name]
    text = FORMATS["prairielearn"].render(report)
    results = json.loads(text)
    jsonschema.validate(results, PRAIRIELEARN_SCHEMA)
    assert len(text.encode("utf-8")) < PRAIRIELEARN_SIZE_LIMIT
    assert results["gradable"] is True and 0 <= results["score"] <= 1
    expected = report.score / report.max_score if report.max_score else 0.0
    assert results["score"] == pytest.approx(expected)
    assert points_all_or_nothing(results)
    assert len(results["tests"]) == len(report.exercises)
    assert [t["points"] for t in results["tests"]] == [e.score for e in report.exercises]


def test_prairielearn_shows_diagnoses_but_not_hidden_details() -> None:
    results = prairielearn.render(MIXED)
    text = json.dumps(results)
    assert SECRET not in text
    two = results["tests"][1]
    assert "[grad-accumulation]" in two["message"] and "hidden case" in two["message"]
    assert "expected tensor([4., 4.])" in two["output"]


def test_prairielearn_huge_output_is_truncated_under_one_megabyte() -> None:
    results = prairielearn.render(HUGE)
    assert len(json.dumps(results).encode("utf-8")) < PRAIRIELEARN_SIZE_LIMIT
    assert all("cut to fit" in t["output"] for t in results["tests"])


def test_prairielearn_not_gradable_form() -> None:
    results = prairielearn.not_gradable("broken.ipynb is not valid JSON " * 100_000)
    jsonschema.validate(results, PRAIRIELEARN_SCHEMA)
    assert results["gradable"] is False and "score" not in results
    assert len(json.dumps(results).encode("utf-8")) < PRAIRIELEARN_SIZE_LIMIT


def test_prairielearn_not_gradable_command(tmp_path: Path) -> None:
    out = tmp_path / "results" / "results.json"
    assert prairielearn.main(["--not-gradable", "hw.ipynb: not UTF-8 text", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    jsonschema.validate(results, PRAIRIELEARN_SCHEMA)
    assert results == {"gradable": False, "format_errors": ["hw.ipynb: not UTF-8 text"]}


# --- JUnit -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REPORTS)
def test_junit_parses_and_has_the_junit_structure(name: str) -> None:
    report = REPORTS[name]
    text = FORMATS["junit"].render(report)
    assert junit_problems(text) == []
    suite = ET.fromstring(text.encode("utf-8")).find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [e.id for e in report.exercises]
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert float(props["score"]) == report.score and float(props["max_score"]) == report.max_score


def test_junit_failure_error_and_missing_elements() -> None:
    suite = ET.fromstring(junit.render(MIXED).encode("utf-8")).find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert {c.get("classname") for c in cases.values()} == {"alice"}
    outcome = {name: [child.tag for child in case if child.tag != "properties"]
               for name, case in cases.items()}
    assert outcome == {"grad_of_dot": [], "two_grads": ["failure"], "detach_grad": ["failure"],
                       "hessian": ["error"], "sin_plot": ["failure"], "mm_grads": ["failure"]}
    failure = cases["two_grads"].find("failure")
    assert failure.get("message").startswith("[grad-accumulation] gradients accumulate")
    assert "[mismatch] in a hidden case" in failure.text and SECRET not in failure.text
    assert "expected tensor([4., 4.])" in failure.text
    assert cases["sin_plot"].find("failure").get("type") == "no-figure"
    assert cases["mm_grads"].find("failure").get("message") == "partial: 0.5 / 1 points"
    assert SECRET not in junit.render(MIXED)


def test_junit_survives_control_characters_and_huge_details() -> None:
    failure = ET.fromstring(junit.render(UNICODE).encode("utf-8")).find(".//failure")
    assert TYPOGRAPHIC in failure.text and "\x00" not in failure.text
    huge = junit.render(HUGE)
    assert len(huge) < 200_000
    assert all(len(f.text) <= junit.TEXT_CAP for f in ET.fromstring(huge).iter("failure"))


def test_json_formats_are_ascii_only() -> None:
    """JSON is written ASCII-only, so no writer's encoding can corrupt it."""
    assert FORMATS["gradescope"].render(UNICODE).isascii()
    assert FORMATS["prairielearn"].render(UNICODE).isascii()
