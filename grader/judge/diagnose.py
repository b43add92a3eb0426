"""The diagnosis codes as data: what each means for a student, and which errors map to which.

Codes are stable (LMS exports and statistics key on them); the messages are for people and end
with what to do. An exercise's own error rules and `like` hints take precedence over these.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from grader.i18n import N_, _
from grader.text import shorten

MESSAGES: dict[str, str] = {
    "not-defined": N_("`{name}` is not defined.{suggestion} Define a function named exactly `{name}`."),
    "not-attempted": N_("Not attempted yet: `{name}` still raises NotImplementedError{where}. Replace "
                        "the `raise NotImplementedError` with your answer."),
    "cell-error": N_("`{name}` comes from {cell}, which raised {error}, so it was never defined. Fix "
                     "that cell; the cells after it still ran."),
    "syntax-error": N_("{cell} does not parse ({error}), so `{name}` was never defined."),
    "typographic-characters": N_("{cell} contains {character} at line {line}: `{source_line}`. It "
                                 "comes from a Chinese input method or a web page; Python only "
                                 "accepts ASCII punctuation, so type `{ascii}` instead."),
    "int-dtype": N_("Only floating-point tensors can require gradients, and this one holds integers "
                    "(as torch.arange(4) does). Create it with floats: torch.arange(4.0) or x.float()."),
    "non-scalar-backward": N_("backward() was called on a tensor with more than one element and no "
                              "gradient argument. Reduce it first, y.sum().backward(), or pass "
                              "y.backward(gradient=v) with v of y's shape."),
    "retain-graph": N_("The graph was freed by the first backward() and then used again. Pass "
                       "retain_graph=True to every backward() but the last on the same graph."),
    "create-graph": N_("A higher derivative needs a graph for the first derivative: pass "
                       "create_graph=True to the first torch.autograd.grad (or backward) call."),
    "no-grad-tracking": N_("The result does not depend on the input through autograd (a .grad that "
                           "is None, or nothing requires grad). Call x.requires_grad_(True) before "
                           "computing y from x, then backward()."),
    "grad-accumulation": N_("Gradients accumulate in x.grad: the second result still holds the first "
                            "gradient. Call x.grad.zero_() between the two backward calls."),
    "grad-aliasing": N_("The first gradient changed after you took it: x.grad is one tensor that "
                        "zero_() and later backward calls modify in place. Return x.grad.clone()."),
    "ignored-gradient-arg": N_("This is the gradient for an all-ones gradient argument: the v you "
                               "were given was ignored. Call y.backward(gradient=v)."),
    "transposed": N_("The result is the transpose of the expected one: row i must hold the gradient "
                     "of output i, so the shape is (outputs × inputs)."),
    "no-detach": N_("The result includes the gradient through the part that should be detached: "
                    "u = y.detach() makes u a constant, so d(u·x)/dx is u."),
    "missing-no-grad": N_("The result includes the gradient of the part that should be computed "
                          "under `with torch.no_grad():`."),
    "first-derivative": N_("This is the first derivative; the second was asked. Differentiate the "
                           "first derivative again (build it with create_graph=True)."),
    "hessian-diagonal": N_("Only the diagonal of the Hessian is right: row i is the gradient of the "
                           "i-th component of the gradient, not of their sum."),
    "dot-2d": N_("torch.dot only takes 1-D tensors. For matrices use x @ t (or torch.mm(x, t))."),
    "shape-mismatch": N_("The result has the wrong shape; shapes are never coerced."),
    "dtype-mismatch": N_("The result has the wrong dtype."),
    "forbidden-call": N_("This exercise rules out {call}."),
    "autograd-not-used": N_("The answer was computed without autograd: no backward() or "
                            "torch.autograd.grad call ran. This exercise asks for autograd."),
    "not-a-leaf": N_("The returned tensor is not a leaf (it has a grad_fn). Detach it and turn "
                     "tracking on: t.detach().requires_grad_(True)."),
    "no-error-raised": N_("The call returned normally, but this exercise expects it to raise {expected}."),
    "wrong-error": N_("The call raised {got}, but {expected} was expected."),
    "no-control-flow": N_("`{name}` has no `while` or `if`: the exercise asks for control flow that "
                          "depends on the input."),
    "gradcheck-failed": N_("Autograd's gradient of `{name}` disagrees with finite differences."),
    "no-figure": N_("No matplotlib figure was drawn."),
    "curve-mismatch": N_("A figure was drawn, but no single figure shows every curve asked for."),
    "function-raised": N_("The function raised {error}."),
    "timeout": N_("The code {detail}."),
    "memory-limit": N_("The code ran out of its memory limit ({detail})."),
    "crashed": N_("The process running the code died: {detail}."),
    "mismatch": N_("The values differ from the expected ones."),
}

# Sentences a judge says instead of a code's default message, in one situation each.
SENTENCES: dict[str, str] = {
    "unusable-result": N_("The result could not be used: {error}"),
    "where-in-cell": N_("in {cell}, line {line}: {source_line}"),
    "error-matching": N_("{error} matching “{pattern}”"),
    "error-like": N_("{error} (“{pattern}”)"),
    "not-a-tensor": N_("A tensor was expected; the function returned {got}."),
    "has-grad-fn": N_("The result has grad_fn={grad_fn}."),
    "result-not-tracked": N_("The result does not require grad: call .requires_grad_(True) on the "
                             "leaf you return."),
    "grad-fn-set": N_("grad_fn should be set, got {grad_fn}."),
    "grad-fn-none": N_("grad_fn should be None, got {grad_fn}."),
    "same-values": N_("The result should hold {name}'s values and shape."),
    "backward-fills-grad": N_("After result.sum().backward(), result.grad should be all ones, and it "
                              "is not: the result is not a leaf of its own graph."),
    "output-not-tracked": N_("The output does not depend on the input through autograd (it does not "
                             "require grad): a constant, or a detached value."),
    "zero-gradient": N_("The gradient of the output is zero everywhere: the output does not depend "
                        "on the input differentiably."),
    "nothing-to-gradcheck": N_("The output does not require grad, so autograd has no gradient to check."),
    "did-you-mean": N_(" Did you mean `{name}`? You defined that."),
    "compute-another-way": N_(" Compute it another way, as the exercise asks."),
    # From the autograd trace (judge/trace_diagnose.py), each for the code before the dot;
    # {where}/{first} name the student's cell, line and source ("code cell 3 (`def f(x):`), line 8
    # (`y.backward()`)"), or quote the line alone ("`y.backward()`") in a Jupyter kernel.
    "trace-and-hint": N_("{message} Here: {hint}."),
    "grad-accumulation.trace": N_("{leaf}.grad still held the gradient of an earlier backward when the "
                                  "backward in {where} ran: gradients accumulate, so {piece} is off by "
                                  "exactly that earlier gradient. Call {leaf}.grad.zero_() before this "
                                  "backward, or use torch.autograd.grad, which does not accumulate."),
    "grad-aliasing.trace": N_("The value in {piece} is {leaf}.grad as the backward in {where} left it, "
                              "and {leaf}.grad was changed in place afterwards (by zero_() or a later "
                              "backward), so it changed too. Keep a copy: {leaf}.grad.clone()."),
    "retain-graph.trace": N_("The backward in {first} freed the graph, and the call in {where} went "
                             "through it again. Pass retain_graph=True to that first call (to every "
                             "call but the last on the same graph)."),
    "create-graph.trace": N_("The derivative taken in {first} has no graph of its own, so the call in "
                             "{where} cannot differentiate it again. Pass create_graph=True to that "
                             "first call."),
    "ignored-gradient-arg.trace": N_("The backward in {where} starts from all ones, not from the "
                                     "`{argument}` you were given: this is the gradient for "
                                     "{argument} = 1. Pass it: y.backward(gradient={argument}), or "
                                     "torch.autograd.grad(y, x, {argument})."),
    "no-detach.trace": N_("The backward in {where} flows through a path that should be cut: where {op} "
                          "has a detached (constant) input in the expected graph, yours leads back to "
                          "the input. Use u = y.detach() in that operation."),
    "missing-no-grad.trace": N_("The backward in {where} flows through a part that should not be "
                                "recorded: where {op} has a constant input in the expected graph, yours "
                                "leads back to the input. Compute that part inside "
                                "`with torch.no_grad():`."),
    "not-a-leaf.trace": N_("The tensor returned in {where} is made by an operation ({op}), so it is not "
                           "a leaf and its .grad stays empty. Return the leaf itself: "
                           "t.detach().requires_grad_(True), with no operation after it."),
}

# (regex over "Type: message", code), tried in order; the first match wins.
ERROR_TABLE: tuple[tuple[str, str], ...] = (
    (r"^ForbiddenCall:", "forbidden-call"),
    (r"^Deadline:", "timeout"),
    (r"^SystemExit:", "crashed"),
    (r"^MemoryError|can't allocate memory|DefaultCPUAllocator", "memory-limit"),
    (r"floating point.*can require gradients", "int-dtype"),
    (r"grad can be implicitly created only for (real )?scalar outputs", "non-scalar-backward"),
    (r"backward through the graph a second time", "retain-graph"),
    (r"1D tensors expected", "dot-2d"),
    (r"does not require grad and does not have a grad_fn", "no-grad-tracking"),
    (r"One of the differentiated Tensors appears to not have been used in the graph", "no-grad-tracking"),
)


def message(code: str, /, **fields: Any) -> str:
    """The default message of a code with its blanks filled (missing blanks stay readable)."""
    return _filled(MESSAGES.get(code, code), fields)


def sentence(key: str, /, **fields: Any) -> str:
    """One of SENTENCES with its blanks filled."""
    return _filled(SENTENCES[key], fields)


def _filled(template: str, fields: dict[str, Any]) -> str:
    """The template in the course's language, its blanks filled."""
    template = _(template)
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return re.sub(r"\{(\w+)\}", lambda m: str(fields.get(m.group(1), "?")), template)


def code_for_error(error: dict[str, Any], rules: tuple = ()) -> tuple[str, str]:
    """(code, hint) for an error the child reported; exercise rules override the table."""
    text = f"{error.get('type', '')}: {error.get('message', '')}"
    for rule in rules:
        if re.search(rule.match, text):
            return rule.code, rule.hint
    for pattern, code in ERROR_TABLE:
        if re.search(pattern, text):
            return code, ""
    return "function-raised", ""


MISTAKE_CODES = frozenset({"int-dtype", "non-scalar-backward", "retain-graph", "create-graph", "dot-2d"})


def cell_mistake(error: dict[str, Any], rules: tuple = ()) -> tuple[str, str] | None:
    """(code, hint) when a cell's error is an autograd mistake the pack names, else None: the
    mistake is diagnosed in the cell that made it, and in every exercise it left undefined."""
    code, hint = code_for_error(error, rules)
    return (code, hint or message(code)) if code in MISTAKE_CODES else None


def error_sentence(error: dict[str, Any], with_line: bool = True,
                   cell_name: Callable[[object], str] | None = None) -> str:
    """`RuntimeError: … — in code cell 4 (`def f(x):`), line 3: y.backward()`: the error and the
    student's own line, in the cell a person finds by `cell_name` (default: its bare number)."""
    message = str(error.get("message", "")).strip()
    text = f"{error.get('type', 'Error')}" + (f": {message}" if message else "")
    text = shorten(text, 298)
    if error.get("cell") and with_line:
        where = cell_name(error["cell"]) if cell_name else _("cell {index}", index=error["cell"])
        text += _(" — in {where}, line {line}: {source_line}", where=where, line=error.get("line", "?"),
                  source_line=error.get("source_line", ""))
    return text
