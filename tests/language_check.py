"""Finds English sentences left in text meant to be Chinese: what remains once code, identifiers,
numbers, quoted exceptions and the student's own source lines are set aside.

A "sentence" is a run of three or more English words separated by spaces only: a translated
message keeps code such as `x.grad.zero_()`, names such as `two_grads`, codes such as
`[grad-accumulation]` and Python's own exception text, and none of those is a run of words.
"""
from __future__ import annotations

import re

_CODE_SPAN = re.compile(r"`[^`\n]*`|“[^”\n]*”")  # code, and a pattern quoted from the exercise
# Python's and torch's own words: `RuntimeError: Trying to backward …` up to the end of the line
# (or to where the grader names the cell), and the student's line after "第 5 行：".
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Interrupt|Exit|Warning)\b: [^\n]*?(?=$|\n| — |，第 \d+ 行)",
                        re.M)
_SOURCE_LINE = re.compile(r"第 \d+ 行：[^\n]*")
_WORD = re.compile(r"^[A-Za-z]+[,.;:!?]?$")
_RUN = 3  # words in a row, two of them of three letters or more (not `n x m`)


def english_runs(text: str) -> list[str]:
    """Every run of `_RUN` or more English words in `text` (empty: nothing left untranslated)."""
    text = _SOURCE_LINE.sub(" ", _EXCEPTION.sub(" ", _CODE_SPAN.sub(" ", text)))
    runs, current = [], []
    for token in re.split(r"[ \t]+|(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])|"
                          r"(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])|\n", text):
        if token and _WORD.match(token):
            current.append(token)
            continue
        runs += [" ".join(current)] if _sentence(current) else []
        current = []
    return runs + ([" ".join(current)] if _sentence(current) else [])


def _sentence(words: list[str]) -> bool:
    return len(words) >= _RUN and sum(len(w.strip(",.;:!?")) >= 3 for w in words) >= 2
