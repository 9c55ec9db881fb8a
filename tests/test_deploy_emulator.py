"""`deploy`, `status`, `destroy` end to end against the emulator as a real HTTP server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import A_ID, B_ID, EMU_CONFIG
from xacct_infra import aws
from xacct_infra.cli import cli


def cfn(emulator, account: str):
    return emulator.client("cloudformation", "us-east-1", emulator.mint(account))


def change_sets(emulator, account: str, stack: str) -> list[dict]:
    """That stack's change sets (the emulator lists every stack's: filtered here). Errors propagate:
    an empty list must mean "none", never "could not ask"."""
    return [s for s in cfn(emulator, account).list_change_sets(StackName=stack)["Summaries"] if s["StackName"] == stack]


@pytest.fixture
def cfg(write_config):
    return write_config(EMU_CONFIG)


def test_deploy_all_puts_each_stack_in_its_own_account(emulator, run, cfg) -> None:
    result = run("deploy", "--all", "--config", str(cfg))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "xacct-account-a\tcreated"
    assert "xacct-account-b\tcreated" in result.stdout
    a_stacks = [s["StackName"] for s in cfn(emulator, A_ID).describe_stacks()["Stacks"]]
    b_stacks = [s["StackName"] for s in cfn(emulator, B_ID).describe_stacks()["Stacks"]]
    assert a_stacks == ["xacct-account-a"] and b_stacks == ["xacct-account-b"]
    iam_a = emulator.client("iam", credentials=emulator.mint(A_ID))
    iam_b = emulator.client("iam", credentials=emulator.mint(B_ID))
    assert iam_a.get_role(RoleName="xacct-access")["Role"]["Arn"] == f"arn:aws:iam::{A_ID}:role/xacct-access"
    assert iam_b.get_instance_profile(InstanceProfileName="xacct-instance")["InstanceProfile"]["Roles"][0]["RoleName"] == "xacct-instance"
    with pytest.raises(iam_a.exceptions.NoSuchEntityException):
        iam_a.get_role(RoleName="xacct-instance")


def test_redeploy_is_a_noop_that_creates_no_change_set(emulator, run, cfg) -> None:
    assert run("deploy", "--all", "--config", str(cfg)).exit_code == 0
    before = (change_sets(emulator, A_ID, "xacct-account-a"), change_sets(emulator, B_ID, "xacct-account-b"))
    again = run("deploy", "--all", "--config", str(cfg))
    assert again.exit_code == 0
    assert "xacct-account-a\tno-changes" in again.stdout and "xacct-account-b\tno-changes" in again.stdout
    assert "xacct-account-a: no changes" in again.stderr
    after = (change_sets(emulator, A_ID, "xacct-account-a"), change_sets(emulator, B_ID, "xacct-account-b"))
    assert after == before
    # moto keeps executed change sets listed (AWS removes them); none may be pending
    assert all(group for group in after), "each stack's executed change set is listed"
    assert all(cs["ExecutionStatus"] == "EXECUTE_COMPLETE" for group in after for cs in group)


def test_update_after_config_change_deploys_the_new_template(emulator, run, cfg) -> None:
    assert run("deploy", "--account-a", "--config", str(cfg)).exit_code == 0
    cfg.write_text(EMU_CONFIG.replace('[account_b]', '[[account_a.tables]]\nname = "audit"\naccess = "read"\n\n[account_b]'))
    result = run("deploy", "--account-a", "--config", str(cfg))
    assert result.exit_code == 0, result.stderr
    assert "xacct-account-a\tupdated" in result.stdout
    assert "table/audit" in result.stderr  # the IAM statement diff
    body = cfn(emulator, A_ID).get_template(StackName="xacct-account-a", TemplateStage="Original")["TemplateBody"]
    assert "table/audit" in body
    listed = change_sets(emulator, A_ID, "xacct-account-a")
    assert len(listed) == 2 and all(cs["ExecutionStatus"] == "EXECUTE_COMPLETE" for cs in listed)  # the create's and the update's


def test_plan_changes_nothing_and_leaves_no_stack_or_change_set(emulator, run, cfg) -> None:
    result = run("deploy", "--account-a", "--plan", "--config", str(cfg))
    assert result.exit_code == 0, result.stderr
    assert "Plan for xacct-account-a:" in result.stderr
    assert "+ Add    AccessRole (AWS::IAM::Role)" in result.stderr
    assert "xacct-account-a\tplanned" in result.stdout
    stacks = cfn(emulator, A_ID).list_stacks()["StackSummaries"]
    assert stacks and all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)  # the plan's REVIEW stack, deleted
    iam_a = emulator.client("iam", credentials=emulator.mint(A_ID))
    assert iam_a.list_roles()["Roles"] == []


def test_wrong_account_guard_exits_2_naming_both_ids_and_the_profile(emulator, run, cfg) -> None:
    emulator.add_profile("owner", B_ID, "us-east-1")  # the owner profile now points at the wrong account
    result = run("deploy", "--account-a", "--config", str(cfg))
    assert result.exit_code == 2
    assert A_ID in result.stderr and B_ID in result.stderr and "'owner'" in result.stderr
    assert cfn(emulator, B_ID).describe_stacks()["Stacks"] == []


def test_output_json_is_the_only_thing_on_stdout(emulator, run, cfg) -> None:
    result = run("deploy", "--all", "--output", "json", "--config", str(cfg))
    doc = json.loads(result.stdout)
    assert doc["account_a"]["outcome"] == "created" and doc["account_b"]["account"] == B_ID
    # the emulator returns no Outputs for change-set stacks: said so, with the values known from the config
    assert doc["account_a"]["outputs"] is None
    assert doc["account_a"]["known_from_config"] == {"RoleArn": f"arn:aws:iam::{A_ID}:role/xacct-access"}
    assert "returned no outputs" in result.stderr


def test_status_reports_drift_and_destroy_removes_the_stack(emulator, run, cfg) -> None:
    assert run("status", "--account-a", "--config", str(cfg)).exit_code == 1  # not deployed
    assert run("deploy", "--all", "--config", str(cfg)).exit_code == 0
    ok = run("status", "--config", str(cfg))
    assert ok.exit_code == 0, ok.stdout
    assert ok.stdout.count("matches the config") == 2
    cfg.write_text(EMU_CONFIG.replace('access = "read-write"', 'access = "read"'))
    drift = run("status", "--account-a", "--config", str(cfg))
    assert drift.exit_code == 1 and "DIFFERS from the config" in drift.stdout

    refused = run("destroy", "--account-b", "--config", str(cfg))  # non-interactive without --yes
    assert refused.exit_code == 2 and "without --yes" in refused.stderr
    gone = run("destroy", "--account-b", "--yes", "--config", str(cfg))
    assert gone.exit_code == 0 and "xacct-account-b\tdeleted" in gone.stdout
    assert run("status", "--account-b", "--config", str(cfg)).stdout.strip().endswith("NOT DEPLOYED")


def test_aws_profile_from_environment_is_used_when_config_names_none(emulator, run, write_config, monkeypatch) -> None:
    path = write_config(EMU_CONFIG.replace('profile = "owner"\n', ""))
    monkeypatch.setenv("AWS_PROFILE", "owner")
    assert run("deploy", "--account-a", "--config", str(path)).exit_code == 0


def test_profile_flag_overrides_the_config(emulator, run, cfg) -> None:
    result = run("deploy", "--account-a", "--profile", "consumer", "--config", str(cfg))
    assert result.exit_code == 2 and "'consumer'" in result.stderr


def test_endpoint_url_flag_is_used(emulator, run, cfg, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # closed port
    result = run("deploy", "--account-a", "--endpoint-url", emulator.url, "--config", str(cfg))
    assert result.exit_code == 0, result.stderr


def test_closed_port_exits_2_naming_the_endpoint(emulator, cfg, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = CliRunner().invoke(cli, ["deploy", "--account-a", "--config", str(cfg)], obj=aws.Clients(max_attempts=1),
                                catch_exceptions=False)  # the real factory, each client trying once: a closed port is not retried
    assert result.exit_code == 2
    assert "cannot reach http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_credentials_exits_2_naming_the_chain(emulator, run, write_config, monkeypatch, tmp_path) -> None:
    path = write_config(EMU_CONFIG.replace('profile = "owner"\n', ""))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = run("deploy", "--account-a", "--config", str(path))
    assert result.exit_code == 2
    assert "no AWS credentials found using the default credential chain" in result.stderr


def test_unknown_profile_exits_2(emulator, run, cfg) -> None:
    result = run("deploy", "--account-a", "--profile", "nope", "--config", str(cfg))
    assert result.exit_code == 2 and "'nope' not found" in result.stderr
