"""Text made safe for Markdown with as few backslashes as possible.

Feedback is pasted into LMS comment boxes, some of which render Markdown and some of which do
not; a backslash before every `*` and backtick reads as noise in the second kind. So a character
is escaped only where CommonMark would give it a meaning: `*` that could start emphasis (not
`u * x`), `_` outside a word (not `grad_of_dot`), `<` that could open a tag, `](` that could
make a link. Code spans (`name`) stay code spans: their content is shown verbatim and cannot
form HTML or links, so the grader's own `grad_of_dot` renders as code.
"""
from __future__ import annotations

import re

# A run of backticks, the shortest text, then a run of the same length (CommonMark's code span).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_PUNCTUATION = r"""!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"""
_ACTIVE = re.compile(
    rf"\\(?=[{_PUNCTUATION}]|$)"          # a backslash that would escape what follows
    r"|<(?=[A-Za-z/!?])"                  # an HTML tag, comment or autolink
    r"|&(?=#?\w+;)"                       # an entity reference
    r"|\](?=[(\[])"                       # the middle of a link or image
    r"|[*_~]+")                           # emphasis or strikethrough, when _needed says so


def inline(text: object) -> str:
    """One line of text (grader prose that may quote student text) as inline Markdown."""
    text = " ".join(str(text).split())
    parts, position = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts += [_escape_prose(text[position:span.start()]), span.group(0)]
        position = span.end()
    parts.append(_escape_prose(text[position:]))
    return "".join(parts)


def table_cell(text: object) -> str:
    """Inline Markdown that cannot end a table cell early."""
    return inline(text).replace("|", "\\|")


def code(text: object) -> str:
    """One line of student text as a code span, shown verbatim whatever it holds."""
    text = " ".join(str(text).split())
    fence = "`" * (_longest_backticks(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, *, indent: str = "") -> list[str]:
    """A fenced block longer than any run of backticks in the text, so the text cannot close it."""
    fence = "`" * max(3, _longest_backticks(text) + 1)
    return [indent + line for line in (fence, *text.splitlines(), fence)]


def _escape_prose(text: str) -> str:
    return _ACTIVE.sub(lambda m: _escaped(m, text), text)


def _escaped(match: re.Match[str], text: str) -> str:
    run = match.group(0)
    if run[0] not in "*_~":
        return "\\" + run
    return "".join("\\" + c for c in run) if _needed(text, match.start(), match.end()) else run


def _needed(text: str, start: int, end: int) -> bool:
    """Whether a run of `*`, `_` or `~` could open or close emphasis: `u * x` cannot (spaces on
    both sides), nor can `grad_of_dot` (an underscore inside a word)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() and after.isspace():
        return False
    return not (text[start] == "_" and before.isalnum() and after.isalnum())


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
