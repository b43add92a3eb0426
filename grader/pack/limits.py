"""Resource limits for one submission's child process (config.yaml `limits:`; flags override)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Why each exists: a student's code may loop, allocate, fork or print without end."""

    submission_seconds: float = 60.0
    check_seconds: float = 10.0          # the most one call may ever get
    check_floor_seconds: float = 1.0     # the least, however fast the reference is
    check_reference_factor: float = 50.0  # a call may take this many times the reference's time
    hung_seconds: float = 1.0            # shared by a function's calls after it first ran out of time
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

    def per_call(self, reference_seconds: float) -> float:
        """One call's limit: a multiple of what the solution takes on the same case, so a slow
        machine (which slows both) needs no retuning; never under the floor or over the ceiling."""
        derived = max(self.check_floor_seconds, self.check_reference_factor * reference_seconds)
        return round(min(self.check_seconds, derived), 3)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
