"""The diagnosis table: a child's error becomes a stable code and a sentence with its blanks
filled; an exercise's own rules come first."""
from __future__ import annotations

import re

import pytest

from grader.judge import diagnose
from grader.model import DIAGNOSIS_CODES
from grader.pack.load import ErrorRule


def error(type_: str, message: str, **where) -> dict:
    return {"type": type_, "message": message, **where}


@pytest.mark.parametrize("type_, message, code", [
    ("RuntimeError", "only Tensors of floating point and complex dtype can require gradients", "int-dtype"),
    ("RuntimeError", "grad can be implicitly created only for scalar outputs", "non-scalar-backward"),
    ("RuntimeError", "grad can be implicitly created only for real scalar outputs", "non-scalar-backward"),
    ("RuntimeError", "Trying to backward through the graph a second time (or directly access "
                     "saved tensors after they have already been freed)", "retain-graph"),
    ("RuntimeError", "1D tensors expected, but got 2D and 2D tensors", "dot-2d"),
    ("RuntimeError", "element 0 of tensors does not require grad and does not have a grad_fn",
     "no-grad-tracking"),
    ("MemoryError", "", "memory-limit"),
    ("Deadline", "ran past 10 s", "timeout"),
    ("ForbiddenCall", "numpy.cos", "forbidden-call"),
    ("SystemExit", "0", "crashed"),
    ("KeyError", "'w'", "function-raised"),
])
def test_torch_errors_map_to_their_code(type_, message, code):
    assert diagnose.code_for_error(error(type_, message)) == (code, "")


def test_real_torch_messages_still_match_the_table():
    """The table's patterns are torch's own words: if a torch upgrade rewords one, this fails."""
    import torch

    attempts = {
        "int-dtype": lambda: torch.arange(3).requires_grad_(True),
        "non-scalar-backward": lambda: (torch.ones(2, requires_grad=True) * 2).backward(),
        "dot-2d": lambda: torch.dot(torch.ones(2, 2), torch.ones(2, 2)),
        "no-grad-tracking": lambda: torch.ones(2).sum().backward(),
    }
    for code, attempt in attempts.items():
        with pytest.raises(Exception) as caught:
            attempt()
        assert diagnose.code_for_error(error(type(caught.value).__name__, str(caught.value)))[0] == code


def test_an_exercise_rule_is_tried_before_the_table():
    rules = (ErrorRule(match=r"^RuntimeError: 1D", code="dot-2d", hint="Here x is a matrix: use x @ x."),)
    assert diagnose.code_for_error(error("RuntimeError", "1D tensors expected"), rules) == (
        "dot-2d", "Here x is a matrix: use x @ x.")


def test_messages_fill_their_blanks_and_survive_missing_ones():
    assert diagnose.message("forbidden-call", call="numpy.cos") == "This exercise rules out numpy.cos."
    assert diagnose.message("not-defined", name="f") == (
        "`f` is not defined.? Define a function named exactly `f`.")
    assert diagnose.message("no-such-code") == "no-such-code"


def test_every_code_has_a_whole_sentence_and_every_table_code_a_message():
    for code, text in diagnose.MESSAGES.items():
        assert text.endswith("."), code
    assert {code for _, code in diagnose.ERROR_TABLE} <= set(diagnose.MESSAGES)
    assert list(diagnose.MESSAGES) == list(DIAGNOSIS_CODES)  # the codes packs may name


def test_every_judges_sentence_fills_its_blanks():
    for key, text in diagnose.SENTENCES.items():
        blanks = {name: f"<{name}>" for name in re.findall(r"\{(\w+)\}", text)}
        filled = diagnose.sentence(key, **blanks)
        assert "{" not in filled and all(value in filled for value in blanks.values()), key
    assert diagnose.sentence("error-matching", error="RuntimeError", pattern="twice") == (
        "RuntimeError matching “twice”")


def test_an_error_is_described_with_the_students_own_line():
    where = {"cell": 4, "line": 3, "source_line": "y.backward()"}
    assert diagnose.error_sentence(error("RuntimeError", " boom \n", **where)) == (
        "RuntimeError: boom — in cell 4, line 3: y.backward()")
    assert diagnose.error_sentence(error("RuntimeError", "boom", **where), with_line=False) == (
        "RuntimeError: boom")
    long = diagnose.error_sentence(error("ValueError", "v" * 400))
    assert len(long) == 298 and long.endswith("v…")
