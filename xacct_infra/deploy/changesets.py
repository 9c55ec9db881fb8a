"""Change sets: made, read in full, and never left behind.

A deploy remembers the change set it is making (:class:`Pending`) before the call that makes
it, so whatever ends the deploy early (Ctrl-C while a call is in flight, a timeout, an error,
another deploy winning a race) can find out what really exists and remove it: the change
set, and for a first create the empty ``REVIEW_IN_PROGRESS`` stack that CloudFormation makes
with it, unless another deploy's change set still lives on that stack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from xacct_infra import aws
from xacct_infra.deploy import status as st
from xacct_infra.deploy.calls import Calls
from xacct_infra.deploy.errors import DeployFailed, DeployTimeout, OtherDeploy
from xacct_infra.deploy.poll import Deadline, delays

PREFIX = "xacct-infra-"
# Phrases CloudFormation uses for an empty change set / no-op update.
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# CreateChangeSet refusals that mean another operation holds the stack.
BUSY = ("state and can not be updated", "is in UPDATE_IN_PROGRESS", "is in CREATE_IN_PROGRESS")
STALE = dt.timedelta(hours=1)  # a pending change set older than this is a leftover, not a running deploy
SETTLE_POLLS = 8  # polls to wait for a change set still being made before it can be deleted


@dataclass
class Pending:
    """The change set this deploy is making or has made, as far as it knows."""

    name: str
    stack_name: str
    creating: bool
    change_set_id: str | None = None
    stack_id: str | None = None
    executed: bool = False


class ChangeSets:
    def __init__(self, calls: Calls) -> None:
        self.c = calls

    def create(self, pending: Pending, kwargs: dict[str, Any], deadline: Deadline) -> dict[str, Any] | None:
        """Make the change set and wait until it is ready; None when it holds no changes."""
        try:
            created = self.c.cfn.create_change_set(ChangeSetName=pending.name, **kwargs)
        except Exception as exc:
            message = aws.error_message(exc)
            if aws.error_code(exc) == "ValidationError" and any(p in message for p in NO_CHANGES):
                return None
            if aws.error_code(exc) == "AlreadyExistsException" or any(p in message for p in BUSY):
                raise OtherDeploy(f"CreateChangeSet was refused: {message}") from None
            raise
        pending.change_set_id, pending.stack_id = created["Id"], created["StackId"]
        self.c.check()
        for delay in delays(self.c.rng):
            self.c.sleep(delay, deadline)
            self.c.check()
            cs = self.c.cfn.describe_change_set(ChangeSetName=pending.change_set_id, StackName=pending.stack_id)
            if cs["Status"] not in st.CS_BEING_MADE:
                break
            if deadline.expired():
                raise DeployTimeout(f"{pending.stack_name}: the change set was not ready before --timeout; it was deleted")
        if cs.get("NextToken"):  # a long change set: botocore's paginator fetches the remaining pages
            cs["Changes"] = list(cs.get("Changes", [])) + list(self.c.pages(
                "describe_change_set", "Changes", ChangeSetName=pending.change_set_id, StackName=pending.stack_id,
                PaginationConfig={"StartingToken": cs["NextToken"]}))
        cs = {**cs, "ChangeSetId": pending.change_set_id, "ChangeSetName": pending.name, "StackId": pending.stack_id}
        if cs["Status"] == st.CS_FAILED:
            reason = str(cs.get("StatusReason", ""))
            if any(p in reason for p in NO_CHANGES):
                self.undo(pending)
                return None
            details = self._validation_failures(pending.change_set_id)
            self.undo(pending)
            raise DeployFailed(f"{pending.stack_name}: change set failed: {details or reason or 'no reason given'}")
        return cs

    def others(self, pending: Pending, ours_created: Any = None) -> list[dict[str, Any]]:
        """Other deploys' change sets on this stack that are still to be executed, oldest first.
        One made over an hour before ours (both times are CloudFormation's) is a leftover, not a deploy."""
        found = []
        for summary in self.c.pages("list_change_sets", "Summaries", StackName=pending.stack_id or pending.stack_name):
            if summary.get("StackName") != pending.stack_name or summary.get("ChangeSetName") == pending.name:
                continue  # the emulator lists every stack's change sets
            if not str(summary.get("ChangeSetName", "")).startswith(PREFIX) or not _pending(summary):
                continue
            created = summary.get("CreationTime")
            if isinstance(created, dt.datetime) and isinstance(ours_created, dt.datetime) and ours_created - created > STALE:
                continue
            found.append(summary)
        return sorted(found, key=_age_key)

    def find(self, name_or_id: str, stack: str) -> dict[str, Any] | None:
        try:
            return dict(self.c.cfn.describe_change_set(ChangeSetName=name_or_id, StackName=stack))
        except Exception as exc:
            if aws.error_code(exc) in ("ChangeSetNotFound", "ChangeSetNotFoundException", "ValidationError"):
                return None
            raise

    def undo(self, pending: Pending) -> list[str]:
        """Remove what this deploy made and did not execute; returns what was removed (for the message).

        Runs to the end whatever interrupts come meanwhile: leaving half of it would be worse.
        """
        removed: list[str] = []
        cs = self.find(pending.change_set_id or pending.name, pending.stack_id or pending.stack_name)
        if cs is not None and cs.get("ChangeSetName", pending.name) == pending.name:
            pending.change_set_id = cs.get("ChangeSetId") or pending.change_set_id or pending.name
            pending.stack_id = cs.get("StackId") or pending.stack_id
            for _ in range(SETTLE_POLLS):  # a change set still being made cannot be deleted yet
                if cs.get("Status") not in st.CS_BEING_MADE:
                    break
                self.c.pause(1.0)
                cs = self.find(pending.change_set_id, pending.stack_id or pending.stack_name) or {}
            if cs.get("ExecutionStatus") in st.CS_EXECUTED:
                pending.executed = True
                return removed
            if cs:
                self.c.cfn.delete_change_set(ChangeSetName=pending.change_set_id, StackName=pending.stack_id or pending.stack_name)
                removed.append(f"change set {pending.name}")
        if pending.creating:
            stack = self.c.describe(pending.stack_id or pending.stack_name)
            if stack is not None and stack["StackStatus"] == st.REVIEW_IN_PROGRESS and not self._any_on(stack["StackId"]):
                self.c.cfn.delete_stack(StackName=stack["StackId"], ClientRequestToken=self.c.token("delete"))
                removed.append("its empty REVIEW_IN_PROGRESS stack")
        return removed

    def _any_on(self, stack_id: str) -> bool:
        """Does any change set (another deploy's, waiting for review) still live on this stack?"""
        return any(s.get("StackId") == stack_id for s in self.c.pages("list_change_sets", "Summaries", StackName=stack_id))

    def _validation_failures(self, change_set_id: str) -> str | None:
        """Early-validation failures of a change set, from DescribeEvents where the endpoint offers it."""
        try:
            events = self.c.optional().describe_events(ChangeSetName=change_set_id, Filters={"FailedEvents": True})
        except Exception as exc:
            if aws.is_unsupported(exc) or isinstance(exc, AttributeError):
                return None
            raise
        reasons = []
        for ev in events.get("OperationEvents", []):
            reason = ev.get("ValidationStatusReason") or ev.get("ResourceStatusReason")
            if not reason:
                continue
            where = ev.get("ValidationPath") or ev.get("LogicalResourceId") or ""
            name = ev.get("ValidationName")
            reasons.append(f"{where + ': ' if where else ''}{reason}{f' ({name})' if name else ''}")
        return "; ".join(reasons) or None


def _pending(summary: dict[str, Any]) -> bool:
    return summary.get("Status") in st.CS_BEING_MADE or summary.get("ExecutionStatus") == st.CS_AVAILABLE


def _age_key(summary: dict[str, Any]) -> tuple[str, str]:
    created = summary.get("CreationTime")
    if isinstance(created, dt.datetime):
        created = (created.astimezone(dt.UTC) if created.tzinfo else created).isoformat()
    return str(created or ""), str(summary.get("ChangeSetName", ""))


def older(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Was change set ``a`` made before ``b``? (The younger of two racing deploys gives way.)"""
    return _age_key(a) < _age_key(b)


def describe_other(summary: dict[str, Any]) -> str:
    created = summary.get("CreationTime")
    when = f" (created {created:%H:%M:%S})" if isinstance(created, dt.datetime) else ""
    return f"change set {summary.get('ChangeSetName')}{when}"
