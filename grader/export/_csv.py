"""Reading rosters and writing gradebook CSVs, shared by the Canvas and Moodle exporters."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Export:
    """A gradebook file's text and what a TA must know before importing it.

    Warnings are returned, not printed: an exporter never drops a student silently, and the
    caller decides where people will read about it.
    """

    text: str
    warnings: tuple[str, ...] = ()


def read_rows(path: Path) -> list[list[str]]:
    """Rows of a CSV saved by an LMS or a spreadsheet: BOM stripped, `,` or `;` detected
    (Canvas's importer accepts both, and European spreadsheets write `;`)."""
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text),
                                                                 delimiter=delimiter)]


def write_rows(rows: list[list[str]]) -> str:
    """CSV text with RFC 4180 line endings, quoted where needed, as both LMSs import it."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def key(value: str) -> str:
    """How identifiers are compared: login ids and emails differ in case between systems."""
    return value.strip().casefold()
