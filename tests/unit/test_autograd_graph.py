"""The graph walk and its plain form: what the trace sends and the feedback draws."""
import json
import re

import pytest
import torch

from grader.observe.autograd_graph import GRAPH, MAX_NODES, from_plain, parting, to_plain, walk
from grader.observe.records import Invalid


def _detached_and_not():
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    with_detach = walk({"z": y.detach() * x}, {"x": x})
    without = walk({"z": (x * x) * x}, {"x": x})
    return with_detach, without


def test_a_detach_is_a_cut_where_the_path_would_be():
    with_detach, without = _detached_and_not()
    assert [n.op for n in with_detach.nodes] == ["MulBackward0", "AccumulateGrad"]
    assert with_detach.nodes[0].cuts == 1
    assert [n.op for n in without.nodes] == ["MulBackward0", "MulBackward0", "AccumulateGrad"]
    assert without.nodes[2].leaf == "x" and without.nodes[2].shape == (4,)
    assert parting(without, with_detach) == (0, 0)
    assert parting(without, without) is None


def test_a_gradient_without_create_graph_has_no_graph_of_its_own():
    x = torch.arange(3.0, requires_grad=True)
    (first,) = torch.autograd.grad((x ** 3).sum(), x)
    (kept,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert walk({"grad": first}, {"x": x}).roots[0].node is None
    assert walk({"grad": kept}, {"x": x}).leaves_reached() == {"x"}


def test_the_plain_form_round_trips_through_json_and_the_schema():
    for graph in _detached_and_not():
        plain = json.loads(json.dumps(to_plain(graph)))
        assert from_plain(GRAPH(plain, "graph")) == graph


def test_the_walk_stops_at_the_cap_and_says_so():
    x = torch.ones(2, requires_grad=True)
    y = x
    for _ in range(3 * MAX_NODES):
        y = y * 1.5 + 1
    graph = walk({"y": y}, {"x": x})
    assert graph.truncated and len(graph.nodes) == MAX_NODES
    GRAPH(to_plain(graph), "graph")


@pytest.mark.parametrize("edit, where", [
    (lambda g: g["edges"].append([0, 99]), "graph.edges[2]"),
    (lambda g: g["roots"][0].update(node=7), "graph.roots[0].node"),
    (lambda g: g["nodes"][0].update(op=["MulBackward0"]), "graph.nodes[0].op"),
])
def test_a_hostile_graph_is_refused_naming_the_field(edit, where):
    plain = to_plain(_detached_and_not()[0])
    plain["edges"].append([0, 1])
    edit(plain)
    with pytest.raises(Invalid, match=rf"^{re.escape(where)}: "):
        GRAPH(plain, "graph")


def test_a_leaf_copied_from_an_input_is_named_after_it_with_its_dtype():
    x = torch.arange(4.0)
    copy = x.detach().clone().requires_grad_(True)
    made = torch.ones(4, requires_grad=True)
    graph = walk({"z": (copy * made).sum()}, {"x": x})
    leaves = [n for n in graph.nodes if n.op == "AccumulateGrad"]
    assert [(n.leaf, n.shape, n.dtype) for n in leaves] == [("x", (4,), "float32"), ("", (4,), "float32")]
    assert from_plain(GRAPH(json.loads(json.dumps(to_plain(graph))), "graph")) == graph
