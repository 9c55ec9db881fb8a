"""Three consumer accounts on the emulator: one command deploys Account A and every consumer,
each in its own account; one failing consumer does not hide the others; each consumer's hosts
get Account A credentials for their own role and verify end to end."""

from __future__ import annotations

import json

import pytest

from tests.conftest import A_ID
from xacct_infra import local

CONSUMERS = {"payments": "222222222222", "search": "333333333333", "reporting": "444444444444"}


@pytest.fixture
def fleet(emulator, write_config):
    local.create_sample_data(emulator, A_ID, "us-east-1", ["keystore", "keystore-audit"])
    key = local.create_sample_key(emulator, A_ID, "us-east-1")
    for name, account in CONSUMERS.items():
        emulator.add_profile(f"{name}-admin", account, "us-east-1")
        emulator.add_profile(f"{name}-host", account, "us-east-1", role_name="xacct-instance")
    text = f"""
[account_a]
id = "{A_ID}"
region = "us-east-1"
profile = "owner"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[[account_a.tables]]
name = "keystore-audit"
access = "read"

[[account_a.keys]]
id = "{key}"
access = "encrypt-decrypt"
"""
    for name, account in CONSUMERS.items():
        text += f'\n[[account_b]]\nname = "{name}"\nid = "{account}"\nregion = "us-east-1"\nprofile = "{name}-admin"\n'
        if name == "reporting":
            text += f'[[account_b.tables]]\nname = "keystore"\naccess = "read"\n[[account_b.keys]]\nid = "{key}"\naccess = "decrypt"\n'
    return write_config(text)


def stacks(emulator, account: str) -> list[str]:
    cfn = emulator.client("cloudformation", credentials=emulator.mint(account))
    return [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]


@pytest.mark.slow  # fleet scale: Account A and three consumer accounts, twice
def test_one_command_deploys_account_a_and_every_consumer_in_its_own_account(emulator, run, fleet) -> None:
    result = run("deploy", "--all", "--config", str(fleet), "--output", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert sorted(doc) == ["account_a", "account_b:payments", "account_b:reporting", "account_b:search"]
    assert all(entry["outcome"] == "created" for entry in doc.values())
    assert doc["account_b:search"]["account"] == "333333333333"
    for account in CONSUMERS.values():
        assert stacks(emulator, account) == ["xacct-account-b"]
    iam = emulator.client("iam", credentials=emulator.mint(A_ID))
    assert sorted(r["RoleName"] for r in iam.list_roles()["Roles"]) == ["xacct-access", "xacct-access-reporting"]
    assert "[payments] " in result.stderr and "[reporting] " in result.stderr  # progress lines say whose they are

    again = run("deploy", "--account-b", "--config", str(fleet))
    assert again.exit_code == 0
    lines = again.stdout.splitlines()
    assert [line.split("\t")[0].strip() for line in lines] == ["payments", "search", "reporting"]
    assert all("\tno-changes\t" in line for line in lines)


def test_one_failing_consumer_does_not_hide_the_others(emulator, run, fleet) -> None:
    emulator.add_profile("search-admin", "555555555555", "us-east-1")  # search's profile now points at the wrong account
    result = run("deploy", "--account-b", "--config", str(fleet))
    assert result.exit_code == 1
    rows = {line.split("\t")[0].strip(): line for line in result.stdout.splitlines()}
    assert "\tcreated\t" in rows["payments"] and "\tcreated\t" in rows["reporting"]
    assert "\tFAILED\t" in rows["search"] and "555555555555" in rows["search"] and "333333333333" in rows["search"]
    assert stacks(emulator, "222222222222") == ["xacct-account-b"] and stacks(emulator, "555555555555") == []


def test_consumer_option_deploys_only_that_consumer(emulator, run, fleet) -> None:
    result = run("deploy", "--account-b", "--consumer", "search", "--config", str(fleet))
    assert result.exit_code == 0, result.stderr
    assert stacks(emulator, "333333333333") == ["xacct-account-b"] and stacks(emulator, "222222222222") == []


def test_each_consumer_verifies_its_own_access_end_to_end(emulator, run, fleet) -> None:
    assert run("deploy", "--all", "--config", str(fleet)).exit_code == 0
    payments = run("verify", "--config", str(fleet), "--consumer", "payments", "--profile", "payments-host", "--roundtrip",
                   "--emulator")
    assert payments.exit_code == 0, payments.stdout + payments.stderr
    assert "assume arn:aws:iam::111111111111:role/xacct-access " in payments.stdout
    assert "equal byte for byte" in payments.stdout
    reporting = run("verify", "--config", str(fleet), "--consumer", "reporting", "--profile", "reporting-host", "--emulator",
                    "--output", "json")
    assert reporting.exit_code == 0, reporting.stdout + reporting.stderr
    checks = [c["check"] for c in json.loads(reporting.stdout)["checks"]]
    assert "assume arn:aws:iam::111111111111:role/xacct-access-reporting" in checks
    assert "dynamodb:DescribeTable keystore" in checks
    assert not [c for c in checks if "keystore-audit" in c], "only the consumer's own subset is checked"
    creds = run("credentials", "--config", str(fleet), "--consumer", "search", "--profile", "search-host", "--format", "json")
    assert json.loads(creds.stdout)["AssumedRoleArn"].startswith("arn:aws:sts::111111111111:assumed-role/xacct-access/")


def test_credentials_ask_which_consumer_when_there_are_several(emulator, run, fleet) -> None:
    result = run("credentials", "--config", str(fleet), "--profile", "payments-host")
    assert result.exit_code == 2 and "--consumer NAME" in result.stderr
