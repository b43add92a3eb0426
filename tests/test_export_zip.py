"""autograder.zip: what Gradescope's docs require of it (setup.sh and an executable
run_autograder at the archive root), and run_autograder's promise to leave a valid results.json
whatever the grader does, checked against a fake grader so that no engine or torch is needed."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from grader.export.gradescope_build import build_zip
from test_export_schemas import GRADESCOPE_SCHEMA

REPO = Path(__file__).resolve().parent.parent

# Behaves as FAKE_ENGINE says: the CLI contract `python -m grader FILE --format gradescope --out P`.
FAKE_MAIN = '''
import json, os, sys, time
mode = os.environ.get("FAKE_ENGINE", "ok")
file, out = sys.argv[1], sys.argv[sys.argv.index("--out") + 1]
assert sys.argv[sys.argv.index("--format") + 1] == "gradescope"
student = sys.argv[sys.argv.index("--student") + 1] if "--student" in sys.argv else ""
if mode == "ok":
    tests = [{"name": os.path.basename(file), "score": 1.0, "max_score": 1.0, "output": student}]
    open(out, "w").write(json.dumps({"score": 1.0, "tests": tests}))
elif mode == "garbage":
    open(out, "w").write('{"score": 1, "tests": [')
elif mode == "unreadable":
    print("grader: cannot grade: notebook is not valid JSON", file=sys.stderr)
    sys.exit(2)
elif mode == "usage":
    print("python -m grader: error: unrecognized arguments", file=sys.stderr)
    sys.exit(2)
elif mode == "slow":
    time.sleep(60)
else:
    print("Traceback (most recent call last):\\nRuntimeError: boom", file=sys.stderr)
    sys.exit(4)
'''
FAKE_INIT = '''
import os
if os.environ.get("FAKE_BROKEN_PACKAGE"):
    raise ImportError("the grader package is broken")
'''


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout with this repo's exporters and a fake engine."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copytree(REPO / "grader" / "export", root / "grader" / "export",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # what the exporters import, no torch
    for pure in ("model.py", "i18n.py", "render/__init__.py", "render/fold.py", "render/markdown.py",
                 "render/numbers.py", "render/labels.py"):
        (root / "grader" / pure).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "grader" / pure, root / "grader" / pure)
    shutil.copytree(REPO / "grader" / "locale", root / "grader" / "locale",
                    ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    (root / "grader" / "__init__.py").write_text(FAKE_INIT)
    (root / "grader" / "__main__.py").write_text(FAKE_MAIN)
    (root / "grader" / "__pycache__").mkdir()
    (root / "grader" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\0")
    (root / "exercises").mkdir()
    (root / "exercises" / "grad_of_dot.yaml").write_text("id: grad_of_dot\n")
    (root / "solutions").mkdir()
    (root / "solutions" / "grad_of_dot.py").write_text("def grad_of_dot(x): ...\n")
    (root / "config.yaml").write_text("assignment: exercises/assignment.yaml\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'grader'\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


@pytest.fixture(scope="module")
def archive(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_zip(checkout, tmp_path_factory.mktemp("zip") / "autograder.zip",
                     torch_version="2.13.0")


def test_zip_root_holds_the_two_scripts_with_the_executable_bit(archive: Path) -> None:
    with zipfile.ZipFile(archive) as z:
        infos = {i.filename: i for i in z.infolist()}
        for name in ("setup.sh", "run_autograder"):
            mode = infos[name].external_attr >> 16
            assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, name
            script = z.read(name)
            assert script.startswith(b"#!/usr/bin/env bash\n") and b"\r" not in script
        setup = z.read("setup.sh").decode()
    assert "torch==$TORCH_VERSION" in setup and 'TORCH_VERSION="2.13.0"' in setup
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup
    assert infos["solutions/grad_of_dot.py"].external_attr >> 16 & 0o111 == 0


def test_zip_holds_the_pack_and_the_grader_but_no_caches(archive: Path) -> None:
    names = set(zipfile.ZipFile(archive).namelist())
    assert {"grader/__main__.py", "grader/model.py", "grader/export/gradescope.py",
            "exercises/grad_of_dot.yaml", "solutions/grad_of_dot.py", "config.yaml",
            "pyproject.toml", "AUTOGRADER_README.md"} <= names
    assert not any("__pycache__" in n or n.startswith(".git") or n.endswith(".pyc")
                   for n in names)
    readme = zipfile.ZipFile(archive).read("AUTOGRADER_README.md").decode()
    assert "solutions/" in readme and "sandbox" in readme


def test_zip_is_reproducible_and_scripts_parse(checkout: Path, archive: Path,
                                               tmp_path: Path) -> None:
    again = build_zip(checkout, tmp_path / "again.zip")
    assert again.read_bytes() == archive.read_bytes()
    with zipfile.ZipFile(archive) as z:
        for name in ("setup.sh", "run_autograder"):
            (tmp_path / name).write_bytes(z.read(name))
            assert subprocess.run(["bash", "-n", str(tmp_path / name)]).returncode == 0


def test_build_refuses_a_checkout_without_the_pack(tmp_path: Path) -> None:
    (tmp_path / "grader").mkdir()
    with pytest.raises(FileNotFoundError, match="exercises, solutions, pyproject.toml"):
        build_zip(tmp_path, tmp_path / "autograder.zip")


def autograde(archive: Path, tmp_path: Path, files: dict[str, bytes], *, metadata: bytes = b"",
              **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    """Unpack as Gradescope does into a temp /autograder and run run_autograder there."""
    ag = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        z.extractall(ag / "source")
    if metadata:
        (ag / "submission_metadata.json").write_bytes(metadata)
    shutil.copy(ag / "source" / "run_autograder", ag / "run_autograder")
    (ag / "run_autograder").chmod(0o755)
    for name, data in files.items():
        (ag / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (ag / "submission" / name).write_bytes(data)
    (ag / "submission").mkdir(exist_ok=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    # python3 is this interpreter with its environment: a script that execs it by its own path,
    # since a symlink to a venv's python finds no pyvenv.cfg beside it and loses the venv.
    python3 = bin_dir / "python3"
    python3.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
    python3.chmod(0o755)
    full_env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(ag),
                "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env}
    full_env.pop("PYTHONPATH", None)
    done = subprocess.run([str(ag / "run_autograder")], cwd=ag, env=full_env,
                          capture_output=True, text=True, timeout=120)
    results = json.loads((ag / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    return results, done


def shown(results: dict) -> str:
    return "\n".join(t["output"] for t in results["tests"] if t.get("visibility") == "visible")


def test_run_autograder_passes_the_one_submission_to_the_grader(archive: Path,
                                                                tmp_path: Path) -> None:
    results, _ = autograde(archive, tmp_path, {"Mein Notebook ü.ipynb": b"{}",
                                               ".ipynb_checkpoints/old.ipynb": b"{}",
                                               "README.md": b"notes"})
    assert results["score"] == 1.0
    assert results["tests"][0]["name"] == "Mein Notebook ü.ipynb"
    assert results["tests"][0]["output"] == ""  # no submission_metadata.json: no --student


def test_run_autograder_names_the_student_from_gradescope_metadata(archive: Path,
                                                                   tmp_path: Path) -> None:
    metadata = {"id": 1, "users": [{"email": "zoë@example.edu", "id": 7, "name": "Zoë"},
                                   {"email": "bob@example.edu", "id": 8, "name": "Bob"}]}
    results, _ = autograde(archive, tmp_path, {"hw.py": b""},
                           metadata=json.dumps(metadata).encode())
    assert results["tests"][0]["output"] == "zoë@example.edu"


@pytest.mark.parametrize("files,expected", [
    ({}, "this submission has 0."),
    ({"a.ipynb": b"{}", "sub/b.py": b""}, "this submission has 2: a.ipynb, sub/b.py."),
])
def test_run_autograder_needs_exactly_one_candidate(archive: Path, tmp_path: Path,
                                                    files: dict, expected: str) -> None:
    results, _ = autograde(archive, tmp_path, files)
    assert results["score"] == 0 and expected in shown(results)
    assert results["tests"][0]["name"] == "Autograder failed"


@pytest.mark.parametrize("mode,expected", [
    ("crash", "exit status 4"),
    ("garbage", "exit status 0"),
    ("unreadable", "could not read this submission: notebook is not valid JSON"),
    ("usage", "exit status 2"),  # only the "cannot grade" line is meant for students
])
def test_run_autograder_writes_failure_results_when_the_grader_fails(
        archive: Path, tmp_path: Path, mode: str, expected: str) -> None:
    results, done = autograde(archive, tmp_path, {"hw.ipynb": b"{}"}, FAKE_ENGINE=mode)
    assert results["score"] == 0 and expected in shown(results)
    if mode == "crash":
        [staff] = [t for t in results["tests"] if t.get("visibility") == "hidden"]
        assert "RuntimeError: boom" in staff["output"] and "boom" not in shown(results)
        assert "RuntimeError: boom" in done.stderr  # and instructors see it in the stdout pane


def test_an_autograder_built_in_chinese_tells_the_student_in_chinese(checkout: Path, tmp_path: Path) -> None:
    chinese = build_zip(checkout, tmp_path / "zh.zip", language="zh_CN")
    results, _ = autograde(chinese, tmp_path, {"a.ipynb": b"{}", "b.py": b""})
    assert "请只提交一个 .ipynb 或 .py 文件；这份提交有 2 个: a.ipynb, b.py。" in shown(results)
    assert "自动评分程序无法为这份提交评分" in shown(results)


def test_run_autograder_stops_a_grader_that_runs_too_long(archive: Path,
                                                          tmp_path: Path) -> None:
    results, _ = autograde(archive, tmp_path, {"hw.py": b""}, FAKE_ENGINE="slow",
                           GRADER_TIMEOUT_SECONDS="1")
    assert "longer than 1 seconds" in shown(results)


def test_run_autograder_falls_back_when_the_grader_package_cannot_import(
        archive: Path, tmp_path: Path) -> None:
    results, _ = autograde(archive, tmp_path, {"hw.py": b""}, FAKE_BROKEN_PACKAGE="1")
    assert results["score"] == 0 and "exit status 1" in shown(results)


def test_run_autograder_writes_results_even_without_a_working_python(
        archive: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\nexit 127\n")
    (broken / "python3").chmod(0o755)
    ag = tmp_path / "run"
    results, _ = autograde(archive, ag, {"hw.py": b""},
                           PATH=f"{broken}{os.pathsep}{os.environ['PATH']}")
    assert results["tests"][0]["name"] == "Autograder failed"
