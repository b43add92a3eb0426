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
    r"|\](?=[(\[])")                      # the middle of a link or image
_DELIMITERS = re.compile(r"\*+|_+|~+")


def inline(text: object) -> str:
    """One line of text (grader prose that may quote student text) as inline Markdown."""
    text = " ".join(str(text).split())
    spans = [m.span() for m in _CODE_SPAN.finditer(text)]
    masked = list(text)  # code spans as letters: opaque to emphasis, as CommonMark reads them
    for start, end in spans:
        masked[start:end] = "a" * (end - start)
    masked_text = "".join(masked)
    escape = {m.start() for m in _ACTIVE.finditer(masked_text)}
    escape |= _paired_delimiters(masked_text)
    return "".join("\\" + c if i in escape else c for i, c in enumerate(text))


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


def _paired_delimiters(text: str) -> set[int]:
    """Positions of `*`, `_` and `~` that could pair into emphasis or strikethrough, by
    CommonMark's flanking rules: `u * x`, `grad_of_dot` and a lone `zero_()` stay as they are."""
    runs = [(m.start(), m.end(), *_flanks(text, m.start(), m.end()))
            for m in _DELIMITERS.finditer(text)]
    paired: set[int] = set()
    for index, (start, end, opens, _) in enumerate(runs):
        if not opens:
            continue
        for later_start, later_end, _, closes in runs[index + 1:]:
            if closes and text[later_start] == text[start]:
                paired |= set(range(start, end)) | set(range(later_start, later_end))
    return paired


def _flanks(text: str, start: int, end: int) -> tuple[bool, bool]:
    """(can open, can close) for the delimiter run text[start:end]."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    left = not after.isspace() and (not _punct(after) or before.isspace() or _punct(before))
    right = not before.isspace() and (not _punct(before) or after.isspace() or _punct(after))
    if text[start] == "_":
        return left and (not right or _punct(before)), right and (not left or _punct(after))
    return left, right


def _punct(char: str) -> bool:
    return not char.isalnum() and not char.isspace()


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
