"""`deploy --account-b --stackset` against the emulator's self-managed StackSets (real HTTP)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EMU_CONFIG
from xacct_infra.deploy.stackset import StackSetSpec
from xacct_infra.errors import UsageError

FLEET = ["333333333333", "444444444444", "555555555555"]


def roles_in(emulator, account: str) -> list[str]:
    return [r["RoleName"] for r in emulator.client("iam", credentials=emulator.mint(account)).list_roles()["Roles"]]


def test_stackset_puts_the_instance_role_in_every_account_and_is_idempotent(emulator, run, write_config) -> None:
    cfg = str(write_config(EMU_CONFIG))
    result = run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET[:2]), "--config", cfg)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "xacct-account-b\tcreated"
    assert "333333333333\tus-east-1\tSUCCEEDED" in result.stdout and "444444444444\tus-east-1\tSUCCEEDED" in result.stdout
    assert roles_in(emulator, "333333333333") == ["xacct-instance"] and roles_in(emulator, "555555555555") == []

    again = run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET[:2]), "--config", cfg, "--output", "json")
    doc = json.loads(again.stdout)
    assert doc["outcome"] == "no-changes" and doc["operations"] == []

    grown = run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET), "--config", cfg, "--output", "json")
    doc = json.loads(grown.stdout)
    assert doc["outcome"] == "updated" and len(doc["operations"]) == 1
    assert [i["account"] for i in doc["instances"]] == ["555555555555"]
    assert roles_in(emulator, "555555555555") == ["xacct-instance"]


def test_stackset_reports_accounts_no_longer_in_the_list_without_deleting_them(emulator, run, write_config) -> None:
    cfg = str(write_config(EMU_CONFIG))
    assert run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET), "--config", cfg).exit_code == 0
    shrunk = run("deploy", "--account-b", "--stackset", "--accounts", FLEET[0], "--config", cfg)
    assert shrunk.exit_code == 0
    assert "444444444444\tus-east-1\tnot in --accounts (left alone" in shrunk.stdout
    assert roles_in(emulator, "444444444444") == ["xacct-instance"]


def test_stackset_template_change_updates_every_instance(emulator, run, write_config) -> None:
    path = write_config(EMU_CONFIG)
    assert run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET[:2]), "--config", str(path)).exit_code == 0
    path.write_text(EMU_CONFIG.replace('name = "keystore"', 'name = "keystore"\nindexes = false').replace(
        'id = "111111111111"', 'id = "111111111111"\nrole_name = "renamed-access"'))
    result = run("deploy", "--account-b", "--stackset", "--accounts", ",".join(FLEET[:2]), "--config", str(path), "--output", "json")
    assert json.loads(result.stdout)["outcome"] == "updated"
    cfn = emulator.client("cloudformation", credentials=emulator.mint("222222222222"))
    assert "renamed-access" in cfn.describe_stack_set(StackSetName="xacct-account-b")["StackSet"]["TemplateBody"]


@pytest.mark.parametrize(("args", "message"), [
    (["--stackset"], "either --accounts"),
    (["--stackset", "--accounts", "123"], "'123' is not valid"),
    (["--stackset", "--org-unit", "bogus"], "not an organizational unit id"),
    (["--accounts", "333333333333"], "go with --account-b --stackset"),
])
def test_stackset_flag_errors_exit_2(emulator, run, write_config, args, message) -> None:
    result = run("deploy", "--account-b", *args, "--config", str(write_config(EMU_CONFIG)))
    assert result.exit_code == 2 and message in result.stderr


def test_service_managed_spec_uses_org_units_and_auto_deployment() -> None:
    spec = StackSetSpec("s", "body", ("us-east-1",), org_units=("ou-ab12-cdef3456",))
    assert spec.permission_model == "SERVICE_MANAGED"
    with pytest.raises(UsageError):
        StackSetSpec("s", "body", ("us-east-1",), accounts=("333333333333",), org_units=("ou-ab12-cdef3456",))
