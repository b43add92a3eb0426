"""Turn IPython-only syntax into plain Python that keeps every line where it was.

`%matplotlib inline`, `!pip install d2l` and `%%time` are everywhere in d2l notebooks; in a
grader they must neither crash the cell nor reach the system. Line numbers are preserved so a
student's traceback still points at their own line.
"""
from __future__ import annotations

import re

from grader.i18n import _
from grader.source import pysource

# Cell magics whose body is Python: run the body once.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "autoreload"}
_LINE_MAGIC = re.compile(r"^(\s*)(%|!)")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.\[\], ]+?\s*=\s*)(%|!)")
# Magics that only set how Jupyter shows things: the grader captures figures its own way, so
# dropping them changes nothing, and a note on them in every report would be noise.
_DISPLAY_ONLY = re.compile(r"^\s*%(matplotlib|config)\b")
_HELP = re.compile(r"^(\s*)(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")


def neutralise(source: str) -> tuple[str, str]:
    """Return (code to run, a note on what was changed or skipped)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].strip()[2:].split()[0] if lines[0].strip()[2:] else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return "", _("{magic} cell skipped (not Python)", magic="%%" + magic)
        lines[0] = f"pass  # %%{magic}"
    if _parses("\n".join(lines)):
        return "\n".join(lines), ""
    changed = []
    for i, line in enumerate(lines):
        replacement = _neutral_line(line)
        if replacement is not None:
            lines[i] = replacement
            if not _DISPLAY_ONLY.match(line):
                changed.append(line.strip())
    note = _("IPython syntax ignored: {lines}", lines=", ".join(changed[:3])) if changed else ""
    return "\n".join(lines), note


def _neutral_line(line: str) -> str | None:
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        return f"{assigned.group(1)}None"
    for pattern in (_LINE_MAGIC, _HELP):
        match = pattern.match(line)
        if match:
            return f"{match.group(1)}pass"
    return None


def _parses(code: str) -> bool:
    try:
        pysource.parse(code)
    except SyntaxError:
        return False
    return True
