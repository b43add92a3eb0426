"""One table of typographic characters: the parser finds them and the diagnosis names them with
their ASCII replacement."""
from __future__ import annotations

from grader.source.static import SourceIndex
from grader.source.typography import CHARACTERS, ascii_for, description
from unit.fakes import cells


def test_every_character_has_a_description_and_a_one_character_ascii_replacement():
    for character, (name, ascii) in CHARACTERS.items():
        assert name and len(ascii) == 1 and ascii.isascii() and not character.isascii()


def test_known_and_unknown_characters():
    assert description("\uff1a") == "a full-width colon ：" and ascii_for("\uff1a") == ":"
    assert description("\u201c") == "a curly opening quote “" and ascii_for("\u201d") == '"'
    assert description("§") == "§" and ascii_for("§") == "?"


def test_the_parser_reports_the_character_from_the_same_table():
    index = SourceIndex(cells("def f(x)：\n    return x\n"))
    problem = index.problems[1]
    assert problem.character == "\uff1a" and ascii_for(problem.character) == ":"
