"""Winnowed fingerprints of Python code, blind to names, comments and formatting.

Why not `copydetect` (PyPI): its filter turns every name, attributes included, into one
letter, so `x.grad.zero_()` and `x.grad.clone()` look the same and every correct five-line
§2.5 answer matches every other; it fingerprints characters, not tokens; and its detector
compares all pairs of files, which the inverted index in index.py avoids. What it does that
we need, winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003), is the few lines below,
over Python's own tokenizer.

Normalisation: the student's own names (variables, arguments, their functions) become `V`;
attribute names and the names of torch, math, builtins stay, because in these exercises the
API calls are the answer. Comments, docstrings' text, blank lines and spacing disappear.
"""
from __future__ import annotations

import builtins
import functools
import io
import keyword
import tokenize
import zlib
from dataclasses import dataclass, field

K = 6           # tokens per k-gram
WINDOW = 4      # winnowing window: any match of K + WINDOW - 1 tokens is always found
KEPT_NAMES = frozenset(dir(builtins)) | {"torch", "math", "np", "numpy", "d2l", "plt", "F", "nn",
                                         "self", "autograd", "functional"}
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Fingerprint:
    """The selected k-gram hashes of a text, each with the character spans it covers."""

    spans: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    @property
    def hashes(self) -> frozenset[int]:
        return frozenset(self.spans)

    def without(self, given: frozenset[int]) -> "Fingerprint":
        return Fingerprint({h: s for h, s in self.spans.items() if h not in given})


def normalised_tokens(source: str) -> list[Token]:
    """The code's tokens with names and strings normalised; what does not tokenize is cut off."""
    offsets = _line_offsets(source)
    tokens: list[Token] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIPPED:
                continue
            start = offsets[tok.start[0] - 1] + tok.start[1]
            end = offsets[tok.end[0] - 1] + tok.end[1]
            tokens.append(Token(_normal(tok, previous), start, end))
            previous = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return tokens


def _normal(tok: tokenize.TokenInfo, previous: str) -> str:
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string) or previous == "." or tok.string in KEPT_NAMES:
            return tok.string
        return "V"
    if tok.type == tokenize.STRING:
        return "S"
    if tok.type == tokenize.NEWLINE:
        return ";"
    if tok.type in (tokenize.INDENT, tokenize.DEDENT):
        return tokenize.tok_name[tok.type]
    return tok.string


def fingerprint(source: str) -> Fingerprint:
    """Winnowing: the smallest hash of every window of WINDOW consecutive k-grams."""
    tokens = normalised_tokens(source)
    codes = [_token_code(t.text) for t in tokens]
    grams = [hash(tuple(codes[i:i + K])) for i in range(len(codes) - K + 1)]
    chosen: dict[int, list[tuple[int, int]]] = {}
    last = -1
    for start in range(max(1, len(grams) - WINDOW + 1)):
        window = grams[start:start + WINDOW]
        if not window:
            break
        smallest = min(window)
        position = start + len(window) - 1 - window[::-1].index(smallest)  # the rightmost
        if position != last:
            chosen.setdefault(smallest, []).append((tokens[position].start, tokens[position + K - 1].end))
            last = position
    return Fingerprint({h: tuple(s) for h, s in chosen.items()})


@functools.lru_cache(maxsize=4096)
def _token_code(text: str) -> int:
    # crc32, not hash(): str hashes change with every process, and the page must not.
    # A tuple of ints hashes the same in every process, so k-grams are hashed as such.
    return zlib.crc32(text.encode())


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for line in io.StringIO(source):
        offsets.append(offsets[-1] + len(line))
    return offsets
