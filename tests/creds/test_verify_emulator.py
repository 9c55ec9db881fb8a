"""`xacct-infra verify` against the emulator: real HTTP, two accounts, no IAM enforcement."""

from __future__ import annotations

import json

import pytest
from creds_support import Emulated


def verify(run, emulated: Emulated, *args: str, profile: str = "instance"):
    return run("verify", "--config", str(emulated.config), "--profile", profile, *args)


def rows(result) -> dict[str, dict[str, str]]:
    return {row["check"]: row for row in json.loads(result.output)["checks"]}


def test_verify_roundtrip_passes_after_demo_setup(run, emulated: Emulated) -> None:
    result = verify(run, emulated, "--roundtrip", "--emulator", "--output", "json")
    assert result.exit_code == 0, result.output
    checks = rows(result)
    assert json.loads(result.output)["passed"] is True
    positive = {c: r for c, r in checks.items() if not c.startswith("denied:")}
    assert {r["status"] for r in positive.values()} == {"ok"}
    for expected in ("assume arn:aws:iam::111111111111:role/xacct-access", "credentials act in Account A",
                     "dynamodb:DescribeTable keystore", "dynamodb:GetItem keystore", "dynamodb:GetItem keystore-audit",
                     f"kms:DescribeKey {emulated.key_id}", "roundtrip: dynamodb:PutItem keystore",
                     "roundtrip: GetItem + kms:Decrypt keystore", "roundtrip: dynamodb:DeleteItem keystore"):
        assert expected in positive
    assert "equal byte for byte" in checks["roundtrip: GetItem + kms:Decrypt keystore"]["detail"]
    # The emulator does not enforce IAM: denials are reported as unproven, never as passed.
    negative = [r for c, r in checks.items() if c.startswith("denied:")]
    assert len(negative) == 4 and {r["status"] for r in negative} == {"unproven"}


def test_verify_roundtrip_leaves_no_probe_behind(run, emulated: Emulated) -> None:
    assert verify(run, emulated, "--roundtrip", "--emulator").exit_code == 0
    owner = emulated.emulator.client("dynamodb", credentials=emulated.emulator.mint("111111111111"))  # type: ignore[attr-defined]
    assert owner.scan(TableName="keystore")["Items"] == []


def test_verify_text_table_and_summary(run, emulated: Emulated) -> None:
    result = verify(run, emulated, "--emulator")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ok        caller is in Account B")
    assert lines[-1].startswith("verify passed with 4 denial(s) not proven:")


def test_without_the_emulator_flag_unenforced_denials_fail(run, emulated: Emulated) -> None:
    result = verify(run, emulated, "--output", "json")
    assert result.exit_code == 1
    checks = rows(result)
    failed = [c for c, r in checks.items() if r["status"] == "FAIL"]
    assert failed == ["denied: dynamodb:DescribeTable xacct-verify-not-granted (not in config)",
                      "denied: dynamodb:ListTables", "denied: kms:ListKeys"]
    assert "may do more than the config grants" in checks["denied: dynamodb:ListTables"]["detail"]
    for check in failed:  # the endpoint is not AWS's: the hint says an emulator needs --emulator, naming it
        assert f"{emulated.url} is not AWS's own endpoint" in checks[check]["detail"] and "--emulator" in checks[check]["detail"]


def test_emulator_flag_needs_an_endpoint_setting(run, emulated: Emulated, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    result = verify(run, emulated, "--emulator")
    assert result.exit_code == 2 and "--emulator needs --endpoint-url" in result.output


def test_wrong_region_names_the_cause(run, emulated: Emulated) -> None:
    emulated.write_config(emulated.config, region="us-west-2")  # the tables and key live in us-east-1
    result = verify(run, emulated, "--emulator", "--output", "json")
    assert result.exit_code == 1
    checks = rows(result)
    assert checks["dynamodb:DescribeTable keystore"]["status"] == "FAIL"
    assert "wrong region" in checks["dynamodb:DescribeTable keystore"]["detail"]
    assert checks["dynamodb:GetItem keystore"]["status"] == "skipped"
    assert "wrong region" in checks[f"kms:DescribeKey {emulated.key_id}"]["detail"]


def test_caller_outside_account_b_fails_without_assuming(run, emulated: Emulated) -> None:
    result = verify(run, emulated, "--emulator", "--output", "json", profile="owner")
    assert result.exit_code == 1
    checks = rows(result)
    assert checks["caller is in Account B"]["status"] == "FAIL"
    assert checks["access checks"]["status"] == "skipped"


def test_caller_in_b_but_not_the_instance_role_fails_at_once(run, emulated: Emulated) -> None:
    result = verify(run, emulated, "--emulator", "--output", "json", profile="consumer")
    assert result.exit_code == 1
    assume = rows(result)["assume arn:aws:iam::111111111111:role/xacct-access"]
    assert assume["status"] == "FAIL" and "principal mismatch" in assume["detail"]


def test_roundtrip_needs_a_read_write_table_and_an_encrypt_decrypt_key(run, emulated: Emulated) -> None:
    emulated.config.write_text(emulated.config.read_text().replace('access = "encrypt-decrypt"', 'access = "decrypt"'))
    result = verify(run, emulated, "--roundtrip", "--emulator", "--endpoint-url", "http://127.0.0.1:9")
    assert result.exit_code == 2 and "--roundtrip needs" in result.output  # refused before any call


def test_deny_options_refuse_what_the_config_grants(run, emulated: Emulated) -> None:
    assert verify(run, emulated, "--deny-table", "keystore").exit_code == 2
    assert verify(run, emulated, "--deny-key", emulated.key_id).exit_code == 2
