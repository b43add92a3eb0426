"""The autograd graph behind a tensor, as plain data: what the trace sends and the feedback draws.

The child walks `grad_fn` → `next_functions` from the tensors a function returned or called
backward on, and sends the graph as plain JSON (no pickles, no tensors); the parent decodes it
with `GRAPH` at the record boundary and rebuilds an `AutogradGraph`. Walking is capped: a graph
is evidence for a diagnosis and a picture for a student, and beyond a few dozen nodes it is
neither, so the walk stops and says so (`truncated`).

Edges point the way gradients flow: from the node nearer the output to the node of one of its
inputs. An input of an operation that carries no gradient (a constant, a `detach()`ed tensor, a
value computed under `no_grad`) appears in `next_functions` as `None`; it is kept as a *cut*
on that node, because "the reference's graph has a cut where yours has a path" is exactly the
evidence for a missing `detach()` or `no_grad`.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from grader.observe.schema_checks import Check, Invalid, fields, flag, integer, list_of, nullable, text

MAX_NODES = 60
LEAF_OP = "AccumulateGrad"


@dataclass(frozen=True)
class Node:
    """One backward function: `op` is its class name (`MulBackward0`, `AccumulateGrad`);
    `leaf` names the input a leaf node accumulates into ("" for a leaf the function made);
    `cuts` counts its inputs that carry no gradient; `shape` and `dtype` are a leaf's."""

    id: int
    op: str
    leaf: str = ""
    shape: tuple[int, ...] | None = None
    cuts: int = 0
    dtype: str = ""


@dataclass(frozen=True)
class Root:
    """A tensor the walk started from: `node` is None when it has no graph of its own (a
    gradient taken without `create_graph=True`, a detached result)."""

    name: str
    node: int | None
    requires_grad: bool


@dataclass(frozen=True)
class AutogradGraph:
    roots: tuple[Root, ...]
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]
    truncated: bool = False

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def inputs(self, node_id: int) -> list[int]:
        return [target for source, target in self.edges if source == node_id]

    def leaves_reached(self) -> set[str]:
        return {node.leaf for node in self.nodes if node.op == LEAF_OP and node.leaf}


D2L_SYMBOLS = {
    "Mul": "×", "Add": "+", "Sub": "−", "Rsub": "−", "Div": "÷", "Neg": "−x", "Pow": "**",
    "Sum": "sum", "Mean": "mean", "Prod": "prod", "Sin": "sin", "Cos": "cos", "Tan": "tan",
    "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Abs": "abs", "Tanh": "tanh",
    "Sigmoid": "sigmoid", "Relu": "relu", "Mm": "@", "Mv": "@", "Bmm": "@", "Addmm": "+ @",
    "Dot": "dot", "View": "reshape", "Reshape": "reshape", "ReshapeAlias": "reshape",
    "UnsafeView": "reshape", "T": ".T", "Transpose": "transpose", "Permute": "permute",
    "Expand": "expand", "Squeeze": "squeeze", "Unsqueeze": "unsqueeze", "Select": "[i]",
    "Slice": "[a:b]", "Index": "[…]", "Clone": "clone", "ToCopy": ".to()", "Cat": "cat",
    "Stack": "stack", "Max": "max", "Min": "min", "Maximum": "maximum", "Minimum": "minimum",
    "Clamp": "clamp", "Where": "where", "LinalgVectorNorm": "norm", "Norm": "norm",
    "CopySlices": "[…] =",
}


def op_symbol(op: str) -> str:
    """`MulBackward0` → `×`: how the book writes the operation a backward function undoes; an
    operation without a d2l spelling keeps its own name without `Backward0`."""
    base = re.sub(r"Backward\d*$", "", op)
    return D2L_SYMBOLS.get(base) or base or op


def walk(roots: dict[str, Any], leaves: dict[str, Any], cap: int = MAX_NODES) -> AutogradGraph:
    """The graph behind `roots` (name → tensor), naming leaves by the `leaves` they are
    (name → tensor, by identity). Nodes are numbered in breadth-first order from the roots,
    inputs in `next_functions` order, so the same code always gives the same numbering."""
    import torch

    names = {id(tensor): name for name, tensor in leaves.items() if isinstance(tensor, torch.Tensor)}
    ids: dict[Any, int] = {}
    nodes: list[Node] = []
    edges: list[tuple[int, int]] = []
    queue: deque = deque()
    truncated = False

    def visit(function: Any) -> int | None:
        nonlocal truncated
        if function in ids:
            return ids[function]
        if len(nodes) >= cap:
            truncated = True
            return None
        ids[function] = len(nodes)
        nodes.append(_describe(len(nodes), function, names, leaves))
        queue.append(function)
        return ids[function]

    root_list = []
    for name, tensor in roots.items():
        if not isinstance(tensor, torch.Tensor):
            continue
        function = tensor.grad_fn
        if function is None and tensor.requires_grad:
            function = _leaf_accumulator(tensor)
        root_list.append(Root(name, visit(function) if function is not None else None,
                              bool(tensor.requires_grad)))
    while queue:
        function = queue.popleft()
        source = ids[function]
        cuts = 0
        for child, _ in getattr(function, "next_functions", ()):
            if child is None:
                cuts += 1
                continue
            target = visit(child)
            if target is not None:
                edges.append((source, target))
        if cuts:
            nodes[source] = replace(nodes[source], cuts=cuts)
    return AutogradGraph(tuple(root_list), tuple(nodes), tuple(edges), truncated)


def _leaf_accumulator(tensor: Any) -> Any:
    """A leaf that requires grad has no grad_fn; its AccumulateGrad node is reached through a
    trivial view, which is the node every operation on it would link to."""
    return tensor.view_as(tensor).grad_fn.next_functions[0][0]


def _describe(node_id: int, function: Any, names: dict[int, str], leaves: dict[str, Any]) -> Node:
    op = type(function).__name__
    variable = getattr(function, "variable", None) if op == LEAF_OP else None
    if variable is None:
        return Node(node_id, op)
    name = names.get(id(variable))
    if name is None:
        name = _copy_of(variable, leaves)
    return Node(node_id, op, name, tuple(variable.shape), dtype=str(variable.dtype).removeprefix("torch."))


def _copy_of(variable: Any, leaves: dict[str, Any]) -> str:
    """The input a leaf copies (`x = x.detach().clone().requires_grad_()`, as the solutions
    and many students write it): it is `x` to the student, and to `parting`. "" when no single
    input has its shape and values."""
    import torch

    same = [name for name, tensor in leaves.items()
            if isinstance(tensor, torch.Tensor) and tensor.shape == variable.shape
            and torch.equal(tensor.detach().to(variable.dtype), variable.detach())]
    return same[0] if len(same) == 1 else ""


def to_plain(graph: AutogradGraph) -> dict[str, Any]:
    """The graph as JSON-ready data for the record pipe."""
    return {"roots": [{"name": r.name, "node": r.node, "requires_grad": r.requires_grad} for r in graph.roots],
            "nodes": [{"op": n.op, "leaf": n.leaf, "shape": None if n.shape is None else list(n.shape),
                       "cuts": n.cuts, "dtype": n.dtype} for n in graph.nodes],
            "edges": [list(edge) for edge in graph.edges], "truncated": graph.truncated}


_NODE = fields({"op": text(120), "leaf": text(120), "cuts": integer},
               {"shape": nullable(list_of(integer, 8)), "dtype": text(20)})
_ROOT = fields({"name": text(120), "node": nullable(integer), "requires_grad": flag})
_EDGE = list_of(integer, 2)


def _graph(data: Any, path: str) -> dict[str, Any]:
    """The record-boundary schema of a graph: field types and sizes, and every node id an edge
    or a root names exists (so a hostile child cannot make the parent index out of range)."""
    graph = fields({"roots": list_of(_ROOT, 20), "nodes": list_of(_NODE, MAX_NODES),
                    "edges": list_of(_EDGE, 4 * MAX_NODES), "truncated": flag})(data, path)
    count = len(graph["nodes"])
    for i, edge in enumerate(graph["edges"]):
        if len(edge) != 2 or not all(node < count for node in edge):
            raise Invalid(f"{path}.edges[{i}]", f"expected two node ids below {count}")
    for i, root in enumerate(graph["roots"]):
        if root["node"] is not None and root["node"] >= count:
            raise Invalid(f"{path}.roots[{i}].node", f"expected a node id below {count}")
    return graph


GRAPH: Check = _graph


def from_plain(graph: dict[str, Any]) -> AutogradGraph:
    """An `AutogradGraph` from data `GRAPH` has already checked."""
    return AutogradGraph(
        tuple(Root(r["name"], r["node"], r["requires_grad"]) for r in graph["roots"]),
        tuple(Node(i, n["op"], n["leaf"], None if n.get("shape") is None else tuple(n["shape"]), n["cuts"],
                   n.get("dtype", "")) for i, n in enumerate(graph["nodes"])),
        tuple((source, target) for source, target in graph["edges"]), graph["truncated"])


def parting(student: AutogradGraph, reference: AutogradGraph, root: int = 0) -> tuple[int | None, int | None] | None:
    """The first pair of nodes where the two graphs differ, walking both from their `root`-th
    root in the same order (breadth first, inputs in `next_functions` order): a different
    operation, a different leaf, a different number of inputs or of cuts. (student node,
    reference node), either None where one graph has no node; None when they agree."""
    def start(graph: AutogradGraph) -> int | None:
        return graph.roots[root].node if root < len(graph.roots) else None

    queue = deque([(start(student), start(reference))])
    seen: set[tuple[int | None, int | None]] = set()
    while queue:
        pair = queue.popleft()
        if pair in seen:
            continue
        seen.add(pair)
        mine, theirs = pair
        if mine is None or theirs is None:
            if mine is not theirs:
                return pair
            continue
        a, b = student.node(mine), reference.node(theirs)
        mine_inputs, their_inputs = student.inputs(mine), reference.inputs(theirs)
        if (a.op, a.leaf, a.cuts, len(mine_inputs)) != (b.op, b.leaf, b.cuts, len(their_inputs)):
            return pair
        queue.extend(zip(mine_inputs, their_inputs))
    return None
