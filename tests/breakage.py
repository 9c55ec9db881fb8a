"""Hand-made breakages of rendered templates, shared by the check and rule tests.

Each takes the two rendered template dicts (``{"a": ..., "b": ...}``) and edits them in
place the way a careless hand edit or a generator bug would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Templates = dict[str, dict[str, Any]]
SUB_TABLE = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/keystore"}


def access_statements(t: Templates) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = t["a"]["Resources"]["AccessRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    return statements


def trust_statement(t: Templates) -> dict[str, Any]:
    statement: dict[str, Any] = t["a"]["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    return statement


def b_statement(t: Templates) -> dict[str, Any]:
    statement: dict[str, Any] = t["b"]["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    return statement


def add(statement: dict[str, Any]) -> Callable[[Templates], None]:
    return lambda t: access_statements(t).append(statement)


def dynamodb_star(t: Templates) -> None:
    access_statements(t).append({"Sid": "Everything", "Effect": "Allow", "Action": ["dynamodb:*"], "Resource": [SUB_TABLE]})


def resource_star(t: Templates) -> None:
    access_statements(t).append({"Sid": "AnyKey", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"})


def not_action(t: Templates) -> None:
    access_statements(t).append({"Sid": "AllButIam", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": [SUB_TABLE]})


def table_star(t: Templates) -> None:
    access_statements(t).append({"Sid": "AllTables", "Effect": "Allow", "Action": ["dynamodb:GetItem"],
                                 "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/*"}]})


def trust_star(t: Templates) -> None:
    trust_statement(t)["Principal"] = "*"


def trust_root_unconditioned(t: Templates) -> None:
    del trust_statement(t)["Condition"]


def trust_root_if_exists(t: Templates) -> None:
    trust_statement(t)["Condition"] = {"ArnEqualsIfExists": trust_statement(t)["Condition"]["ArnEquals"]}


def b_any_role(t: Templates) -> None:
    b_statement(t)["Resource"] = [{"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:role/*"}]


def b_extra_action(t: Templates) -> None:
    b_statement(t)["Action"] = ["sts:AssumeRole", "dynamodb:GetItem"]


def drop_index_grant(t: Templates) -> None:
    statements = access_statements(t)
    statements[:] = [s for s in statements if s["Sid"] != "DynamoDBIndexRead"]


def deny_get_item(t: Templates) -> None:
    access_statements(t).append({"Sid": "NoGets", "Effect": "Deny", "Action": ["dynamodb:GetItem"], "Resource": [SUB_TABLE]})


def managed_policy(t: Templates) -> None:
    t["a"]["Resources"]["Extra"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
        "Roles": [{"Ref": "AccessRole"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Sid": "DropTables", "Effect": "Allow", "Action": ["dynamodb:DeleteTable"], "Resource": [SUB_TABLE]}]}}}


def kms_key(t: Templates) -> None:
    t["a"]["Resources"]["Key"] = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}
