"""A text people read (title, prompt, stub, hint) is a string or one per language; the loader
picks the course's language, falls back to English, and a translation whose placeholders or
stub code disagree with the English is a located pack problem (no torch: the fast tier)."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import PackError
from grader.pack.load import load_pack

EXERCISE = """\
id: ex
title: {en: Two gradients, zh_CN: 两个梯度}
prompt: Write `f(x)`.
stub:
  en: |
    def f(x):
        # TODO: the gradient
        raise NotImplementedError
  zh_CN: |
    def f(x):
        # TODO：求梯度
        raise NotImplementedError
function: f
inputs:
  x: {shape: [3]}
checks:
  - {kind: value, points: 1}
diagnoses:
  - code: grad-accumulation
    hint: {en: "call {name}.grad.zero_()", zh_CN: "调用 {name}.grad.zero_()"}
"""


def _pack(tmp_path: Path, text: str) -> Path:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises" / "assignment.yaml").write_text("name: t\nexercises:\n  - ex\n")
    (tmp_path / "exercises" / "ex.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "solutions" / "ex.py").write_text("def f(x):\n    return x\n")
    return tmp_path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(_pack(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_each_language_gets_its_text_and_plain_strings_stay(tmp_path):
    root = _pack(tmp_path, EXERCISE)
    english, chinese = (load_pack(root, language=code).exercises[0] for code in ("en", "zh_CN"))
    assert (english.title, chinese.title) == ("Two gradients", "两个梯度")
    assert "# TODO: the gradient" in english.stub and "# TODO：求梯度" in chinese.stub
    assert english.diagnoses[0].hint == "call {name}.grad.zero_()"
    assert chinese.diagnoses[0].hint == "调用 {name}.grad.zero_()"
    assert english.prompt == chinese.prompt == "Write `f(x)`."


def test_a_missing_translation_falls_back_to_english(tmp_path):
    root = _pack(tmp_path, EXERCISE.replace(", zh_CN: 两个梯度", ""))
    assert load_pack(root, language="zh_CN").exercises[0].title == "Two gradients"


@pytest.mark.parametrize("change, expected", [
    (("调用 {name}.grad", "调用 {x}.grad"),
     "exercises/ex.yaml:20:44: diagnoses[0].hint.zh_CN: has the placeholders ['x'], the en text ['name']"),
    (("    # TODO：求梯度\n        raise", "    # TODO：求梯度\n        return x\n        raise"),
     "exercises/ex.yaml:9:3: stub.zh_CN: its code differs from the en stub's (only comments may be "
     "translated)"),
    (("zh_CN: 两个梯度", "fr: Deux gradients"),
     "exercises/ex.yaml:2:1: title: unknown language 'fr' (known: en, zh_CN)"),
    (("{en: Two gradients, zh_CN: 两个梯度}", "{zh_CN: 两个梯度}"),
     "exercises/ex.yaml:2:1: title: needs the 'en' text, the one shown when no translation fits"),
    (("{en: Two gradients, zh_CN: 两个梯度}", "3"),
     "exercises/ex.yaml:2:1: title: must be a string or a mapping of language to string (got 3, a int)"),
])
def test_languages_that_disagree_are_located_problems(tmp_path, change, expected):
    assert _problems(tmp_path, EXERCISE.replace(*change)) == [expected]
