"""What can be learnt from the student's source without running it (done in the parent).

Static findings cannot be faked by code that runs in the child: which names a cell defines,
which calls a function (and the student functions it calls) makes, whether it has control flow,
and why a cell does not parse.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.i18n import _
from grader.source import pysource
from grader.source.submission import Cell
from grader.source.typography import CHARACTERS

@dataclass(frozen=True)
class SyntaxProblem:
    """Why a cell does not parse; `character` is set for typographic characters."""

    cell: int
    line: int
    message: str
    source_line: str
    character: str = ""


@dataclass(frozen=True)
class CallSite:
    name: str
    line: int
    cell: int


class SourceIndex:
    """The parsed cells of one submission and where each top-level name is defined."""

    def __init__(self, cells: tuple[Cell, ...]):
        self.trees: dict[int, ast.Module] = {}
        self.problems: dict[int, SyntaxProblem] = {}
        self.functions: dict[str, tuple[int, ast.FunctionDef]] = {}
        self.defined_in: dict[str, int] = {}
        self.aliases: dict[str, str] = {}
        self.cells = {cell.index: cell for cell in cells}
        for cell in cells:
            try:
                tree = pysource.parse(cell.code)
            except SyntaxError as exc:
                self.problems[cell.index] = _syntax_problem(cell, exc)
                continue
            self.trees[cell.index] = tree
            self._index(cell.index, tree)

    def _index(self, cell: int, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.aliases[alias.asname or top] = alias.name if alias.asname else top
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = (cell, node)
            for name in _bound_names(node):
                self.defined_in[name] = cell

    def cell_name(self, index: object) -> str:
        """`code cell 4 (`def f(x):`)` for a cell number the child reported; "" for none."""
        if not isinstance(index, int) or isinstance(index, bool):
            return ""
        cell = self.cells.get(index)
        return cell.name if cell else _("cell {index}", index=index)

    def closure(self, name: str) -> list[tuple[int, ast.FunctionDef]]:
        """The function and every student function it calls, transitively."""
        seen: dict[str, tuple[int, ast.FunctionDef]] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.functions:
                continue
            seen[current] = self.functions[current]
            for node in ast.walk(seen[current][1]):
                if isinstance(node, ast.Name) and node.id in self.functions:
                    todo.append(node.id)
        return list(seen.values())

    def forbidden_calls(self, name: str, forbid: tuple[str, ...]) -> list[CallSite]:
        """Uses of a ruled-out name inside the function's closure."""
        found = []
        for cell, function in self.closure(name):
            for node in ast.walk(function):
                dotted = self._dotted(node)
                if dotted is None:
                    continue
                for rule in forbid:
                    if _matches(dotted, rule):
                        found.append(CallSite(rule, node.lineno, cell))
        unique = {(c.line, c.cell): c for c in reversed(found)}
        return sorted(unique.values(), key=lambda c: (c.cell, c.line))

    def has_control_flow(self, name: str) -> bool:
        return any(isinstance(node, (ast.If, ast.While, ast.IfExp))
                   for _, function in self.closure(name) for node in ast.walk(function))

    def _dotted(self, node: ast.AST) -> str | None:
        """`np.cos` → `numpy.cos`; `x.cos` → `.cos` (a method on anything)."""
        if not isinstance(node, (ast.Attribute, ast.Name)):
            return None
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            head = self.aliases.get(node.id, node.id if not parts else None)
            if head is None:
                return "." + ".".join(reversed(parts))
            return ".".join([head, *reversed(parts)])
        return "." + ".".join(reversed(parts)) if parts else None


def _matches(dotted: str, rule: str) -> bool:
    if rule.startswith("Tensor."):
        method = rule[len("Tensor."):]
        return dotted.endswith("." + method) and not dotted.startswith(("math.", "numpy.", "np."))
    return dotted == rule or dotted.startswith(rule + ".")


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _syntax_problem(cell: Cell, exc: SyntaxError) -> SyntaxProblem:
    lines = cell.code.splitlines()
    line = exc.lineno or 1
    text = lines[line - 1] if 0 < line <= len(lines) else (exc.text or "").rstrip("\n")
    character = next((ch for ch in text if ch in CHARACTERS), "")
    if not character:
        hit = next(((i, ch) for i, l in enumerate(lines, 1) for ch in l if ch in CHARACTERS
                    and not l.lstrip().startswith("#")), None)
        if hit and "invalid character" in (exc.msg or ""):
            line, character = hit
            text = lines[line - 1]
    return SyntaxProblem(cell=cell.index, line=line + cell.first_line - 1,
                         message=exc.msg or "invalid syntax", source_line=text.strip(),
                         character=character)
