"""StackSet paths the emulator cannot show: service-managed sets over OUs, failed instances,
and waiting on a running operation (scripted client, fake clock)."""

from __future__ import annotations

import random

import pytest

from tests.fakes import FakeClock, Paginated, client_error
from xacct_infra.deploy.report import RecordingReporter
from xacct_infra.deploy.stackset import StackSetDeployer, StackSetFailed, StackSetSpec


class FakeStackSets(Paginated):
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, dict]] = []
        self.stack_set: dict | None = None
        self.instances: list[dict] = []
        self.running_for = 0.0  # seconds an operation stays RUNNING
        self.results: list[dict] = []
        self.started = 0.0

    def describe_stack_set(self, StackSetName: str) -> dict:
        self.calls.append(("describe_stack_set", {}))
        if self.stack_set is None:
            raise client_error("StackSetNotFoundException", "not found", "DescribeStackSet")
        return {"StackSet": self.stack_set}

    def create_stack_set(self, **kwargs: object) -> dict:
        self.calls.append(("create_stack_set", kwargs))
        self.stack_set = {"PermissionModel": kwargs["PermissionModel"], "TemplateBody": kwargs["TemplateBody"], "Tags": kwargs["Tags"]}
        return {"StackSetId": "id"}

    def list_stack_instances(self, **kwargs: object) -> dict:
        return {"Summaries": self.instances}

    def create_stack_instances(self, **kwargs: object) -> dict:
        self.calls.append(("create_stack_instances", kwargs))
        self.started = self.clock.t
        return {"OperationId": "op-1"}

    def describe_stack_set_operation(self, StackSetName: str, OperationId: str) -> dict:
        self.calls.append(("describe_stack_set_operation", {}))
        done = self.clock.t - self.started >= self.running_for
        failed = any(r["Status"] == "FAILED" for r in self.results)
        return {"StackSetOperation": {"Status": ("FAILED" if failed else "SUCCEEDED") if done else "RUNNING"}}

    def list_stack_set_operation_results(self, **kwargs: object) -> dict:
        return {"Summaries": self.results}


def deployer(fake: FakeStackSets, clock: FakeClock, reporter: RecordingReporter | None = None) -> StackSetDeployer:
    return StackSetDeployer(fake, clock=clock, reporter=reporter or RecordingReporter(), rng=random.Random(1), new_id=lambda: "tok")


def test_org_units_make_a_service_managed_set_with_auto_deployment() -> None:
    clock = FakeClock()
    fake = FakeStackSets(clock)
    fake.results = [{"Account": "333333333333", "Region": "us-east-1", "Status": "SUCCEEDED"}]
    spec = StackSetSpec("xacct-account-b", "body", ("us-east-1",), org_units=("ou-ab12-11111111",), max_concurrent_percentage=50)
    result = deployer(fake, clock).deploy(spec)
    create = dict(fake.calls)["create_stack_set"]
    assert create["PermissionModel"] == "SERVICE_MANAGED"
    assert create["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert create["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    instances = dict(fake.calls)["create_stack_instances"]
    assert instances["DeploymentTargets"] == {"OrganizationalUnitIds": ["ou-ab12-11111111"]}
    assert instances["OperationPreferences"]["MaxConcurrentPercentage"] == 50
    assert result.outcome == "created" and result.operations == ["op-1"]


def test_a_running_operation_is_followed_with_backoff_not_a_fixed_wait() -> None:
    clock = FakeClock()
    fake = FakeStackSets(clock)
    fake.running_for = 20
    fake.results = [{"Account": "333333333333", "Region": "us-east-1", "Status": "SUCCEEDED"}]
    deployer(fake, clock).deploy(StackSetSpec("s", "body", ("us-east-1",), accounts=("333333333333",)))
    assert clock.sleeps and max(clock.sleeps) <= 6 and 20 <= clock.t - 1000 <= 26


def test_failed_instances_are_reported_with_their_reasons_and_fail_the_run() -> None:
    clock = FakeClock()
    fake = FakeStackSets(clock)
    fake.results = [{"Account": "333333333333", "Region": "us-east-1", "Status": "SUCCEEDED"},
                    {"Account": "444444444444", "Region": "us-east-1", "Status": "FAILED",
                     "StatusReason": "Account 444444444444 should have 'AWSCloudFormationStackSetExecutionRole' role"}]
    reporter = RecordingReporter()
    with pytest.raises(StackSetFailed) as err:
        deployer(fake, clock, reporter).deploy(StackSetSpec("s", "body", ("us-east-1",), accounts=("333333333333", "444444444444")))
    assert "1 of 2 instance(s) failed" in str(err.value) and "AWSCloudFormationStackSetExecutionRole" in str(err.value)
    assert [(i.account, i.status) for i in err.value.result.instances] == [("333333333333", "SUCCEEDED"), ("444444444444", "FAILED")]
    assert any("444444444444 us-east-1 FAILED" in line for line in reporter.lines)


def test_a_failed_template_update_is_not_hidden_by_a_later_successful_operation() -> None:
    clock = FakeClock()
    fake = FakeStackSets(clock)
    fake.stack_set = {"PermissionModel": "SELF_MANAGED", "TemplateBody": "old", "Tags": []}
    fake.instances = [{"Account": "333333333333", "Region": "us-east-1", "Status": "CURRENT"}]
    fake.results = [{"Account": "333333333333", "Region": "us-east-1", "Status": "FAILED", "StatusReason": "Role exists"}]
    fake.update_stack_set = lambda **kw: fake.calls.append(("update_stack_set", kw)) or {"OperationId": "op-u"}  # type: ignore[attr-defined]
    with pytest.raises(StackSetFailed, match="Role exists"):
        deployer(fake, clock).deploy(StackSetSpec("s", "new", ("us-east-1",), accounts=("333333333333", "444444444444")))
    assert "create_stack_instances" not in dict(fake.calls), "no further operation after a failed one"


def test_only_missing_account_region_pairs_are_requested() -> None:
    clock = FakeClock()
    fake = FakeStackSets(clock)
    fake.stack_set = {"PermissionModel": "SELF_MANAGED", "TemplateBody": "body", "Tags": []}
    fake.instances = [{"Account": "333333333333", "Region": "us-east-1", "Status": "CURRENT"}]
    fake.results = [{"Account": "x", "Region": "y", "Status": "SUCCEEDED"}]
    deployer(fake, clock).deploy(StackSetSpec("s", "body", ("us-east-1", "eu-west-1"), accounts=("333333333333", "444444444444")))
    requests = sorted((tuple(kw["Accounts"]), tuple(kw["Regions"])) for name, kw in fake.calls if name == "create_stack_instances")
    assert requests == [(("333333333333",), ("eu-west-1",)), (("444444444444",), ("us-east-1", "eu-west-1"))]
