"""Read a student's .ipynb or .py into ordered code cells, as a fresh kernel would run them.

Saved outputs are ignored (students re-run cells out of order); IPython-only syntax is
neutralised so it neither crashes the run nor reaches the system.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from grader.i18n import _
from grader.errors import SubmissionError
from grader.source.magics import neutralise
from grader.text import shorten

_PY_CELL_MARKER = re.compile(r"^\s*#\s*(%%|In\[[\d ]*\]:)")


@dataclass(frozen=True)
class Cell:
    """One code cell: what the student wrote, and the code that will actually run."""

    index: int
    source: str
    code: str
    first_line: int = 1
    note: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        """How a person finds the cell: its number as they count, and its first line."""
        heading = next((line.strip() for line in self.source.splitlines() if line.strip()), "")
        return f"{self.title} (`{shorten(heading, 60)}`)" if heading else self.title

    @property
    def title(self) -> str:
        return self.label or _("cell {index}", index=self.index)


@dataclass(frozen=True)
class Submission:
    name: str
    kind: str
    cells: tuple[Cell, ...]
    sha256: str
    student: str = ""


def read_submission(path: Path) -> Submission:
    """Read a file from disk; SubmissionError says in one line why it cannot be graded."""
    return parse_submission(Path(path).name, read_bytes(path))


def read_bytes(path: Path) -> bytes:
    """A submission's bytes, unparsed; SubmissionError if there is no such file to read."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(_("{file}: no such file", file=path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SubmissionError(_("{file}: cannot read it ({reason})", file=path, reason=exc.strerror)) from None


def parse_submission(name: str, data: bytes) -> Submission:
    """Turn the bytes of a notebook or script into cells."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(_("{file}: not UTF-8 text (byte {byte}); save it again as UTF-8", file=name,
                                byte=exc.start)) from None
    if name.endswith(".ipynb") or text.lstrip().startswith("{"):
        cells, student = _notebook_cells(name, text)
        return Submission(name, "ipynb", cells, digest, student)
    if name.endswith(".py") or not name.endswith(".ipynb"):
        return Submission(name, "py", _script_cells(text), digest)
    raise SubmissionError(_("{file}: expected a .ipynb notebook or a .py file", file=name))


def _notebook_cells(name: str, text: str) -> tuple[tuple[Cell, ...], str]:
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad input
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SubmissionError(_("{file}: not a readable Jupyter notebook ({reason})", file=name,
                                reason=reason[:200])) from None
    cells = []
    code_cells = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):  # as people count: code cells only
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        code, note = neutralise(source)
        cells.append(Cell(index=number, source=source, code=code, note=note,
                          label=_("code cell {number}", number=number)))
    student = str(notebook.get("metadata", {}).get("grader", {}).get("student", ""))
    return tuple(cells), student


def _script_cells(text: str) -> tuple[Cell, ...]:
    """Split on Jupytext `# %%` (or nbconvert `# In[3]:`) markers; no marker means one cell."""
    lines = text.splitlines(keepends=True)
    starts = [0] + [i for i, line in enumerate(lines) if i and _PY_CELL_MARKER.match(line)]
    cells = []
    for number, (start, end) in enumerate(zip(starts, starts[1:] + [len(lines)]), start=1):
        source = "".join(lines[start:end])
        code, note = neutralise(source)
        cells.append(Cell(index=number, source=source, code=code, first_line=start + 1, note=note))
    return tuple(cells)
