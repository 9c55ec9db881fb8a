"""`audit` over one consumer of each kind on the emulator: a clean fleet passes (each kind's service
may assume its role as it does for the consumer's own workloads, an existing role keeps its own
trust), and a trust that drops its confused-deputy condition lets the service act for strangers."""

from __future__ import annotations

import json

import pytest

from tests.test_kinds_emulator import kinds_fleet  # noqa: F401 - the fixture
from xacct_infra import config


@pytest.mark.slow  # fleet scale: a stack for every consumer kind, audited twice
def test_every_kind_audits_clean_and_a_dropped_source_condition_is_caught(emulator, run, kinds_fleet) -> None:  # noqa: F811
    path, _ = kinds_fleet
    assert run("deploy", "--all", "--config", str(path)).exit_code == 0
    clean = run("audit", "--config", str(path))
    assert clean.exit_code == 0, clean.stdout
    assert "pods.eks.amazonaws.com (consumer pods)" in clean.stdout  # the service's own request is a working grant
    tasks = next(b for b in config.load(path).consumers if b.kind == "ecs-task")
    iam = emulator.client("iam", credentials=emulator.mint(tasks.id))
    trust = iam.get_role(RoleName=tasks.role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    for statement in trust["Statement"]:
        statement.pop("Condition", None)
    iam.update_assume_role_policy(RoleName=tasks.role_name, PolicyDocument=json.dumps(trust))
    widened = run("audit", "--config", str(path))
    assert widened.exit_code == 1, widened.stdout
    fails = [line for line in widened.stdout.splitlines() if line.startswith("FAIL ")]
    assert any("xacct-ecs-task's trust policy statement" in f and "ecs-tasks.amazonaws.com for another account" in f for f in fails), fails
