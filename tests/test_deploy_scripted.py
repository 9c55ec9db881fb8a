"""Deployer behaviour the emulator cannot show, against a scripted CloudFormation and a fake clock.

Each test is named after the promise it checks (issues 3 and 4).
"""

from __future__ import annotations

import random

import pytest
from botocore.parsers import ResponseParserError

from tests.conftest import ROOT
from tests.fakes import FakeClock, FakeCloudFormation, Step, client_error
from xacct_infra import config, render
from xacct_infra.deploy import Deployer, DeployFailed, DeployOptions, StackSpec
from xacct_infra.deploy.deployer import OWNER_TAG, Declined, DeployTimeout, Interrupted, StackUnusable
from xacct_infra.deploy.report import RecordingReporter

CFG = config.load(ROOT / "xacct.toml")
BODY = render.template_body(CFG, "a")
SPEC = StackSpec(side="account_a", account_id="111111111111", stack_name="xacct-account-a", template_body=BODY)
OWNED = [{"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"}]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cfn(clock: FakeClock) -> FakeCloudFormation:
    return FakeCloudFormation(clock)


@pytest.fixture
def reporter() -> RecordingReporter:
    return RecordingReporter()


@pytest.fixture
def deployer(cfn: FakeCloudFormation, clock: FakeClock, reporter: RecordingReporter) -> Deployer:
    ids = iter(f"id{i}" for i in range(1000))
    return Deployer(cfn, clock=clock, reporter=reporter, rng=random.Random(7), new_id=lambda: next(ids))


# ---------------------------------------------------------------- issue 3: the everyday path


def test_create_uses_a_change_set_with_named_iam_capability_tokens_and_ownership_tag(deployer, cfn) -> None:
    result = deployer.deploy(SPEC)
    assert result.outcome == "created"
    create = cfn.call("create_change_set")
    assert create["ChangeSetType"] == "CREATE"
    assert create["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert create["TemplateBody"] == BODY
    assert create["ClientToken"].startswith("xacct-cs-")
    assert {"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"} in create["Tags"]
    assert cfn.call("execute_change_set")["ClientRequestToken"].startswith("xacct-exec-")
    assert cfn.change_sets == {}, "no change set left behind"


def test_create_turns_termination_protection_on(deployer, cfn) -> None:
    deployer.deploy(SPEC)
    assert cfn.call("update_termination_protection") == {"StackName": "xacct-account-a", "EnableTerminationProtection": True}


def test_no_termination_protection_opt_out_makes_no_call(deployer, cfn) -> None:
    deployer.deploy(StackSpec(**{**SPEC.__dict__, "termination_protection": False}))
    assert "update_termination_protection" not in cfn.names()


def test_endpoint_without_termination_protection_warns_not_fails(deployer, cfn) -> None:
    cfn.protection_error = ResponseParserError("Unable to parse response: 500")
    result = deployer.deploy(SPEC)
    assert result.outcome == "created"
    assert result.unsupported == ("termination protection (ResponseParserError)",)  # the CLI says it once for all stacks


def test_noop_when_template_and_tags_match_creates_no_change_set_and_never_sleeps(deployer, cfn, clock) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template=BODY, tags=OWNED, protection=True)
    result = deployer.deploy(SPEC)
    assert result.outcome == "no-changes"
    assert cfn.names() == ["describe_stacks", "get_template"]
    assert clock.sleeps == []


def test_noop_reconciles_termination_protection_without_a_change_set(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template=BODY, tags=OWNED, protection=False)
    assert deployer.deploy(SPEC).outcome == "no-changes"
    assert "create_change_set" not in cfn.names()
    assert cfn.call("update_termination_protection")["EnableTerminationProtection"] is True


def test_changed_tags_alone_trigger_an_update(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template=BODY, tags=[*OWNED, {"Key": "team", "Value": "old"}], protection=True)
    cfn.on_execute = [Step(0, "UPDATE_COMPLETE")]
    assert deployer.deploy(SPEC).outcome == "updated"
    assert cfn.call("create_change_set")["ChangeSetType"] == "UPDATE"


def test_empty_change_set_is_deleted_and_reported_as_no_changes(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.change_set_result = ("FAILED", "The submitted information didn't contain changes. Submit different information to create a change set.")
    result = deployer.deploy(SPEC)
    assert result.outcome == "no-changes"
    assert "delete_change_set" in cfn.names()
    assert cfn.change_sets == {}
    assert "execute_change_set" not in cfn.names()


def test_no_updates_validation_error_is_no_changes(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.create_change_set_error = client_error("ValidationError", "No updates are to be performed.", "CreateChangeSet")
    assert deployer.deploy(SPEC).outcome == "no-changes"


def test_plan_deletes_the_change_set_and_the_empty_review_stack(deployer, cfn) -> None:
    result = deployer.deploy(SPEC, DeployOptions(plan_only=True))
    assert result.outcome == "planned"
    assert "execute_change_set" not in cfn.names()
    assert cfn.change_sets == {}
    review = cfn.all_stacks
    assert len(review) == 1 and review[0].deleted, "the empty REVIEW_IN_PROGRESS stack the plan made is deleted"
    assert cfn.call("delete_stack")["StackName"] == review[0].stack_id


def test_plan_shows_replacement_and_iam_diff(deployer, cfn, reporter) -> None:
    old = BODY.replace("dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem")
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template=old, tags=OWNED, protection=True)
    cfn.change_set_changes = [{"ResourceChange": {"Action": "Modify", "LogicalResourceId": "AccessRole",
                                                  "ResourceType": "AWS::IAM::Role", "Replacement": "True"}}]
    deployer.deploy(SPEC, DeployOptions(plan_only=True))
    plan = next(line for line in reporter.lines if line.startswith("plan "))
    assert "('Modify', 'AccessRole', 'True')" in plan
    assert "dynamodb:BatchWriteItem on arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/keystore" in plan
    assert "dynamodb:ConditionCheckItem" in plan.split(" -[")[1]
    assert cfn.change_sets == {}


def test_declined_confirmation_deletes_the_change_set(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    with pytest.raises(Declined):
        deployer.deploy(SPEC, DeployOptions(confirm=lambda q: False))
    assert cfn.change_sets == {}
    assert "execute_change_set" not in cfn.names()


def test_a_stack_that_is_already_done_costs_no_sleep(deployer, cfn, clock) -> None:
    deployer.deploy(SPEC)  # the fake completes at t=0
    assert clock.sleeps == []


def test_polling_backs_off_from_half_a_second_to_five_with_jitter(deployer, cfn, clock) -> None:
    cfn.on_execute = [Step(60, "CREATE_COMPLETE")]
    deployer.deploy(SPEC)
    first = clock.sleeps[:6]
    assert 0.4 <= first[0] <= 0.6 and 0.8 <= first[1] <= 1.2 and 1.6 <= first[2] <= 2.4
    assert max(clock.sleeps) <= 5 * 1.2
    assert len(set(clock.sleeps)) > 3, "jittered"
    # detection latency: the loop notices completion within one (capped) poll interval
    assert clock.t - 1000 - 60 <= 6.0


def test_events_are_reported_once_each_in_order(deployer, cfn, reporter) -> None:
    cfn.on_execute = [Step(1, "CREATE_IN_PROGRESS", "AccessRole", "CREATE_IN_PROGRESS"),
                      Step(3, "CREATE_IN_PROGRESS", "AccessRole", "CREATE_COMPLETE"),
                      Step(4, "CREATE_COMPLETE")]
    deployer.deploy(SPEC)
    events = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reporter.events]
    assert events == [("xacct-account-a", "CREATE_IN_PROGRESS"), ("AccessRole", "CREATE_IN_PROGRESS"),
                      ("AccessRole", "CREATE_COMPLETE"), ("xacct-account-a", "CREATE_COMPLETE")]


def test_outputs_are_returned_and_missing_outputs_are_none(deployer, cfn) -> None:
    assert deployer.deploy(SPEC).outputs == {"RoleArn": "arn:aws:iam::111111111111:role/xacct-access"}
    cfn2 = FakeCloudFormation(FakeClock())
    cfn2.outputs = None
    assert Deployer(cfn2, clock=FakeClock()).deploy(SPEC).outputs is None


def test_a_healthy_stack_we_did_not_create_is_refused_unless_adopted(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="someone else's", tags=[{"Key": "team", "Value": "x"}])
    with pytest.raises(StackUnusable, match="--adopt"):
        deployer.deploy(SPEC)
    assert "create_change_set" not in cfn.names()
    cfn.on_execute = [Step(0, "UPDATE_COMPLETE")]
    assert deployer.deploy(SPEC, DeployOptions(adopt=True)).outcome == "updated"
    assert {"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"} in cfn.call("create_change_set")["Tags"]


def test_ctrl_c_while_the_change_set_is_being_made_leaves_nothing_behind(deployer, cfn, clock) -> None:
    cfn.change_set_result = ("CREATE_PENDING", "")
    clock.interrupt_at = [2]
    with pytest.raises(Interrupted, match=r"interrupted before anything was deployed .*REVIEW_IN_PROGRESS stack deleted.*as it was") as err:
        deployer.deploy(SPEC)
    assert err.value.exit_code == 130
    assert cfn.change_sets == {}
    assert cfn.all_stacks and all(s.deleted for s in cfn.all_stacks), "the empty REVIEW_IN_PROGRESS stack is removed too"


def test_an_error_at_the_prompt_leaves_no_change_set(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)

    def ctrl_c(question: str) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="before anything was deployed"):
        deployer.deploy(SPEC, DeployOptions(confirm=ctrl_c))
    assert cfn.change_sets == {} and "execute_change_set" not in cfn.names()


# ---------------------------------------------------------------- issue 4: when things go wrong


def test_root_cause_is_the_first_failed_event_not_the_cancellations(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.on_execute = [
        Step(1, "UPDATE_IN_PROGRESS", "Other", "UPDATE_FAILED", "Resource update cancelled", "AWS::IAM::Policy"),
        Step(1, "UPDATE_IN_PROGRESS", "AccessRole", "UPDATE_FAILED", "MalformedPolicyDocument: Invalid principal in policy"),
        Step(2, "UPDATE_ROLLBACK_IN_PROGRESS"),
        Step(3, "UPDATE_ROLLBACK_COMPLETE"),
    ]
    with pytest.raises(DeployFailed) as err:
        deployer.deploy(SPEC)
    msg = str(err.value)
    assert "AccessRole (AWS::IAM::Role) UPDATE_FAILED: MalformedPolicyDocument: Invalid principal in policy" in msg
    assert "final status UPDATE_ROLLBACK_COMPLETE" in msg
    assert err.value.exit_code == 1


def test_rolled_back_update_is_a_failure_never_success(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.on_execute = [Step(1, "UPDATE_ROLLBACK_COMPLETE")]
    with pytest.raises(DeployFailed, match="UPDATE_ROLLBACK_COMPLETE"):
        deployer.deploy(SPEC)


def test_create_change_sets_delete_the_stack_on_failure(deployer, cfn) -> None:
    cfn.on_execute = [Step(1, "CREATE_IN_PROGRESS", "AccessRole", "CREATE_FAILED", "Role already exists"),
                      Step(2, "DELETE_COMPLETE")]
    with pytest.raises(DeployFailed, match="Role already exists"):
        deployer.deploy(SPEC)
    assert cfn.call("create_change_set")["OnStackFailure"] == "DELETE"


def test_change_set_failure_explains_its_status_reason(deployer, cfn) -> None:
    cfn.change_set_result = ("FAILED", "Template format error: unsupported structure")
    with pytest.raises(DeployFailed, match="Template format error"):
        deployer.deploy(SPEC)
    assert cfn.change_sets == {}


def test_early_validation_failure_is_explained_from_describe_events(deployer, cfn) -> None:
    cfn.change_set_result = ("FAILED", "The following hook(s)/validation failed: [AWS::EarlyValidation::ResourceExistenceCheck]")
    cfn.validation_events = [{"ValidationName": "AWS::EarlyValidation::ResourceExistenceCheck",
                              "ValidationStatusReason": "Resource of type AWS::IAM::Role named xacct-access already exists",
                              "ValidationPath": "/Resources/AccessRole"}]
    with pytest.raises(DeployFailed) as err:
        deployer.deploy(SPEC)
    assert ("/Resources/AccessRole: Resource of type AWS::IAM::Role named xacct-access already exists "
            "(AWS::EarlyValidation::ResourceExistenceCheck)") in str(err.value)
    assert cfn.call("describe_events")["Filters"] == {"FailedEvents": True}
    assert cfn.change_sets == {}


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"])
def test_dead_stack_we_own_is_deleted_and_recreated(deployer, cfn, reporter, status) -> None:
    cfn.add_stack("xacct-account-a", status, tags=OWNED)
    assert deployer.deploy(SPEC).outcome == "created"
    assert cfn.names().index("delete_stack") < cfn.names().index("create_change_set")
    assert any("deleting it" in line for line in reporter.lines)


def test_dead_stack_we_do_not_own_is_left_alone_with_the_command_to_remove_it(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "ROLLBACK_COMPLETE", tags=[{"Key": "team", "Value": "x"}])
    with pytest.raises(StackUnusable) as err:
        deployer.deploy(SPEC)
    assert "aws cloudformation delete-stack --stack-name xacct-account-a" in str(err.value)
    assert "delete_stack" not in cfn.names()


def test_empty_review_in_progress_stack_we_own_is_reused_for_create(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "REVIEW_IN_PROGRESS", tags=OWNED)
    assert deployer.deploy(SPEC).outcome == "created"
    assert cfn.call("create_change_set")["ChangeSetType"] == "CREATE"


def test_busy_stack_is_waited_on_then_deployed(deployer, cfn, clock) -> None:
    stack = cfn.add_stack("xacct-account-a", "UPDATE_IN_PROGRESS", template="old", tags=OWNED, protection=True)
    cfn._start(stack, [Step(3, "UPDATE_COMPLETE")])
    cfn.on_execute = [Step(0, "UPDATE_COMPLETE")]
    assert deployer.deploy(SPEC).outcome == "updated"
    assert clock.t >= 1003


def test_update_rollback_failed_is_explained_and_continue_rollback_recovers(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_ROLLBACK_FAILED", template="old", tags=OWNED, protection=True)
    with pytest.raises(StackUnusable, match="--continue-rollback"):
        deployer.deploy(SPEC)
    cfn.on_execute = [Step(0, "UPDATE_COMPLETE")]
    assert deployer.deploy(SPEC, DeployOptions(continue_rollback=True)).outcome == "updated"
    assert "continue_update_rollback" in cfn.names()


def test_timeout_says_the_stack_is_still_running_and_how_to_reattach(deployer, cfn, clock) -> None:
    cfn.on_execute = [Step(3600, "CREATE_COMPLETE")]
    with pytest.raises(DeployTimeout) as err:
        deployer.deploy(SPEC, DeployOptions(timeout=30))
    assert "xacct-infra status --account-a --wait" in str(err.value)
    assert 30 <= clock.t - 1000 <= 31


def test_first_interrupt_during_update_cancels_and_streams_the_rollback(deployer, cfn, clock) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.on_execute = [Step(600, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(2, "UPDATE_ROLLBACK_COMPLETE")]
    clock.interrupt_at = [2]
    with pytest.raises(Interrupted) as err:
        deployer.deploy(SPEC)
    assert "cancel_update_stack" in cfn.names()
    assert "UPDATE_ROLLBACK_COMPLETE" in str(err.value)
    assert err.value.exit_code == 130


def test_first_interrupt_during_create_deletes_the_half_made_stack(deployer, cfn, clock) -> None:
    cfn.on_execute = [Step(600, "CREATE_COMPLETE")]
    clock.interrupt_at = [1]
    with pytest.raises(Interrupted):
        deployer.deploy(SPEC)
    assert "delete_stack" in cfn.names()


def test_second_interrupt_detaches_with_reattach_instructions(deployer, cfn, clock) -> None:
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template="old", tags=OWNED, protection=True)
    cfn.on_execute = [Step(600, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(600, "UPDATE_ROLLBACK_COMPLETE")]
    clock.interrupt_at = [1, 2]
    with pytest.raises(Interrupted, match=r"detached.*status --account-a --wait"):
        deployer.deploy(SPEC)


def test_destroy_refuses_while_protected_unless_forced(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template=BODY, tags=OWNED, protection=True)
    with pytest.raises(DeployFailed, match="termination protection is on"):
        deployer.destroy(SPEC)
    assert "delete_stack" not in cfn.names()
    assert deployer.destroy(SPEC, force=True) == "DELETE_COMPLETE"
    assert cfn.names().index("update_termination_protection") < cfn.names().index("delete_stack")


def test_destroy_refuses_a_stack_without_our_ownership_tag(deployer, cfn) -> None:
    cfn.add_stack("xacct-account-a", "CREATE_COMPLETE", template=BODY, tags=[])
    with pytest.raises(StackUnusable, match="not created by xacct-infra"):
        deployer.destroy(SPEC)


def test_a_change_set_of_several_pages_is_read_in_full_through_the_paginator(deployer, cfn, reporter) -> None:
    cfn.page_size = 2  # DescribeChangeSet answers two changes per page, with a NextToken
    cfn.change_set_changes = [{"ResourceChange": {"Action": "Add", "LogicalResourceId": f"Res{i}", "ResourceType": "AWS::IAM::Role",
                                                  "Replacement": ""}} for i in range(5)]
    assert len(deployer.deploy(SPEC, DeployOptions(plan_only=True)).changes) == 5
    tokens = [kw["NextToken"] for name, kw in cfn.calls if name == "describe_change_set"]
    assert tokens[:3] == [None, "2", "4"], "the first page while polling, then the rest through NextToken"
    plan = next(line for line in reporter.lines if line.startswith("plan "))
    assert all(f"'Res{i}'" in plan for i in range(5))


def test_status_takes_the_newest_events_from_the_first_pages_only(deployer, cfn) -> None:
    cfn.page_size = 2
    stack = cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template=BODY, tags=OWNED, protection=True)
    for i in range(7):
        cfn._event(stack, "UPDATE_COMPLETE", f"Res{i}")
    report = deployer.status(SPEC, events=3)
    assert [e["LogicalResourceId"] for e in report.events] == ["Res6", "Res5", "Res4"]
    assert [kw["NextToken"] for name, kw in cfn.calls if name == "describe_stack_events"] == [None, "2"]
    assert report.healthy and report.matches
