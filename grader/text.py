"""Cutting text to a length for people: one rule everywhere, the cut shown by a final "…".

(Where the end of a text matters as much as its start, as in an exception message or captured
output, the cut is in the middle instead: observe/exceptions.py, run/runner.py.)
"""
from __future__ import annotations


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters; a text that was cut ends with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """Every run of whitespace, newlines included, as one space; then shortened."""
    return shorten(" ".join(text.split()), limit)
