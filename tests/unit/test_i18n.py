"""The translation machinery: the zh_CN catalog covers every message the code can emit, no
message hides from extraction, and a missing or broken translation falls back to English."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from grader import i18n

REPO = Path(__file__).resolve().parents[2]
CATALOGS = sorted((REPO / "grader" / "locale").glob("*/LC_MESSAGES/grader.po"))
FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def _extracted() -> dict[str, tuple[str, int]]:
    """msgid → where, as `pybabel extract -F babel.cfg` finds them."""
    with (REPO / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(REPO), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, (filename, line))
    return found


@pytest.mark.parametrize("po", CATALOGS, ids=[p.parts[-3] for p in CATALOGS])
def test_every_message_has_a_finished_translation_with_the_same_placeholders(po):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    extracted = _extracted()
    assert len(extracted) > 130
    problems = []
    for msgid, (filename, line) in extracted.items():
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else (
            (entry.string,) if entry is not None else ("",))
        if entry is None or not all(strings):
            problems.append(f"{filename}:{line}: no translation of {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{filename}:{line}: fuzzy translation of {msgid!r}")
        elif any(set(FIELD.findall(s)) != set(FIELD.findall(msgid)) for s in strings):
            problems.append(f"{filename}:{line}: placeholders differ in {msgid!r}: {strings}")
    assert not problems, ("run the command in docs/translating.md, then translate:\n"
                          + "\n".join(problems))


def _calls(node: ast.AST, names: tuple[str, ...]) -> list[ast.Call]:
    return [call for call in ast.walk(node) if isinstance(call, ast.Call) and getattr(call.func, "id", "") in names]


def test_no_message_hides_from_extraction():
    """pybabel sees neither a message inside an f-string's expressions nor an N_() inside the
    arguments of another gettext call: such a message never reaches the catalog."""
    hidden = []
    for path in sorted((REPO / "grader").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            inner = []
            if isinstance(node, ast.JoinedStr):
                inner = _calls(node, ("_", "ngettext", "N_"))
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "ngettext"):
                inner = [call for arg in node.args for call in _calls(arg, ("N_",))]
            hidden += [f"{path.relative_to(REPO)}:{call.lineno}" for call in inner]
    assert not hidden


def test_every_message_is_a_literal():
    """`_(variable)` is fine only for a message marked N_ where it is defined; a literal built at
    run time (an f-string, a concatenation) would never match the catalog."""
    built = []
    for path in sorted((REPO / "grader").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("_", "N_") and node.args:
                if isinstance(node.args[0], (ast.JoinedStr, ast.BinOp)):
                    built.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not built


@pytest.fixture()
def catalog_dir(tmp_path, monkeypatch):
    """A zh_CN catalog in a temporary locale folder, compiled at first use like a source tree's."""
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear()
    yield folder / "grader.po"
    i18n.catalog.cache_clear()


PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Total: {score}"
msgstr "总分：{score}"

msgid "{a} then {b}"
msgstr "先 {b} 后 {a}"

msgid "Wrote {path}."
msgstr "已写入 {file}。"

#, fuzzy
msgid "Notes:"
msgstr "注意："

msgid "Cells that raised"
msgstr ""
'''


def test_translations_reorder_and_fall_back_to_english(catalog_dir):
    catalog_dir.write_text(PO, encoding="utf-8")
    with i18n.using("zh_CN"):
        assert i18n._("Total: {score}", score="3/4") == "总分：3/4"
        assert i18n._("{a} then {b}", a=1, b=2) == "先 2 后 1"          # reordered
        assert i18n._("Wrote {path}.", path="out") == "Wrote out."       # broken: English
        assert i18n._("Notes:") == "Notes:"                              # fuzzy: English
        assert i18n._("Cells that raised") == "Cells that raised"        # empty: English
        assert i18n._("Not in the catalog {x}", x=1) == "Not in the catalog 1"
    assert i18n._("Total: {score}", score="3/4") == "Total: 3/4"         # outside the block


def test_a_damaged_catalog_is_english_not_an_error(catalog_dir):
    catalog_dir.write_bytes(b'msgid "Total: {score}"\nmsgstr "\xff\xfe broken\n')
    with i18n.using("zh_CN"):
        assert i18n._("Total: {score}", score=1) == "Total: 1"


def test_a_compiled_catalog_older_than_its_po_is_not_used(catalog_dir):
    catalog_dir.write_text(PO, encoding="utf-8")
    stale = catalog_dir.with_suffix(".mo")
    stale.write_bytes(i18n.compile_po(catalog_dir.parent.parent.parent / "zh_CN/LC_MESSAGES/grader.po")
                      .replace("总分".encode(), "旧的".encode()))
    import os
    os.utime(stale, (1, 1))
    with i18n.using("zh_CN"):
        assert i18n._("Total: {score}", score=1) == "总分：1"


@pytest.mark.parametrize("code, expected", [("zh-CN", "zh_CN"), ("zh", "zh_CN"), ("zh_cn", "zh_CN"), ("en", "en")])
def test_language_codes_people_type_are_understood(code, expected):
    assert i18n.normalize(code) == expected


def test_an_unknown_language_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown language 'fr' \\(known: en, zh_CN\\)"):
        i18n.normalize("fr")


def test_without_babel_the_compiled_catalog_is_used_even_if_the_po_looks_newer(catalog_dir, monkeypatch):
    """pip does not keep timestamps: an installed .po may look newer than its .mo."""
    catalog_dir.write_text(PO, encoding="utf-8")
    catalog_dir.with_suffix(".mo").write_bytes(i18n.compile_po(catalog_dir))
    import os
    os.utime(catalog_dir.with_suffix(".mo"), (1, 1))

    def no_babel(po):
        raise ModuleNotFoundError("No module named 'babel'")
    monkeypatch.setattr(i18n, "compile_po", no_babel)
    with i18n.using("zh_CN"):
        assert i18n._("Total: {score}", score=1) == "总分：1"


def test_an_english_text_from_a_template_is_said_again_with_its_values(catalog_dir):
    catalog_dir.write_text(PO + 'msgid "{name} is {name}, then {b}"\nmsgstr "{b}：{name}"\n', encoding="utf-8")
    templates = ("{name} is {name}, then {b}", "Wrote {path}.", "{a} then {b}")  # the first that fits
    with i18n.using("zh_CN"):
        assert i18n.reword("x = 1 then y(2)", templates) == "先 y(2) 后 x = 1"
        assert i18n.reword("f is f, then g", templates) == "g：f"
        assert i18n.reword("Wrote it", templates) == "Wrote it"  # no template fits
    assert i18n.reword("x = 1 then y(2)", templates) == "x = 1 then y(2)"
