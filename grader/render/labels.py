"""The words people read for the report's statuses (the statuses themselves never change)."""
from __future__ import annotations

from grader.i18n import N_, _

STATUS_LABELS = {"passed": N_("passed"), "partial": N_("partial"), "failed": N_("failed"),
                 "error": N_("error"), "missing": N_("missing")}


def status_label(status: str) -> str:
    """`failed` in English, 未通过 in Chinese; an unknown status shows as itself."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status
