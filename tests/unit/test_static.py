"""What the parent learns from the source alone: names, forbidden calls, control flow, and why a
cell does not parse."""
from __future__ import annotations

from grader.source.static import SourceIndex
from grader.source.submission import Cell
from unit.fakes import cells


def test_defined_names_and_functions_are_indexed_per_cell():
    index = SourceIndex(cells("import torch\nx = torch.ones(3)", "def f(x):\n    return g(x)\n",
                              "def g(x):\n    return x\n"))
    assert index.defined_in == {"torch": 1, "x": 1, "f": 2, "g": 3}
    assert [node.name for _, node in index.closure("f")] == ["f", "g"]
    assert index.closure("missing") == []


def test_forbidden_calls_follow_aliases_and_called_helpers():
    index = SourceIndex(cells("import numpy as np\nfrom torch.autograd import grad as G",
                              "def helper(x):\n    return np.cos(x)\n",
                              "def f(x):\n    y = helper(x)\n    return G(y, x)\n"))
    found = index.forbidden_calls("f", ("numpy.cos", "torch.autograd.grad"))
    assert [(c.name, c.cell, c.line) for c in found] == [
        ("numpy.cos", 2, 2), ("torch.autograd.grad", 3, 3)]
    assert index.forbidden_calls("helper", ("torch.autograd.grad",)) == []


def test_a_tensor_method_rule_ignores_math_and_numpy_functions():
    index = SourceIndex(cells("import math\ndef f(x):\n    return x.cos() + math.cos(1.0)\n"))
    assert [(c.name, c.line) for c in index.forbidden_calls("f", ("Tensor.cos",))] == [("Tensor.cos", 3)]
    index = SourceIndex(cells("import math\ndef f(x):\n    return math.cos(1.0)\n"))
    assert index.forbidden_calls("f", ("Tensor.cos",)) == []


def test_control_flow_counts_in_called_helpers_only():
    index = SourceIndex(cells("def h(x):\n    return x if x > 0 else -x\n", "def f(x):\n    return h(x)\n",
                              "def g(x):\n    return x\n"))
    assert index.has_control_flow("f") and not index.has_control_flow("g")


def test_a_typographic_character_is_found_even_when_python_reports_another_line():
    (cell,) = cells("def f(x):\n    s = \u201cgrad\u201d\n    return x\n")
    problem = SourceIndex((cell,)).problems[1]
    assert (problem.line, problem.character, problem.source_line) == (2, "\u201c", "s = “grad”")


def test_a_plain_syntax_error_keeps_its_line_in_the_notebook():
    cell = Cell(4, "def f(x)\n    return x\n", "def f(x)\n    return x\n", first_line=10)
    problem = SourceIndex((cell,)).problems[4]
    assert (problem.cell, problem.line, problem.character) == (4, 10, "")
    assert problem.message == "expected ':'" and problem.source_line == "def f(x)"
