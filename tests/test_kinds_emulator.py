"""One consumer of each kind, end to end on the emulator: one config deploys Account A and six
consumer stacks (each shaped by its kind), and every consumer's own identity (its instance role,
execution role, task role, service role, Pod Identity role, existing role) gets Account A
credentials and verifies. The emulator does not enforce IAM (RESEARCH.md §4): this proves the
stacks, accounts and calls, while the trust tests (test_kinds_trust.py) prove who is admitted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import A_ID, ROOT
from xacct_infra import config, local

KINDS_CONFIG = ROOT / "tests" / "golden" / "kinds" / "xacct.toml"
GOLDEN_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def kinds_fleet(emulator, tmp_path: Path) -> tuple[Path, config.Config]:
    cfg = config.load(KINDS_CONFIG)
    local.create_sample_data(emulator, A_ID, "us-east-1", ["keystore"])
    key = local.create_sample_key(emulator, A_ID, "us-east-1")
    for b in cfg.consumers:
        assert b.profile
        emulator.add_profile(b.profile, b.id, b.region)
        emulator.add_profile(f"{b.name}-workload", b.id, b.region, role_name=b.role_name, role_path=b.role_path)
        if b.kind == "existing-role":  # its owners created it before adopting xacct-infra
            local.create_existing_role(emulator, b.id, b.role_path, b.role_name)
    path = tmp_path / "xacct.toml"
    path.write_text(KINDS_CONFIG.read_text().replace(GOLDEN_KEY, key))
    return path, cfg


def _iam(emulator, account: str):
    return emulator.client("iam", credentials=emulator.mint(account))


@pytest.mark.slow  # fleet scale: a stack for every consumer kind
def test_every_kind_deploys_reaches_account_a_as_its_own_identity_and_is_destroyed(emulator, run, kinds_fleet) -> None:
    path, cfg = kinds_fleet
    deployed = run("deploy", "--all", "--config", str(path), "--output", "json")
    assert deployed.exit_code == 0, deployed.stderr
    doc = json.loads(deployed.stdout)
    assert sorted(doc) == sorted(["account_a"] + [f"account_b:{b.name}" for b in cfg.consumers])
    assert {entry["outcome"] for entry in doc.values()} == {"created"}

    by_kind = {b.kind: b for b in cfg.consumers}
    assert len(by_kind) == 6, "one consumer of each kind"
    hosts = by_kind["ec2"]
    assert [p["InstanceProfileName"] for p in _iam(emulator, hosts.id).list_instance_profiles()["InstanceProfiles"]] == ["xacct-instance"]
    for kind in ("lambda", "ecs-task", "codebuild", "eks-pod-identity"):
        b = by_kind[kind]
        iam = _iam(emulator, b.id)
        assert iam.list_instance_profiles()["InstanceProfiles"] == [], f"{kind}: no instance profile"
        trust = iam.get_role(RoleName=b.role_name)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert [s["Principal"]["Service"] for s in trust["Statement"]] == [b.spec.service]
    legacy = by_kind["existing-role"]
    attached = _iam(emulator, legacy.id).list_attached_role_policies(RoleName=legacy.role_name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["legacy-app-xacct-assume-account-a"]
    assert [r["RoleName"] for r in _iam(emulator, legacy.id).list_roles()["Roles"]] == ["legacy-app"], "no role created"

    for b in cfg.consumers:
        verified = run("verify", "--config", str(path), "--consumer", b.name, "--profile", f"{b.name}-workload", "--emulator",
                       "--wait", "0")
        assert verified.exit_code == 0, f"{b.kind}: {verified.stdout}{verified.stderr}"
        assert "assume arn:aws:iam::111111111111:role/xacct-access" in verified.stdout
        creds = run("credentials", "--config", str(path), "--consumer", b.name, "--profile", f"{b.name}-workload", "--format", "json")
        assert creds.exit_code == 0, creds.stderr
        assert json.loads(creds.stdout)["AssumedRoleArn"].startswith("arn:aws:sts::111111111111:assumed-role/xacct-access/")

    again = run("deploy", "--all", "--config", str(path), "--output", "json")
    assert {entry["outcome"] for entry in json.loads(again.stdout).values()} == {"no-changes"}
    status = run("status", "--account-b", "--config", str(path))
    assert status.exit_code == 0, status.stdout + status.stderr
    destroyed = run("destroy", "--account-b", "--config", str(path), "--yes", "--force")
    assert destroyed.exit_code == 0, destroyed.stdout + destroyed.stderr
    iam = _iam(emulator, legacy.id)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["legacy-app"], "destroy keeps the role it did not create"
    for b in cfg.consumers:  # (the emulator leaves a deleted stack's managed policy attached: not asserted here)
        cfn = emulator.client("cloudformation", credentials=emulator.mint(b.id))
        assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"] == []


def test_a_stackset_rolls_one_kind_template_out_with_each_accounts_own_source_account(emulator, run, write_config) -> None:
    from tests.conftest import EMU_CONFIG

    cfg = str(write_config(EMU_CONFIG.replace('profile = "consumer"', 'profile = "consumer"\nkind = "ecs-task"')))
    fleet = ["707070707070", "808080808080"]
    result = run("deploy", "--account-b", "--stackset", "--accounts", ",".join(fleet), "--config", cfg)
    assert result.exit_code == 0, result.stderr
    for account in fleet:
        iam = _iam(emulator, account)
        assert iam.list_instance_profiles()["InstanceProfiles"] == []
        trust = iam.get_role(RoleName="xacct-ecs-task")["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        (statement,) = trust["Statement"]
        assert statement["Principal"]["Service"] == "ecs-tasks.amazonaws.com"
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account, "the account the instance runs in"
