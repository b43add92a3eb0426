"""Every import points down the pipeline: the folder tree is the architecture, and this keeps it so.

Imports are read with ast, nothing is imported: function-level imports count, and so do module
names written as strings (the export formats' table, the CLI's subcommands, the fork server's
preload), which are imports made later. A unit is a folder of grader/ or one of its top-level
modules; a module may import its own unit and any unit of a lower layer, never a sibling in its
own layer nor anything above.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

GRADER = Path(__file__).resolve().parents[2] / "grader"

# Lowest first.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("model", "errors", "text"),  # plain data and helpers every stage shares
    ("source",),                  # the student's files, read without running them (no torch)
    ("pack",),                    # the exercises and settings; its expressions parse with source/
    ("observe",),                 # runs in the sandboxed child too: never the judges, pages or runner
    ("run",),                     # the plan's references, the fork server, the child, the sandbox
    ("judge",),                   # observations -> verdicts, scores, diagnoses
    ("insight",),                 # class analysis of graded results (shared mistakes, similarity)
    ("render",),                  # results for people: text, JSON, HTML pages
    ("export",),                  # results for platforms
    ("api", "notebook"),          # the pipeline's two front doors: a server, a student's kernel
    ("cluster",),                 # the batch's executor on Dask
    ("commands",),                # the subcommands
    ("serve",),                   # the web service (uses the batch's settings)
    ("cli",),                     # `python -m grader` dispatches to every subcommand by name
    ("__main__", "__init__"),     # the package's entry point and its front names
)
# Module names written as strings that are not imports: (file, name) -> why.
NOT_IMPORTS = {("grader/pack/config.py", "grader.notebook"): "a module the child stubs out"}
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
MODULE_NAME = re.compile(r"^grader(\.\w+)+$")


def unit_of(module: str) -> str:
    """`grader.judge.kinds.raises` -> judge; `grader.commands.cli` -> cli; `grader` -> __init__."""
    parts = module.split(".")
    if parts[:3] == ["grader", "commands", "cli"]:
        return "cli"
    return parts[1] if len(parts) > 1 else "__init__"


def module_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for every grader module this file imports or names as a string."""
    found = []
    module = module_of(path, root)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".") \
                if node.level else node.module or ""
            found += [(node.lineno, f"{base}.{alias.name}" if base == "grader" else base) for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            found.append((node.lineno, node.value))
    return [(line, name) for line, name in found if name == "grader" or name.startswith("grader.")]


def upward_imports(root: Path) -> list[str]:
    """`file:line: what imports what`, for every import that does not point down."""
    wrong = []
    for path in sorted(root.rglob("*.py")):
        here = unit_of(module_of(path, root))
        for line, name in imported(path, root):
            if (str(path.relative_to(root.parent)), name) in NOT_IMPORTS:
                continue
            there = unit_of(name)
            if there != here and RANK[there] >= RANK[here]:
                wrong.append(f"{path.relative_to(root.parent)}:{line}: {here} imports {name} "
                             f"({there} is {'beside' if RANK[there] == RANK[here] else 'above'} it)")
    return wrong


def test_every_unit_has_its_layer():
    units = {unit_of(module_of(path, GRADER)) for path in GRADER.rglob("*.py")}
    assert units - set(RANK) == set(), "place the new folder or module in LAYERS"


def test_every_import_points_down():
    wrong = upward_imports(GRADER)
    assert not wrong, "\n".join(wrong)


def test_an_upward_import_is_reported_with_its_line(tmp_path):
    """The check itself can fail: observe/ reaching for the judge in a function, a sibling front
    door, and a module named as a string are each found."""
    fake = tmp_path / "grader"
    (fake / "observe").mkdir(parents=True)
    (fake / "observe" / "probe.py").write_text("import torch\n\n\ndef f():\n    from grader.judge import diagnose\n")
    (fake / "api.py").write_text("from grader import notebook, model\n")
    (fake / "pack").mkdir()
    (fake / "pack" / "load.py").write_text("from . import schema\nLATER = 'grader.run.harness'\n")
    assert upward_imports(fake) == [
        "grader/api.py:1: api imports grader.notebook (notebook is beside it)",
        "grader/observe/probe.py:5: observe imports grader.judge (judge is above it)",
        "grader/pack/load.py:2: pack imports grader.run.harness (run is above it)",
    ]
