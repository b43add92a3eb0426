"""Mistakes the `like:` answers do not cover, diagnosed from the autograd trace: the right code,
and the student's own line (cell and line) in the message."""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, codes, exercise
from grader.commands.validate import expected_diagnosis

_LINE = re.compile(r"^#\s*expect:\s*\w+\s+[\w-]+\s+at line (\d+)")
TRACED = sorted(p for p in (FIXTURES / "wrong").glob("*.py")
                if _LINE.match(p.read_text(encoding="utf-8").splitlines()[0]))


def test_every_trace_code_has_two_variants():
    found = [expected_diagnosis(path)[1] for path in TRACED]
    for code in ("grad-accumulation", "grad-aliasing", "retain-graph", "create-graph",
                 "ignored-gradient-arg", "no-detach", "missing-no-grad", "not-a-leaf"):
        assert found.count(code) >= 2, code


@pytest.mark.parametrize("path", TRACED, ids=[p.stem for p in TRACED])
def test_traced_mistake_names_the_students_line(grader, path):
    exercise_id, code = expected_diagnosis(path)
    line = _LINE.match(path.read_text(encoding="utf-8").splitlines()[0]).group(1)
    source = path.read_text(encoding="utf-8").splitlines()[int(line) - 1].strip()
    result = exercise(grader.grade_file(path), exercise_id)
    assert code in codes(result), [(d.code, d.message) for d in result.diagnoses]
    message = next(d.message for d in result.diagnoses if d.code == code)
    assert f"cell 1, line {line}" in message or f"line {line}" in message, message
    assert source.split("#")[0].strip() in message, message
