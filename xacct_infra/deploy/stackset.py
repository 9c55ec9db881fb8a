"""Account B's template as a CloudFormation StackSet, for fleets of consumer accounts.

A StackSet is AWS's own engine for rolling one template across accounts and regions; we
only reconcile it: create or update the set when its template or tags differ, add the
instances the config asks for, wait for each operation with progress, and report each
instance's status and reason. Instances that exist but are no longer asked for are listed,
never deleted silently. Like ``deploy``, a run with nothing to change makes no operation.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from xacct_infra import aws
from xacct_infra.deploy import status as st
from xacct_infra.deploy.deployer import CAPABILITIES, DeployFailed, StackUnusable
from xacct_infra.deploy.poll import Clock, Deadline, SystemClock, delays
from xacct_infra.deploy.report import NullReporter, Reporter
from xacct_infra.errors import UsageError

PermissionModel = Literal["SELF_MANAGED", "SERVICE_MANAGED"]


@dataclass(frozen=True)
class StackSetSpec:
    name: str
    template_body: str
    regions: tuple[str, ...]
    accounts: tuple[str, ...] = ()  # self-managed targets
    org_units: tuple[str, ...] = ()  # service-managed targets (auto-deployment on)
    tags: tuple[tuple[str, str], ...] = ()
    max_concurrent_percentage: int = 25
    failure_tolerance_percentage: int = 0

    def __post_init__(self) -> None:
        if bool(self.accounts) == bool(self.org_units):
            raise UsageError("a StackSet needs either --accounts (self-managed) or --org-unit (service-managed), not both")
        if not self.regions:
            raise UsageError("a StackSet needs at least one region (--regions)")

    @property
    def permission_model(self) -> PermissionModel:
        return "SERVICE_MANAGED" if self.org_units else "SELF_MANAGED"

    @property
    def preferences(self) -> dict[str, Any]:
        return {"MaxConcurrentPercentage": self.max_concurrent_percentage,
                "FailureTolerancePercentage": self.failure_tolerance_percentage,
                "RegionConcurrencyType": "PARALLEL"}


@dataclass
class InstanceResult:
    account: str
    region: str
    status: str
    reason: str = ""


@dataclass
class StackSetResult:
    name: str
    outcome: Literal["created", "updated", "no-changes"]
    operations: list[str] = field(default_factory=list)
    instances: list[InstanceResult] = field(default_factory=list)
    unmanaged: list[tuple[str, str]] = field(default_factory=list)  # (account, region) not in the config

    @property
    def failed(self) -> list[InstanceResult]:
        return [i for i in self.instances if i.status not in st.INSTANCE_OK]


class StackSetDeployer:
    def __init__(self, cfn: Any, *, clock: Clock | None = None, reporter: Reporter | None = None,
                 rng: random.Random | None = None, new_id: Callable[[], str] | None = None) -> None:
        self.cfn = cfn
        self.clock = clock or SystemClock()
        self.reporter = reporter or NullReporter()
        self.rng = rng or random.Random()
        self.new_id = new_id or (lambda: str(uuid.uuid4()))

    def deploy(self, spec: StackSetSpec, timeout: float | None = None) -> StackSetResult:
        deadline = Deadline(self.clock, timeout)
        current = self._describe(spec.name)
        tags = [{"Key": k, "Value": v} for k, v in sorted(spec.tags)]
        result = StackSetResult(spec.name, "no-changes")
        if current is None:
            kwargs: dict[str, Any] = dict(StackSetName=spec.name, TemplateBody=spec.template_body, Capabilities=CAPABILITIES,
                                          Tags=tags, PermissionModel=spec.permission_model,
                                          ClientRequestToken=self.new_id(), Description="xacct-infra: Account B instance role")
            if spec.permission_model == "SERVICE_MANAGED":
                kwargs["AutoDeployment"] = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
            self.cfn.create_stack_set(**kwargs)
            self.reporter.info(f"{spec.name}: StackSet created ({spec.permission_model.lower().replace('_', '-')})")
            result.outcome = "created"
        else:
            if current.get("PermissionModel", "SELF_MANAGED") != spec.permission_model:
                raise StackUnusable(f"{spec.name}: the StackSet exists as {current.get('PermissionModel')}; it cannot become "
                                    f"{spec.permission_model}; delete it or choose another name")
            same_tags = sorted((t["Key"], t["Value"]) for t in current.get("Tags", [])) == sorted(spec.tags)
            if current.get("TemplateBody") != spec.template_body or not same_tags:
                op = self.new_id()
                op = self.cfn.update_stack_set(StackSetName=spec.name, TemplateBody=spec.template_body, Capabilities=CAPABILITIES,
                                          Tags=tags, OperationPreferences=spec.preferences, OperationId=op).get("OperationId", op)
                self.reporter.info(f"{spec.name}: updating the template on every instance (operation {op})")
                self._wait(spec, op, deadline, result)
                result.outcome = "updated"

        existing = self._instances(spec.name)
        wanted = {(a, r) for a in spec.accounts for r in spec.regions}
        if spec.permission_model == "SELF_MANAGED":
            result.unmanaged = sorted(k for k in existing if k not in wanted)
            # CreateStackInstances takes accounts x regions: group the accounts by the regions they lack,
            # so only missing account/region pairs are asked for.
            lacking: dict[tuple[str, ...], list[str]] = {}
            for account in spec.accounts:
                regions = tuple(r for r in spec.regions if (account, r) not in existing)
                if regions:
                    lacking.setdefault(regions, []).append(account)
            for regions, accounts in lacking.items():
                op = self.new_id()
                op = self.cfn.create_stack_instances(StackSetName=spec.name, Accounts=accounts, Regions=list(regions),
                                                     OperationPreferences=spec.preferences, OperationId=op).get("OperationId", op)
                self.reporter.info(f"{spec.name}: adding instances in {len(accounts)} account(s) x {len(regions)} region(s) (operation {op})")
                self._wait(spec, op, deadline, result)
                result.outcome = "created" if result.outcome == "created" else "updated"
        else:
            deployed_ous = {i.get("OrganizationalUnitId") for i in existing.values()}
            missing_ous = sorted(set(spec.org_units) - deployed_ous)
            regions_missing = {r for r in spec.regions if not any(k[1] == r for k in existing)}
            if missing_ous or regions_missing:
                op = self.new_id()
                op = self.cfn.create_stack_instances(
                    StackSetName=spec.name, DeploymentTargets={"OrganizationalUnitIds": list(spec.org_units)},
                    Regions=list(spec.regions), OperationPreferences=spec.preferences, OperationId=op).get("OperationId", op)
                self.reporter.info(f"{spec.name}: deploying to {', '.join(spec.org_units)} (operation {op})")
                self._wait(spec, op, deadline, result)
                result.outcome = "created" if result.outcome == "created" else "updated"

        if not result.instances:  # nothing ran: report the instances as they stand
            result.instances = [InstanceResult(a, r, str(i.get("Status", "?")), str(i.get("StatusReason", "") or ""))
                                for (a, r), i in sorted(self._instances(spec.name).items())]
        if result.outcome == "no-changes":
            self.reporter.info(f"{spec.name}: no changes")
        if result.failed:
            worst = result.failed[0]
            raise StackSetFailed(f"{spec.name}: {len(result.failed)} of {len(result.instances)} instance(s) failed; first: "
                                 f"{worst.account}/{worst.region} {worst.status}: {worst.reason or 'no reason given'}", result)
        return result

    # ------------------------------------------------------------------ helpers

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            stack_set = self.cfn.describe_stack_set(StackSetName=name)["StackSet"]
        except Exception as exc:
            if aws.error_code(exc) in ("StackSetNotFoundException", "StackSetNotFound"):
                return None
            raise
        if stack_set.get("Status") == st.STACK_SET_DELETED:
            return None
        return dict(stack_set)

    def _instances(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        return {(item["Account"], item["Region"]): item for item in self._pages("list_stack_instances", StackSetName=name)}

    def _pages(self, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Every summary of a paginated call, through botocore's paginator."""
        return [item for page in self.cfn.get_paginator(operation).paginate(**kwargs) for item in page.get("Summaries", [])]

    # Operation ids: we pass our own (a retried call is then idempotent) but follow the id the
    # service returns; the emulator ignores the one passed in.

    def _wait(self, spec: StackSetSpec, operation_id: str, deadline: Deadline, result: StackSetResult) -> None:
        result.operations.append(operation_id)
        status = st.OPERATION_RUNNING
        for delay in delays(self.rng):
            if delay:
                self.clock.sleep(deadline.clamp(delay))
            op = self.cfn.describe_stack_set_operation(StackSetName=spec.name, OperationId=operation_id)["StackSetOperation"]
            if op["Status"] != status:
                status = op["Status"]
                self.reporter.info(f"{spec.name}: operation {operation_id} {status}")
            if status in st.OPERATION_DONE:
                break
            if deadline.expired():
                raise DeployFailed(f"{spec.name}: operation {operation_id} still {status} after --timeout; "
                                   "the StackSet keeps going; check it with: aws cloudformation describe-stack-set-operation")
        instances = [InstanceResult(item["Account"], item["Region"], item.get("Status", "?"), item.get("StatusReason", "") or "")
                     for item in self._pages("list_stack_set_operation_results", StackSetName=spec.name, OperationId=operation_id)]
        for inst in instances:
            self.reporter.info(f"{spec.name}: {inst.account} {inst.region} {inst.status}{': ' + inst.reason if inst.reason else ''}")
        if status != st.OPERATION_SUCCEEDED and not any(i.status != st.OPERATION_SUCCEEDED for i in instances):
            instances.append(InstanceResult("-", "-", status, f"operation {operation_id} ended {status}"))
        # Results of every operation of the run are kept: a later success must not hide an earlier failure.
        result.instances = sorted(result.instances + instances, key=lambda i: (i.account, i.region))
        if status != st.OPERATION_SUCCEEDED:
            failed = [i for i in result.instances if i.status not in st.INSTANCE_OK]
            worst = failed[0]
            raise StackSetFailed(f"{spec.name}: operation {operation_id} ended {status}; {len(failed)} of {len(result.instances)} "
                                 "instance(s) failed; first: "
                                 f"{worst.account}/{worst.region} {worst.status}: {worst.reason or 'no reason given'}", result)


class StackSetFailed(DeployFailed):
    def __init__(self, message: str, result: StackSetResult) -> None:
        super().__init__(message)
        self.result = result
