"""Course settings from config.yaml, with command-line overrides applied on top."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.pack import rules, schema, yamlpos
from grader.errors import PackError
from grader.pack.limits import Limits

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STUB_MODULES = ("d2l", "IPython", "IPython.display", "grader.notebook")


@dataclass(frozen=True)
class Settings:
    """Everything a grading run needs to know that is not in the pack itself."""

    root: Path = REPO_ROOT
    assignment: str = "exercises/assignment.yaml"
    solutions: str = "solutions"
    select: tuple[str, ...] = ()
    points: dict[str, float] = field(default_factory=dict)
    detail: str = "full"
    limits: Limits = Limits()
    stub_modules: tuple[str, ...] = DEFAULT_STUB_MODULES
    fixtures: str = "tests/fixtures/wrong"
    right_fixtures: str = "tests/fixtures/right"
    isolation: str = "auto"

    def protected_paths(self) -> list[str]:
        """What student code must never read: the pack, the solutions, the configuration."""
        return [str(self.root / self.solutions), str((self.root / self.assignment).parent),
                str(self.root / "config.yaml"), str(self.root / "tests")]


_RULES: dict[str, rules.Rule] = {
    "assignment": rules.is_str, "solutions": rules.is_str,
    "select": rules.list_of(rules.is_identifier), "points": rules.is_anything,
    "feedback": rules.is_anything, "limits": rules.is_anything,
    "stub_modules": rules.list_of(rules.is_dotted), "fixtures": rules.is_str, "right_fixtures": rules.is_str,
    "isolation": rules.one_of("auto", "none"),
}
_LIMIT_RULES: dict[str, rules.Rule] = {name: rules.non_negative for name in Limits().to_dict()}


def find_config(explicit: str | None) -> Path | None:
    """The config named on the command line, else ./config.yaml, else the bundled one."""
    if explicit:
        return Path(explicit)
    for candidate in (Path.cwd() / "config.yaml", REPO_ROOT / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_settings(path: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read config.yaml (paths in it are relative to its folder) and apply overrides."""
    settings = Settings()
    if path is not None:
        settings = _from_file(Path(path))
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    limit_overrides = overrides.pop("limits", {})
    if limit_overrides:
        settings = replace(settings, limits=replace(settings.limits, **limit_overrides))
    return replace(settings, **overrides)


def _from_file(path: Path) -> Settings:
    checker = schema.Checker(str(path))
    try:
        data = yamlpos.load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        checker.problem(None, None, "", f"cannot read the configuration ({exc})")
        raise PackError(checker.problems) from None
    except Exception as exc:
        checker.problem(None, None, "", f"YAML syntax: {exc}")
        raise PackError(checker.problems) from None
    checker.mapping(data, _RULES, "")
    limits = data.get("limits", {}) or {}
    checker.mapping(limits, _LIMIT_RULES, "limits")
    feedback = data.get("feedback", {}) or {}
    checker.mapping(feedback, {"detail": rules.one_of("full", "summary")}, "feedback")
    if checker.problems:
        raise PackError(checker.problems)
    return Settings(
        root=path.resolve().parent,
        assignment=data.get("assignment", Settings.assignment),
        solutions=data.get("solutions", Settings.solutions),
        select=tuple(data.get("select", ())),
        points=dict(data.get("points", {}) or {}),
        detail=feedback.get("detail", "full"),
        limits=Limits.from_mapping(limits),
        stub_modules=tuple(data.get("stub_modules", DEFAULT_STUB_MODULES)),
        fixtures=data.get("fixtures", Settings.fixtures),
        right_fixtures=data.get("right_fixtures", Settings.right_fixtures),
        isolation=data.get("isolation", "auto"),
    )
