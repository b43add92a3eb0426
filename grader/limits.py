"""Resource limits for one submission's child process (config.yaml `limits:`; flags override)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Why each exists: a student's code may loop, allocate, fork or print without end."""

    submission_seconds: float = 60.0
    check_seconds: float = 10.0
    cell_seconds: float = 20.0
    cpu_seconds: int = 120
    memory_mb: int = 2048
    processes: int = 64
    file_size_mb: int = 64
    open_files: int = 256
    output_kb: int = 64

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "Limits":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
