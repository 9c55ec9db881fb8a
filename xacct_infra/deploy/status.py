"""CloudFormation's many stack statuses reduced to a small vocabulary."""

from __future__ import annotations

# A stack in one of these cannot be updated; it has to be deleted first.
DEAD = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"})


def is_in_progress(status: str) -> bool:
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


def is_terminal(status: str) -> bool:
    return not is_in_progress(status)


def is_failure_event(status: str) -> bool:
    return status.endswith("_FAILED")
