"""What the student's function did to autograd, call by call: the evidence the trace diagnoses read.

The engine stand-in in guards.py hands every entry into autograd's engine (any spelling of
backward or autograd.grad) to the `Trace` of the probe that is running. A call records its
flags, the gradient it started from (all ones, one of the function's own arguments, or other),
the student's line that made it, and for each leaf it writes into what that leaf's `.grad` held
before: nothing, zeros, or an earlier gradient (whose values are kept, so the parent can check
"off by exactly that earlier gradient"). When the function returns, a returned tensor that
shares storage with a `.grad` changed after it was produced is an alias.

Recording is cheap on correct work: a few attribute reads per call, a capped walk to the leaves
it writes and one look at each leaf's `.grad`; the values of an earlier gradient are encoded only
when a backward accumulates into a non-zero `.grad` (bench/trace_cost.py measures the cost). Everything is plain JSON; the parent checks it at the record boundary, and it only
ever chooses a diagnosis for a case that already failed, so a forged trace cannot earn a point.
"""
from __future__ import annotations

import dis
import functools
import linecache
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import torch

from grader.observe.encode import encode
from grader.observe.records import MAX_TRACE_CALLS as MAX_CALLS
from grader.observe.records import MAX_TRACE_ROOTS as MAX_ROOTS
from grader.observe.records import MAX_TRACE_WRITES as MAX_WRITES
from grader.pack.kinds import KINDS

WALK_CAP = 200
MAX_NAME = 120
MAX_VALUES = 4096  # an earlier gradient's values travel only up to this size
CUT_NAMES = {"detach": "detach", "detach_": "detach", "no_grad": "no_grad",
             "inference_mode": "no_grad", "set_grad_enabled": "no_grad"}
_STUDENT_FILES = ("<cell ", "<ipython-input-")
_AUTOGRAD_FILE = os.path.join("torch", "autograd", "__init__.py")
_ARGUMENTS = ("tensors", "grad_tensors", "keep_graph", "create_graph", "inputs", "allow_unreachable",
              "accumulate_grad")


def wanted(kind: str, options: dict[str, Any]) -> bool:
    """On for the check kinds whose judges read it, unless the check says `trace: false`."""
    return bool(options.get("trace", KINDS[kind].traced))


@dataclass
class _Produced:
    """A `.grad` tensor as a backward left it: later in-place changes bump its version."""

    leaf: str
    call: int
    grad: Any
    version: int


@dataclass
class Entry:
    """One engine call in flight, between `enter` and `left`/`failed`."""

    index: int
    record: dict[str, Any]
    leaves: list[tuple[Any, str, Any, dict[str, Any]]] = field(default_factory=list)


class Trace:
    def __init__(self, arguments: dict[str, Any], function: Any = None):
        self.names = {id(t): n for n, t in arguments.items() if isinstance(t, torch.Tensor)}
        self.given = {n: t for n, t in arguments.items() if isinstance(t, torch.Tensor) and not t.requires_grad}
        self.cuts = list(cuts_made_in(getattr(function, "__code__", None)))
        self.calls: list[dict[str, Any]] = []
        self.dropped = 0
        self.produced: list[_Produced] = []
        self.latest: dict[int, _Produced] = {}
        self.aliases: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []
        self._keep: list[Any] = []
        self.incomplete = False

    def enter(self, args: tuple, kwargs: dict[str, Any]) -> Entry | None:
        """Record a call before the engine runs it."""
        return None if self.incomplete else self._safely(self._enter, args, kwargs)

    def left(self, entry: Entry) -> None:
        self._safely(self._left, entry)

    def returned(self, result: Any) -> None:
        self._safely(self._returned, result)

    def _safely(self, step: Any, *args: Any) -> Any:
        """A trace that cannot record (student code broke a tensor method it uses) stops and
        says so, and never changes what the student's call does; no student mode sees (or
        slows) the bookkeeping."""
        try:
            with torch._C.DisableTorchFunction():
                return step(*args)
        except Exception:
            self.incomplete = True
            return None

    def _enter(self, args: tuple, kwargs: dict[str, Any]) -> Entry | None:
        if len(self.calls) >= MAX_CALLS:
            self.dropped += 1
            return None
        bound = dict(zip(_ARGUMENTS, args), **kwargs)
        roots = [t for t in _as_tuple(bound.get("tensors")) if isinstance(t, torch.Tensor)]
        gradients = _as_tuple(bound.get("grad_tensors"))
        inputs = [t for t in _as_tuple(bound.get("inputs")) if isinstance(t, torch.Tensor)]
        frame, given = _caller_frames()
        writes = bool(bound.get("accumulate_grad", True))
        record = {"api": "backward" if writes else "grad", "gradient_given": given,
                  "retain_graph": bool(bound.get("keep_graph")),
                  "create_graph": bool(bound.get("create_graph")),
                  "inputs": [self._name(t, frame) for t in inputs[:MAX_WRITES]],
                  "roots": [self._root(t, g) for t, g in zip(roots[:MAX_ROOTS], gradients)],
                  "writes": [], **_where(frame)}
        entry = Entry(len(self.calls), record)
        if writes:
            leaves = [t for t in inputs if t.is_leaf] if inputs else _leaves(roots)
            entry.leaves = [self._before(leaf, frame) for leaf in leaves[:MAX_WRITES]]
        self.calls.append(record)
        return entry

    def _left(self, entry: Entry) -> None:
        """After the engine ran: which `.grad` each leaf now holds, kept in place or new."""
        for leaf, name, grad_before, write in entry.leaves:
            grad = leaf.grad
            if grad is None:
                continue
            write["kept"] = grad is grad_before and grad_before is not None
            entry.record["writes"].append(write)
            produced = _Produced(name, entry.index, grad, grad._version)
            self.produced.append(produced)
            self.latest[id(leaf)] = produced
            self._keep.append(leaf)

    def failed(self, entry: Entry, error: BaseException) -> None:
        entry.record["error"] = {"type": type(error).__name__[:200], "message": str(error)[:500]}

    def _returned(self, result: Any) -> None:
        """Aliases: a returned tensor that is (or shares storage with) a `.grad` changed after a
        backward produced it; and the current values of every such changed `.grad`."""
        changed = [p for p in self.produced if p.grad._version != p.version]
        returned = result if isinstance(result, (tuple, list)) else (result,)
        for i, item in enumerate(list(returned)[:MAX_WRITES]):
            if not isinstance(item, torch.Tensor) or item.numel() == 0:
                continue
            pointer = item.untyped_storage().data_ptr()
            for produced in changed:
                if produced.grad.untyped_storage().data_ptr() == pointer:
                    name = "result" if returned is not result else f"result[{i}]"
                    self.aliases.append({"result": name, "leaf": produced.leaf, "call": produced.call})
                    break
        seen: set[int] = set()
        for produced in changed:
            small = produced.grad.numel() <= MAX_VALUES
            if small and id(produced.grad) not in seen and len(self.changed) < MAX_WRITES:
                seen.add(id(produced.grad))
                self.changed.append({"leaf": produced.leaf, "call": produced.call,
                                     "value": encode(produced.grad)})

    def to_plain(self) -> dict[str, Any]:
        return {"calls": self.calls, "dropped": self.dropped, "aliases": self.aliases[:MAX_WRITES],
                "changed": self.changed, "cuts": self.cuts, "incomplete": self.incomplete}

    def _root(self, tensor: Any, gradient: Any) -> dict[str, Any]:
        root = {"op": type(tensor.grad_fn).__name__[:MAX_NAME] if tensor.grad_fn is not None else "",
                "shape": list(tensor.shape)[:8], "requires_grad": bool(tensor.requires_grad),
                "gradient": "other"}
        if not isinstance(gradient, torch.Tensor):
            root["gradient"] = "none"
        elif all(v == 1 for v in _values(gradient)):
            root["gradient"] = "ones"
        else:
            argument = self._argument(gradient)
            if argument:
                root.update(gradient="argument", argument=argument)
        return root

    def _argument(self, gradient: Any) -> str:
        """The argument the gradient is (the same storage, as `y.backward(v)` passes it), or
        equals once cast to the output's dtype."""
        pointer = gradient.untyped_storage().data_ptr()
        for name, given in self.given.items():
            if given.shape == gradient.shape and given.untyped_storage().data_ptr() == pointer:
                return name
        for name, given in self.given.items():
            if given.shape == gradient.shape and torch.equal(given.to(gradient.dtype), gradient):
                return name
        return ""

    def _before(self, leaf: Any, frame: Any) -> tuple[Any, str, Any, dict[str, Any]]:
        """The leaf, its name, its `.grad` object now, and what that held: the accumulation
        evidence is whether it was non-zero, and whether it had been zeroed since a backward."""
        name = self._name(leaf, frame)
        grad = leaf.grad
        state = "none" if grad is None else "nonzero" if any(v != 0 for v in _values(grad)) else "zero"
        earlier = self.latest.get(id(leaf))
        write: dict[str, Any] = {"leaf": name, "before": state,
                                 "earlier_call": earlier.call if earlier else None}
        if earlier is not None:
            write["zeroed"] = state != "nonzero"
        if state == "nonzero" and grad.numel() <= MAX_VALUES:
            write["earlier"] = encode(grad)
        return leaf, name, grad, write

    def _name(self, tensor: Any, frame: Any) -> str:
        """The argument's name, or the student's local variable bound to it."""
        name = self.names.get(id(tensor))
        if name or frame is None:
            return (name or "")[:MAX_NAME]
        for local, value in list(frame.f_locals.items()):
            if value is tensor:
                return local[:MAX_NAME]
        return ""


def _values(tensor: Any) -> Any:
    """A tensor's values, cheaply: a small one as Python numbers (a tensor op costs ~20 µs,
    `tolist` of a few numbers ~1 µs); a large one as one value standing for all of them:
    1 (all ones), 0 (all zeros) or 2 (anything else)."""
    if tensor.numel() > 256:
        return (1,) if bool((tensor == 1).all()) else (2,) if bool(tensor.any()) else (0,)
    if tensor.dim() == 0:
        return (tensor.item(),)
    return tensor.tolist() if tensor.dim() == 1 else tensor.reshape(-1).tolist()


@functools.lru_cache(maxsize=256)
def cuts_made_in(code: Any) -> tuple[str, ...]:
    """How a function cuts its graph, read from its bytecode: `detach` of something it computed
    (not of an argument, which every reference copies with `x.detach().clone()`), or a
    `no_grad`-like block. The parent tells no-detach from missing-no-grad by the reference's."""
    if code is None:
        return ()
    arguments = set(code.co_varnames[:code.co_argcount])
    found, previous = set(), None
    for instruction in dis.get_instructions(code):
        cut = CUT_NAMES.get(instruction.argval) if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") else None
        receiver_is_argument = previous is not None and previous.opname == "LOAD_FAST" and previous.argval in arguments
        if cut and not (cut == "detach" and receiver_is_argument):
            found.add(cut)
        previous = instruction
    return tuple(sorted(found))


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _leaves(roots: list[Any]) -> list[Any]:
    """The leaves a backward from `roots` accumulates into, first met first (capped walk)."""
    seen: set[int] = set()
    leaves: list[Any] = []
    stack = [t.grad_fn for t in roots if t.grad_fn is not None]
    stack += [t for t in roots if t.grad_fn is None and t.requires_grad]
    while stack and len(seen) < WALK_CAP and len(leaves) < MAX_WRITES:
        node = stack.pop()
        if isinstance(node, torch.Tensor):
            leaves.append(node)
            continue
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            leaves.append(variable)
        stack.extend(child for child, _ in reversed(node.next_functions))
    return leaves


def _caller_frames() -> tuple[Any, bool]:
    """The innermost frame of the student's own code (`<cell N>`), however deep the call; and
    whether the call was given a gradient (`torch.autograd.backward`'s `grad_tensors`, `grad`'s
    `grad_outputs`), which the engine cannot tell from the ones it fills in for a scalar."""
    frame, given = sys._getframe(1), False
    for _ in range(40):
        if frame is None:
            break
        code = frame.f_code
        if code.co_filename.startswith(_STUDENT_FILES) or "/ipykernel_" in code.co_filename:
            return frame, given
        if code.co_name in ("backward", "grad") and code.co_filename.endswith(_AUTOGRAD_FILE):
            argument = "grad_tensors" if code.co_name == "backward" else "grad_outputs"
            given = given or frame.f_locals.get(argument) is not None
        frame = frame.f_back
    return None, given


def _where(frame: Any) -> dict[str, Any]:
    """Cell, line and source of a grading child's `<cell N>`; line and source alone in a
    Jupyter kernel (`grader.check()`), whose cells have no number the grader knows."""
    if frame is None:
        return {}
    filename, line = frame.f_code.co_filename, frame.f_lineno or 0
    where = {"line": line, "source": linecache.getline(filename, line).strip()[:300]}
    if filename.startswith("<cell "):
        try:
            where["cell"] = int(filename[6:-1])
        except ValueError:
            pass
    return where
