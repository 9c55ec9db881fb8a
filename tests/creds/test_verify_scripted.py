"""`verify` with scripted AWS answers: IAM denials, propagation retries and failure causes, which
the emulator cannot produce. A fake clock: nothing here sleeps."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from creds_support import A_ID, B_ID, REGION

from xacct_infra import verify
from xacct_infra.config import loads
from xacct_infra.errors import UsageError

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CONFIG_TEXT = f"""
[account_a]
id = "{A_ID}"
region = "{REGION}"
[[account_a.tables]]
name = "keystore"
access = "read-write"
[[account_a.keys]]
id = "{KEY_ID}"
access = "encrypt-decrypt"
[account_b]
id = "{B_ID}"
region = "{REGION}"
"""
CONFIG = loads(CONFIG_TEXT)
CALLER = f"arn:aws:sts::{B_ID}:assumed-role/xacct-instance/i-0abc"
ASSUMED = f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/s1"


def denied(op: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, op)


def error(code: str, op: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, op)


class Fake:
    """A client whose methods answer from a script: a dict, a callable, or an exception to raise."""

    def __init__(self, **script: Any) -> None:
        self.script = script
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        if name not in self.script:
            raise AttributeError(name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            answer = self.script[name]
            answer = answer(**kwargs) if callable(answer) else answer
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def ddb_ok(**overrides: Any) -> Fake:
    items: dict[str, Any] = {}

    def describe_table(TableName: str) -> Any:
        if TableName != "keystore":
            return denied("DescribeTable")
        return {"Table": {"TableName": TableName, "TableStatus": "ACTIVE", "TableArn": f"arn:aws:dynamodb:{REGION}:{A_ID}:table/keystore",
                          "KeySchema": [{"AttributeName": "ParameterName", "KeyType": "HASH"}],
                          "AttributeDefinitions": [{"AttributeName": "ParameterName", "AttributeType": "S"}]}}

    def put_item(TableName: str, Item: Any) -> Any:
        items[Item["ParameterName"]["S"]] = Item
        return {}

    def get_item(TableName: str, Key: Any, **kw: Any) -> Any:
        item = items.get(Key["ParameterName"]["S"])
        return {"Item": item} if item else {}

    def delete_item(TableName: str, Key: Any) -> Any:
        items.pop(Key["ParameterName"]["S"], None)
        return {}

    script = {"describe_table": describe_table, "get_item": get_item, "put_item": put_item, "delete_item": delete_item,
              "list_tables": denied("ListTables"), **overrides}
    fake = Fake(**script)
    fake.items = items  # type: ignore[attr-defined]
    return fake


def kms_ok(**overrides: Any) -> Fake:
    def describe_key(KeyId: str) -> Any:
        if not KeyId.endswith(KEY_ID):
            return denied("DescribeKey")
        return {"KeyMetadata": {"KeyId": KEY_ID, "KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT"}}

    script = {"describe_key": describe_key, "list_keys": denied("ListKeys"),
              "encrypt": lambda KeyId, Plaintext: {"CiphertextBlob": b"CT:" + Plaintext[::-1]},
              "decrypt": lambda CiphertextBlob, KeyId: {"Plaintext": CiphertextBlob[3:][::-1]}, **overrides}
    return Fake(**script)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def source_sts(assume_errors: int = 0, always_denied: bool = False) -> tuple[Any, Stubber]:
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="AKIASOURCE", aws_secret_access_key="source-secret")
    stub = Stubber(sts)
    stub.add_response("get_caller_identity", {"Account": B_ID, "Arn": CALLER, "UserId": "AROA:i-0abc"})
    for _ in range(1000 if always_denied else assume_errors):
        stub.add_client_error("assume_role", "AccessDenied", f"User: {CALLER} is not authorized", 403)
    if not always_denied:
        stub.add_response("assume_role", {
            "Credentials": {"AccessKeyId": "ASIAASSUMEDEXAMPLE", "SecretAccessKey": "assumed-secret", "SessionToken": "assumed-token",
                            "Expiration": datetime(2030, 1, 1, tzinfo=UTC)},
            "AssumedRoleUser": {"AssumedRoleId": "AROA:s1", "Arn": ASSUMED}})
    stub.activate()
    return sts, stub


def run(*, ddb: Fake | None = None, kms: Fake | None = None, assume_errors: int = 0, always_denied: bool = False,
        clock: Clock | None = None, **options: Any) -> tuple[list[verify.Row], Clock, list[str]]:
    clock = clock or Clock()
    sts, _ = source_sts(assume_errors, always_denied)
    a_sts = Fake(get_caller_identity={"Account": A_ID, "Arn": ASSUMED})
    clients = {"sts": a_sts, "dynamodb": ddb or ddb_ok(), "kms": kms or kms_ok(),
               "iam": Fake(get_role={"Role": {"Arn": f"arn:aws:iam::{A_ID}:role/xacct-access"}})}  # verify --emulator reads the role
    progress: list[str] = []
    verifier = verify.Verifier(CONFIG.view(), sts, lambda creds: lambda service, region: clients[service], sleep=clock.sleep,
                               monotonic=clock.monotonic, on_progress=progress.append, token=lambda: "t0k3n")
    return verifier.run(verify.Options(session_name="s1", **options)), clock, progress


def by_check(rows: list[verify.Row]) -> dict[str, verify.Row]:
    return {r.check: r for r in rows}


ASSUME = f"assume arn:aws:iam::{A_ID}:role/xacct-access"


def test_all_checks_pass_when_scoped_access_is_enforced() -> None:
    rows, clock, _ = run(roundtrip=True)
    assert [r.status for r in rows] == ["ok"] * len(rows), verify.format_table(rows)
    assert not verify.failed(rows) and clock.sleeps == []
    assert verify.summary(rows).startswith("verify passed: ")
    checks = by_check(rows)
    assert checks["denied: dynamodb:DescribeTable xacct-verify-not-granted (not in config)"].detail == "denied (AccessDeniedException)"
    assert checks["denied: kms:ListKeys"].status == "ok"


def test_assume_retries_access_denied_while_iam_propagates() -> None:
    rows, clock, progress = run(assume_errors=3)
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(progress) == 3 and "IAM may still be propagating" in progress[0]
    assert by_check(rows)[ASSUME].status == "ok" and "4 attempt(s)" in by_check(rows)[ASSUME].detail


def test_assume_gives_up_after_about_a_minute_and_names_the_causes() -> None:
    rows, clock, _ = run(always_denied=True)
    assert 59.0 <= sum(clock.sleeps) <= 60.0 and max(clock.sleeps) <= 16
    row = by_check(rows)[ASSUME]
    assert row.status == "FAIL"
    for cause in ("trust policy", "external ID", "does not exist", "IAM propagation still in progress"):
        assert cause in row.detail
    assert rows[-1] == verify.Row("access checks", "skipped", "needs the role to be assumed")
    assert verify.failed(rows)


def test_wait_zero_does_not_retry() -> None:
    rows, clock, _ = run(always_denied=True, wait=0)
    assert clock.sleeps == [] and by_check(rows)[ASSUME].status == "FAIL"


@pytest.mark.parametrize("op", ["describe_table", "list_tables"])
def test_a_negative_check_that_succeeds_fails_verify(op: str) -> None:
    ddb = ddb_ok(**({"list_tables": {"TableNames": ["keystore", "payroll"]}} if op == "list_tables" else {}))
    if op == "describe_table":
        ddb.script["describe_table"] = lambda TableName: error("ResourceNotFoundException", "DescribeTable") \
            if TableName != "keystore" else ddb_ok().script["describe_table"](TableName)
    rows, _, _ = run(ddb=ddb)
    bad = [r for r in rows if r.status == "FAIL"]
    assert len(bad) == 1 and bad[0].check.startswith("denied: dynamodb:")
    assert "may do more than the config grants" in bad[0].detail and "xacct-access" in bad[0].detail
    assert verify.failed(rows)


def test_a_negative_check_that_succeeds_is_unproven_only_on_a_declared_emulator() -> None:
    rows, _, _ = run(kms=kms_ok(list_keys={"Keys": []}), emulator=True)
    row = by_check(rows)["denied: kms:ListKeys"]
    assert row.status == "unproven" and "emulator does not enforce IAM" in row.detail
    assert not verify.failed(rows) and "not proven" in verify.summary(rows)


def test_kms_not_found_for_an_unknown_key_is_unproven_not_passed() -> None:
    kms = kms_ok()
    real = kms.script["describe_key"]
    kms.script["describe_key"] = lambda KeyId: real(KeyId) if KeyId.endswith(KEY_ID) else error("NotFoundException", "DescribeKey")
    row = by_check(run(kms=kms)[0])[f"denied: kms:DescribeKey {verify.PROBE_KEY_ID} (not in config)"]
    assert row.status == "unproven" and "--deny-key" in row.detail


def test_deny_options_add_negative_checks() -> None:
    rows, _, _ = run(deny_tables=("payroll",), deny_keys=("arn:aws:kms:us-east-1:111111111111:key/other",))
    checks = by_check(rows)
    assert checks["denied: dynamodb:DescribeTable payroll (not in config)"].status == "ok"
    assert checks["denied: kms:DescribeKey arn:aws:kms:us-east-1:111111111111:key/other (not in config)"].status == "ok"


def test_describe_key_denied_names_the_key_policy() -> None:
    rows, _, _ = run(kms=kms_ok(describe_key=denied("DescribeKey")))
    row = by_check(rows)[f"kms:DescribeKey {KEY_ID}"]
    assert row.status == "FAIL"
    assert f"arn:aws:iam::{A_ID}:root" in row.detail and "key policy" in row.detail


def test_describe_table_denied_names_the_grant_and_propagation() -> None:
    ddb = ddb_ok(describe_table=denied("DescribeTable"))
    row = by_check(run(ddb=ddb)[0])["dynamodb:DescribeTable keystore"]
    assert row.status == "FAIL"
    assert "does not grant dynamodb:DescribeTable" in row.detail and "IAM propagation" in row.detail


def test_disabled_key_fails() -> None:
    kms = kms_ok(describe_key={"KeyMetadata": {"KeyId": KEY_ID, "KeyState": "Disabled"}})
    kms.script["describe_key"] = lambda KeyId: {"KeyMetadata": {"KeyId": KEY_ID, "KeyState": "Disabled"}} \
        if KeyId.endswith(KEY_ID) else denied("DescribeKey")
    row = by_check(run(kms=kms)[0])[f"kms:DescribeKey {KEY_ID}"]
    assert row.status == "FAIL" and "must be Enabled" in row.detail


def test_table_answering_from_another_account_fails() -> None:
    ddb = ddb_ok()
    real = ddb.script["describe_table"]

    def other_account(TableName: str) -> Any:
        answer = real(TableName)
        if isinstance(answer, dict):
            answer["Table"]["TableArn"] = f"arn:aws:dynamodb:{REGION}:{B_ID}:table/keystore"
        return answer

    ddb.script["describe_table"] = other_account
    row = by_check(run(ddb=ddb)[0])["dynamodb:DescribeTable keystore"]
    assert row.status == "FAIL" and B_ID in row.detail


def test_roundtrip_stores_in_keystore_format_and_compares_bytes_exactly() -> None:
    ddb = ddb_ok()
    stored: list[Any] = []
    real_put = ddb.script["put_item"]
    ddb.script["put_item"] = lambda TableName, Item: (stored.append(Item), real_put(TableName, Item))[1]
    rows, _, _ = run(ddb=ddb, roundtrip=True)
    assert not verify.failed(rows)
    (item,) = stored
    assert set(item) == {"ParameterName", "Value"}
    assert item["ParameterName"] == {"S": "xacct-verify-t0k3n"}
    plaintext = base64.b64decode(item["Value"]["S"])[3:][::-1]  # undo the fake KMS
    assert plaintext == b" xacct-verify t0k3n\n\t"  # whitespace on both ends: stripping would be caught
    assert ddb.items == {}  # type: ignore[attr-defined]


def test_roundtrip_catches_a_reader_that_strips_whitespace_and_still_deletes_the_probe() -> None:
    kms = kms_ok()
    kms.script["decrypt"] = lambda CiphertextBlob, KeyId: {"Plaintext": CiphertextBlob[3:][::-1].strip()}
    ddb = ddb_ok()
    rows, _, _ = run(kms=kms, ddb=ddb, roundtrip=True)
    checks = by_check(rows)
    assert checks["roundtrip: GetItem + kms:Decrypt keystore"].status == "FAIL"
    assert "differ" in checks["roundtrip: GetItem + kms:Decrypt keystore"].detail
    assert checks["roundtrip: dynamodb:DeleteItem keystore"].status == "ok" and ddb.items == {}  # type: ignore[attr-defined]


def test_roundtrip_encrypt_denied_stops_before_writing() -> None:
    ddb = ddb_ok()
    rows, _, _ = run(kms=kms_ok(encrypt=denied("Encrypt")), ddb=ddb, roundtrip=True)
    row = by_check(rows)["roundtrip: kms:Encrypt"]
    assert row.status == "FAIL" and "key policy" in row.detail
    assert not any(name == "put_item" for name, _ in ddb.calls)


def test_roundtrip_refuses_a_table_without_keystore_schema() -> None:
    ddb = ddb_ok()
    real = ddb.script["describe_table"]

    def composite(TableName: str) -> Any:
        answer = real(TableName)
        if isinstance(answer, dict):
            answer["Table"]["KeySchema"].append({"AttributeName": "Version", "KeyType": "RANGE"})
        return answer

    ddb.script["describe_table"] = composite
    row = by_check(run(ddb=ddb, roundtrip=True)[0])["roundtrip"]
    assert row.status == "FAIL" and "Keystore's key schema" in row.detail


@pytest.mark.parametrize("path", ["assumed-with-roundtrip", "assume-denied"])
def test_secrets_never_appear_in_rows_progress_reprs_or_logs(path: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    if path == "assume-denied":
        rows, _, progress = run(always_denied=True)
    else:  # the role is assumed and every check runs: this is where a secret could leak
        rows, _, progress = run(roundtrip=True, assume_errors=1)
        assert by_check(rows)[ASSUME].status == "ok" and any(r.check.startswith("roundtrip: GetItem") for r in rows)
    text = "\n".join([verify.format_table(rows), verify.summary(rows), *progress, repr(rows),
                      json.dumps([r.__dict__ for r in rows]), caplog.text])
    assert rows and progress and caplog.records, "nothing to scan"
    for secret in ("source-secret", "assumed-secret", "assumed-token", "ASIAASSUMEDEXAMPLE"):
        assert secret not in text, f"{secret} leaked ({path})"


# Found by a mutation pass over verify.py: each of these promises had no test that failed when it broke.

def test_credentials_that_act_in_another_account_fail_the_account_a_check() -> None:
    sts, _ = source_sts()
    clients = {"sts": Fake(get_caller_identity={"Account": "999999999999", "Arn": "arn:aws:sts::999999999999:assumed-role/x/s"}),
               "dynamodb": ddb_ok(), "kms": kms_ok()}
    rows = verify.Verifier(CONFIG.view(), sts, lambda creds: lambda service, region: clients[service],
                           sleep=Clock().sleep).run(verify.Options(session_name="s1"))
    row = by_check(rows)["credentials act in Account A"]
    assert row.status == "FAIL" and "999999999999" in row.detail and A_ID in row.detail
    assert verify.failed(rows)


def test_the_negative_probe_table_is_never_a_granted_table() -> None:
    cfg = loads(CONFIG_TEXT.replace('name = "keystore"', f'name = "{verify.PROBE_TABLE}"'))
    sts, _ = source_sts()
    ddb = ddb_ok(describe_table=lambda TableName: denied("DescribeTable"))
    clients = {"sts": Fake(get_caller_identity={"Account": A_ID, "Arn": ASSUMED}), "dynamodb": ddb, "kms": kms_ok()}
    rows = verify.Verifier(cfg.view(), sts, lambda creds: lambda service, region: clients[service],
                           sleep=Clock().sleep).run(verify.Options(session_name="s1"))
    probed = [kw["TableName"] for name, kw in ddb.calls if name == "describe_table"]
    assert verify.PROBE_TABLE in probed, "the granted table is described"
    denials = [r.check for r in rows if r.check.startswith("denied: dynamodb:DescribeTable")]
    assert denials and all(f" {verify.PROBE_TABLE} " not in c for c in denials), denials


def test_a_skipped_check_fails_verify() -> None:
    rows = [verify.Row("a", "ok", ""), verify.Row("b", "skipped", "needs a")]
    assert verify.failed(rows) and verify.summary(rows).startswith("verify FAILED")
    assert not verify.failed([verify.Row("a", "ok", ""), verify.Row("c", "unproven", "")])


def test_roundtrip_needs_a_table_it_may_read_and_write() -> None:
    write_only = loads(CONFIG_TEXT.replace('access = "read-write"', 'access = "write"'))
    with pytest.raises(UsageError, match="--roundtrip needs a table with access = \"read-write\""):
        verify.check_options(write_only.view(), verify.Options(session_name="s1", roundtrip=True))
