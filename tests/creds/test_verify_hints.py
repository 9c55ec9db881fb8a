"""The hint a failed `verify` row gives is accurate and actionable: for a call that had to be denied
and was allowed, only the layers that can allow that call (a List* action: only the role's own
policies; a table or key that exists: also its resource or key policy) and `xacct-infra audit`, which
names the statement; against a custom endpoint, that an emulator needs --emulator. For a granted
call that was denied: the grant, and every layer that can deny (boundary, resource or key policy,
SCP/RCP). Scripted answers (the emulator enforces no IAM); nothing sleeps."""

from __future__ import annotations

import pytest
from test_verify_scripted import KEY_ID, by_check, ddb_ok, denied, error, kms_ok, run

OTHER_KEY = "arn:aws:kms:us-east-1:111111111111:key/other"


def table_not_found_unless_keystore(TableName: str):
    return ddb_ok().script["describe_table"](TableName) if TableName == "keystore" else error("ResourceNotFoundException", "DescribeTable")


def payroll_exists(TableName: str):
    return ddb_ok().script["describe_table"]("keystore") if TableName in ("keystore", "payroll") else denied("DescribeTable")


def other_key_exists(KeyId: str):
    return {"KeyMetadata": {"KeyId": KEY_ID, "KeyState": "Enabled"}} if KeyId.endswith((KEY_ID, "other")) else denied("DescribeKey")


# (check, how to script it, what the hint must name, what it must not name)
ALLOWED = [
    ("denied: dynamodb:ListTables", {"ddb": {"list_tables": {"TableNames": ["keystore", "payroll"]}}},
     ["policy attached to arn:aws:iam::111111111111:role/xacct-access", 'Resource "*"'], ["resource policy", "key policy"]),
    ("denied: kms:ListKeys", {"kms": {"list_keys": {"Keys": []}}},
     ["policy attached to arn:aws:iam::111111111111:role/xacct-access"], ["resource policy", "key policy"]),
    ("denied: dynamodb:DescribeTable xacct-verify-not-granted (not in config)", {"ddb": {"describe_table": table_not_found_unless_keystore}},
     ["policy attached to arn:aws:iam::111111111111:role/xacct-access", "wildcard"], ["resource policy"]),  # no table, no table policy
    ("denied: dynamodb:DescribeTable payroll (not in config)", {"ddb": {"describe_table": payroll_exists}, "deny_tables": ("payroll",)},
     ["policy attached to arn:aws:iam::111111111111:role/xacct-access", "resource policy of table payroll"], ["key policy"]),
    (f"denied: kms:DescribeKey {OTHER_KEY} (not in config)", {"kms": {"describe_key": other_key_exists}, "deny_keys": (OTHER_KEY,)},
     ["policy attached to arn:aws:iam::111111111111:role/xacct-access", f"key policy of {OTHER_KEY}", "grant"], ["resource policy of table"]),
]


def scripted(how: dict) -> dict:
    options = {k: v for k, v in how.items() if k not in ("ddb", "kms")}
    return {"ddb": ddb_ok(**how.get("ddb", {})), "kms": kms_ok(**how.get("kms", {})), **options}


@pytest.mark.parametrize(("check", "how", "names", "not_names"), ALLOWED, ids=[c for c, *_ in ALLOWED])
def test_an_allowed_call_that_had_to_be_denied_names_what_can_allow_it(check: str, how: dict, names: list[str],
                                                                      not_names: list[str]) -> None:
    row = by_check(run(**scripted(how))[0])[check]
    assert row.status == "FAIL"
    for words in [*names, "xacct-infra audit"]:
        assert words in row.detail, row.detail
    for words in [*not_names, "--emulator"]:  # AWS's own endpoint: no emulator to blame
        assert words not in row.detail, row.detail


def test_against_a_custom_endpoint_the_hint_says_an_emulator_needs_the_emulator_flag() -> None:
    row = by_check(run(**scripted(ALLOWED[0][1]), endpoint="http://127.0.0.1:5000")[0])["denied: dynamodb:ListTables"]
    assert row.status == "FAIL" and "http://127.0.0.1:5000" in row.detail and "--emulator" in row.detail, row.detail
    assert "xacct-infra audit" in row.detail


# (check, how to script it, what the hint must name)
DENIED = [
    ("dynamodb:DescribeTable keystore", {"ddb": {"describe_table": denied("DescribeTable")}},
     ["does not grant dynamodb:DescribeTable", "permissions boundary", "resource policy of table keystore", "SCP", "RCP",
      "xacct-infra audit", "IAM propagation"]),
    (f"kms:DescribeKey {KEY_ID}", {"kms": {"describe_key": denied("DescribeKey")}},
     ["key policy", "arn:aws:iam::111111111111:root", "permissions boundary", "SCP", "RCP", "xacct-infra audit"]),
]


@pytest.mark.parametrize(("check", "how", "names"), DENIED, ids=[c for c, *_ in DENIED])
def test_a_granted_call_that_was_denied_names_every_layer_that_can_deny(check: str, how: dict, names: list[str]) -> None:
    row = by_check(run(**scripted(how))[0])[check]
    assert row.status == "FAIL"
    for words in names:
        assert words in row.detail, row.detail
