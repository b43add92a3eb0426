"""The platforms' documented formats, written down as checkers, and tested on the documented
examples (copied from docs/lms-formats.md's sources), so the exporters' tests check against the
documentation rather than against the exporters' own output.

Gradescope: autograder_samples docs/specs.md. PrairieLearn: docs/externalGrading.md. JUnit: the
Jenkins/pytest xunit2 structure (testsuites > testsuite > testcase > failure|error|skipped).
Canvas: the header rules of canvas-lms lib/gradebook_importer.rb.
"""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

# --- Gradescope results.json -------------------------------------------------------------------
_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_STRING = {"type": "string"}
_NUMBER = {"type": "number"}

GRADESCOPE_TEST = {
    "type": "object",
    "properties": {
        "score": _NUMBER, "max_score": _NUMBER, "status": {"enum": ["passed", "failed"]},
        "name": _STRING, "name_format": _FORMAT, "number": _STRING, "output": _STRING,
        "output_format": _FORMAT, "tags": {"type": "array", "items": _STRING},
        "visibility": _VISIBILITY, "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
}
GRADESCOPE_SCHEMA = {
    "type": "object",
    "properties": {
        "score": _NUMBER, "execution_time": _NUMBER, "output": _STRING, "output_format": _FORMAT,
        "test_output_format": _FORMAT, "test_name_format": _FORMAT, "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY, "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": GRADESCOPE_TEST},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "required": ["name", "value"], "additionalProperties": False,
            "properties": {"name": _STRING, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}}}},
    },
    "additionalProperties": False,
    # "score: optional, but required if no test has a score" (and tests required without score)
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"],
               "properties": {"tests": {"items": {"required": ["score"]}}}}],
}

# --- PrairieLearn results.json -----------------------------------------------------------------
PRAIRIELEARN_TEST = {
    "type": "object",
    "properties": {"name": _STRING, "description": _STRING, "points": _NUMBER,
                   "max_points": _NUMBER, "message": _STRING, "output": _STRING,
                   "images": {"type": "array"}},
    "additionalProperties": False,
}
PRAIRIELEARN_SCHEMA = {
    "type": "object",
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": _STRING, "output": _STRING,
        "images": {"type": "array", "items": {"anyOf": [_STRING, {
            "type": "object", "properties": {"label": _STRING, "url": _STRING}}]}},
        "tests": {"type": "array", "items": PRAIRIELEARN_TEST},
        "format_errors": {"anyOf": [_STRING, {"type": "array", "items": _STRING}]},
    },
    "additionalProperties": False,
    # score is required unless the submission is declared not gradable
    "if": {"required": ["gradable"], "properties": {"gradable": {"const": False}}},
    "else": {"required": ["score"]},
}
PRAIRIELEARN_SIZE_LIMIT = 1_000_000  # bytes; an oversized file is rejected outright (#1153)


def points_all_or_nothing(results: dict) -> bool:
    """PrairieLearn turns the points display off for all tests if one lacks points/max_points."""
    has = [("points" in t and "max_points" in t) for t in results.get("tests", [])]
    return all(has) or not any(has)


# --- JUnit XML ---------------------------------------------------------------------------------
_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase", "system-out", "system-err"},
    "testcase": {"properties", "failure", "error", "skipped", "system-out", "system-err"},
    "properties": {"property"},
}
_REQUIRED_ATTRS = {"testsuite": {"name", "tests"}, "testcase": {"name", "classname"},
                   "property": {"name", "value"}}
_RESULT_ATTRS = {"message", "type"}


def junit_problems(text: str) -> list[str]:
    """What breaks the JUnit structure CI viewers read; empty when the document is sound."""
    root = ET.fromstring(text.encode("utf-8"))
    problems = [] if root.tag in ("testsuites", "testsuite") else [f"root is <{root.tag}>"]
    for element in root.iter():
        allowed = _CHILDREN.get(element.tag)
        for child in element:
            if allowed is None or child.tag not in allowed:
                problems.append(f"<{child.tag}> inside <{element.tag}>")
        missing = _REQUIRED_ATTRS.get(element.tag, set()) - set(element.attrib)
        if missing:
            problems.append(f"<{element.tag}> lacks {sorted(missing)}")
        if element.tag in ("failure", "error", "skipped") and set(element.attrib) - _RESULT_ATTRS:
            problems.append(f"<{element.tag}> has {sorted(set(element.attrib) - _RESULT_ATTRS)}")
        if element.tag == "testcase":
            outcomes = [c.tag for c in element if c.tag in ("failure", "error", "skipped")]
            if len(outcomes) > 1:
                problems.append(f"testcase {element.get('name')} has {outcomes}")
    for suite in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        cases = suite.findall("testcase")
        for attr, tag in (("tests", None), ("failures", "failure"), ("errors", "error"),
                          ("skipped", "skipped")):
            found = len(cases) if tag is None else sum(c.find(tag) is not None for c in cases)
            if attr in suite.attrib and int(suite.get(attr)) != found:
                problems.append(f"testsuite {attr}={suite.get(attr)} but {found} found")
    return problems


# --- Canvas gradebook CSV ----------------------------------------------------------------------
CANVAS_ASSIGNMENT = re.compile(r"\A(.*)\s\((\d+)\)\Z")


def canvas_header_problems(header: list[str]) -> list[str]:
    """Canvas's importer: >3 columns; Student, ID; then `SIS Login ID` alone or `SIS User ID`
    followed by `SIS Login ID` (+ optional Integration ID, Root Account); then Section; then
    assignment columns."""
    if len(header) <= 3:
        return ["3 columns or fewer"]
    problems = [] if "Student" in header[0] and "ID" in header[1] else ["no Student, ID"]
    i = 2
    if header[i] == "SIS Login ID":
        i += 1
    elif header[i] == "SIS User ID":
        if header[i + 1] != "SIS Login ID":
            return problems + ["SIS User ID not followed by SIS Login ID"]
        i += 2
        for optional in ("Integration ID", "Root Account"):
            if i < len(header) and header[i] == optional:
                i += 1
    if i >= len(header) or "Section" not in header[i]:
        return problems + ["no Section before the assignment columns"]
    if len(header) <= i + 1:
        problems.append("no assignment column")
    return problems


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- the documented examples -------------------------------------------------------------------
GRADESCOPE_EXAMPLE = """{"score": 7.5, "execution_time": 12.4,
 "output": "Graded 3 exercises from submission.ipynb.", "output_format": "md",
 "test_output_format": "md", "test_name_format": "text", "visibility": "after_due_date",
 "stdout_visibility": "hidden", "extra_data": {"grader_version": "0.1.0", "torch": "2.x"},
 "tests": [
  {"name": "Notebook executes", "number": "0", "status": "passed", "visibility": "visible",
   "output": "All cells ran without error."},
  {"name": "ex1: backward of sigmoid", "number": "1.1", "score": 5.0, "max_score": 5.0,
   "status": "passed", "tags": ["autograd", "ex1"], "visibility": "visible",
   "output": "`x.grad` matches reference (max abs err 3.1e-08 <= atol 1e-06)."},
  {"name": "ex2: custom Function gradcheck (hidden)", "number": "2.1", "score": 2.5,
   "max_score": 5.0, "status": "failed", "tags": ["autograd", "ex2"],
   "visibility": "after_published", "output": "**grad wrt `w` wrong**", "output_format": "md"}],
 "leaderboard": [{"name": "Runtime (s)", "value": 12.4, "order": "asc"}]}"""

PRAIRIELEARN_EXAMPLES = [
    """{"gradable": true, "score": 0.5, "message": "2 of 4 points.", "output": "stdout\\n",
     "tests": [{"name": "ex1", "description": "x.grad", "points": 2, "max_points": 2,
                "message": "'x.grad' looks good", "output": ""},
               {"name": "ex2", "description": "w", "points": 0, "max_points": 2,
                "message": "'w.grad' is inaccurate", "output": ""}]}""",
    """{"gradable": false, "format_errors": ["submission.ipynb is not valid JSON."]}""",
]

JUNIT_EXAMPLES = [
    """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="grader" tests="2" failures="1" errors="0" skipped="0" time="3.210">
  <testsuite name="submission.ipynb" tests="2" failures="1" errors="0" skipped="0" time="3.210">
    <properties><property name="score" value="7.5"/><property name="max_score" value="10"/>
    </properties>
    <testcase classname="ex1" name="sigmoid_backward" time="0.41"/>
    <testcase classname="ex2" name="custom_function_grad_w" time="2.80">
      <failure message="grad wrt w wrong" type="GradientMismatch">max abs err 0.36</failure>
      <system-out>student print output here</system-out>
    </testcase>
  </testsuite>
</testsuites>""",
    """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite
 name="pytest" errors="1" failures="2" skipped="1" tests="6" time="0.198"><testcase
 classname="test_demo" name="test_pass" time="0.001" /><testcase classname="test_demo"
 name="test_fail" time="0.001"><failure message="AssertionError">body</failure></testcase>
 <testcase classname="test_demo" name="test_skip" time="0.000"><skipped type="pytest.skip"
 message="hidden until release">why</skipped></testcase><testcase classname="test_demo"
 name="test_error" time="0.011"><failure message="RuntimeError: boom">tb</failure></testcase>
 <testcase classname="test_demo" name="test_fixture_error" time="0.000"><error
 message="failed on setup">tb</error></testcase><testcase classname="test_demo"
 name="test_props" time="0.001"><properties><property name="points" value="2" /><property
 name="max_points" value="2" /></properties></testcase></testsuite></testsuites>""",
]

CANVAS_EXAMPLES = [
    'Student,ID,SIS User ID,SIS Login ID,Section,Autograd HW1 (48213)\n'
    '    Points Possible,,,,,10.00\n"Doe, Jane",101,A0001,jdoe,CS 101 - 01,9.50\n',
    'Student,ID,Section,Autograd HW1 (48213)\n"Doe, Jane",101,,9.5\n',
]


def test_gradescope_schema_accepts_the_documented_examples() -> None:
    jsonschema.validate(json.loads(GRADESCOPE_EXAMPLE), GRADESCOPE_SCHEMA)
    jsonschema.validate({"score": 10}, GRADESCOPE_SCHEMA)
    jsonschema.validate({"tests": [{"name": "ex1", "score": 1, "max_score": 1}]},
                        GRADESCOPE_SCHEMA)


@pytest.mark.parametrize("bad", [
    {"tests": [{"name": "ex1"}]},                                  # no score anywhere
    {"score": "7.5"},                                              # a string score
    {"score": 1, "tests": [{"status": "partial"}]},                # status enum
    {"score": 1, "tests": [{"visibility": "students"}]},           # visibility enum
    {"score": 1, "tests": [{"number": 1}]},                        # number is a string
    {"score": 1, "test_output_format": "markdown"},                # format enum
    {"score": 1, "grade": 1},                                      # not a documented key
])
def test_gradescope_schema_rejects_undocumented_shapes(bad: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, GRADESCOPE_SCHEMA)


def test_prairielearn_schema_accepts_the_documented_examples() -> None:
    for text in PRAIRIELEARN_EXAMPLES:
        results = json.loads(text)
        jsonschema.validate(results, PRAIRIELEARN_SCHEMA)
        assert points_all_or_nothing(results)


@pytest.mark.parametrize("bad", [
    {"gradable": True},                     # gradable needs a score
    {"score": 1.5},                         # a fraction, not points
    {"score": "0.5"},                       # "score ... was not a number"
    {"gradable": False, "format_errors": 3},
])
def test_prairielearn_schema_rejects_undocumented_shapes(bad: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, PRAIRIELEARN_SCHEMA)


def test_junit_checker_accepts_the_examples_and_rejects_a_broken_count() -> None:
    for text in JUNIT_EXAMPLES:
        assert junit_problems(text) == []
    suite = '<testsuite name="submission.ipynb" tests="2" failures='
    assert junit_problems(JUNIT_EXAMPLES[0].replace(suite + '"1"', suite + '"2"')) == [
        "testsuite failures=2 but 1 found"]
    assert junit_problems("<testsuites><testcase name='a' classname='b'/></testsuites>")


def test_canvas_header_rules_match_the_documented_examples() -> None:
    for text in CANVAS_EXAMPLES:
        assert canvas_header_problems(read_csv(text)[0]) == []
    # "Student,ID,SIS User ID,Section,... is rejected: SIS User ID needs SIS Login ID after it"
    assert canvas_header_problems(["Student", "ID", "SIS User ID", "Section", "HW (1)"])
    assert CANVAS_ASSIGNMENT.match("Autograd HW1 (48213)").groups() == ("Autograd HW1", "48213")
