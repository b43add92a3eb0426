"""Characters a keyboard layout or a word processor slips into code, and what to type instead.

One table for both sides: the parser finds them (source/static.py) and the diagnosis names them
and their ASCII replacement (judge/grade.py).
"""
from __future__ import annotations

CHARACTERS: dict[str, tuple[str, str]] = {
    "\u201c": ("a curly opening quote “", '"'), "\u201d": ("a curly closing quote ”", '"'),
    "\u2018": ("a curly opening quote ‘", "'"), "\u2019": ("a curly closing quote ’", "'"),
    "\uff1a": ("a full-width colon ：", ":"), "\uff0c": ("a full-width comma ，", ","),
    "\uff08": ("a full-width parenthesis （", "("), "\uff09": ("a full-width parenthesis ）", ")"),
    "\uff1b": ("a full-width semicolon ；", ";"), "\u3002": ("a full-width full stop 。", "."),
    "\uff1d": ("a full-width equals sign ＝", "="), "\u3000": ("a full-width space", " "),
}


def description(character: str) -> str:
    """How the diagnosis names the character (the character itself when it is not in the table)."""
    return CHARACTERS[character][0] if character in CHARACTERS else character


def ascii_for(character: str) -> str:
    """What to type instead ("?" when the table does not know)."""
    return CHARACTERS[character][1] if character in CHARACTERS else "?"
