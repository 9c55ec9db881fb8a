"""A scripted CloudFormation and a fake clock, for what the emulator cannot show.

The emulator (moto) has only stack-level events, never fails a resource the way AWS does,
does not implement termination protection and never rolls back (RESEARCH.md, section 4).
This fake implements just the calls the deployer makes, follows a script of events on a
fake clock, and records every call so tests can assert exactly what was sent.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.paginate import Paginator

from xacct_infra.aws import Clients, Target


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self.interrupt_at: list[int] = []  # raise KeyboardInterrupt on these sleep numbers (1-based)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) in self.interrupt_at:
            raise KeyboardInterrupt
        self.t += seconds


def client_error(code: str, message: str, op: str = "Op") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, op)


_MODELS: dict[str, tuple[ServiceModel, dict[str, Any]]] = {}


class Paginated:
    """``get_paginator`` for a fake client: botocore's own Paginator, driving the fake's methods,
    so code under test goes through the real pagination logic (NextToken, StartingToken, MaxItems)."""

    service = "cloudformation"

    def get_paginator(self, operation: str) -> Paginator:
        if self.service not in _MODELS:
            loader = Loader()
            _MODELS[self.service] = (ServiceModel(loader.load_service_model(self.service, "service-2")),
                                     loader.load_service_model(self.service, "paginators-1")["pagination"])
        model, configs = _MODELS[self.service]
        op_name = model.operation_names[[n.lower() for n in model.operation_names].index(operation.replace("_", ""))]
        return Paginator(getattr(self, operation), configs[op_name], model.operation_model(op_name))


def page(items: list[Any], key: str, page_size: int, next_token: str | None) -> dict[str, Any]:
    """One page of ``items`` as a paginated AWS call answers: ``key`` and, unless last, ``NextToken``."""
    start = int(next_token or 0)
    out: dict[str, Any] = {key: items[start:start + page_size]}
    if start + page_size < len(items):
        out["NextToken"] = str(start + page_size)
    return out


@dataclass
class Step:
    """After ``at`` seconds of fake time since the operation began: an event and a new status."""

    at: float
    status: str
    logical_id: str | None = None  # None: a stack-level event
    resource_status: str | None = None
    reason: str = ""
    resource_type: str = "AWS::IAM::Role"


@dataclass
class FakeStack:
    name: str
    status: str
    template: str = ""
    tags: list[dict[str, str]] = field(default_factory=list)
    protection: bool = False
    outputs: list[dict[str, str]] | None = None
    resources: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    script: list[Step] = field(default_factory=list)
    script_start: float = 0.0
    stack_id: str = ""
    deleted: bool = False
    updated: float | None = None  # LastUpdatedTime (fake seconds)

    def __post_init__(self) -> None:
        FakeStack.serial += 1
        self.stack_id = self.stack_id or f"arn:aws:cloudformation:us-east-1:111111111111:stack/{self.name}/fake-{FakeStack.serial}"


FakeStack.serial = 0  # type: ignore[attr-defined]


class FakeCloudFormation(Paginated):
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stacks: dict[str, FakeStack] = {}
        self.all_stacks: list[FakeStack] = []
        self.change_sets: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        # What the next operation does: scripts keyed by operation.
        self.on_execute: list[Step] = [Step(0, "CREATE_COMPLETE")]
        self.on_delete: list[Step] = [Step(0, "DELETE_COMPLETE")]
        self.on_cancel: list[Step] = [Step(0, "UPDATE_ROLLBACK_COMPLETE")]
        self.on_continue: list[Step] = [Step(0, "UPDATE_ROLLBACK_COMPLETE")]
        self.change_set_result: tuple[str, str] = ("CREATE_COMPLETE", "")
        self.change_set_changes: list[dict[str, Any]] | None = None
        self.create_change_set_error: ClientError | None = None
        self.protection_error: Exception | None = None
        self.validation_events: list[dict[str, Any]] | None = None  # None: DescribeEvents not offered
        self.outputs: list[dict[str, str]] | None = [{"OutputKey": "RoleArn", "OutputValue": "arn:aws:iam::111111111111:role/xacct-access"}]
        self.page_size = 100  # items per page of the paginated calls (small in pagination tests)
        self.cancel_error: Exception | None = None  # e.g. the emulator's HTML 500 for CancelUpdateStack
        self.execute_error: ClientError | None = None

    # -- helpers

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def call(self, name: str) -> dict[str, Any]:
        return next(kwargs for n, kwargs in self.calls if n == name)

    def add_stack(self, name: str, status: str, **kwargs: Any) -> FakeStack:
        stack = FakeStack(name, status, **kwargs)
        self.stacks[name] = stack
        self.all_stacks.insert(0, stack)
        return stack

    def _find(self, name: str) -> FakeStack:
        for stack in self.all_stacks:
            if name == stack.stack_id or (name == stack.name and not stack.deleted):
                return stack
        raise client_error("ValidationError", f"Stack with id {name} does not exist", "DescribeStacks")

    def _event(self, stack: FakeStack, status: str, logical: str | None, reason: str = "", rtype: str = "") -> None:
        stack.events.insert(0, {
            "EventId": f"ev-{next(self.ids)}", "StackName": stack.name, "StackId": stack.stack_id,
            "LogicalResourceId": logical or stack.name, "ResourceType": rtype or "AWS::CloudFormation::Stack",
            "ResourceStatus": status, "ResourceStatusReason": reason,
            "Timestamp": dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=self.clock.t),
        })

    def _start(self, stack: FakeStack, script: list[Step]) -> None:
        stack.script = list(script)
        stack.script_start = self.clock.t

    def _advance(self, stack: FakeStack) -> None:
        while stack.script and self.clock.t - stack.script_start >= stack.script[0].at:
            step = stack.script.pop(0)
            if step.logical_id:
                self._event(stack, step.resource_status or step.status, step.logical_id, step.reason, step.resource_type)
            stack.status = step.status
            if step.logical_id is None:
                self._event(stack, step.status, None, step.reason)
            if step.status == "DELETE_COMPLETE":
                stack.deleted = True
            if step.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE") and stack.outputs is None:
                stack.outputs = self.outputs

    # -- the CloudFormation API surface the deployer uses

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        self.calls.append(("describe_stacks", {"StackName": StackName}))
        stack = self._find(StackName)
        self._advance(stack)
        if stack.deleted and StackName == stack.name:
            raise client_error("ValidationError", f"Stack with id {StackName} does not exist", "DescribeStacks")
        out: dict[str, Any] = {"StackId": stack.stack_id, "StackName": stack.name, "StackStatus": stack.status,
                               "Tags": stack.tags, "EnableTerminationProtection": stack.protection}
        if stack.updated is not None:
            out["LastUpdatedTime"] = stack.updated
        if stack.outputs is not None:
            out["Outputs"] = stack.outputs
        return {"Stacks": [out]}

    def describe_stack_events(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:
        self.calls.append(("describe_stack_events", {"StackName": StackName, "NextToken": NextToken}))
        stack = self._find(StackName)
        self._advance(stack)
        return page(list(stack.events), "StackEvents", self.page_size, NextToken)

    def describe_stack_resources(self, StackName: str) -> dict[str, Any]:
        self.calls.append(("describe_stack_resources", {"StackName": StackName}))
        return {"StackResources": [{"LogicalResourceId": r} for r in self._find(StackName).resources]}

    def get_template(self, StackName: str, TemplateStage: str) -> dict[str, Any]:
        self.calls.append(("get_template", {"StackName": StackName, "TemplateStage": TemplateStage}))
        return {"TemplateBody": self._find(StackName).template}

    def create_change_set(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("create_change_set", kwargs))
        if self.create_change_set_error:
            raise self.create_change_set_error
        name = kwargs["StackName"]
        if kwargs["ChangeSetType"] == "CREATE":
            existing = self.stacks.get(name)
            if existing and not existing.deleted and existing.status != "REVIEW_IN_PROGRESS":
                raise client_error("AlreadyExistsException", "exists")
            if not (existing and not existing.deleted):
                self.add_stack(name, "REVIEW_IN_PROGRESS", tags=kwargs.get("Tags", []))
                self._event(self.stacks[name], "REVIEW_IN_PROGRESS", None, "User Initiated")
        stack = self._find(name)
        cs_id = f"arn:aws:cloudformation:us-east-1:111111111111:changeSet/{kwargs['ChangeSetName']}/fake"
        status, reason = self.change_set_result
        changes = self.change_set_changes
        if changes is None:
            changes = [{"ResourceChange": {"Action": "Add" if kwargs["ChangeSetType"] == "CREATE" else "Modify",
                                           "LogicalResourceId": "AccessRole", "ResourceType": "AWS::IAM::Role",
                                           "Replacement": "False"}}]
        self.change_sets[cs_id] = {"Status": status, "StatusReason": reason, "Changes": changes, "kwargs": kwargs,
                                   "stack": stack.name, "StackId": stack.stack_id, "ChangeSetName": kwargs["ChangeSetName"],
                                   "ChangeSetId": cs_id,
                                   "CreationTime": dt.datetime(2026, 11, 29, tzinfo=dt.UTC) + dt.timedelta(seconds=next(self.ids))}
        return {"Id": cs_id, "StackId": stack.stack_id}

    def describe_change_set(self, ChangeSetName: str, StackName: str, NextToken: str | None = None) -> dict[str, Any]:
        self.calls.append(("describe_change_set", {"ChangeSetName": ChangeSetName, "StackName": StackName, "NextToken": NextToken}))
        cs = self.change_sets.get(ChangeSetName) or next((c for c in self.change_sets.values() if c["ChangeSetName"] == ChangeSetName), None)
        if cs is None:
            raise client_error("ChangeSetNotFound", f"ChangeSet [{ChangeSetName}] does not exist", "DescribeChangeSet")
        return {"Status": cs["Status"], "StatusReason": cs["StatusReason"], "ExecutionStatus": _execution_status(cs),
                "ChangeSetId": cs["ChangeSetId"], "ChangeSetName": cs["ChangeSetName"], "StackId": cs["StackId"], "CreationTime": cs["CreationTime"],
                **page(cs["Changes"], "Changes", self.page_size, NextToken)}

    def list_change_sets(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:
        self.calls.append(("list_change_sets", {"StackName": StackName, "NextToken": NextToken}))
        summaries = [{"ChangeSetId": cs_id, "ChangeSetName": cs["ChangeSetName"], "StackId": cs["StackId"], "StackName": cs["stack"],
                      "Status": cs["Status"], "ExecutionStatus": _execution_status(cs), "CreationTime": cs["CreationTime"]}
                     for cs_id, cs in self.change_sets.items() if StackName in (cs["stack"], cs["StackId"])]
        return page(summaries, "Summaries", self.page_size, NextToken)

    def describe_events(self, ChangeSetName: str, Filters: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("describe_events", {"ChangeSetName": ChangeSetName, "Filters": Filters}))
        if self.validation_events is None:
            raise client_error("InvalidAction", "DescribeEvents is not supported here", "DescribeEvents")
        return {"OperationEvents": self.validation_events}

    def delete_change_set(self, ChangeSetName: str, StackName: str) -> dict[str, Any]:
        self.calls.append(("delete_change_set", {"ChangeSetName": ChangeSetName, "StackName": StackName}))
        cs = self.describe_change_set(ChangeSetName, StackName)
        self.calls.pop()
        del self.change_sets[cs["ChangeSetId"]]
        return {}

    def execute_change_set(self, ChangeSetName: str, StackName: str, ClientRequestToken: str) -> dict[str, Any]:
        self.calls.append(("execute_change_set", {"ChangeSetName": ChangeSetName, "StackName": StackName,
                                                  "ClientRequestToken": ClientRequestToken}))
        if self.execute_error:
            raise self.execute_error
        cs = self.change_sets.pop(ChangeSetName)
        stack = self._find(StackName)
        stack.template = cs["kwargs"]["TemplateBody"]
        stack.tags = cs["kwargs"]["Tags"]
        stack.updated = self.clock.t
        creating = cs["kwargs"]["ChangeSetType"] == "CREATE"
        stack.status = "CREATE_IN_PROGRESS" if creating else "UPDATE_IN_PROGRESS"
        self._event(stack, stack.status, None, "User Initiated")
        self._start(stack, self.on_execute)
        return {}

    def update_termination_protection(self, StackName: str, EnableTerminationProtection: bool) -> dict[str, Any]:
        self.calls.append(("update_termination_protection", {"StackName": StackName,
                                                             "EnableTerminationProtection": EnableTerminationProtection}))
        if self.protection_error:
            raise self.protection_error
        self._find(StackName).protection = EnableTerminationProtection
        return {}

    def delete_stack(self, StackName: str, ClientRequestToken: str) -> dict[str, Any]:
        self.calls.append(("delete_stack", {"StackName": StackName, "ClientRequestToken": ClientRequestToken}))
        stack = self._find(StackName)
        if stack.status == "REVIEW_IN_PROGRESS":
            stack.status = "DELETE_COMPLETE"
            stack.deleted = True
            return {}
        stack.status = "DELETE_IN_PROGRESS"
        self._event(stack, stack.status, None, "User Initiated")
        self._start(stack, self.on_delete)
        return {}

    def cancel_update_stack(self, StackName: str, ClientRequestToken: str) -> dict[str, Any]:
        self.calls.append(("cancel_update_stack", {"StackName": StackName, "ClientRequestToken": ClientRequestToken}))
        if self.cancel_error:
            raise self.cancel_error
        stack = self._find(StackName)
        stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        self._start(stack, self.on_cancel)
        return {}

    def continue_update_rollback(self, StackName: str, ClientRequestToken: str) -> dict[str, Any]:
        self.calls.append(("continue_update_rollback", {"StackName": StackName, "ClientRequestToken": ClientRequestToken}))
        stack = self._find(StackName)
        stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        self._start(stack, self.on_continue)
        return {}


def _execution_status(cs: dict[str, Any]) -> str:
    return "AVAILABLE" if cs["Status"] == "CREATE_COMPLETE" else "UNAVAILABLE"


class FakeSTS:
    def __init__(self, account: str) -> None:
        self.account = account

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": self.account, "Arn": f"arn:aws:sts::{self.account}:assumed-role/fake/session"}


class FakeClients(Clients):
    """The CLI's one injection point, faked: CloudFormation clients from ``cfn_for(target)``
    (one per target, kept), STS answering with the target's configured account, and the clock
    the deployers get. Pass it as ``obj=`` to CliRunner.invoke or ``cli.main``."""

    def __init__(self, cfn_for: Callable[[Target], Any], clock: Callable[[Any], Any] | None = None,
                 account_for: Callable[[Target], str] | None = None) -> None:
        super().__init__()
        self.cfn_for = cfn_for
        self.clock_for = clock
        self.account_for = account_for or (lambda target: "111111111111")
        self.made: dict[Target, Any] = {}

    def client(self, target: Target, service: str, *, max_attempts: int | None = None) -> Any:
        if service == "sts":
            return FakeSTS(self.account_for(target))
        if service != "cloudformation":
            raise AssertionError(f"no fake for {service}")
        if target not in self.made:
            self.made[target] = self.cfn_for(target)
        return self.made[target]

    def clock(self, interrupts: Any) -> Any:
        return self.clock_for(interrupts) if self.clock_for else FakeClock()
