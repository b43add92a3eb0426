"""Gradescope's autograder.zip: setup.sh and run_autograder at the archive root (docs/specs.md:
"zip the files, not the folder"), beside a copy of the grader and its exercise pack.

The archive is reproducible (sorted entries, fixed timestamps), so rebuilding an unchanged
checkout gives the same bytes and a TA can tell whether Gradescope holds the current pack.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
REQUIRED = ("grader", "exercises", "solutions", "pyproject.toml")
OPTIONAL = ("config.yaml", "README.md", "LICENSE")  # pyproject.toml may name README or LICENSE
EXECUTABLE = ("setup.sh", "run_autograder")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def build_zip(root: Path, out: Path, *, torch_version: str = "2.13.0", language: str = "en") -> Path:
    """Write the zip for the checkout at `root` to `out` and return `out`; the autograder grades
    in `language`."""
    missing = [name for name in REQUIRED if not (root / name).exists()]
    if missing:
        raise FileNotFoundError(f"{root} lacks {', '.join(missing)}: build the zip from a "
                                "checkout of the grader")
    entries = {name: _template(name, torch_version, language)
               for name in ("setup.sh", "run_autograder", "AUTOGRADER_README.md")}
    for path in _pack_files(root, out):
        entries[path.relative_to(root).as_posix()] = path.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return out


def _template(name: str, torch_version: str, language: str) -> bytes:
    """Bytes, not text: a CRLF slipped into run_autograder breaks its `#!` line."""
    text = (TEMPLATES / name).read_bytes().decode("utf-8").replace("\r\n", "\n")
    return text.replace("@TORCH_VERSION@", torch_version).replace("@LANGUAGE@", language).encode("utf-8")


def _pack_files(root: Path, out: Path) -> list[Path]:
    """The grader and the pack, without caches, dotfiles or the zip being written."""
    files: list[Path] = []
    for name in REQUIRED + OPTIONAL:
        top = root / name
        candidates = sorted(top.rglob("*")) if top.is_dir() else [top] if top.is_file() else []
        files += [p for p in candidates if p.is_file() and _kept(p.relative_to(root))
                  and p.resolve() != out.resolve()]
    return files


def _kept(relative: Path) -> bool:
    return not any(part.startswith(".") or part == "__pycache__" for part in relative.parts) \
        and relative.suffix not in (".pyc", ".pyo")
