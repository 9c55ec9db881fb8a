"""The semantic comparison (access/compare.py) on plain policy documents: every widening of a
trust or permissions policy is a finding naming its statement; reshaping is not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from xacct_infra.access import compare

B_ROLE = "arn:aws:iam::222222222222:role/xacct-instance"
TRUST: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{
    "Sid": "AssumeFromAccountBInstanceRole", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
    "Action": ["sts:AssumeRole"], "Condition": {"ArnEquals": {"aws:PrincipalArn": B_ROLE}}}]}
TABLE = "arn:aws:dynamodb:us-east-1:111111111111:table/keystore"
WRITE_ONLY = {"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}
PERMISSIONS: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DynamoDBWrite", "Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"], "Resource": [TABLE],
     "Condition": WRITE_ONLY},
    {"Sid": "DynamoDBIndexRead", "Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [f"{TABLE}/index/*"]}]}


def edited(document: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    out = copy.deepcopy(document)
    edit(out)
    return out


def first(d: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = d["Statement"][0]
    return statement


def extra(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["Statement"].append(statement)


TRUST_WIDENINGS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("another role of B", lambda d: first(d)["Condition"]["ArnEquals"].update({"aws:PrincipalArn": [B_ROLE, "arn:aws:iam::222222222222:role/Admin"]}),
     "AssumeFromAccountBInstanceRole"),
    ("ArnLike name pattern", lambda d: first(d).update(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/xacct-instanc?"}}),
     "AssumeFromAccountBInstanceRole"),
    ("IfExists", lambda d: first(d).update(Condition={"ArnEqualsIfExists": {"aws:PrincipalArn": B_ROLE}}), "AssumeFromAccountBInstanceRole"),
    ("no condition", lambda d: first(d).pop("Condition"), "AssumeFromAccountBInstanceRole"),
    ("attacker", extra({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/attacker"}, "Action": "sts:AssumeRole"}),
     "Statement[1]"),
    ("federated", extra({"Sid": "Web", "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                         "Action": "sts:AssumeRoleWithWebIdentity"}), "Web"),
    ("service", extra({"Sid": "Ecs", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}), "Ecs"),
    ("TagSession", lambda d: first(d)["Action"].append("sts:TagSession"), "AssumeFromAccountBInstanceRole"),
    ("NotPrincipal", lambda d: first(d).update(NotPrincipal=first(d).pop("Principal")), "AssumeFromAccountBInstanceRole"),
    ("org pattern", extra({"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                           "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}), "Org"),
]


@pytest.mark.parametrize(("edit", "sid"), [c[1:] for c in TRUST_WIDENINGS], ids=[c[0] for c in TRUST_WIDENINGS])
def test_a_trust_widening_is_a_finding_naming_its_statement(edit: Callable[[dict[str, Any]], Any], sid: str) -> None:
    findings = compare.compare_trust(edited(TRUST, edit), TRUST, where="trust")
    assert findings and all(f.rule == compare.TRUST_RULE for f in findings)
    assert any(f.statement == sid for f in findings), [str(f) for f in findings]


TRUST_RESHAPES: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("one-element lists", lambda d: first(d).update(Principal={"AWS": ["arn:aws:iam::222222222222:root"]},
                                                    Condition={"ArnEquals": {"aws:PrincipalArn": [B_ROLE]}})),
    ("account id for the root", lambda d: first(d).update(Principal={"AWS": "222222222222"})),
    ("lower-case action and renamed Sid", lambda d: first(d).update(Sid="Renamed", Action="sts:assumerole")),
    ("explicit Deny", extra({"Effect": "Deny", "Principal": "*", "Action": "sts:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})),
    ("the role itself as principal", lambda d: first(d).update(Principal={"AWS": B_ROLE}, Condition={})),
    ("star pinned to the role", lambda d: first(d).update(Principal="*")),
    ("an extra narrowing condition", lambda d: first(d)["Condition"].update(StringEquals={"aws:PrincipalOrgID": "o-a1b2c3d4e5"})),
]


def test_a_narrower_prefix_pattern_is_within_a_wider_one() -> None:
    org = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                          "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}}]}
    child = edited(org, lambda d: first(d)["Condition"]["ForAnyValue:StringLike"].update(
        {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/*"}))
    parent = edited(org, lambda d: first(d)["Condition"]["ForAnyValue:StringLike"].update({"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}))
    sibling = edited(org, lambda d: first(d)["Condition"]["ForAnyValue:StringLike"].update({"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-1*"}))
    assert compare.compare_trust(child, org, where="t") == []
    assert compare.compare_trust(parent, org, where="t") and compare.compare_trust(sibling, org, where="t")


@pytest.mark.parametrize("edit", [c[1] for c in TRUST_RESHAPES], ids=[c[0] for c in TRUST_RESHAPES])
def test_a_trust_reshaped_without_widening_is_not_a_finding(edit: Callable[[dict[str, Any]], Any]) -> None:
    assert compare.compare_trust(edited(TRUST, edit), TRUST, where="trust") == []


PERMISSION_WIDENINGS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("ReturnValues condition dropped", lambda d: first(d).pop("Condition"), "DynamoDBWrite"),
    ("ReturnValues widened", lambda d: first(d).update(Condition={"StringLikeIfExists": {"dynamodb:ReturnValues": "*"}}), "DynamoDBWrite"),
    ("another action", lambda d: first(d)["Action"].append("dynamodb:GetItem"), "DynamoDBWrite"),
    ("action pattern", lambda d: first(d).update(Action="dynamodb:*Item"), "DynamoDBWrite"),
    ("table pattern", lambda d: first(d).update(Resource=TABLE + "*"), "DynamoDBWrite"),
    ("NotResource", lambda d: first(d).update(NotResource=first(d).pop("Resource")), "DynamoDBWrite"),
    ("index of another table", lambda d: d["Statement"][1]["Resource"].append(TABLE + "-2/index/*"), "DynamoDBIndexRead"),
]


@pytest.mark.parametrize(("edit", "sid"), [c[1:] for c in PERMISSION_WIDENINGS], ids=[c[0] for c in PERMISSION_WIDENINGS])
def test_a_permissions_widening_is_a_finding_naming_its_statement(edit: Callable[[dict[str, Any]], Any], sid: str) -> None:
    findings = compare.compare_permissions([("inline", edited(PERMISSIONS, edit))], [PERMISSIONS])
    assert [f.statement for f in findings] == [sid], [str(f) for f in findings]


def test_permissions_reshaped_are_not_a_finding() -> None:
    split = edited(PERMISSIONS, lambda d: d["Statement"].insert(1, {**first(d), "Sid": "Part2", "Action": ["DYNAMODB:updateitem"]}))
    first(split)["Action"] = ["dynamodb:putitem"]
    named_index = edited(PERMISSIONS, lambda d: d["Statement"][1].update(Resource=[f"{TABLE}/index/by-date"]))
    assert compare.compare_permissions([("a", split), ("b", named_index)], [PERMISSIONS]) == []


def test_role_properties_are_held_to_the_config() -> None:
    expected = compare.RoleState(arn=B_ROLE, name="xacct-instance", trust=TRUST, policies=(("inline", PERMISSIONS),))
    actual = compare.RoleState(arn=B_ROLE, name="xacct-instance", max_session_duration=43200, boundary=None, trust=TRUST,
                               policies=(("inline", PERMISSIONS),), managed_arns=("arn:aws:iam::aws:policy/AdministratorAccess",))
    messages = [f.message for f in compare.compare_role(actual, expected, where="role")]
    assert any("MaxSessionDuration is 43200" in m for m in messages)
    assert any("AdministratorAccess" in m for m in messages)
    bounded = compare.RoleState(arn=B_ROLE, name="xacct-instance", boundary="arn:aws:iam::1:policy/B", trust=TRUST,
                                policies=(("inline", PERMISSIONS),))
    assert [f.message for f in compare.compare_role(bounded, expected, where="role")] == [
        "PermissionsBoundary is arn:aws:iam::1:policy/B; the config says none"]
    assert compare.compare_role(expected, expected, where="role") == []


def test_a_policy_attached_outside_the_template_is_a_finding_of_its_own() -> None:
    policy = {"Statement": [{"Sid": "Drop", "Effect": "Allow", "Action": ["dynamodb:DeleteTable"], "Resource": TABLE}]}
    findings = compare.compare_attachments({"user alice": [("Extra (inline policy)", policy)]}, {})
    assert [(f.rule, f.statement) for f in findings] == [(compare.ATTACH_RULE, "Drop")]
    assert "user alice" in findings[0].message
    assert compare.compare_attachments({"role existing": [("P", PERMISSIONS)]}, {"role existing": [("P", PERMISSIONS)]}) == []
