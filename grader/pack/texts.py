"""Texts people read in an exercise (title, prompt, stub, a case's name, a hint): a string, or one
string per language (`{en: …, zh_CN: …}`), checked so the languages agree, picked for the course.
"""
from __future__ import annotations

import re
from typing import Any

from grader import i18n

TEXT_FIELDS = ("title", "prompt", "stub")  # the exercise's own; a case's name and hints are texts too
PLACEHOLDER = re.compile(r"(?<![\w\\^_{}])\{(\w+)\}(?!\})")  # {name}, not LaTeX's \mathbf{x} or x_{i}


def is_text(value: Any) -> str | None:
    """The schema rule: a string, or a mapping of known languages to strings, `en` among them."""
    if isinstance(value, str):
        return None
    if not isinstance(value, dict):
        return f"must be a string or a mapping of language to string (got {value!r}, a {type(value).__name__})"
    unknown = [str(code) for code in value if code not in i18n.LANGUAGES]
    if unknown:
        return f"unknown language {unknown[0]!r} (known: {', '.join(i18n.LANGUAGES)})"
    if i18n.DEFAULT_LANGUAGE not in value:
        return f"needs the {i18n.DEFAULT_LANGUAGE!r} text, the one shown when no translation fits"
    wrong = next((code for code, text in value.items() if not isinstance(text, str)), None)
    return None if wrong is None else f"{wrong} must be a string (got {value[wrong]!r}, a {type(value[wrong]).__name__})"


def disagreements(value: Any, code_only: bool = False) -> dict[str, str]:
    """Per language, how its text disagrees with the English one: other `{placeholders}`, or
    (`code_only`, for stubs) other code once comments are set aside."""
    if not isinstance(value, dict) or is_text(value):
        return {}
    english = value[i18n.DEFAULT_LANGUAGE]
    found = {}
    for code, text in value.items():
        if code_only and _code_lines(text) != _code_lines(english):
            found[code] = "its code differs from the en stub's (only comments may be translated)"
        elif not code_only and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(english)):
            theirs, ours = sorted(set(PLACEHOLDER.findall(text))), sorted(set(PLACEHOLDER.findall(english)))
            found[code] = f"has the placeholders {theirs or 'none'}, the en text {ours or 'none'}"
    return found


def picked(value: str | dict[str, str], language: str) -> str:
    """The text in `language`, else in English."""
    return (value.get(language) or value[i18n.DEFAULT_LANGUAGE]) if isinstance(value, dict) else value


def _code_lines(stub: str) -> list[str]:
    lines = (re.sub(r"\s*#.*$", "", line).rstrip() for line in stub.splitlines())
    return [line for line in lines if line.strip()]
