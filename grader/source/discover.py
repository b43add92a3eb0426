"""Find a class's submissions in whatever layout the TA was handed.

Recognised: a flat folder (`alice.ipynb`), a folder per student (`alice/hw2.ipynb`), nbgrader's
`submitted/<student>/<assignment>/`, Canvas downloads (`lastname_[late_]userid_submissionid_file`)
and a .zip of any of these. Archives are read in memory, never extracted, so a hostile member
name cannot write anywhere. Whatever is not graded is named in `Discovery.problems`, except
operating-system clutter (`.DS_Store`, `__MACOSX/`, checkpoints) that no one submits on purpose.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterator, Union

KINDS = {".ipynb": "ipynb", ".py": "py"}
MAX_FILE_BYTES = 64 * 2**20
MAX_ARCHIVE_MEMBERS = 20_000
MAX_ARCHIVE_DEPTH = 3
CLUTTER = {"__MACOSX", "__pycache__", "Thumbs.db", "desktop.ini", "timestamp.txt"}
NBGRADER_COURSE = {"source", "release", "autograded", "feedback", "gradebook.db",
                   "nbgrader_config.py", "nbgrader_config.json"}
# Canvas prefixes each file with the student's name, "late" when it was late, the user id and
# the submission id; a second file of the same name gets "-1" before its extension.
CANVAS_NAME = re.compile(r"^(?P<name>.+?)_(?:late_)?(?P<userid>\d+)_(?P<submission_id>\d+)_(?P<filename>.+)$",
                         re.IGNORECASE)
READ_ERRORS = (OSError, EOFError, RuntimeError, ValueError, NotImplementedError,
               zipfile.BadZipFile, zlib.error)


@dataclass(frozen=True)
class ClassEntry:
    """One student's file in a class folder (not yet read: source/submission.py parses it when it
    is graded); `load` reads it again then, to spare memory."""

    student: str
    path: str
    kind: str
    sha256: str
    size: int
    load: Callable[[], bytes] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """Something found that is not graded, and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Discovery:
    """The submissions (sorted by student) and everything else that was found."""

    submissions: list[ClassEntry]
    problems: list[Problem]


@dataclass
class _File:
    path: str
    read: Callable[[], bytes]


@dataclass
class _Dir:
    path: str
    archive: bool = False
    entries: dict[str, Union[_File, "_Dir"]] = field(default_factory=dict)


class _TooLarge(ValueError):
    """A file read past MAX_FILE_BYTES; a ValueError, so it is one of READ_ERRORS."""

    def __init__(self) -> None:
        super().__init__(_too_large())


def discover(root: Path) -> Discovery:
    """Every submission under `root` (a folder, a .zip, or one .ipynb/.py file)."""
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such file or folder")
    problems: list[Problem] = []
    base = _find_base(_scan_root(root, problems), problems)
    files_by_student: dict[str, list[_File]] = {}
    for name, node in base.entries.items():
        for student, file in _entry_files(name, node, problems):
            files_by_student.setdefault(student, []).append(file)
    submissions = []
    for student in sorted(files_by_student):
        files = files_by_student[student]
        if len(files) > 1:
            names = ", ".join(f.path for f in files)
            problems.append(Problem(names, f"{len(files)} files for student {student!r}, none graded: "
                                           "keep one and run again"))
            continue
        entry = _entry(student, files[0], problems)
        if entry is not None:
            submissions.append(entry)
    return Discovery(submissions, sorted(problems, key=lambda p: (p.path, p.message)))


def _scan_root(root: Path, problems: list[Problem]) -> _Dir:
    if root.is_dir():
        return _scan_dir(root, root.name, problems)
    if root.suffix.lower() == ".zip":
        return _scan_zip(partial(zipfile.ZipFile, root), root.name, problems, depth=1)
    if _kind(root.name):
        return _Dir(root.parent.name, entries={root.name: _File(root.name, partial(_read_disk, root))})
    problems.append(Problem(root.name, "not a folder, .zip, .ipynb or .py file"))
    return _Dir(root.name)


def _find_base(node: _Dir, problems: list[Problem]) -> _Dir:
    """Step into nbgrader's `submitted/` and through wrapper folders (`class.zip` → `class/`)."""
    while True:
        submitted = node.entries.get("submitted")
        if isinstance(submitted, _Dir):
            for name, other in node.entries.items():
                if name != "submitted" and name not in NBGRADER_COURSE:
                    problems.append(Problem(other.path, "outside nbgrader's submitted/, not graded"))
            return submitted
        if len(node.entries) != 1:
            return node
        (only,) = node.entries.values()
        if not isinstance(only, _Dir) or not _is_wrapper(only):
            return node
        node = only


def _is_wrapper(node: _Dir) -> bool:
    # A lone folder holding one plain-named notebook is a class of one student, not a wrapper.
    plain_files = [n for n, e in node.entries.items()
                   if isinstance(e, _File) and _kind(n) and not CANVAS_NAME.match(n)]
    return len(node.entries) > 1 and len(plain_files) != 1


def _entry_files(name: str, node: _File | _Dir, problems: list[Problem]) -> Iterator[tuple[str, _File]]:
    """The gradable files of one top-level entry, each with the student the layout names."""
    if isinstance(node, _File):
        if _kind(name):
            yield _student(name, strip_suffix=True), node
        else:
            problems.append(Problem(node.path, "not a submission (.ipynb or .py), ignored"))
        return
    student = _student(name, strip_suffix=node.archive)
    found = False
    for file in _walk(node):
        if _kind(file.path):
            found = True
            yield student, file
        else:
            problems.append(Problem(file.path, "not a submission (.ipynb or .py), ignored"))
    if not found:
        problems.append(Problem(node.path + "/", f"no .ipynb or .py file for student {student!r}"))


def _student(name: str, *, strip_suffix: bool) -> str:
    canvas = CANVAS_NAME.match(name)
    if canvas:
        return canvas["userid"]
    return Path(name).stem if strip_suffix else name


def _walk(node: _Dir) -> Iterator[_File]:
    for entry in node.entries.values():
        if isinstance(entry, _Dir):
            yield from _walk(entry)
        else:
            yield entry


def _entry(student: str, file: _File, problems: list[Problem]) -> ClassEntry | None:
    try:
        data = file.read()
    except READ_ERRORS as err:
        problems.append(Problem(file.path, f"cannot be read, not graded: {err}"))
        return None
    return ClassEntry(student=student, path=file.path, kind=_kind(file.path) or "",
                      sha256=hashlib.sha256(data).hexdigest(), size=len(data), load=file.read)


def _kind(name: str) -> str | None:
    return KINDS.get(os.path.splitext(name)[1].lower())


def _too_large() -> str:
    return f"larger than {MAX_FILE_BYTES / 2**20:g} MB"


def _is_clutter(name: str) -> bool:
    return name in CLUTTER or name.startswith((".", "~$"))


def _scan_dir(path: Path, shown: str, problems: list[Problem]) -> _Dir:
    node = _Dir(shown)
    try:
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as err:
        problems.append(Problem(shown + "/", f"cannot be listed: {err.strerror or err}"))
        return node
    for entry in entries:
        if _is_clutter(entry.name):
            continue
        child_shown = f"{shown}/{entry.name}"
        if entry.is_symlink():
            problems.append(Problem(child_shown, "symbolic link, not followed"))
        elif entry.is_dir():
            node.entries[entry.name] = _scan_dir(Path(entry.path), child_shown, problems)
        elif not entry.is_file():
            problems.append(Problem(child_shown, "not a regular file"))
        elif entry.name.lower().endswith(".zip"):
            node.entries[entry.name] = _scan_zip(partial(zipfile.ZipFile, entry.path), child_shown,
                                                 problems, depth=1)
        else:
            node.entries[entry.name] = _File(child_shown, partial(_read_disk, Path(entry.path)))
    return node


def _read_disk(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _TooLarge
    return data


def _scan_zip(open_zip: Callable[[], zipfile.ZipFile], shown: str, problems: list[Problem],
              depth: int) -> _Dir:
    node = _Dir(shown, archive=True)
    try:
        with open_zip() as archive:
            members = archive.infolist()
    except READ_ERRORS as err:
        problems.append(Problem(shown, f"not a readable zip archive: {err}"))
        return node
    if len(members) > MAX_ARCHIVE_MEMBERS:
        problems.append(Problem(shown, f"more than {MAX_ARCHIVE_MEMBERS} members, not read"))
        return node
    for info in members:
        if info.is_dir():
            continue
        parts = _member_parts(info.filename)
        member_shown = f"{shown}/{info.filename}"
        if parts is None:
            problems.append(Problem(member_shown, "unsafe path in archive (absolute or '..'), not read"))
        elif parts and not any(_is_clutter(p) for p in parts):
            _add_member(node, parts, info, open_zip, problems, depth)
    return node


def _add_member(node: _Dir, parts: tuple[str, ...], info: zipfile.ZipInfo,
                open_zip: Callable[[], zipfile.ZipFile], problems: list[Problem], depth: int) -> None:
    parent = node
    for i, part in enumerate(parts[:-1]):
        child = parent.entries.setdefault(part, _Dir(f"{node.path}/{'/'.join(parts[:i + 1])}"))
        if not isinstance(child, _Dir):
            problems.append(Problem(f"{node.path}/{'/'.join(parts)}", "clashes with a file of the same name"))
            return
        parent = child
    shown, name = f"{node.path}/{'/'.join(parts)}", parts[-1]
    if name in parent.entries:
        problems.append(Problem(shown, "appears twice in the archive, second copy ignored"))
    elif info.file_size > MAX_FILE_BYTES:
        problems.append(Problem(shown, f"{_too_large()}, not read"))
    elif not name.lower().endswith(".zip"):
        parent.entries[name] = _File(shown, partial(_read_member, open_zip, info.filename))
    elif depth >= MAX_ARCHIVE_DEPTH:
        problems.append(Problem(shown, f"archive nested more than {MAX_ARCHIVE_DEPTH} deep, not read"))
    else:
        try:
            data = _read_member(open_zip, info.filename)
        except READ_ERRORS as err:
            problems.append(Problem(shown, f"cannot be read: {err}"))
            return
        parent.entries[name] = _scan_zip(partial(_zip_from_bytes, data), shown, problems, depth + 1)


def _member_parts(name: str) -> tuple[str, ...] | None:
    """The path of a member as folder names, or None when it would escape the archive."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return None
    return tuple(p for p in parts if p not in ("", "."))


def _read_member(open_zip: Callable[[], zipfile.ZipFile], member: str) -> bytes:
    # Read at most one byte past the cap: a member's declared size may lie (a zip bomb).
    with open_zip() as archive, archive.open(member) as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _TooLarge
    return data


def _zip_from_bytes(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))
