"""`audit` with several consumers on the emulator (tests/golden/consumers: two share the main role, a
narrowed one has its own): the fleet audits clean, and a narrowed consumer let into the main role's
trust, reaching grants it was narrowed away from, is caught by the probes and the exact comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import A_ID, ROOT
from xacct_infra import config, local

GOLDEN = ROOT / "tests" / "golden" / "consumers" / "xacct.toml"


@pytest.mark.slow  # fleet scale: Account A and three consumers deployed, audited twice
def test_a_narrowed_consumer_let_into_the_main_role_is_caught(emulator, run, tmp_path: Path) -> None:
    text = GOLDEN.read_text().replace('region = "us-east-1"\nexternal_id', 'region = "us-east-1"\nprofile = "p-a"\nexternal_id', 1)
    for name in ("payments", "search", "reporting"):
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\nprofile = "p-{name}"\n')
    local.create_sample_data(emulator, A_ID, "us-east-1", ["keystore", "keystore-audit"])
    text = text.replace("1234abcd-12ab-34cd-56ef-1234567890ab", local.create_sample_key(emulator, A_ID, "us-east-1"))
    path = tmp_path / "xacct.toml"
    path.write_text(text)
    cfg = config.load(path)
    emulator.add_profile("p-a", A_ID, "us-east-1")
    for b in cfg.consumers:
        emulator.add_profile(f"p-{b.name}", b.id, b.region)
    assert run("deploy", "--all", "--config", str(path)).exit_code == 0
    clean = run("audit", "--config", str(path))
    assert clean.exit_code == 0, clean.stdout
    assert "ec2.amazonaws.com (consumers payments, search, reporting)" in clean.stdout

    reporting = cfg.consumer("reporting")
    iam = emulator.client("iam", credentials=emulator.mint(A_ID))
    trust = iam.get_role(RoleName="xacct-access")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    values = trust["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    trust["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"] = [*values, reporting.role_arn]
    principals = trust["Statement"][0]["Principal"]["AWS"]
    trust["Statement"][0]["Principal"]["AWS"] = [*principals, f"arn:aws:iam::{reporting.id}:root"]
    iam.update_assume_role_policy(RoleName="xacct-access", PolicyDocument=json.dumps(trust))
    widened = run("audit", "--config", str(path), "--consumer", "reporting")
    assert widened.exit_code == 1, widened.stdout
    fails = [line for line in widened.stdout.splitlines() if line.startswith("FAIL ")]
    assert any("xacct-access's trust policy statement" in f and reporting.role_arn in f for f in fails), fails
