"""`verify --emulator` must not pass when Account A's role does not exist: the emulator issues
credentials for any role ARN, so a successful AssumeRole there proves nothing."""

from __future__ import annotations

import json

from creds_support import A_ID, Emulated


def test_verify_on_the_emulator_fails_when_account_a_role_was_deleted(run, emulated: Emulated) -> None:
    emulated.emulator.client("iam", credentials=emulated.emulator.mint(A_ID)).delete_role(RoleName="xacct-access")  # type: ignore[attr-defined]
    result = run("verify", "--config", str(emulated.config), "--profile", "instance", "--emulator", "--output", "json")
    assert result.exit_code == 1, result.output
    checks = {row["check"]: row for row in json.loads(result.output)["checks"]}
    assert checks["role xacct-access exists"]["status"] == "FAIL"
    assert "does not exist" in checks["role xacct-access exists"]["detail"]
    assert checks["access checks"]["status"] == "skipped"
