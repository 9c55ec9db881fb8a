"""CloudFormation's statuses, named once here and reduced to a small vocabulary."""

from __future__ import annotations

# ---------------------------------------------------------------- stacks
CREATE_COMPLETE = "CREATE_COMPLETE"
UPDATE_COMPLETE = "UPDATE_COMPLETE"
IMPORT_COMPLETE = "IMPORT_COMPLETE"
DELETE_COMPLETE = "DELETE_COMPLETE"
DELETE_FAILED = "DELETE_FAILED"
REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"  # made by a CREATE change set, nothing deployed yet
ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
ROLLBACK_FAILED = "ROLLBACK_FAILED"
CREATE_FAILED = "CREATE_FAILED"
UPDATE_ROLLBACK_COMPLETE = "UPDATE_ROLLBACK_COMPLETE"
UPDATE_ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"

# A stack in one of these cannot be updated; it has to be deleted first.
DEAD = frozenset({ROLLBACK_COMPLETE, ROLLBACK_FAILED, CREATE_FAILED})
# Deployed and at rest: a change set can update it (UPDATE_ROLLBACK_COMPLETE: the last update failed).
STABLE = frozenset({CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE})
# What `status` calls healthy (with a template that matches the config).
HEALTHY = frozenset({CREATE_COMPLETE, UPDATE_COMPLETE})
# How each operation ends when it worked.
SUCCESS = {"create": CREATE_COMPLETE, "update": UPDATE_COMPLETE, "delete": DELETE_COMPLETE}

# ---------------------------------------------------------------- change sets (Status / ExecutionStatus)
CS_BEING_MADE = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
CS_FAILED = "FAILED"
CS_AVAILABLE = "AVAILABLE"  # ready, not executed
CS_EXECUTED = frozenset({"EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED"})

# ---------------------------------------------------------------- StackSet operations and instances
OPERATION_SUCCEEDED = "SUCCEEDED"
OPERATION_DONE = frozenset({OPERATION_SUCCEEDED, "FAILED", "STOPPED"})
OPERATION_RUNNING = "RUNNING"
INSTANCE_OK = frozenset({OPERATION_SUCCEEDED, "CURRENT"})
STACK_SET_DELETED = "DELETED"


def is_in_progress(status: str) -> bool:
    return status.endswith("_IN_PROGRESS") and status != REVIEW_IN_PROGRESS


def is_terminal(status: str) -> bool:
    return not is_in_progress(status)


def is_failure_event(status: str) -> bool:
    return status.endswith("_FAILED")
