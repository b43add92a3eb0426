"""Every sentence a person reads is translated here, with gettext and the catalogs in grader/locale.

The language is the course's (`language:` in config.yaml, `--lang`, or the notebook `assign`
wrote): `set_language` makes it the process's, `using` overrides it for one block (a web
request, a batch worker). Messages carry named `{placeholders}` so a translation may reorder
them; a missing or broken translation falls back to the English text, never to an error.

Catalogs: the committed `.po` is the source. The build (setup.py's build_py) compiles it to a
`.mo` beside it, which installed copies and the student wheel read; a source tree whose `.mo` is
missing or older than its `.po` compiles the `.po` in memory at first use (with Babel).
"""
from __future__ import annotations

import argparse
import gettext
import io
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

DOMAIN = "grader"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
_ALIASES = {"zh": "zh_CN", "zh-cn": "zh_CN", "zh_cn": "zh_CN", "zh-hans": "zh_CN", "en_us": "en", "en-us": "en"}

_process_language = DEFAULT_LANGUAGE
_block_language: ContextVar[str | None] = ContextVar("grader_language", default=None)


def normalize(code: str) -> str:
    """`zh-CN`, `zh_cn` or `zh` → `zh_CN`; ValueError names the languages there are."""
    name = _ALIASES.get(str(code).strip().lower(), str(code).strip())
    if name not in LANGUAGES:
        raise ValueError(f"unknown language {code!r} (known: {', '.join(LANGUAGES)})")
    return name


def language() -> str:
    return _block_language.get() or _process_language


def set_language(code: str) -> None:
    """The process's language: threads and children started later speak it too."""
    global _process_language
    _process_language = normalize(code)


@contextmanager
def using(code: str) -> Iterator[str]:
    """Speak `code` inside this block only (this thread or task)."""
    token = _block_language.set(normalize(code))
    try:
        yield language()
    finally:
        _block_language.reset(token)


def add_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--lang`, which every command takes."""
    parser.add_argument("--lang", type=_argument, metavar="LANG",
                        help=f"the language of every sentence people read: {', '.join(LANGUAGES)} "
                             "(default: config.yaml's language:, else en)")


def _argument(code: str) -> str:
    try:
        return normalize(code)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def html_lang(code: str | None = None) -> str:
    """The BCP 47 tag for `<html lang=…>`: `zh_CN` → `zh-CN`."""
    return (code or language()).replace("_", "-")


def _(message: str, **fields: Any) -> str:
    """`message` in the current language, its `{placeholders}` filled from `fields` (if any)."""
    return _filled(message, catalog(language()).gettext(message), fields)


def ngettext(singular: str, plural: str, count: int, **fields: Any) -> str:
    """The form for `count` (Chinese has one); `{count}` is filled too."""
    english = singular if count == 1 else plural
    return _filled(english, catalog(language()).ngettext(singular, plural, count), {"count": count, **fields})


def reword(text: str, templates: Iterable[str]) -> str:
    """`text`, which someone wrote in English from one of `templates` (the sandboxed child, or
    torch), said again in the current language with the same values; unchanged if none fits."""
    if language() == DEFAULT_LANGUAGE:
        return text
    for template in templates:
        match = _pattern(template).fullmatch(text)
        if match:
            return _(template, **match.groupdict())
    return text


@lru_cache(maxsize=None)
def _pattern(template: str) -> re.Pattern[str]:
    parts, seen, regex = re.split(r"\{(\w+)\}", template), set(), ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        else:
            regex += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
            seen.add(part)
    return re.compile(regex, re.S)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; `_()` translates it where it is used."""
    return message


def _filled(english: str, translated: str, fields: dict[str, Any]) -> str:
    """The translation filled in; else the English one; else the English text as it stands."""
    if not fields:
        return translated
    for text in (translated, english):
        try:
            return text.format(**fields)
        except (KeyError, IndexError, ValueError):
            continue
    return english


@lru_cache(maxsize=None)
def catalog(code: str) -> gettext.NullTranslations:
    """The compiled catalog of a language; English (the msgids themselves) when there is none."""
    if code == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if po.is_file() and (not mo.is_file() or po.stat().st_mtime > mo.stat().st_mtime):
        try:  # a source tree whose .po was edited since the build
            return gettext.GNUTranslations(io.BytesIO(compile_po(po)))
        except Exception:  # no Babel, or a damaged .po: the compiled catalog, else English
            pass
    try:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    except Exception:  # none, or damaged: grading goes on in English
        return gettext.NullTranslations()


def compile_po(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` (fuzzy and empty entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        messages = read_po(handle)
    out = io.BytesIO()
    write_mo(out, messages)
    return out.getvalue()
