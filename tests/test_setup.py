"""The README's set-up: both commands make a fresh venv and install torch's CPU build from
requirements/torch-cpu.txt, CI runs the README's test command itself, and pip really resolves
that file to `torch 2.13.0+cpu` with no CUDA packages (a dry run: nothing is installed)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TORCH_CPU = "requirements/torch-cpu.txt"
CUDA_PACKAGE = re.compile(r"^(nvidia-|triton)", re.I)


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    # The Chinese quick start (快速上手) repeats them: a copy that drifted would be a third command.
    return list(dict.fromkeys(re.findall(r"^python3 -m venv \.venv && .*$", text, re.M)))


def test_both_readme_commands_make_a_venv_and_install_the_cpu_build_first() -> None:
    grade, run_tests = readme_commands()
    for command in (grade, run_tests):
        steps = command.split(" && ")
        assert steps[0] == "python3 -m venv .venv"
        assert f"-r {TORCH_CPU}" in steps[1] and "--retries" in steps[1] and "--timeout" in steps[1]
        assert all(step.startswith(".venv/bin/python -m ") for step in steps[1:])
    assert grade.endswith("-m grader examples/sample_submission.ipynb")
    assert (REPO / "examples" / "sample_submission.ipynb").is_file()
    assert run_tests.endswith("-m pytest -q")


def test_ci_runs_the_readme_test_command_in_a_fresh_venv() -> None:
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command = readme_commands()[1]
    assert command in lines
    assert "rm -rf .venv" in lines[:lines.index(command)]


def test_the_cpu_requirement_resolves_to_the_cpu_build_without_cuda(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report_path), "--retries", "1", "--timeout", "20", "-r", TORCH_CPU],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    installs = {i["metadata"]["name"]: i["metadata"]["version"]
                for i in json.loads(report_path.read_text(encoding="utf-8"))["install"]}
    assert installs["torch"] == "2.13.0+cpu"
    assert not [name for name in installs if CUDA_PACKAGE.match(name)], installs


def test_documentation_links_resolve_inside_the_repository() -> None:
    pages = [REPO / "README.md", REPO / "exercises" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if not target.startswith(("http://", "https://", "mailto:")):
                resolved = (page.parent / target).resolve()
                assert resolved.is_relative_to(REPO) and resolved.exists(), f"{page.name}: {target}"
