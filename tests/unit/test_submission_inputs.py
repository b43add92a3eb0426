"""Loading a submission (real nbformat notebooks, .py files) and building a case's inputs: the
parts of the pipeline that run before any child exists."""
from __future__ import annotations

import nbformat
import pytest
import torch

from grader.errors import SubmissionError
from grader.observe.inputs import build_inputs, describe
from grader.source.magics import neutralise
from grader.source.submission import parse_submission


def notebook_bytes(*cells: str | tuple[str, str], **metadata) -> bytes:
    notebook = nbformat.v4.new_notebook()
    for cell in cells:
        notebook.cells.append(nbformat.v4.new_markdown_cell(cell[1]) if isinstance(cell, tuple)
                              else nbformat.v4.new_code_cell(cell))
    notebook.metadata.update(metadata)
    return nbformat.writes(notebook).encode()


def test_a_notebook_numbers_code_cells_as_people_count_them_and_keeps_the_student():
    data = notebook_bytes(("markdown", "# HW"), "import torch", "%matplotlib inline\nx = 1",
                          grader={"student": "alice"})
    submission = parse_submission("hw.ipynb", data)
    assert (submission.kind, submission.student) == ("ipynb", "alice")
    assert [(c.index, c.code) for c in submission.cells] == [(1, "import torch"), (2, "pass\nx = 1")]
    assert [c.title for c in submission.cells] == ["code cell 1", "code cell 2"]
    assert submission.cells[1].note == ""  # %matplotlib only changes the display: dropped quietly


def test_a_script_is_split_on_cell_markers_and_keeps_line_numbers():
    submission = parse_submission("hw.py", b"import torch\n# %%\ndef f(x):\n    return x\n# In[3]:\ny = 2\n")
    assert [(c.index, c.first_line) for c in submission.cells] == [(1, 1), (2, 2), (3, 5)]


@pytest.mark.parametrize("name, data, message", [
    ("hw.ipynb", b"\xff\xfe not text", "hw.ipynb: not UTF-8 text (byte 0); save it again as UTF-8"),
    ("hw.ipynb", b'{"cells": ', "hw.ipynb: not a readable Jupyter notebook"),
])
def test_an_unreadable_submission_is_one_clear_line(name, data, message):
    with pytest.raises(SubmissionError) as caught:
        parse_submission(name, data)
    assert str(caught.value).startswith(message)


def test_magics_are_neutralised_without_moving_lines():
    assert neutralise("%%bash\nrm -rf /\n") == ("", "%%bash cell skipped (not Python)")
    code, note = neutralise("!pip install d2l\nfiles = !ls\nx = 1\ntorch.ones?")
    assert code.splitlines() == ["pass", "files = None", "x = 1", "pass"]
    assert note == "IPython syntax ignored: !pip install d2l, files = !ls, torch.ones?"
    assert neutralise("%%time\nx = 1") == ("pass  # %%time\nx = 1", "")


def test_inputs_are_seeded_per_argument_and_per_student():
    specs = {"x": {"shape": [4]}, "w": {"shape": [4], "dist": "uniform", "low": 1, "high": 2}}
    alice = build_inputs(specs, 11, "alice", track=("x",))
    assert torch.equal(alice["x"], build_inputs(specs, 11, "alice")["x"])
    assert not torch.equal(alice["x"], build_inputs(specs, 11, "bob")["x"])
    assert alice["x"].requires_grad and not alice["w"].requires_grad
    assert ((alice["w"] >= 1) & (alice["w"] <= 2)).all()
    assert build_inputs({"x": {"values": [1, 2]}}, 0)["x"].dtype == torch.float32
    assert describe({**specs, "f": {"fn": "x**3"}, "n": {"number": 2}}) == (
        "x: float32[4], w: float32[4], f: x ↦ x**3, n: 2")
