"""A compact change-set deployer with the CloudFormation client injected.

Every deploy goes through a change set (so ``--plan`` shows exactly what would run), and
never leaves one behind: empty, declined, planned, failed and interrupted change sets are
deleted. Ctrl-C is data (see interrupts.py): after one, the deployer finds out what really
happened and undoes it (before execution) or cancels (after). The rule: Interrupted (exit
130) means the stack is as it was before; a change that completed before the interrupt
could take effect is reported as such (exit 0). Two deploys of one stack: the younger gives
way, removes its change set, waits for the other and reports "no changes" or names it.
Comments explain CloudFormation's quirks; see RESEARCH.md section 3 for the peers'.
"""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections.abc import Callable
from typing import Any, Literal

from xacct_infra import aws
from xacct_infra.deploy import plan as plan_mod
from xacct_infra.deploy import status as st
from xacct_infra.deploy.artifacts import TemplateStore
from xacct_infra.deploy.calls import Calls
from xacct_infra.deploy.changesets import PREFIX, ChangeSets, Pending
from xacct_infra.deploy.errors import Declined, DeployFailed, DeployTimeout, Interrupted, OtherDeploy, StackUnusable, Stop
from xacct_infra.deploy.interrupts import Interrupts
from xacct_infra.deploy.poll import Clock, Deadline, SystemClock
from xacct_infra.deploy.race import Races
from xacct_infra.deploy.report import NullReporter, Reporter
from xacct_infra.deploy.spec import CAPABILITIES, OWNER_TAG, DeployOptions, DeployResult, StackReport, StackSpec, outputs
from xacct_infra.deploy.watch import Ended, Watcher


class Deployer:
    def __init__(self, cfn: Any, *, clock: Clock | None = None, reporter: Reporter | None = None,
                 rng: random.Random | None = None, new_id: Callable[[], str] | None = None,
                 optional_cfn: Callable[[], Any] | None = None,
                 template_store: Callable[[], TemplateStore] | None = None,
                 interrupts: Interrupts | None = None, account_check: Callable[[], object] | None = None) -> None:
        """``cfn`` is a boto3 CloudFormation client (or a fake with the same methods).

        ``optional_cfn`` makes the client for calls some endpoints do not implement
        (termination protection, CancelUpdateStack): one with few retries, so an emulator's
        HTTP 500 costs no backoff. ``account_check`` proves the credentials are for the
        stack's account (raises otherwise); it is skipped when the stack's own id proves it.
        """
        self.c = Calls(cfn, clock or SystemClock(), reporter or NullReporter(), rng or random.Random(),
                       new_id or (lambda: uuid.uuid4().hex[:16]), Interrupts() if interrupts is None else interrupts, optional_cfn)
        self.changesets = ChangeSets(self.c)
        self.watch = Watcher(self.c)
        self.races = Races(self.c, self.changesets, self._matches)
        self._template_store = template_store
        self._account_check = account_check
        self._unsupported: list[str] = []  # what the endpoint lacks, found during one deploy

    @property
    def cfn(self) -> Any:
        return self.c.cfn

    @property
    def reporter(self) -> Reporter:
        return self.c.reporter

    # ------------------------------------------------------------------ public

    def deploy(self, spec: StackSpec, opts: DeployOptions | None = None) -> DeployResult:
        opts = opts or DeployOptions()
        self.c.start()
        self._unsupported = []
        deadline = Deadline(self.c.clock, opts.timeout)
        try:
            result = self._deploy(spec, opts, deadline)
        except OtherDeploy as other:
            result = self.races.after(spec, other, deadline)
        # Said by the caller once per endpoint for all its stacks, not once per stack (see cli/deploy.py).
        return dataclasses.replace(result, unsupported=tuple(self._unsupported)) if self._unsupported else result

    def describe(self, stack_name: str) -> dict[str, Any] | None:
        return self.c.describe(stack_name)

    def status(self, spec: StackSpec, *, wait: bool = False, events: int = 5) -> StackReport:
        self.c.start()
        stack = self.c.describe(spec.stack_name)
        self._prove_account(spec, stack)
        if stack is not None and wait and st.is_in_progress(stack["StackStatus"]):
            stack = self.follow(spec, stack)
        if stack is None:
            return StackReport(spec.stack_name, None)
        recent = list(self.c.pages("describe_stack_events", "StackEvents", StackName=stack["StackId"],
                                   PaginationConfig={"MaxItems": events})) if events else []
        return StackReport(spec.stack_name, stack["StackStatus"], self.template_matches(spec),
                           bool(stack.get("EnableTerminationProtection")), stack.get("StackStatusReason"), recent[:events])

    def destroy(self, spec: StackSpec, *, force: bool = False, timeout: float | None = None) -> str:
        self.c.start()
        stack = self.c.describe(spec.stack_name)
        self._prove_account(spec, stack)
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
        since = self.watch.baseline(stack["StackId"])
        self.cfn.delete_stack(StackName=stack["StackId"], ClientRequestToken=self.c.token("delete"))
        ended = self.watch.follow(spec.stack_name, spec.selector, stack["StackId"], since, Deadline(self.c.clock, timeout), "delete")
        return ended.status

    def follow(self, spec: StackSpec, stack: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Stream a running operation's events until it ends (``status --wait``)."""
        return self.watch.follow(spec.stack_name, spec.selector, stack["StackId"], self.watch.baseline(stack["StackId"]),
                                 Deadline(self.c.clock, timeout), "wait").stack

    def template_matches(self, spec: StackSpec) -> bool:
        """Is the deployed template exactly the one rendered from the config?"""
        deployed = self.cfn.get_template(StackName=spec.stack_name, TemplateStage="Original").get("TemplateBody")
        if isinstance(deployed, dict):  # botocore parses JSON bodies
            try:
                return bool(deployed == json.loads(spec.template_body))
            except ValueError:
                return False
        return bool(deployed == spec.template_body)

    # ------------------------------------------------------------------ one deploy

    def _deploy(self, spec: StackSpec, opts: DeployOptions, deadline: Deadline) -> DeployResult:
        name = spec.stack_name
        pending: Pending | None = None
        try:
            stack = self.c.describe(name)
            self._prove_account(spec, stack)
            self.c.check()
            stack = self._make_usable(spec, stack, opts, deadline)
            if stack is not None and self._matches(spec, stack):
                if not opts.plan_only:
                    self._ensure_termination_protection(spec, stack)
                self.reporter.info(f"{name}: no changes")
                return DeployResult(name, "no-changes", outputs(stack), stack["StackStatus"])
            creating = stack is None or stack["StackStatus"] == st.REVIEW_IN_PROGRESS
            self.c.check()
            pending = Pending(f"{PREFIX}{self.c.new_id()}", name, creating)
            cs = self.changesets.create(pending, self._change_set_arguments(spec, creating), deadline)
            if cs is None:
                return self._no_changes(spec, opts, creating)
            changes = plan_mod.resource_changes(cs)
            old = plan_mod.parse_template(None if creating else self._deployed_template(name))
            added, removed = plan_mod.iam_diff(old, plan_mod.parse_template(spec.template_body))
            self.reporter.plan(name, changes, added, removed)
            if opts.plan_only:
                self.changesets.undo(pending)
                return DeployResult(name, "planned", changes=changes)
            self.c.check()
            if opts.confirm is not None and not opts.confirm(f"Deploy these changes to {name} in {spec.account_id}?"):
                self.changesets.undo(pending)
                raise Declined(f"{name}: not deployed (declined); the change set was deleted")
            since = self.watch.baseline(cs["StackId"])
            self.races.check(spec, stack, pending, cs)
            self.c.check()
        except (Stop, KeyboardInterrupt):
            if not self.c.interrupted():  # a KeyboardInterrupt that no handler counted (library use, scripted clocks)
                self.c.interrupts.interrupt()
            undone = self.changesets.undo(pending) if pending else []
            what = f" ({' and '.join(undone)} deleted)" if undone else ""
            raise Interrupted(f"{name}: interrupted before anything was deployed{what}; the stack is as it was") from None
        except (OtherDeploy, Declined):
            if pending:
                self.changesets.undo(pending)
            raise
        except BaseException:  # an AWS error, a timeout...: never leave the change set behind
            if pending:
                self._discard(pending)
            raise
        return self._execute(spec, stack, pending, cs, since, changes, deadline)

    def _execute(self, spec: StackSpec, before: dict[str, Any] | None, pending: Pending, cs: dict[str, Any],
                 since: set[str], changes: list[plan_mod.ResourceChange], deadline: Deadline) -> DeployResult:
        operation: Literal["create", "update"] = "create" if pending.creating else "update"
        try:
            self.cfn.execute_change_set(ChangeSetName=cs["ChangeSetId"], StackName=cs["StackId"],
                                        ClientRequestToken=self.c.token("exec"))
        except Exception as exc:
            if not aws.is_aws_error(exc):
                raise
            self._execute_failed(spec, before, pending, cs, exc)  # raises unless it did start after all
        ended = self.watch.follow(spec.stack_name, spec.selector, cs["StackId"], since, deadline, operation)
        note = self._after_interrupt(spec, ended, operation)
        self.watch.judge(spec.stack_name, ended, operation)
        if pending.creating:
            self._ensure_termination_protection(spec, ended.stack)
        if note is None and self.c.interrupted():  # the interrupt came during the last calls
            note = self._too_late(spec, operation)
        return DeployResult(spec.stack_name, "created" if pending.creating else "updated", outputs(ended.stack), ended.status,
                            changes, note)

    def _after_interrupt(self, spec: StackSpec, ended: Ended, operation: str) -> str | None:
        """After a Ctrl-C during or after ExecuteChangeSet: say truthfully how it ended."""
        if not ended.interrupted:
            return None
        name = spec.stack_name
        if ended.status == st.SUCCESS[operation]:
            return self._too_late(spec, operation)
        if operation == "create" and ended.status == st.DELETE_COMPLETE:
            raise Interrupted(f"{name}: interrupted; the create was cancelled and the stack deleted; nothing is left")
        if operation == "update" and ended.status == st.UPDATE_ROLLBACK_COMPLETE:
            raise Interrupted(f"{name}: interrupted; the update was cancelled and the stack is now UPDATE_ROLLBACK_COMPLETE "
                              "(the previous template is live)")
        return None  # anything else is a failure, and judged as one

    def _too_late(self, spec: StackSpec, operation: str) -> str:
        note = f"{spec.stack_name}: the {operation} completed; the interrupt came too late to stop it"
        self.reporter.warning(note)
        return note

    def _execute_failed(self, spec: StackSpec, before: dict[str, Any] | None, pending: Pending, cs: dict[str, Any],
                        exc: Exception) -> None:
        """ExecuteChangeSet raised: another deploy got there first, or a real error. Clean up, then explain."""
        raced = self.races.raced(spec, before, pending, cs)
        undone = self.changesets.undo(pending)
        if pending.executed:  # the execution started after all (the answer was lost): follow it
            return
        if raced is not None:
            raise raced from None
        if self.c.interrupted():
            raise Interrupted(f"{spec.stack_name}: interrupted; ExecuteChangeSet failed ({aws.error_code(exc) or type(exc).__name__}), "
                              "so nothing was deployed; the stack is as it was") from None
        what = f"; {' and '.join(undone)} deleted" if undone else ""
        raise DeployFailed(f"{spec.stack_name}: ExecuteChangeSet failed: {aws.error_code(exc) or type(exc).__name__}: "
                           f"{aws.error_message(exc) or exc}{what}") from None

    def _no_changes(self, spec: StackSpec, opts: DeployOptions, creating: bool) -> DeployResult:
        self.reporter.info(f"{spec.stack_name}: no changes")
        current = self.c.describe(spec.stack_name)
        if current is not None and not opts.plan_only and not creating:
            self._ensure_termination_protection(spec, current)
        return DeployResult(spec.stack_name, "no-changes", outputs(current) if current else None,
                            current["StackStatus"] if current else None)

    # ------------------------------------------------------------------ no-op detection

    def _matches(self, spec: StackSpec, stack: dict[str, Any]) -> bool:
        """True if template and tags already match: then no change set is created at all.

        Termination protection is not part of a change set; it is reconciled separately.
        UPDATE_ROLLBACK_COMPLETE never matches: the last update failed, so deploy again
        rather than claim success.
        """
        if stack["StackStatus"] not in st.STABLE or stack["StackStatus"] == st.UPDATE_ROLLBACK_COMPLETE:
            return False
        tags = sorted((t["Key"], t["Value"]) for t in stack.get("Tags", []))
        if tags != sorted((t["Key"], t["Value"]) for t in spec.all_tags):
            return False
        if stack.get("Parameters"):
            return False
        return self.template_matches(spec)

    def _deployed_template(self, stack_name: str) -> Any:
        return self.cfn.get_template(StackName=stack_name, TemplateStage="Original").get("TemplateBody")

    def _ensure_termination_protection(self, spec: StackSpec, stack: dict[str, Any]) -> None:
        want = spec.termination_protection
        if bool(stack.get("EnableTerminationProtection")) == want:
            return
        try:
            self.c.optional().update_termination_protection(StackName=spec.stack_name, EnableTerminationProtection=want)
        except Exception as exc:
            if not aws.is_unsupported(exc):
                raise
            self._unsupported.append(f"termination protection ({type(exc).__name__})")
            return
        self.reporter.info(f"{spec.stack_name}: termination protection {'on' if want else 'off'}")

    # ------------------------------------------------------------------ whose account, whose stack

    def _prove_account(self, spec: StackSpec, stack: dict[str, Any] | None) -> None:
        """Before any change: the stack's own id names the account the credentials act in;
        without a stack, ask STS (the account check)."""
        if self._account_check is None:
            return
        if stack is not None and str(stack.get("StackId", "")).split(":")[4:5] == [spec.account_id]:
            return
        self._account_check()

    def _owned(self, spec: StackSpec, stack: dict[str, Any]) -> bool:
        key, value = spec.owner_tag
        return any(t["Key"] == key and t["Value"] == value for t in stack.get("Tags", []))

    def _make_usable(self, spec: StackSpec, stack: dict[str, Any] | None, opts: DeployOptions,
                     deadline: Deadline) -> dict[str, Any] | None:
        if stack is None:
            return None
        name, status = spec.stack_name, stack["StackStatus"]
        if st.is_in_progress(status):
            # Someone else's operation (or ours, detached): wait for it, then deploy.
            self.reporter.info(f"{name}: {status}; waiting for the running operation to finish")
            try:
                stack = self._wait(spec, stack, deadline, "wait")
            except Interrupted:
                raise Interrupted(f"{name}: interrupted while waiting for the running operation ({status}) to end; "
                                  "this deploy changed nothing") from None
            status = stack["StackStatus"]
        if status == st.UPDATE_ROLLBACK_FAILED:
            if not opts.continue_rollback:
                raise StackUnusable(
                    f"{name}: UPDATE_ROLLBACK_FAILED: a resource could not be rolled back"
                    f"{self.watch.root_cause_suffix(stack['StackId'])}; fix it, then run: "
                    f"xacct-infra deploy {spec.selector} --continue-rollback")
            self.cfn.continue_update_rollback(StackName=stack["StackId"], ClientRequestToken=self.c.token("continue"))
            stack = self._wait(spec, stack, deadline, "continue-rollback")
            status = stack["StackStatus"]
        empty_review = status == st.REVIEW_IN_PROGRESS and not self._has_resources(stack["StackId"])
        if status in st.DEAD or (status == st.REVIEW_IN_PROGRESS and not empty_review) or status == st.DELETE_FAILED:
            why = {st.ROLLBACK_COMPLETE: "its creation failed and was rolled back",
                   st.ROLLBACK_FAILED: "its creation failed and the rollback failed too",
                   st.CREATE_FAILED: "its creation failed",
                   st.DELETE_FAILED: "a previous delete failed"}.get(status, "it is waiting for review")
            if status == st.DELETE_FAILED:
                raise StackUnusable(
                    f"{name}: DELETE_FAILED: {why}{self.watch.root_cause_suffix(stack['StackId'])}; fix what blocked it, "
                    f"then remove it with: aws cloudformation delete-stack --stack-name {name} --region <region>")
            if not self._owned(spec, stack):
                raise StackUnusable(
                    f"{name}: {status}: {why}, so it cannot be updated; it does not carry xacct-infra's "
                    f"{OWNER_TAG}={spec.owner_tag[1]} tag, so it is left alone; remove it with: "
                    f"aws cloudformation delete-stack --stack-name {name} --region <region>")
            self.reporter.warning(f"{name}: {status}: {why}; deleting it (it carries our ownership tag) and creating it again")
            since = self.watch.baseline(stack["StackId"])
            self.cfn.delete_stack(StackName=stack["StackId"], ClientRequestToken=self.c.token("delete"))
            self.watch.judge(name, self.watch.follow(name, spec.selector, stack["StackId"], since, deadline, "delete"), "delete")
            return None
        if status == st.REVIEW_IN_PROGRESS and self._owned(spec, stack):
            return stack  # an empty stack left by a change set we created: CREATE again
        if status == st.REVIEW_IN_PROGRESS:
            raise StackUnusable(f"{name}: REVIEW_IN_PROGRESS and not created by xacct-infra; remove it with: "
                                f"aws cloudformation delete-stack --stack-name {name}")
        if status == st.DELETE_COMPLETE:
            return None
        if not self._owned(spec, stack) and not opts.adopt:
            raise StackUnusable(
                f"{name}: a stack of that name exists ({status}) but was not created by xacct-infra for this config "
                f"(no {OWNER_TAG}={spec.owner_tag[1]} tag); deploying would replace its template. Pass --adopt to take it over, "
                "or set another stack_name in the config")
        return stack

    def _wait(self, spec: StackSpec, stack: dict[str, Any], deadline: Deadline, operation: Literal["wait", "continue-rollback"]) -> dict[str, Any]:
        return self.watch.follow(spec.stack_name, spec.selector, stack["StackId"], self.watch.baseline(stack["StackId"]),
                                 deadline, operation).stack

    def _has_resources(self, stack_id: str) -> bool:
        return bool(self.cfn.describe_stack_resources(StackName=stack_id).get("StackResources", []))

    # ------------------------------------------------------------------ change sets

    def _change_set_arguments(self, spec: StackSpec, creating: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(
            StackName=spec.stack_name, ChangeSetType="CREATE" if creating else "UPDATE",
            Capabilities=CAPABILITIES, Tags=spec.all_tags,
            ClientToken=self.c.token("cs"), Description=f"xacct-infra deploy of {spec.side}")
        kwargs.update(self._template_argument(spec))
        if creating:
            # A failed first create deletes the stack instead of leaving a dead ROLLBACK_COMPLETE one.
            kwargs["OnStackFailure"] = "DELETE"
        return kwargs

    def _template_argument(self, spec: StackSpec) -> dict[str, str]:
        """TemplateBody, or TemplateURL after an upload when the body is over 51,200 bytes."""
        if not spec.check_size():
            return {"TemplateBody": spec.template_body}
        if self._template_store is None:
            raise DeployFailed(f"{spec.stack_name}: the template must go through S3 but no template store was given")
        url, uploaded = self._template_store().put(spec.stack_name, spec.template_body)
        self.reporter.info(f"{spec.stack_name}: template is {len(spec.template_body.encode()):,} bytes; "
                           f"{'uploaded to' if uploaded else 'already in'} {url}")
        return {"TemplateURL": url}

    def _discard(self, pending: Pending) -> None:
        """Best-effort cleanup while another error is on its way out."""
        try:
            self.changesets.undo(pending)
        except Exception as exc:
            self.reporter.warning(f"{pending.stack_name}: could not delete change set {pending.name}: {exc}")


__all__ = ["CAPABILITIES", "OWNER_TAG", "Declined", "DeployFailed", "DeployOptions", "DeployResult", "DeployTimeout", "Deployer",
           "Interrupted", "StackReport", "StackSpec", "StackUnusable"]
