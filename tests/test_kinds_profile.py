"""`profile` follows the consumer's kind: each workload's SDK finds its own credentials where that
kind delivers them, and assumes the Account A role from there."""

from __future__ import annotations

import pytest

from tests.conftest import MINIMAL, ROOT

KINDS_CONFIG = str(ROOT / "tests" / "golden" / "kinds" / "xacct.toml")

# (consumer, kind, the line that says where its own credentials come from)
SOURCES = [
    ("hosts", "ec2", "credential_source = Ec2InstanceMetadata"),
    ("functions", "lambda", "credential_source = Environment"),
    ("tasks", "ecs-task", "credential_source = EcsContainer"),
    ("builds", "codebuild", "credential_source = EcsContainer"),
    ("pods", "eks-pod-identity", "credential_source = EcsContainer"),
    ("legacy", "existing-role", "credential_source = Ec2InstanceMetadata"),
]


@pytest.mark.parametrize(("consumer", "kind", "line"), SOURCES, ids=[s[1] for s in SOURCES])
def test_profile_writes_the_credential_source_of_the_kind(run, consumer: str, kind: str, line: str) -> None:
    result = run("profile", "--config", KINDS_CONFIG, "--consumer", consumer, "--session-name", "s1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["[profile xacct-account-a]", "role_arn = arn:aws:iam::111111111111:role/xacct-access", line], kind
    assert sum(x.startswith(("credential_source", "source_profile")) for x in lines) == 1


def test_an_existing_role_without_credential_source_gets_a_source_profile(run, write_config) -> None:
    path = write_config(MINIMAL + 'kind = "existing-role"\nrole_arn = "arn:aws:iam::222222222222:role/app"\n')
    plain = run("profile", "--config", str(path), "--session-name", "s1")
    assert "source_profile = default" in plain.stdout.splitlines() and "credential_source" not in plain.stdout
    named = run("profile", "--config", str(path), "--session-name", "s1", "--source-profile", "app-role")
    assert "source_profile = app-role" in named.stdout.splitlines()
    forced = run("profile", "--config", str(path), "--session-name", "s1", "--credential-source", "EcsContainer")
    assert "credential_source = EcsContainer" in forced.stdout.splitlines() and "source_profile" not in forced.stdout
