"""The autograd trace (observe/trace.py) and the diagnoses drawn from it (judge/trace_diagnose.py),
with real torch graphs: student code is compiled as a `<cell N>` the way the child runs a cell,
observed with the same probe the child uses, sent through the record boundary, then judged."""
from __future__ import annotations

import json
import linecache
import textwrap

import torch

from grader.judge import trace_diagnose
from grader.observe import probe, records
from grader.observe.encode import decode
from grader.observe.trace import cuts_made_in
from grader.pack.kinds import KINDS
from grader.source.static import SourceIndex
from grader.source.submission import Cell

X = {"x": {"values": [1.0, -2.0, 0.5]}}


def cell(code: str, index: int = 2) -> dict:
    """Run `code` as cell `index` (its lines numbered as the student sees them)."""
    code = textwrap.dedent(code).lstrip("\n")
    filename = f"<cell {index}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    namespace = {"torch": torch}
    exec(compile(code, filename, "exec"), namespace)  # noqa: S102 - the test's own code
    return namespace


def observed(function, specs=X, kind="value", options=None) -> dict:
    """The observation as the parent receives it: through JSON and the record schema."""
    data = json.loads(json.dumps(probe.observe(kind, function, specs, 7, options or {})))
    return records.OBSERVATION(data, "probe")


def judged(student: dict, reference: dict):
    got, expected = decode(student["value"]), decode(reference["value"])
    return trace_diagnose.explain_value(student, reference, got, expected, lambda c: f"cell {c}")


def test_a_backward_into_a_non_zero_grad_records_that_earlier_gradient_and_the_line():
    ns = cell('''
        def two_grads(x):
            x.requires_grad_(True)
            (2 * torch.dot(x, x)).backward()
            g1 = x.grad.clone()
            x.sum().backward()
            return g1, x.grad
    ''')
    trace = observed(ns["two_grads"])["trace"]
    first, second = trace["calls"]
    assert (first["api"], first["cell"], first["line"]) == ("backward", 2, 3)
    assert second["source"] == "x.sum().backward()" and second["line"] == 5
    write = second["writes"][0]
    assert (write["leaf"], write["before"], write["zeroed"], write["kept"]) == ("x", "nonzero", False, True)
    assert torch.equal(decode(write["earlier"]).tensor, 4 * torch.tensor([1.0, -2.0, 0.5]))


def test_accumulation_is_diagnosed_when_the_result_is_off_by_exactly_the_earlier_gradient():
    student = cell('''
        def f(x):
            x.requires_grad_(True)
            (x * x).sum().backward()
            (x * x * x).sum().backward()
            return x.grad
    ''')["f"]

    def reference(x):
        x = x.detach().clone().requires_grad_(True)
        (x * x * x).sum().backward()
        return x.grad

    code, message = judged(observed(student), observed(reference))
    assert code == "grad-accumulation"
    assert "cell 2, line 4" in message and "(x * x * x).sum().backward()" in message


def test_a_zeroed_grad_is_not_accumulation_and_a_returned_alias_is():
    ns = cell('''
        def two_grads(x):
            x.requires_grad_(True)
            (2 * torch.dot(x, x)).backward()
            g1 = x.grad
            x.grad.zero_()
            x.sum().backward()
            return g1, x.grad.clone()
    ''', index=5)

    def reference(x):
        x = x.detach().clone().requires_grad_(True)
        return 4 * x.detach(), torch.ones_like(x)

    student = observed(ns["two_grads"])
    assert student["trace"]["calls"][1]["writes"][0]["zeroed"] is True
    assert student["trace"]["aliases"] == [{"result": "result[0]", "leaf": "x", "call": 0}]
    code, message = judged(student, observed(reference))
    assert code == "grad-aliasing" and "`result[0]`" in message and "cell 5, line 3" in message


def test_retain_graph_error_names_the_call_that_freed_the_graph():
    ns = cell('''
        def twice(x):
            x.requires_grad_(True)
            y = (x * x).sum()
            y.backward()
            y.backward()
            return x.grad
    ''')
    student = observed(ns["twice"])
    assert student["outcome"] == "raised"
    failing = student["trace"]["calls"][1]
    assert failing["error"]["type"] == "RuntimeError" and failing["retain_graph"] is False
    code, message = trace_diagnose.explain_error(student, lambda c: f"cell {c}")
    assert code == "retain-graph" and "in cell 2, line 4 (`y.backward()`) freed" in message


def test_create_graph_error_names_the_first_derivative_taken_in_a_helper():
    ns = cell('''
        def first(f, x):
            return torch.autograd.grad(f(x).sum(), x)[0]

        def second(x):
            x.requires_grad_(True)
            return torch.autograd.grad(first(torch.sin, x).sum(), x)[0]
    ''')
    student = observed(ns["second"])
    code, message = trace_diagnose.explain_error(student, lambda c: f"cell {c}")
    assert code == "create-graph"
    assert "in cell 2, line 2 (`return torch.autograd.grad(f(x).sum(), x)[0]`)" in message
    assert "the call in line 6 (`return torch.autograd.grad(first(torch.sin, x).sum(), x)[0]`)" in message


def test_an_error_with_no_earlier_call_is_left_to_the_error_table():
    ns = cell('''
        def untracked(x):
            return torch.autograd.grad(x.sum(), x)[0]
    ''')
    assert trace_diagnose.explain_error(observed(ns["untracked"]), str) is None


def test_a_gradient_argument_replaced_by_ones_is_ignored_gradient_arg():
    specs = {"x": {"values": [1.0, 2.0]}, "v": {"values": [0.5, -3.0]}}
    student = cell('''
        def vb(x, v):
            x.requires_grad_(True)
            y = x * x
            y.backward(torch.ones_like(y))
            return x.grad
    ''')["vb"]

    def reference(x, v):
        x = x.detach().clone().requires_grad_(True)
        (x * x).backward(gradient=v)
        return x.grad

    theirs = observed(reference, specs)
    assert theirs["trace"]["calls"][0]["roots"][0] == {"op": "MulBackward0", "shape": [2], "requires_grad": True,
                                                       "gradient": "argument", "argument": "v"}
    code, message = judged(observed(student, specs), theirs)
    assert code == "ignored-gradient-arg" and "`v`" in message and "cell 2, line 4" in message


def test_a_path_where_the_reference_cuts_is_no_detach_or_missing_no_grad_by_the_reference():
    student = cell('''
        def g(x):
            x.requires_grad_(True)
            y = x * x
            z = y * x
            z.sum().backward()
            return x.grad
    ''')["g"]

    def detached(x):
        x = x.detach().clone().requires_grad_(True)
        y = x * x
        (y.detach() * x).sum().backward()
        return x.grad

    def under_no_grad(x):
        x = x.detach().clone().requires_grad_(True)
        with torch.no_grad():
            y = x * x
        (y * x).sum().backward()
        return x.grad

    mine = observed(student)
    assert judged(mine, observed(detached))[0] == "no-detach"
    code, message = judged(mine, observed(under_no_grad))
    assert code == "missing-no-grad" and "MulBackward0" in message and "cell 2, line 5" in message


def test_cuts_are_read_from_bytecode_ignoring_the_copy_of_an_argument():
    def copies(x):
        return x.detach().clone()

    def cuts(x):
        y = x * 2
        return y.detach()

    assert cuts_made_in(copies.__code__) == ()
    assert cuts_made_in(cuts.__code__) == ("detach",)


def test_not_a_leaf_names_the_operation_and_the_return_line():
    code = "import torch\n\ndef leaf_again(t):\n    r = t.detach().requires_grad_(True)\n    return r * 1\n"
    ns = cell(code, index=3)
    observation = observed(ns["leaf_again"], {"t": {"shape": [2], "nonleaf": True}}, kind="properties",
                           options={"expect": {"is_leaf": True}})
    source = SourceIndex((Cell(3, code, code),))
    message = trace_diagnose.explain_not_a_leaf(observation, source, "leaf_again")
    assert "MulBackward0" in message and "cell 3" in message and "line 5" in message and "`return r * 1`" in message


def test_a_right_answer_gets_no_diagnosis_and_trace_false_records_nothing():
    ns = cell('''
        def right(x):
            x.requires_grad_(True)
            (x * x).sum().backward()
            return x.grad
    ''')
    observation = observed(ns["right"])
    assert judged(observation, observation) is None
    off = observed(ns["right"], options={"trace": False})
    assert "trace" not in off and "graph" not in off and off["outcome"] == "returned"
    assert KINDS["value"].fields["trace"](False) is None and KINDS["value"].traced


def test_a_broken_tensor_method_stops_the_trace_and_not_the_students_call():
    ns = cell('''
        def sabotage(x):
            x.requires_grad_(True)
            torch.Tensor.item = None
            (x * x).sum().backward()
            return x.grad
    ''')
    original = torch.Tensor.item
    try:
        observation = observed(ns["sabotage"])
    finally:
        torch.Tensor.item = original
    assert observation["outcome"] == "returned" and observation["trace"]["incomplete"] is True


def test_the_boundary_rejects_a_trace_that_breaks_its_schema():
    good = {"calls": [], "dropped": 0, "aliases": [], "changed": [], "cuts": [], "incomplete": False}
    assert records.TRACE(good, "trace") == good
    for bad in ({**good, "calls": [{}] * 25}, {**good, "cuts": ["rm -rf"]}, {**good, "dropped": -1},
                {**good, "aliases": [{"result": "r", "leaf": "x", "call": "0"}]}):
        try:
            records.TRACE(bad, "trace")
        except records.Invalid:
            continue
        raise AssertionError(f"accepted {bad}")


def test_a_long_returned_list_and_many_backward_roots_still_pass_the_boundary():
    """The graph keeps at most 8 result roots and 8 backward roots: 30 returned tensors (each
    backpropagated) once made the whole observation malformed, so the case 'crashed'."""
    ns = cell('''
        def many(x):
            x.requires_grad_(True)
            ys = [(x * i).sum() for i in range(30)]
            torch.autograd.grad(ys, [x], retain_graph=True)
            return ys
    ''')
    observation = observed(ns["many"], {"x": {"shape": [2]}})
    assert observation["outcome"] == "returned" and len(observation["graph"]["roots"]) == 16


def test_the_trace_wins_over_like_and_keeps_its_hint_when_both_name_the_same_mistake():
    traced = ("grad-accumulation", "x.grad still held … in cell 2, line 5 (`y.backward()`).")
    assert trace_diagnose.with_known(traced, ("grad-accumulation", "g2 is 4x + 1.")) == (
        "grad-accumulation", "x.grad still held … in cell 2, line 5 (`y.backward()`). Here: g2 is 4x + 1.")
    assert trace_diagnose.with_known(traced, ("transposed", "rows are columns")) == traced
    assert trace_diagnose.with_known(None, ("transposed", "")) == ("transposed", "")
    assert trace_diagnose.with_known(None, None) is None
