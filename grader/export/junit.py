"""JUnit XML (the Jenkins/pytest xunit2 shape GitLab and CI viewers read) from a Report.

One testsuite per submission, one testcase per exercise (classname: the student or the file's
stem, name: the exercise id). JUnit has no field for points, so the scores go into <properties>
of the suite and of each testcase, where pytest also writes them.

A `missing` exercise is a <failure type="missing">, not <skipped>: CI viewers count a skip as
neither passed nor failed, and an unanswered exercise still loses its points. Hidden cases'
diagnoses show their code only: students read CI logs in their own repository.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePath

from grader.i18n import _
from grader.render.labels import status_label
from grader.export._feedback import (cap, diagnosis_line, first_details, hidden_line,
                                     split_hidden, summary_lines)
from grader.render.fold import grouped
from grader.model import ExerciseResult, Report
from grader.render.numbers import points

MESSAGE_CAP = 500
TEXT_CAP = 20_000

# Characters XML 1.0 cannot carry at all, escaped or not; student output may hold any of them.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: Report) -> str:
    """The XML document as text, declaration included."""
    failures = sum(e.status in ("partial", "failed", "missing") for e in report.exercises)
    errors = sum(e.status == "error" for e in report.exercises)
    counts = {"tests": str(len(report.exercises)), "failures": str(failures),
              "errors": str(errors), "skipped": "0", "time": f"{report.seconds:.3f}"}
    root = ET.Element("testsuites", {"name": "grader", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": _clean(report.submission or "submission"),
                                              **counts})
    _properties(suite, {"score": points(report.score), "max_score": points(report.max_score),
                        "submission": report.submission, "student": report.student,
                        "pack_hash": report.pack_hash})
    classname = _classname(report)
    for exercise in report.exercises:
        _testcase(suite, classname, exercise)
    ET.SubElement(suite, "system-out").text = _clean(cap("\n".join(summary_lines(report)),
                                                         TEXT_CAP))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _testcase(suite: ET.Element, classname: str, exercise: ExerciseResult) -> None:
    case = ET.SubElement(suite, "testcase", {"classname": classname, "name": exercise.id})
    _properties(case, {"score": points(exercise.score),
                       "max_score": points(exercise.max_score), "status": exercise.status})
    if exercise.status == "passed":
        return
    visible, hidden = split_hidden(exercise.diagnoses)
    lines = [diagnosis_line(g) for g in grouped(visible)] + [hidden_line(g)
                                                             for g in grouped(hidden)]
    details = first_details(grouped(visible))
    first = lines[0] if lines else f"{status_label(exercise.status)}: " + _(
        "{score} / {max_score} points", score=points(exercise.score), max_score=points(exercise.max_score))
    kind = exercise.status if not (visible or hidden) else (visible or hidden)[0].code
    tag = "error" if exercise.status == "error" else "failure"
    element = ET.SubElement(case, tag, {"message": _clean(cap(first, MESSAGE_CAP)), "type": kind})
    element.text = _clean(cap("\n\n".join(["\n".join(lines)] + details).strip() or first,
                              TEXT_CAP))


def _properties(parent: ET.Element, values: dict[str, str]) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})


def _classname(report: Report) -> str:
    """Viewers split classnames at dots into packages, so `alice.ipynb` becomes `alice`."""
    name = report.student or PurePath(report.submission).stem or "submission"
    return _clean(name.replace(".", "_"))


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
