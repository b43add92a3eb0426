"""The exercise pack as bytes, so that no worker needs the grading machine's filesystem."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from grader.pack.config import Settings
from grader.pack.load import Pack


def pack_files(settings: Settings, pack: Pack) -> dict[str, bytes]:
    """What a worker's Grader reads, keyed by its path relative to the course folder.

    Keeping the relative paths keeps the pack hash (it hashes them), so a worker that computes
    the client's hash provably grades with the client's pack. The whole solutions folder goes,
    not only its *.py: a solution may read a file beside it.
    """
    root = pack.root
    paths = [root / settings.assignment, *(root / e.file for e in pack.exercises)]
    paths += [p for p in sorted(pack.solutions_dir.rglob("*"))
              if p.is_file() and "__pycache__" not in p.relative_to(root).parts]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}


def unpack(files: dict[str, bytes]) -> Path:
    """Write the pack into a new folder that only this user can enter (mkdtemp makes it 700)."""
    home = Path(tempfile.mkdtemp(prefix="grader-pack-"))
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"a pack file must stay inside the pack (got {name!r})")
        path = home / relative
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return home
