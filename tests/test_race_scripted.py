"""Two deploys of one stack, the cases the emulator cannot order: another deploy's change set
that never gets executed, a stack changed under us between our look and ExecuteChangeSet, a
refused CreateChangeSet, Ctrl-C while waiting for the other (scripted CloudFormation, fake clock)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.conftest import ROOT
from tests.fakes import FakeClock, FakeCloudFormation, Step, client_error
from xacct_infra import config, render
from xacct_infra.deploy import Deployer, DeployFailed, StackSpec
from xacct_infra.deploy.deployer import OWNER_TAG, Interrupted
from xacct_infra.deploy.report import RecordingReporter

BODY = render.template_body(config.load(ROOT / "xacct.toml"), "a")
SPEC = StackSpec(side="account_a", account_id="111111111111", stack_name="xacct-account-a", template_body=BODY)
OWNED = [{"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"}]


class HookClock(FakeClock):
    """Fake time; the other deploy moves on at the sleep numbers the test gives."""

    def __init__(self) -> None:
        super().__init__()
        self.hooks: dict[int, Callable[[], None]] = {}

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.sleeps) in self.hooks:
            self.hooks.pop(len(self.sleeps))()


@pytest.fixture
def clock() -> HookClock:
    return HookClock()


@pytest.fixture
def cfn(clock: HookClock) -> FakeCloudFormation:
    fake = FakeCloudFormation(clock)
    fake.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    fake.on_execute = [Step(0, "UPDATE_COMPLETE")]
    return fake


def other_deploy(cfn: FakeCloudFormation) -> str:
    """Another xacct-infra deploy's change set (made first, so the older), still to be executed."""
    created = cfn.create_change_set(StackName="xacct-account-a", ChangeSetName="xacct-infra-other", ChangeSetType="UPDATE",
                                    TemplateBody=BODY, Tags=SPEC.all_tags, Capabilities=["CAPABILITY_NAMED_IAM"])
    cfn.calls.clear()
    return str(created["Id"])


def deployer(cfn: FakeCloudFormation, clock: HookClock, reporter: RecordingReporter | None = None) -> Deployer:
    ids = iter(f"id{i}" for i in range(1000))
    return Deployer(cfn, clock=clock, reporter=reporter or RecordingReporter(), rng=random.Random(3), new_id=lambda: next(ids))


def execute_theirs(cfn: FakeCloudFormation, cs_id: str) -> Callable[[], None]:
    return lambda: cfn.execute_change_set(ChangeSetName=cs_id, StackName="xacct-account-a", ClientRequestToken="theirs")


def test_the_younger_deploy_gives_way_removes_its_change_set_and_reports_no_changes(cfn, clock) -> None:
    theirs = other_deploy(cfn)
    clock.hooks[2] = execute_theirs(cfn, theirs)  # while we wait, the other deploy executes
    reporter = RecordingReporter()
    result = deployer(cfn, clock, reporter).deploy(SPEC)
    assert result.outcome == "no-changes" and "another deploy (change set xacct-infra-other" in str(result.note)
    ours = [kw for name, kw in cfn.calls if name == "create_change_set"]
    assert len(ours) == 1 and ours[0]["ChangeSetName"] != "xacct-infra-other"
    deleted = [kw["ChangeSetName"] for name, kw in cfn.calls if name == "delete_change_set"]
    assert len(deleted) == 1 and f"/{ours[0]['ChangeSetName']}/" in deleted[0], "ours, and only ours, was deleted"
    assert cfn.change_sets == {}, "ours deleted, theirs executed"
    assert [kw["ClientRequestToken"] for name, kw in cfn.calls if name == "execute_change_set"] == ["theirs"]


def test_a_change_set_that_is_never_executed_is_named_and_ours_is_removed(cfn, clock) -> None:
    theirs = other_deploy(cfn)
    with pytest.raises(DeployFailed) as err:
        deployer(cfn, clock).deploy(SPEC)
    message = str(err.value)
    assert "change set xacct-infra-other" in message and "waiting to be executed" in message and "changed nothing" in message
    assert "\n" not in message
    assert list(cfn.change_sets) == [theirs], "only the other deploy's change set is left, untouched"
    assert "execute_change_set" not in cfn.names()


def test_a_stack_changed_between_our_look_and_execute_change_set_is_seen(cfn, clock) -> None:
    def someone_else_updates() -> None:  # ExecuteChangeSet is refused: the other deploy got there first
        stack = cfn.stacks["xacct-account-a"]
        stack.template, stack.updated = BODY, clock.t
        stack.tags = SPEC.all_tags
        raise client_error("ValidationError", "ChangeSet [xacct-infra-id0] cannot be executed in its current status of [OBSOLETE]",
                           "ExecuteChangeSet")

    original = cfn.execute_change_set
    cfn.execute_change_set = lambda **kw: someone_else_updates() if kw["ClientRequestToken"] != "theirs" else original(**kw)  # type: ignore[method-assign]
    result = deployer(cfn, clock).deploy(SPEC)
    assert result.outcome == "no-changes" and "another deploy" in str(result.note)
    assert cfn.change_sets == {}


def test_a_real_execute_error_is_one_line_and_leaves_no_change_set(cfn, clock) -> None:
    cfn.execute_error = client_error("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]", "ExecuteChangeSet")
    with pytest.raises(DeployFailed, match=r"ExecuteChangeSet failed: InsufficientCapabilitiesException: Requires capabilities.*deleted"):
        deployer(cfn, clock).deploy(SPEC)
    assert cfn.change_sets == {}


def test_create_change_set_refused_because_the_stack_is_busy_waits_then_compares(cfn, clock) -> None:
    original = cfn.create_change_set

    def another_update_started(**kwargs: object) -> dict[str, object]:
        stack = cfn.stacks["xacct-account-a"]
        stack.template, stack.tags, stack.status = BODY, SPEC.all_tags, "UPDATE_IN_PROGRESS"
        cfn._start(stack, [Step(3, "UPDATE_COMPLETE")])
        cfn.create_change_set = original  # type: ignore[method-assign]
        raise client_error("ValidationError", "Stack:xacct-account-a is in UPDATE_IN_PROGRESS state and can not be updated.")

    cfn.create_change_set = another_update_started  # type: ignore[method-assign]
    result = deployer(cfn, clock).deploy(SPEC)
    assert result.outcome == "no-changes" and "CreateChangeSet was refused" in str(result.note)
    assert clock.t >= 1003, "it waited for the other update to end"


def test_ctrl_c_while_waiting_for_the_other_deploy_exits_130_having_changed_nothing(cfn, clock) -> None:
    other_deploy(cfn)
    clock.interrupt_at = [2]
    with pytest.raises(Interrupted, match=r"while waiting for another deploy.*changed nothing") as err:
        deployer(cfn, clock).deploy(SPEC)
    assert err.value.exit_code == 130
    assert [c["ChangeSetName"] for c in cfn.change_sets.values()] == ["xacct-infra-other"]
