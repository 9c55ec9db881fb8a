"""What each access level grants, and what it never grants (table-driven)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import MINIMAL
from xacct_infra import config
from xacct_infra.render import template_body

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
READ = {"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan"}
WRITE = {"dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
DECRYPT = {"kms:Decrypt", "kms:DescribeKey"}
ENCRYPT = {"kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
TABLE = "arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/keystore"
INDEX = TABLE + "/index/*"
KEY_ARN = f"arn:${{AWS::Partition}}:kms:us-east-1:111111111111:key/{KEY}"


def grants(text: str) -> dict[str, set[str]]:
    """resource -> allowed actions, read from the rendered Account A template."""
    doc = json.loads(template_body(config.loads(text), "a", "json"))
    role = doc["Resources"]["AccessRole"]["Properties"]
    out: dict[str, set[str]] = {}
    for policy in role["Policies"]:
        for st in policy["PolicyDocument"]["Statement"]:
            assert st["Effect"] == "Allow"
            for res in st["Resource"]:
                out.setdefault(res["Fn::Sub"], set()).update(st["Action"])
    return out


def cfg(table_access: str, indexes: bool = True, key_access: str | None = None) -> str:
    text = MINIMAL.replace('access = "read"', f'access = "{table_access}"\nindexes = {str(indexes).lower()}')
    if key_access:
        text = text.replace("[account_b]", f'[[account_a.keys]]\nid = "{KEY}"\naccess = "{key_access}"\n\n[account_b]')
    return text


CASES: list[tuple[str, str, dict[str, set[str]]]] = [
    ("read-with-indexes", cfg("read"), {TABLE: READ, INDEX: {"dynamodb:Query", "dynamodb:Scan"}}),
    ("read-without-indexes", cfg("read", indexes=False), {TABLE: READ}),
    ("write-never-touches-indexes", cfg("write"), {TABLE: WRITE}),
    ("read-write", cfg("read-write"), {TABLE: READ | WRITE, INDEX: {"dynamodb:Query", "dynamodb:Scan"}}),
    ("key-decrypt", cfg("read", False, "decrypt"), {TABLE: READ, KEY_ARN: DECRYPT}),
    ("key-encrypt", cfg("read", False, "encrypt"), {TABLE: READ, KEY_ARN: ENCRYPT}),
    ("key-encrypt-decrypt", cfg("read", False, "encrypt-decrypt"), {TABLE: READ, KEY_ARN: DECRYPT | ENCRYPT}),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_access_level_grants_exactly_the_documented_actions(text: str, expected: dict[str, set[str]]) -> None:
    assert grants(text) == expected


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for v in node.values():
            found += _walk(v)
    elif isinstance(node, list):
        for v in node:
            found += _walk(v)
    return found


@pytest.mark.parametrize("side", ["a", "b"])
def test_no_wildcard_action_or_resource_anywhere(side: str) -> None:
    text = cfg("read-write", True, "encrypt-decrypt")
    doc = json.loads(template_body(config.loads(text), side, "json"))  # type: ignore[arg-type]
    for node in _walk(doc):
        if isinstance(node, dict) and "Action" in node:
            for action in node["Action"]:
                assert "*" not in action
            assert node.get("Resource", []) != "*"
            for res in node.get("Resource", []):
                value = res["Fn::Sub"] if isinstance(res, dict) else res
                assert value != "*" and not value.endswith(":*")


def test_trust_policy_is_account_b_root_narrowed_to_its_instance_role() -> None:
    text = MINIMAL.replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nexternal_id = "ext-1"\n\n[[', 1)
    doc = json.loads(template_body(config.loads(text), "a", "json"))
    trust = doc["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{
        "Sid": "AssumeFromAccountBInstanceRole",
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:root"}},
        "Action": ["sts:AssumeRole"],
        "Condition": {
            "ArnEquals": {"aws:PrincipalArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:role/xacct-instance"}},
            "StringEquals": {"sts:ExternalId": "ext-1"},
        },
    }]


def test_account_b_may_only_assume_the_one_account_a_role() -> None:
    doc = json.loads(template_body(config.loads(MINIMAL), "b", "json"))
    role = doc["Resources"]["InstanceRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    statements = [st for p in role["Policies"] for st in p["PolicyDocument"]["Statement"]]
    assert statements == [{"Sid": "AssumeAccountARole", "Effect": "Allow", "Action": ["sts:AssumeRole"],
                           "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:role/xacct-access"}]}]


def test_role_path_is_part_of_every_role_arn() -> None:
    text = MINIMAL.replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nrole_path = "/a/b/"\n\n[[', 1)
    assert config.loads(text).view().role.arn == "arn:aws:iam::111111111111:role/a/b/xacct-access"
    doc = json.loads(template_body(config.loads(text), "b", "json"))
    res = doc["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert res == [{"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:role/a/b/xacct-access"}]
