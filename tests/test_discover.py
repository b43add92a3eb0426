"""Discovery of every layout a TA is handed, and of everything that is not graded."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from grader.source import discover as discover_module
from grader.source.discover import discover

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def write(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def students(found) -> list[str]:
    return [s.student for s in found.submissions]


def problem_paths(found) -> list[str]:
    return [p.path for p in found.problems]


CANVAS = {
    "smithjohn_12345_67890_hw2.ipynb": NOTEBOOK + b" ",
    "doejane_late_23456_78901_hw2.ipynb": NOTEBOOK + b"  ",
    "o_brien_LATE_34567_89012_hw2-1.ipynb": NOTEBOOK + b"   ",
}


def test_flat_folder_ignores_clutter_and_names_other_files(tmp_path):
    root = write(tmp_path / "class", {"alice.ipynb": NOTEBOOK, "bob.py": b"x = 1\n", ".DS_Store": b"\0",
                                      "Thumbs.db": b"\0", "notes.txt": b"hi"})
    found = discover(root)
    assert students(found) == ["alice", "bob"]
    assert [s.kind for s in found.submissions] == ["ipynb", "py"]
    assert [s.path for s in found.submissions] == ["class/alice.ipynb", "class/bob.py"]
    assert problem_paths(found) == ["class/notes.txt"]


def test_submission_carries_hash_and_loader(tmp_path):
    root = write(tmp_path / "class", {"alice.ipynb": NOTEBOOK, "bob.py": b"y = 2\n"})
    alice = discover(root).submissions[0]
    assert alice.load() == NOTEBOOK
    assert alice.sha256 == hashlib.sha256(NOTEBOOK).hexdigest()
    assert alice.size == len(NOTEBOOK)


def test_folder_per_student_with_problem_cases(tmp_path):
    root = write(tmp_path / "class", {
        "alice/hw2.ipynb": NOTEBOOK,
        "bob/work/hw2.py": b"x = 1\n",
        "bob/.ipynb_checkpoints/hw2-checkpoint.ipynb": NOTEBOOK,
        "bob/__pycache__/hw2.cpython-311.pyc": b"\0",
        "dave/a.ipynb": NOTEBOOK,
        "dave/b.py": b"x = 2\n",
        "erin/data.csv": b"1,2\n",
    })
    (root / "carol").mkdir()
    found = discover(root)
    assert students(found) == ["alice", "bob"]
    messages = {p.path: p.message for p in found.problems}
    assert "no .ipynb or .py" in messages["class/carol/"]
    assert "2 files for student 'dave'" in messages["class/dave/a.ipynb, class/dave/b.py"]
    assert "not a submission" in messages["class/erin/data.csv"]
    assert "no .ipynb or .py" in messages["class/erin/"]


def test_nbgrader_course_folder(tmp_path):
    root = write(tmp_path / "course", {
        "source/ps1/ps1.ipynb": NOTEBOOK,
        "release/ps1/ps1.ipynb": NOTEBOOK,
        "gradebook.db": b"",
        "nbgrader_config.py": b"c = get_config()\n",
        "submitted/alice/ps1/ps1.ipynb": NOTEBOOK,
        "submitted/alice/ps1/timestamp.txt": b"2024-01-01 10:00:00",
        "submitted/bob/ps1/ps1.ipynb": NOTEBOOK + b" ",
        "stray.ipynb": NOTEBOOK,
    })
    found = discover(root)
    assert students(found) == ["alice", "bob"]
    assert found.submissions[0].path == "course/submitted/alice/ps1/ps1.ipynb"
    assert problem_paths(found) == ["course/stray.ipynb"]


def test_nbgrader_submitted_folder_itself(tmp_path):
    root = write(tmp_path / "submitted", {"alice/ps1/ps1.ipynb": NOTEBOOK, "bob/ps1/ps1.ipynb": NOTEBOOK})
    assert students(discover(root)) == ["alice", "bob"]


def test_canvas_names_give_the_user_id(tmp_path):
    found = discover(write(tmp_path / "download", CANVAS))
    assert students(found) == ["12345", "23456", "34567"]
    assert found.problems == []


@pytest.mark.parametrize("layout", ["zip-root", "zip-in-folder", "zip-with-wrapper-folder"])
def test_zipped_canvas_download(tmp_path, layout):
    members = dict(CANVAS)
    members["__MACOSX/._smithjohn_12345_67890_hw2.ipynb"] = b"\0"
    if layout == "zip-with-wrapper-folder":
        members = {f"submissions/{name}": data for name, data in members.items()}
    archive = make_zip(members)
    if layout == "zip-in-folder":
        root = write(tmp_path / "download", {"submissions.zip": archive})
    else:
        root = write(tmp_path, {"submissions.zip": archive}) / "submissions.zip"
    found = discover(root)
    assert students(found) == ["12345", "23456", "34567"]
    assert found.problems == []
    assert found.submissions[0].load() == CANVAS["smithjohn_12345_67890_hw2.ipynb"]
    assert "submissions.zip/" in found.submissions[0].path


def test_zip_of_student_folders_and_a_students_own_zip(tmp_path):
    inner = make_zip({"hw2/hw2.ipynb": NOTEBOOK})
    archive = make_zip({"class/alice/hw2.ipynb": NOTEBOOK, "class/bob.zip": inner,
                        "class/smith_777_888_hw2.zip": make_zip({"hw2.py": b"x = 1\n"})})
    root = write(tmp_path, {"class.zip": archive}) / "class.zip"
    found = discover(root)
    assert students(found) == ["777", "alice", "bob"]
    assert found.submissions[2].load() == NOTEBOOK
    assert found.problems == []


def test_zip_slip_members_are_reported_never_written(tmp_path):
    archive = make_zip({"../evil.ipynb": NOTEBOOK, "/abs.ipynb": NOTEBOOK, "ok/..\\..\\win.ipynb": NOTEBOOK,
                        "alice.ipynb": NOTEBOOK, "bob.ipynb": NOTEBOOK})
    root = write(tmp_path / "in", {"class.zip": archive}) / "class.zip"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    found = discover(root)
    assert students(found) == ["alice", "bob"]
    unsafe = "unsafe path in archive (absolute or '..'), not read"
    assert [p.message for p in found.problems] == [unsafe] * 3
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_huge_members_and_files_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(discover_module, "MAX_FILE_BYTES", 1000)
    archive = make_zip({"big.ipynb": b"x" * 2000, "alice.ipynb": NOTEBOOK, "bob.ipynb": NOTEBOOK})
    found = discover(write(tmp_path, {"class.zip": archive}) / "class.zip")
    assert students(found) == ["alice", "bob"]
    assert problem_paths(found) == ["class.zip/big.ipynb"]
    assert found.problems[0].message.startswith("larger than")
    found = discover(write(tmp_path / "class", {"carol.py": b"#" * 2000, "dave.py": b""}))
    assert students(found) == ["dave"]
    assert problem_paths(found) == ["class/carol.py"]
    assert "cannot be read" in found.problems[0].message


def test_unreadable_member_and_broken_archive_are_reported(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("alice.ipynb", b"THE-NOTEBOOK-OF-ALICE")
        archive.writestr("bob.ipynb", NOTEBOOK)
        archive.writestr("carol.zip", b"not a zip at all")
    corrupt = buffer.getvalue().replace(b"THE-NOTEBOOK-OF-ALICE", b"THE-NOTEBOOK-OF-EVE!!")
    found = discover(write(tmp_path, {"class.zip": corrupt}) / "class.zip")
    assert students(found) == ["bob"]
    messages = {p.path: p.message for p in found.problems}
    assert "cannot be read" in messages["class.zip/alice.ipynb"]
    assert "not a readable zip archive" in messages["class.zip/carol.zip"]
    assert "no .ipynb or .py file for student 'carol'" in messages["class.zip/carol.zip/"]


def test_symlinks_are_reported_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"secret.ipynb": NOTEBOOK})
    root = write(tmp_path / "class", {"alice.ipynb": NOTEBOOK, "bob.ipynb": NOTEBOOK})
    (root / "mallory.ipynb").symlink_to(outside / "secret.ipynb")
    found = discover(root)
    assert students(found) == ["alice", "bob"]
    assert [str(p) for p in found.problems] == ["class/mallory.ipynb: symbolic link, not followed"]


def test_same_student_in_two_places_is_a_conflict(tmp_path):
    root = write(tmp_path / "class", {"alice.ipynb": NOTEBOOK, "alice/hw2.py": b"x = 1\n", "bob.py": b""})
    found = discover(root)
    assert students(found) == ["bob"]
    assert "2 files for student 'alice'" in found.problems[0].message


def test_one_student_folder_is_not_mistaken_for_a_wrapper(tmp_path):
    root = write(tmp_path / "class", {"alice/hw2.ipynb": NOTEBOOK, "alice/data.csv": b"1\n"})
    found = discover(root)
    assert students(found) == ["alice"]
    assert problem_paths(found) == ["class/alice/data.csv"]


def test_a_single_file_and_a_missing_root(tmp_path):
    path = write(tmp_path, {"alice.py": b"x = 1\n"}) / "alice.py"
    assert students(discover(path)) == ["alice"]
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nope")


def test_order_is_deterministic(tmp_path):
    names = [f"s{i:02d}.ipynb" for i in range(30)]
    root = write(tmp_path / "class", {name: NOTEBOOK for name in reversed(names)})
    first, second = discover(root), discover(root)
    assert students(first) == sorted(students(first)) == students(second)
    assert first.submissions == second.submissions
