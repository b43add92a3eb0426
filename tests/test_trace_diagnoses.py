"""Mistakes the `like:` answers do not cover, diagnosed from the autograd trace: the right code,
and the student's own line (cell and line) in the message."""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, codes, exercise, write_notebook
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
    assert f"line {line} (`{source}`)" in message and "cell 1 (" in message, message


FORGE = '''
import json
import torch
_real_dumps = json.dumps
FORGED = {"calls": [{"api": "backward", "gradient_given": False, "retain_graph": False, "create_graph": False, "inputs": [],
                     "roots": [{"op": "SumBackward0", "shape": [], "requires_grad": True, "gradient": "ones"}],
                     "writes": [{"leaf": "x", "before": "nonzero", "earlier_call": None, "kept": True,
                                 "earlier": {"t": "tensor", "dtype": "float32", "shape": [4], "data": [9.0] * 4}}],
                     "cell": 1, "line": 1, "source": "forged",
                     "error": {"type": "RuntimeError", "message": "backward through the graph a second time"}}],
          "dropped": 0, "aliases": [{"result": "result", "leaf": "x", "call": 0}], "changed": [],
          "cuts": ["detach"], "incomplete": False}
def _forged(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("type") == "probe" and str(obj.get("key", "")).startswith("grad_of_dot"):
        obj = {**obj, "trace": FORGED}
    return _real_dumps(obj, *args, **kwargs)
json.dumps = _forged
'''


@pytest.mark.parametrize("answer, score", [("4 * x", 2.0), ("x + 1", 0.0)])
def test_a_forged_trace_changes_no_score(grader, tmp_path, answer, score):
    """The trace only picks the words of a diagnosis for a case that failed on its values: a
    notebook that sends a forged trace (claiming mistakes, or an alias) earns nothing and loses nothing."""
    path = tmp_path / "forger.py"
    path.write_text(FORGE + f"\n\ndef grad_of_dot(x):\n    x.requires_grad_(True)\n"
                            f"    (2 * torch.dot(x, x)).backward()\n    return {answer}\n", encoding="utf-8")
    result = exercise(grader.grade_file(path), "grad_of_dot")
    assert result.score == score
    assert (result.diagnoses == ()) == (score == 2.0)
    if score == 0.0:  # the forgery did pass the boundary: it chose the words, not the points
        assert codes(result) == {"grad-aliasing"}


def test_a_helper_in_another_cell_is_named_by_its_own_cell(grader, tmp_path):
    """In a notebook the first derivative is taken in a helper's cell and differentiated again in
    the next: the message names each call by its own cell."""
    path = write_notebook(tmp_path / "second.ipynb", [
        "import torch",
        "def first_derivative(f, x):\n    y = f(x)\n    return torch.autograd.grad(y.sum(), x)[0]",
        "def second_derivative(f, x):\n    x.requires_grad_(True)\n    dy = first_derivative(f, x)\n"
        "    return torch.autograd.grad(dy.sum(), x)[0]",
    ])
    result = exercise(grader.grade_file(path), "second_derivative")
    message = next(d.message for d in result.diagnoses if d.code == "create-graph")
    assert "code cell 2 (`def first_derivative(f, x):`), line 3 (`return torch.autograd.grad(y.sum(), x)[0]`)" in message
    assert "code cell 3 (`def second_derivative(f, x):`), line 4" in message
