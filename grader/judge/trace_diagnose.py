"""Why a gradient is wrong, from what the student's code did to autograd (the child's trace).

Rules are general, not per exercise: each reads the student's trace (and graph), the
reference's, and the values, and names the student's line where it happened. A rule speaks
only for a case that already failed, so the trace can change which diagnosis a student reads,
never a score. `like:` answers in the pack stay a second source; where both speak, this wins.
"""
from __future__ import annotations

import ast
import dataclasses
from typing import Any, Callable

from grader.i18n import _
from grader.judge import diagnose
from grader.judge.compare import close
from grader.observe import autograd_graph
from grader.observe.encode import Decoded, decode

Finding = tuple[str, str]
CellName = Callable[[object], str]


def explain_value(observation: dict[str, Any], reference: dict[str, Any], got: Any, expected: Any,
                  cell_name: CellName, rtol: Any = None, atol: Any = None) -> Finding | None:
    """(code, message) for a wrong value, from the trace's evidence; None when it has none."""
    trace = observation.get("trace")
    if not trace:
        return None
    pieces = [(label, mine, right) for label, mine, right in _pieces(got, expected)
              if not close(mine, right, rtol, atol)]
    for rule in (_accumulation, _aliasing):
        found = rule(trace, pieces, cell_name, rtol, atol)
        if found:
            return found
    return _ignored_gradient(trace, reference.get("trace") or {}, cell_name) or _cut(observation, reference, cell_name)


def with_known(traced: Finding | None, known: Finding | None) -> Finding | None:
    """The trace's evidence wins over a `like:` match; when both name the same mistake, the
    exercise's own hint follows the trace's message (which has the line)."""
    if traced and known and known[0] == traced[0] and known[1]:
        return traced[0], diagnose.sentence("trace-and-hint", message=traced[1], hint=known[1].rstrip("."))
    return traced or known


def explain_error(observation: dict[str, Any], cell_name: CellName) -> Finding | None:
    """For an error the engine raised: the earlier call that lacked the flag, by its line."""
    calls = (observation.get("trace") or {}).get("calls", [])
    failing = next((i for i, call in enumerate(calls) if call.get("error")), None)
    if failing is None:
        return None
    message = calls[failing]["error"].get("message", "")
    if "backward through the graph a second time" in message:
        flag, code = "retain_graph", "retain-graph"
    elif "does not require grad and does not have a grad_fn" in message:
        flag, code = "create_graph", "create-graph"
    else:
        return None
    earlier = next((calls[i] for i in range(failing - 1, -1, -1) if not calls[i].get(flag)), None)
    if earlier is None:
        return None
    later = calls[failing]
    same_cell = bool(later.get("cell")) and later.get("cell") == earlier.get("cell")
    return code, diagnose.sentence(f"{code}.trace", first=_where(earlier, cell_name),
                                  where=_where(later, cell_name, same_cell))


def explain_not_a_leaf(observation: dict[str, Any], source: Any, function: str) -> str:
    """The operation that made the returned tensor, and the student's `return` line; "" when
    the graph was not recorded."""
    graph = observation.get("graph")
    if not graph or not graph.get("roots") or graph["roots"][0].get("node") is None:
        return ""
    op = _operation(graph["nodes"][graph["roots"][0]["node"]]["op"])
    where = _("your function")
    cell, definition = source.functions.get(function, (None, None))
    returns = [node for node in ast.walk(definition) if isinstance(node, ast.Return)] if definition else []
    if len(returns) == 1 and cell in source.cells:
        lines = source.cells[cell].code.splitlines()
        line = returns[0].lineno
        text = lines[line - 1].strip() if line <= len(lines) else ""
        where = _("{cell}, {line}", cell=source.cell_name(cell),
                  line=_("line {line} (`{source}`)", line=line + source.cells[cell].first_line - 1, source=text))
    return diagnose.sentence("not-a-leaf.trace", op=op, where=where)


def _operation(op: str) -> str:
    """`×` (MulBackward0): the book's symbol, and the name the student sees in `grad_fn`."""
    symbol = autograd_graph.op_symbol(op)
    return f"`{symbol}` ({op})" if symbol != op else f"`{op}`"


def _where(call: dict[str, Any], cell_name: CellName, line_only: bool = False) -> str:
    """`code cell 3 (`def f(x):`), line 8 (`y.backward()`)`: the student's call, by cell, line
    and source; the source alone in a Jupyter kernel, whose cells the grader cannot number."""
    if not call.get("cell"):
        return f"`{call['source']}`" if call.get("source") else _("your code")
    line = _("line {line} (`{source}`)", line=call.get("line", "?"), source=call.get("source", ""))
    return line if line_only else _("{cell}, {line}", cell=cell_name(call["cell"]), line=line)


def _pieces(got: Any, expected: Any, label: str = "result") -> list[tuple[str, Any, Any]]:
    """Comparable parts of a result: the whole, each item of a tuple, each row of a matrix."""
    if isinstance(got, (tuple, list)) and isinstance(expected, (tuple, list)) and len(got) == len(expected):
        return [piece for i, (mine, right) in enumerate(zip(got, expected))
                for piece in _pieces(mine, right, f"result[{i}]")]
    if not (isinstance(got, Decoded) and isinstance(expected, Decoded)) or got.tensor.shape != expected.tensor.shape:
        return []
    pieces = [(label, got, expected)]
    if got.tensor.dim() == 2:
        pieces += [(f"row {i}", Decoded.plain(got.tensor[i]), Decoded.plain(expected.tensor[i]))
                   for i in range(got.tensor.shape[0])]
    return pieces


def _accumulation(trace, pieces, cell_name, rtol, atol) -> Finding | None:
    """A backward into a `.grad` that held an earlier gradient, not zeroed, and a wrong part of
    the result that is off by exactly that earlier gradient."""
    for call in trace.get("calls", []):
        for write in call.get("writes", []):
            earlier = decode(write.get("earlier")) if write.get("before") == "nonzero" else None
            if not isinstance(earlier, Decoded):
                continue
            for label, mine, right in pieces:
                if mine.tensor.shape != earlier.tensor.shape:
                    continue
                off = Decoded.plain(mine.tensor.double() - right.tensor.double())
                if close(off, Decoded.plain(earlier.tensor.double()), rtol, atol):
                    return "grad-accumulation", diagnose.sentence(
                        "grad-accumulation.trace", leaf=_leaf(write), piece=_said(label),
                        where=_where(call, cell_name))
    return None


def _aliasing(trace, pieces, cell_name, rtol, atol) -> Finding | None:
    """A wrong part of the result that is a `.grad` changed after a backward produced it:
    returned as that very tensor, or holding its later values (a list of `x.grad`s)."""
    calls = trace.get("calls", [])
    wrong = {label for label, _, _ in pieces}
    for alias in trace.get("aliases", []):
        if alias["result"] in wrong and alias["call"] < len(calls):
            return _aliased(alias["result"], alias["leaf"], calls[alias["call"]], cell_name)
    for changed in trace.get("changed", []):
        later = decode(changed.get("value"))
        if not isinstance(later, Decoded) or changed["call"] >= len(calls):
            continue
        for label, mine, _ in pieces:
            if label.startswith("row") and mine.tensor.shape == later.tensor.shape and close(mine, later, rtol, atol):
                return _aliased(label, changed["leaf"], calls[changed["call"]], cell_name)
    return None


def _aliased(piece: str, leaf: str, call: dict[str, Any], cell_name: CellName) -> Finding:
    return "grad-aliasing", diagnose.sentence("grad-aliasing.trace", piece=_said(piece), leaf=leaf or "x",
                                             where=_where(call, cell_name))


def _ignored_gradient(trace, reference_trace, cell_name) -> Finding | None:
    """The reference backpropagates with an argument as the gradient; the student never does,
    and starts a backward from all ones (`y.sum()`, `ones_like(y)`, or a scalar's implicit 1)."""
    given = {root.get("argument") for call in reference_trace.get("calls", []) for root in call.get("roots", [])
             if root.get("gradient") == "argument"}
    used = {root.get("argument") for call in trace.get("calls", []) for root in call.get("roots", [])
            if root.get("gradient") == "argument"}
    missing = sorted(name for name in given - used if name)
    if not missing:
        return None
    for call in trace.get("calls", []):
        if any(root.get("gradient") == "ones" for root in call.get("roots", [])):
            return "ignored-gradient-arg", diagnose.sentence(
                "ignored-gradient-arg.trace", argument=missing[0], where=_where(call, cell_name))
    return None


def _cut(observation, reference, cell_name) -> Finding | None:
    """The reference's graph has a cut (a detached or no_grad input) where the student's has a
    path: the first place the two graphs part, from each backward's root."""
    cuts = (reference.get("trace") or {}).get("cuts", [])
    if len(cuts) != 1 or not observation.get("graph") or not reference.get("graph"):
        return None
    mine, theirs = (autograd_graph.from_plain(o["graph"]) for o in (observation, reference))
    their_roots = [r for r in theirs.roots if r.name.startswith("backward")]
    calls = (observation.get("trace") or {}).get("calls", [])
    for index, root in enumerate(r for r in mine.roots if r.name.startswith("backward")):
        if not their_roots:
            return None
        other = their_roots[min(index, len(their_roots) - 1)]
        pair = autograd_graph.parting(dataclasses.replace(mine, roots=(root,)), dataclasses.replace(theirs, roots=(other,)))
        if pair is None or None in pair or theirs.node(pair[1]).cuts <= mine.node(pair[0]).cuts:
            continue
        code = "no-detach" if cuts[0] == "detach" else "missing-no-grad"
        owners = [number for number, call in enumerate(calls) for _ in call.get("roots", [])]
        call = calls[owners[index]] if index < len(owners) else {}
        return code, diagnose.sentence(f"{code}.trace", op=_operation(mine.node(pair[0]).op), where=_where(call, cell_name))
    return None


def _said(piece: str) -> str:
    """`result`, `result[1]`, `row 2` as a sentence says them."""
    if piece == "result":
        return "the result"
    return _("{piece} of the result", piece=piece) if piece.startswith("row") else f"`{piece}`"


def _leaf(write: dict[str, Any]) -> str:
    return write.get("leaf") or "the input"
