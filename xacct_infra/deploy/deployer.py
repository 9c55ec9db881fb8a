"""A compact change-set deployer with the CloudFormation client injected.

Every deploy goes through a change set (so ``--plan`` shows exactly what would run), and
never leaves one behind: empty, declined, planned and failed change sets are deleted.
Comments explain CloudFormation's quirks; see RESEARCH.md section 3 for the peers'.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from xacct_infra.deploy import plan as plan_mod
from xacct_infra.deploy import status as st
from xacct_infra.deploy.artifacts import TemplateStore, check_size, needs_upload
from xacct_infra.deploy.poll import Clock, Deadline, SystemClock, delays
from xacct_infra.deploy.report import NullReporter, Reporter
from xacct_infra.errors import ExitCode, XacctError

log = logging.getLogger(__name__)

OWNER_TAG = "xacct-infra:stack"
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]  # role and instance profile names are set in the templates
# Phrases CloudFormation uses for an empty change set / no-op update.
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
# Follow-on failures that are never the root cause.
_FOLLOW_ON = ("Resource creation cancelled", "Resource update cancelled", "Resource deletion cancelled",
              "cancelled", "The following resource(s) failed")


class DeployFailed(XacctError):
    exit_code = ExitCode.FAILED


class DeployTimeout(DeployFailed):
    pass


class StackUnusable(DeployFailed):
    pass


class Interrupted(XacctError):
    exit_code = ExitCode.INTERRUPTED


class Declined(XacctError):
    exit_code = ExitCode.FAILED


@dataclass(frozen=True)
class StackSpec:
    """What should be deployed: one side's stack, fully rendered in memory."""

    side: str  # "account_a" | "account_b": used in messages and the ownership tag
    account_id: str
    stack_name: str
    template_body: str
    tags: tuple[tuple[str, str], ...] = ()
    termination_protection: bool = True
    consumer: str = ""  # set when the config has several consumers: commands in messages name it

    @property
    def selector(self) -> str:
        """The flags that pick this stack on the command line (for the commands messages suggest)."""
        flag = f"--{self.side.replace('_', '-')}"
        return f"{flag} --consumer {self.consumer}" if self.consumer else flag

    @property
    def owner_tag(self) -> tuple[str, str]:
        return OWNER_TAG, f"{self.side}:{self.account_id}:{self.stack_name}"

    @property
    def all_tags(self) -> list[dict[str, str]]:
        tags = dict(self.tags)
        key, value = self.owner_tag
        tags[key] = value
        return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


@dataclass(frozen=True)
class DeployOptions:
    plan_only: bool = False
    confirm: Callable[[str], bool] | None = None  # None: never prompt (non-interactive or --yes)
    timeout: float | None = None
    continue_rollback: bool = False
    adopt: bool = False  # take over a stack of that name that xacct-infra did not create


@dataclass
class DeployResult:
    stack_name: str
    outcome: Literal["created", "updated", "no-changes", "planned"]
    outputs: dict[str, str] | None = None
    stack_status: str | None = None
    changes: list[plan_mod.ResourceChange] = field(default_factory=list)


class Deployer:
    def __init__(self, cfn: Any, *, clock: Clock | None = None, reporter: Reporter | None = None,
                 rng: random.Random | None = None, new_id: Callable[[], str] | None = None,
                 optional_cfn: Callable[[], Any] | None = None,
                 template_store: Callable[[], TemplateStore] | None = None) -> None:
        """``cfn`` is a boto3 CloudFormation client (or a fake with the same methods).

        ``optional_cfn`` makes the client for calls some endpoints do not implement
        (termination protection): one with few retries, so an emulator's HTTP 500 costs no
        backoff. Built only when needed.
        """
        self.cfn = cfn
        self._optional_cfn = optional_cfn
        self._template_store = template_store
        self.clock = clock or SystemClock()
        self.reporter = reporter or NullReporter()
        self.rng = rng or random.Random()
        self.new_id = new_id or (lambda: uuid.uuid4().hex[:16])

    # ------------------------------------------------------------------ public

    def deploy(self, spec: StackSpec, opts: DeployOptions = DeployOptions()) -> DeployResult:
        deadline = Deadline(self.clock, opts.timeout)
        stack = self.describe(spec.stack_name)
        stack = self._make_usable(spec, stack, opts, deadline)

        if stack is not None and self._matches(spec, stack):
            if not opts.plan_only:
                self._ensure_termination_protection(spec, stack)
            self.reporter.info(f"{spec.stack_name}: no changes")
            return DeployResult(spec.stack_name, "no-changes", _outputs(stack), stack["StackStatus"])

        creating = stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS"
        change_set = self._create_change_set(spec, creating, deadline)
        if change_set is None:
            self.reporter.info(f"{spec.stack_name}: no changes")
            current = self.describe(spec.stack_name)
            if current is not None and not opts.plan_only and not creating:
                self._ensure_termination_protection(spec, current)
            return DeployResult(spec.stack_name, "no-changes", _outputs(current) if current else None,
                                current["StackStatus"] if current else None)

        changes = plan_mod.resource_changes(change_set)
        try:
            old = plan_mod.parse_template(None if creating else self._deployed_template(spec.stack_name))
            added, removed = plan_mod.iam_diff(old, plan_mod.parse_template(spec.template_body))
            self.reporter.plan(spec.stack_name, changes, added, removed)
            if opts.plan_only:
                self._delete_change_set(spec, change_set, creating)
                return DeployResult(spec.stack_name, "planned", changes=changes)
            if opts.confirm is not None and not opts.confirm(f"Deploy these changes to {spec.stack_name} in {spec.account_id}?"):
                self._delete_change_set(spec, change_set, creating)
                raise Declined(f"{spec.stack_name}: not deployed (declined); the change set was deleted")
            since = self._event_baseline(change_set["StackId"])
        except Declined:
            raise
        except BaseException:  # Ctrl-C at the prompt, an AWS error...: never leave the change set behind
            self._discard(spec, change_set, creating)
            raise

        token = f"xacct-exec-{self.new_id()}"
        self.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=change_set["StackId"],
                                    ClientRequestToken=token)
        final = self._wait(spec, change_set["StackId"], since, deadline, operation="create" if creating else "update")
        if creating:
            self._ensure_termination_protection(spec, final)
        return DeployResult(spec.stack_name, "created" if creating else "updated", _outputs(final), final["StackStatus"],
                            changes)

    def describe(self, stack_name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            stacks = self.cfn.describe_stacks(StackName=stack_name)["Stacks"]
        except ClientError as exc:
            if _code(exc) == "ValidationError" and "does not exist" in _message(exc):
                return None
            raise
        return stacks[0] if stacks else None

    def destroy(self, spec: StackSpec, *, force: bool = False, timeout: float | None = None) -> str:
        stack = self.describe(spec.stack_name)
        if stack is None:
            self.reporter.info(f"{spec.stack_name}: does not exist; nothing to delete")
            return "absent"
        if not self._owned(spec, stack) and not force:
            raise StackUnusable(f"{spec.stack_name}: not created by xacct-infra for this config (no {OWNER_TAG}={spec.owner_tag[1]} tag); "
                                "refusing to delete it; pass --force if you are sure")
        if stack.get("EnableTerminationProtection"):
            if not force:
                raise DeployFailed(f"{spec.stack_name}: termination protection is on; pass --force to turn it off and delete")
            self.cfn.update_termination_protection(StackName=spec.stack_name, EnableTerminationProtection=False)
        since = self._event_baseline(stack["StackId"])
        self.cfn.delete_stack(StackName=stack["StackId"], ClientRequestToken=f"xacct-delete-{self.new_id()}")
        final = self._wait(spec, stack["StackId"], since, Deadline(self.clock, timeout), operation="delete")
        return str(final["StackStatus"])

    # ------------------------------------------------------------------ no-op detection

    def _matches(self, spec: StackSpec, stack: dict[str, Any]) -> bool:
        """True if template and tags already match: then no change set is created at all.

        Termination protection is not part of a change set; it is reconciled separately.
        """
        if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"):
            return False
        if stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE":
            return False  # the last update failed: deploy again rather than claim success
        tags = sorted((t["Key"], t["Value"]) for t in stack.get("Tags", []))
        if tags != sorted((t["Key"], t["Value"]) for t in spec.all_tags):
            return False
        if stack.get("Parameters"):
            return False
        return self.template_matches(spec)

    def template_matches(self, spec: StackSpec) -> bool:
        """Is the deployed template exactly the one rendered from the config?"""
        deployed = self._deployed_template(spec.stack_name)
        if isinstance(deployed, dict):  # botocore parses JSON bodies
            try:
                return bool(deployed == json.loads(spec.template_body))
            except ValueError:
                return False
        return bool(deployed == spec.template_body)

    def follow(self, spec: StackSpec, stack: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Stream a running operation's events until it ends (``status --wait``)."""
        return self._wait(spec, stack["StackId"], self._event_baseline(stack["StackId"]), Deadline(self.clock, timeout),
                          operation="wait", judge=False)

    def _deployed_template(self, stack_name: str) -> Any:
        return self.cfn.get_template(StackName=stack_name, TemplateStage="Original").get("TemplateBody")

    def _ensure_termination_protection(self, spec: StackSpec, stack: dict[str, Any]) -> None:
        want = spec.termination_protection
        if bool(stack.get("EnableTerminationProtection")) == want:
            return
        from botocore.exceptions import ClientError
        from botocore.parsers import ResponseParserError

        try:
            client = self._optional_cfn() if self._optional_cfn else self.cfn
            client.update_termination_protection(StackName=spec.stack_name, EnableTerminationProtection=want)
        except (ResponseParserError, ClientError) as exc:
            if isinstance(exc, ClientError) and _code(exc) not in ("NotImplemented", "InternalFailure", "InvalidAction"):
                raise
            self.reporter.warning(f"{spec.stack_name}: this endpoint does not support termination protection "
                                  f"({type(exc).__name__}); the stack is not protected")
            return
        self.reporter.info(f"{spec.stack_name}: termination protection {'on' if want else 'off'}")

    # ------------------------------------------------------------------ dead and busy stacks

    def _owned(self, spec: StackSpec, stack: dict[str, Any]) -> bool:
        key, value = spec.owner_tag
        return any(t["Key"] == key and t["Value"] == value for t in stack.get("Tags", []))

    def _make_usable(self, spec: StackSpec, stack: dict[str, Any] | None, opts: DeployOptions,
                     deadline: Deadline) -> dict[str, Any] | None:
        if stack is None:
            return None
        status = stack["StackStatus"]
        if st.is_in_progress(status):
            # Someone else's operation (or ours, detached): wait for it, then deploy.
            self.reporter.info(f"{spec.stack_name}: {status}; waiting for the running operation to finish")
            stack = self._wait(spec, stack["StackId"], self._event_baseline(stack["StackId"]), deadline,
                               operation="wait", judge=False)
            status = stack["StackStatus"]
        if status == "UPDATE_ROLLBACK_FAILED":
            if not opts.continue_rollback:
                raise StackUnusable(
                    f"{spec.stack_name}: UPDATE_ROLLBACK_FAILED: a resource could not be rolled back"
                    f"{self._root_cause_suffix(stack['StackId'])}; fix it, then run: "
                    f"xacct-infra deploy {spec.selector} --continue-rollback")
            self.cfn.continue_update_rollback(StackName=stack["StackId"], ClientRequestToken=f"xacct-continue-{self.new_id()}")
            stack = self._wait(spec, stack["StackId"], self._event_baseline(stack["StackId"]), deadline,
                               operation="continue-rollback", judge=False)
            status = stack["StackStatus"]
        empty_review = status == "REVIEW_IN_PROGRESS" and not self._has_resources(stack["StackId"])
        if status in st.DEAD or (status == "REVIEW_IN_PROGRESS" and not empty_review) or status == "DELETE_FAILED":
            why = {"ROLLBACK_COMPLETE": "its creation failed and was rolled back",
                   "ROLLBACK_FAILED": "its creation failed and the rollback failed too",
                   "CREATE_FAILED": "its creation failed",
                   "DELETE_FAILED": "a previous delete failed"}.get(status, "it is waiting for review")
            if status == "DELETE_FAILED":
                raise StackUnusable(
                    f"{spec.stack_name}: DELETE_FAILED: {why}{self._root_cause_suffix(stack['StackId'])}; fix what blocked it, "
                    f"then remove it with: aws cloudformation delete-stack --stack-name {spec.stack_name} --region <region>")
            if not self._owned(spec, stack):
                raise StackUnusable(
                    f"{spec.stack_name}: {status}: {why}, so it cannot be updated; it does not carry xacct-infra's "
                    f"{OWNER_TAG}={spec.owner_tag[1]} tag, so it is left alone; remove it with: "
                    f"aws cloudformation delete-stack --stack-name {spec.stack_name} --region <region>")
            self.reporter.warning(f"{spec.stack_name}: {status}: {why}; deleting it (it carries our ownership tag) and creating it again")
            self._delete_dead(spec, stack, deadline)
            return None
        if status == "REVIEW_IN_PROGRESS" and self._owned(spec, stack):
            return stack  # an empty stack left by a change set we created: CREATE again
        if status == "REVIEW_IN_PROGRESS":
            raise StackUnusable(f"{spec.stack_name}: REVIEW_IN_PROGRESS and not created by xacct-infra; remove it with: "
                                f"aws cloudformation delete-stack --stack-name {spec.stack_name}")
        if status == "DELETE_COMPLETE":
            return None
        if not self._owned(spec, stack) and not opts.adopt:
            raise StackUnusable(
                f"{spec.stack_name}: a stack of that name exists ({status}) but was not created by xacct-infra for this config "
                f"(no {OWNER_TAG}={spec.owner_tag[1]} tag); deploying would replace its template. Pass --adopt to take it over, "
                "or set another stack_name in the config")
        return stack

    def _has_resources(self, stack_id: str) -> bool:
        resources = self.cfn.describe_stack_resources(StackName=stack_id).get("StackResources", [])
        return bool(resources)

    def _delete_dead(self, spec: StackSpec, stack: dict[str, Any], deadline: Deadline) -> None:
        since = self._event_baseline(stack["StackId"])
        self.cfn.delete_stack(StackName=stack["StackId"], ClientRequestToken=f"xacct-delete-{self.new_id()}")
        self._wait(spec, stack["StackId"], since, deadline, operation="delete")

    # ------------------------------------------------------------------ change sets

    def _create_change_set(self, spec: StackSpec, creating: bool, deadline: Deadline) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        name = f"xacct-infra-{self.new_id()}"
        kwargs: dict[str, Any] = dict(
            StackName=spec.stack_name, ChangeSetName=name, ChangeSetType="CREATE" if creating else "UPDATE",
            Capabilities=CAPABILITIES, Tags=spec.all_tags,
            ClientToken=f"xacct-cs-{self.new_id()}", Description=f"xacct-infra deploy of {spec.side}")
        kwargs.update(self._template_argument(spec))
        if creating:
            # A failed first create deletes the stack instead of leaving a dead ROLLBACK_COMPLETE one.
            kwargs["OnStackFailure"] = "DELETE"
        try:
            created = self.cfn.create_change_set(**kwargs)
        except ClientError as exc:
            if _code(exc) == "ValidationError" and any(p in _message(exc) for p in _NO_CHANGES):
                return None
            raise
        cs_id = created["Id"]
        try:
            for delay in delays(self.rng):
                if delay:
                    self.clock.sleep(deadline.clamp(delay))
                cs = self.cfn.describe_change_set(ChangeSetName=cs_id, StackName=created["StackId"])
                if cs["Status"] in ("CREATE_COMPLETE", "FAILED"):
                    break
                if deadline.expired():
                    raise DeployTimeout(f"{spec.stack_name}: the change set was not ready before --timeout; it was deleted")
        except BaseException:  # timeout, Ctrl-C, an AWS error: the change set must not stay behind
            self._discard(spec, {"ChangeSetId": cs_id, "StackId": created["StackId"]}, creating)
            raise
        # Changes are paginated; collect them all so the plan is complete.
        changes = list(cs.get("Changes", []))
        next_token = cs.get("NextToken")
        while next_token:
            more = self.cfn.describe_change_set(ChangeSetName=cs_id, StackName=created["StackId"], NextToken=next_token)
            changes += more.get("Changes", [])
            next_token = more.get("NextToken")
        cs = {**cs, "Changes": changes, "ChangeSetId": cs_id, "StackId": created["StackId"]}
        if cs["Status"] == "FAILED":
            reason = str(cs.get("StatusReason", ""))
            if any(p in reason for p in _NO_CHANGES):
                self._delete_change_set(spec, cs, creating)
                return None
            details = self._validation_failures(cs_id)
            self._delete_change_set(spec, cs, creating)
            raise DeployFailed(f"{spec.stack_name}: change set failed: {details or reason or 'no reason given'}")
        return cs

    def _validation_failures(self, change_set_id: str) -> str | None:
        """Early-validation failures of a change set, from DescribeEvents where the endpoint offers it."""
        from botocore.exceptions import ClientError
        from botocore.parsers import ResponseParserError

        try:
            events = self.cfn.describe_events(ChangeSetName=change_set_id, Filters={"FailedEvents": True}).get("OperationEvents", [])
        except (ClientError, ResponseParserError, AttributeError) as exc:
            log.debug("DescribeEvents unavailable: %s", exc)
            return None
        reasons = []
        for ev in events:
            reason = ev.get("ValidationStatusReason") or ev.get("ResourceStatusReason")
            if not reason:
                continue
            where = ev.get("ValidationPath") or ev.get("LogicalResourceId") or ""
            name = ev.get("ValidationName")
            reasons.append(f"{where + ': ' if where else ''}{reason}{f' ({name})' if name else ''}")
        return "; ".join(reasons) or None

    def _template_argument(self, spec: StackSpec) -> dict[str, str]:
        """TemplateBody, or TemplateURL after an upload when the body is over 51,200 bytes."""
        if not needs_upload(spec.template_body):
            return {"TemplateBody": spec.template_body}
        if self._template_store is None:
            check_size(spec.template_body, spec.side, None)  # raises: no bucket configured
        store = self._template_store()  # type: ignore[misc]
        url, uploaded = store.put(spec.stack_name, spec.template_body)
        self.reporter.info(f"{spec.stack_name}: template is {len(spec.template_body.encode()):,} bytes; "
                           f"{'uploaded to' if uploaded else 'already in'} {url}")
        return {"TemplateURL": url}

    def _discard(self, spec: StackSpec, cs: dict[str, Any], creating: bool) -> None:
        """Best-effort cleanup while another error is on its way out (a second Ctrl-C stops it)."""
        try:
            self._delete_change_set(spec, cs, creating)
        except Exception as exc:
            self.reporter.warning(f"{spec.stack_name}: could not delete change set {cs['ChangeSetId']}: {exc}")

    def _delete_change_set(self, spec: StackSpec, cs: dict[str, Any], creating: bool) -> None:
        self.cfn.delete_change_set(ChangeSetName=cs["ChangeSetId"], StackName=cs["StackId"])
        if creating:
            # A CREATE change set leaves an empty REVIEW_IN_PROGRESS stack behind: remove it too.
            stack = self.describe(cs["StackId"])
            if stack is not None and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
                self.cfn.delete_stack(StackName=cs["StackId"], ClientRequestToken=f"xacct-delete-{self.new_id()}")

    # ------------------------------------------------------------------ waiting and events

    def _event_baseline(self, stack_id: str) -> set[str]:
        events = self.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        return {e["EventId"] for e in events}

    def _new_events(self, stack_id: str, seen: set[str]) -> list[dict[str, Any]]:
        """Events not yet seen, oldest first. Only the first page: new events are always newest."""
        from botocore.exceptions import ClientError

        try:
            events = self.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        except ClientError as exc:
            if "does not exist" in _message(exc):
                return []
            raise
        fresh = [e for e in events if e["EventId"] not in seen]
        seen.update(e["EventId"] for e in fresh)
        return list(reversed(fresh))

    def _wait(self, spec: StackSpec, stack_id: str, seen: set[str], deadline: Deadline, *, operation: str,
              judge: bool = True) -> dict[str, Any]:
        """Stream events until the stack reaches a terminal status. Ctrl-C once cancels, twice detaches."""
        failures: list[dict[str, Any]] = []
        cancelled = False
        ticks = delays(self.rng)
        while True:
            try:
                delay = next(ticks)
                if delay:
                    self.clock.sleep(deadline.clamp(delay))
                stack = self.describe(stack_id)
                for event in self._new_events(stack_id, seen):
                    self.reporter.event(event)
                    if st.is_failure_event(event.get("ResourceStatus", "")):
                        failures.append(event)
                if stack is None:  # deleted (a create that failed with OnStackFailure=DELETE, or a delete)
                    stack = {"StackId": stack_id, "StackName": spec.stack_name, "StackStatus": "DELETE_COMPLETE"}
                status = stack["StackStatus"]
                if st.is_terminal(status):
                    break
                if deadline.expired():
                    raise DeployTimeout(
                        f"{spec.stack_name}: still {status} after --timeout; CloudFormation keeps going. "
                        f"Re-attach with: xacct-infra status {spec.selector} --wait")
            except KeyboardInterrupt:
                detach = Interrupted(f"{spec.stack_name}: detached; CloudFormation is still working on it. "
                                     f"Re-attach with: xacct-infra status {spec.selector} --wait")
                if cancelled or operation not in ("create", "update"):
                    raise detach from None
                cancelled = True
                try:
                    self._cancel(spec, stack_id, operation)
                except KeyboardInterrupt:  # the second Ctrl-C came while we were cancelling
                    raise detach from None
        if cancelled:
            raise Interrupted(f"{spec.stack_name}: interrupted; the {operation} was cancelled and the stack is now {status}")
        if judge:
            self._judge(spec, stack, failures, operation)
        return stack

    def _cancel(self, spec: StackSpec, stack_id: str, operation: str) -> None:
        if operation == "update":
            self.reporter.warning(f"{spec.stack_name}: interrupt: cancelling the update (CancelUpdateStack); "
                                  "press Ctrl-C again to detach")
            self.cfn.cancel_update_stack(StackName=stack_id, ClientRequestToken=f"xacct-cancel-{self.new_id()}")
        else:
            self.reporter.warning(f"{spec.stack_name}: interrupt: deleting the half-created stack; press Ctrl-C again to detach")
            self.cfn.delete_stack(StackName=stack_id, ClientRequestToken=f"xacct-delete-{self.new_id()}")

    def _judge(self, spec: StackSpec, stack: dict[str, Any], failures: list[dict[str, Any]], operation: str) -> None:
        status = stack["StackStatus"]
        ok = {"create": {"CREATE_COMPLETE"}, "update": {"UPDATE_COMPLETE"}, "delete": {"DELETE_COMPLETE"}}[operation]
        if status in ok:
            return
        cause = _root_cause(failures) or stack.get("StackStatusReason") or "no failure event was reported"
        if operation == "create" and status == "DELETE_COMPLETE":
            status = "DELETE_COMPLETE (the failed create was removed: OnStackFailure=DELETE)"
        raise DeployFailed(f"{spec.stack_name}: {operation} failed: {cause}; final status {status}")

    def _root_cause_suffix(self, stack_id: str) -> str:
        events = self.cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
        cause = _root_cause([e for e in reversed(events) if st.is_failure_event(e.get("ResourceStatus", ""))])
        return f" ({cause})" if cause else ""


def _root_cause(failures: list[dict[str, Any]]) -> str | None:
    """The first *_FAILED event that is not a follow-on of another failure."""
    for event in failures:
        reason = str(event.get("ResourceStatusReason", ""))
        if any(reason.startswith(p) for p in _FOLLOW_ON):
            continue
        return f"{event.get('LogicalResourceId')} ({event.get('ResourceType')}) {event.get('ResourceStatus')}: {reason or 'no reason given'}"
    return None


def _outputs(stack: dict[str, Any]) -> dict[str, str] | None:
    if "Outputs" not in stack or stack["Outputs"] is None:
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


__all__ = ["DeployFailed", "DeployOptions", "DeployResult", "Deployer", "StackSpec"]
