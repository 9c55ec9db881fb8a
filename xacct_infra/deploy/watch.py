"""Following a stack operation: events streamed once each, the root cause of a failure, and
what Ctrl-C does while it runs (first: cancel; second: detach)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from xacct_infra import aws
from xacct_infra.deploy import status as st
from xacct_infra.deploy.calls import Calls
from xacct_infra.deploy.errors import DeployFailed, DeployTimeout, Interrupted
from xacct_infra.deploy.poll import Deadline, delays

Operation = Literal["create", "update", "delete", "wait", "continue-rollback"]
# Follow-on failures that are never the root cause.
FOLLOW_ON = ("Resource creation cancelled", "Resource update cancelled", "Resource deletion cancelled",
             "cancelled", "The following resource(s) failed")


@dataclass
class Ended:
    """How a followed operation ended."""

    stack: dict[str, Any]
    failures: list[dict[str, Any]]
    cancelled: bool = False  # a Ctrl-C asked CloudFormation to cancel (or delete a half-made create)
    interrupted: bool = False  # a Ctrl-C came while it ran (whether or not it could be cancelled)

    @property
    def status(self) -> str:
        return str(self.stack["StackStatus"])


class Watcher:
    def __init__(self, calls: Calls) -> None:
        self.c = calls

    def baseline(self, stack_id: str) -> set[str]:
        events = self.c.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        return {e["EventId"] for e in events}

    def follow(self, name: str, selector: str, stack_id: str, seen: set[str], deadline: Deadline, operation: Operation) -> Ended:
        """Stream events until the stack reaches a terminal status.

        For a create or an update, the first Ctrl-C cancels it (a create is deleted); when
        the operation ends before the cancel takes effect, the caller says so. A second
        Ctrl-C, and the first one for any other operation, detaches: CloudFormation goes on.
        """
        ended = Ended({}, [])
        cancellable = operation in ("create", "update")
        ticks = delays(self.c.rng)
        while True:
            self.c.sleep(next(ticks), deadline)
            stack = self.c.describe(stack_id) or {"StackId": stack_id, "StackName": name, "StackStatus": st.DELETE_COMPLETE}
            for event in self._new_events(stack_id, seen):
                self.c.reporter.event(event)
                if st.is_failure_event(event.get("ResourceStatus", "")):
                    ended.failures.append(event)
            ended.stack = stack
            if st.is_terminal(stack["StackStatus"]):
                break
            count = self.c.interrupted()
            if count:
                ended.interrupted = True
            if count >= 2 or (count and not cancellable):
                raise Interrupted(f"{name}: detached; CloudFormation is still working on it ({stack['StackStatus']}). "
                                  f"Re-attach with: xacct-infra status {selector} --wait")
            if count and not ended.cancelled:
                ended.cancelled = self._cancel(name, stack_id, operation)
            if deadline.expired():
                raise DeployTimeout(f"{name}: still {stack['StackStatus']} after --timeout; CloudFormation keeps going. "
                                    f"Re-attach with: xacct-infra status {selector} --wait")
        ended.interrupted = ended.interrupted or bool(self.c.interrupted())
        return ended

    def _cancel(self, name: str, stack_id: str, operation: Operation) -> bool:
        """Ask CloudFormation to stop. False when it cannot (said in one line); the wait goes on either way."""
        if operation == "update":
            call, what = "CancelUpdateStack", "cancelling the update (CancelUpdateStack)"
        else:
            call, what = "DeleteStack", "deleting the half-created stack"
        self.c.reporter.warning(f"{name}: interrupt: {what}; press Ctrl-C again to detach")
        try:
            if operation == "update":
                self.c.optional().cancel_update_stack(StackName=stack_id, ClientRequestToken=self.c.token("cancel"))
            else:
                self.c.cfn.delete_stack(StackName=stack_id, ClientRequestToken=self.c.token("delete"))
        except Exception as exc:
            if aws.is_unsupported(exc):
                self.c.reporter.warning(f"{name}: this endpoint cannot cancel ({call} is not implemented there); "
                                        f"waiting for the {operation} to end; press Ctrl-C again to detach")
                return True  # asked: the answer is what the final status says
            if aws.error_code(exc) == "ValidationError":  # it ended meanwhile: the next poll shows how
                return True
            raise
        return True

    def _new_events(self, stack_id: str, seen: set[str]) -> list[dict[str, Any]]:
        """Events not yet seen, oldest first. Only the first page: new events are always newest."""
        try:
            events = self.c.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        except Exception as exc:
            if "does not exist" in aws.error_message(exc):
                return []
            raise
        fresh = [e for e in events if e["EventId"] not in seen]
        seen.update(e["EventId"] for e in fresh)
        return list(reversed(fresh))

    def judge(self, name: str, ended: Ended, operation: Operation) -> None:
        """Raise DeployFailed unless the operation succeeded, naming the root cause."""
        status = ended.status
        if status == st.SUCCESS.get(operation):
            return
        cause = root_cause(ended.failures) or ended.stack.get("StackStatusReason") or "no failure event was reported"
        if operation == "create" and status == st.DELETE_COMPLETE:
            status = "DELETE_COMPLETE (the failed create was removed: OnStackFailure=DELETE)"
        raise DeployFailed(f"{name}: {operation} failed: {cause}; final status {status}")

    def root_cause_suffix(self, stack_id: str) -> str:
        events = self.c.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        cause = root_cause([e for e in reversed(events) if st.is_failure_event(e.get("ResourceStatus", ""))])
        return f" ({cause})" if cause else ""


def root_cause(failures: list[dict[str, Any]]) -> str | None:
    """The first *_FAILED event that is not a follow-on of another failure."""
    for event in failures:
        reason = str(event.get("ResourceStatusReason", ""))
        if any(reason.startswith(p) for p in FOLLOW_ON):
            continue
        return f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}) {event.get('ResourceStatus')}: {reason or 'no reason given'}"
    return None
