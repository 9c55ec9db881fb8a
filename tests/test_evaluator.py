"""The offline IAM evaluator against AWS's documented evaluation logic, independent of our
templates. Cases follow the IAM User Guide ("Policy evaluation logic", "IAM JSON policy
elements", "Condition operators", "Cross-account policy evaluation")."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xacct_infra.access.evaluator import Policy, PolicyError, Principal, Request, StatementRef, authorize

A, B, C = "111111111111", "222222222222", "333333333333"
ALICE = Principal.of_arn("alice", f"arn:aws:iam::{A}:user/Alice")
B_ROLE = Principal.of_arn("b-role", f"arn:aws:iam::{B}:role/app/host")
B_OTHER = Principal.of_arn("b-other", f"arn:aws:iam::{B}:role/other")
C_ROLE = Principal.of_arn("c-role", f"arn:aws:iam::{C}:role/app/host")
EC2 = Principal.of_service("ec2.amazonaws.com")
TABLE = f"arn:aws:dynamodb:us-east-1:{A}:table/Books"
A_ROLE = f"arn:aws:iam::{A}:role/access"


def stmt(effect: str = "Allow", action: Any = "dynamodb:GetItem", resource: Any = TABLE, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, **extra}
    if action is not None:
        out["Action"] = action
    if resource is not None:
        out["Resource"] = resource
    return out


def doc(*statements: dict[str, Any]) -> list[Policy]:
    return [Policy("p", {"Version": "2012-10-17", "Statement": list(statements)})]


# (case id, identity statements, action, resource, context, expected effect)
IDENTITY_CASES: list[tuple[str, list[dict[str, Any]], str, str, dict[str, Any], str]] = [
    ("no-policy-is-implicit-deny", [], "dynamodb:GetItem", TABLE, {}, "ImplicitDeny"),
    ("allow-exact", [stmt()], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("other-action-implicit-deny", [stmt()], "dynamodb:PutItem", TABLE, {}, "ImplicitDeny"),
    ("explicit-deny-wins-over-allow", [stmt(), stmt("Deny")], "dynamodb:GetItem", TABLE, {}, "Deny"),
    ("deny-star-wins", [stmt(action="*", resource="*"), stmt("Deny", action="dynamodb:*", resource="*")], "dynamodb:GetItem", TABLE, {}, "Deny"),
    ("action-case-insensitive", [stmt(action="DynamoDB:getitem")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("action-prefix-wildcard", [stmt(action="dynamodb:Get*")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("action-prefix-wildcard-other", [stmt(action="dynamodb:Get*")], "dynamodb:PutItem", TABLE, {}, "ImplicitDeny"),
    ("action-infix-wildcard", [stmt(action="iam:*AccessKey*", resource="*")], "iam:CreateAccessKey", "*", {}, "Allow"),
    ("action-question-mark", [stmt(action="dynamodb:?etItem")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("action-service-star-other-service", [stmt(action="dynamodb:*")], "kms:Decrypt", TABLE, {}, "ImplicitDeny"),
    ("notaction-allows-everything-else", [stmt(action=None, resource="*", NotAction="iam:*")], "dynamodb:DeleteTable", TABLE, {}, "Allow"),
    ("notaction-excludes-listed", [stmt(action=None, resource="*", NotAction="iam:*")], "iam:CreateUser", "*", {}, "ImplicitDeny"),
    ("resource-case-sensitive", [stmt(resource=TABLE.lower())], "dynamodb:GetItem", TABLE, {}, "ImplicitDeny"),
    ("resource-star", [stmt(resource="*")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("resource-table-star", [stmt(resource=f"arn:aws:dynamodb:us-east-1:{A}:table/*")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("resource-index-not-table", [stmt(resource=TABLE + "/index/*")], "dynamodb:Query", TABLE, {}, "ImplicitDeny"),
    ("resource-index-wildcard", [stmt(action="dynamodb:Query", resource=TABLE + "/index/*")], "dynamodb:Query", TABLE + "/index/ByAuthor", {}, "Allow"),
    ("resource-neighbour-prefix", [stmt(resource=TABLE)], "dynamodb:GetItem", TABLE + "2", {}, "ImplicitDeny"),
    ("resource-mid-segment-star-stays-in-segment", [stmt(resource="arn:aws:dynamodb:*-1:111111111111:table/Books")],
     "dynamodb:GetItem", "arn:aws:dynamodb:x:us-east-1:111111111111:table/Books", {}, "ImplicitDeny"),
    ("resource-segment-end-star-may-cross-colons", [stmt(resource="arn:aws:dynamodb:us-*:111111111111:table/Books")],
     "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:x:111111111111:table/Books", {}, "Allow"),
    ("resource-segment-star", [stmt(resource="arn:aws:dynamodb:*:111111111111:table/Books")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("resource-question-mark", [stmt(resource=TABLE[:-1] + "?")], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("notresource-allows-others", [stmt(resource=None, NotResource=TABLE)], "dynamodb:GetItem", TABLE + "2", {}, "Allow"),
    ("notresource-excludes-listed", [stmt(resource=None, NotResource=TABLE)], "dynamodb:GetItem", TABLE, {}, "ImplicitDeny"),
    ("deny-notresource", [stmt(resource="*"), stmt("Deny", resource=None, NotResource=TABLE)], "dynamodb:GetItem", TABLE + "2", {}, "Deny"),
    # Conditions
    ("string-equals-match", [stmt(Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/team": "data"}, "Allow"),
    ("string-equals-value-case-sensitive", [stmt(Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/team": "Data"}, "ImplicitDeny"),
    ("condition-key-case-insensitive", [stmt(Condition={"StringEquals": {"AWS:principaltag/team": "data"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/team": "data"}, "Allow"),
    ("string-equals-ignore-case", [stmt(Condition={"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "data"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/team": "DATA"}, "Allow"),
    ("string-equals-missing-key", [stmt(Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})], "dynamodb:GetItem", TABLE, {}, "ImplicitDeny"),
    ("string-equals-values-are-or", [stmt(Condition={"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})],
     "dynamodb:GetItem", TABLE, {"aws:RequestedRegion": "eu-west-1"}, "Allow"),
    ("keys-are-and", [stmt(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "data"}})],
     "dynamodb:GetItem", TABLE, {"aws:RequestedRegion": "us-east-1"}, "ImplicitDeny"),
    ("operators-are-and", [stmt(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}, "Bool": {"aws:SecureTransport": "true"}})],
     "dynamodb:GetItem", TABLE, {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": False}, "ImplicitDeny"),
    ("string-not-equals-missing-key-is-true", [stmt(Condition={"StringNotEquals": {"aws:PrincipalTag/team": "data"}})],
     "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("string-not-equals-listed-value", [stmt(Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})],
     "dynamodb:GetItem", TABLE, {"aws:RequestedRegion": "eu-west-1"}, "ImplicitDeny"),
    ("string-like", [stmt(Condition={"StringLike": {"aws:PrincipalTag/project": "keystore-*"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/project": "keystore-prod"}, "Allow"),
    ("string-not-like", [stmt(Condition={"StringNotLike": {"aws:PrincipalTag/project": "keystore-*"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalTag/project": "keystore-prod"}, "ImplicitDeny"),
    ("if-exists-missing-key", [stmt(Condition={"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("if-exists-present-mismatch", [stmt(Condition={"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}})], "dynamodb:GetItem", TABLE,
     {"ec2:InstanceType": "m5.large"}, "ImplicitDeny"),
    ("bool-secure-transport-deny", [stmt(resource="*"), stmt("Deny", action="*", resource="*", Condition={"Bool": {"aws:SecureTransport": "false"}})],
     "dynamodb:GetItem", TABLE, {"aws:SecureTransport": False}, "Deny"),
    ("bool-secure-transport-ok", [stmt(resource="*"), stmt("Deny", action="*", resource="*", Condition={"Bool": {"aws:SecureTransport": "false"}})],
     "dynamodb:GetItem", TABLE, {"aws:SecureTransport": True}, "Allow"),
    ("bool-missing-key-deny-does-not-apply", [stmt(), stmt("Deny", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})],
     "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("bool-if-exists-missing-key-deny-applies", [stmt(), stmt("Deny", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})],
     "dynamodb:GetItem", TABLE, {}, "Deny"),
    ("null-true-absent", [stmt(Condition={"Null": {"aws:TokenIssueTime": "true"}})], "dynamodb:GetItem", TABLE, {}, "Allow"),
    ("null-true-present", [stmt(Condition={"Null": {"aws:TokenIssueTime": "true"}})], "dynamodb:GetItem", TABLE,
     {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, "ImplicitDeny"),
    ("null-false-present", [stmt(Condition={"Null": {"aws:TokenIssueTime": False}})], "dynamodb:GetItem", TABLE,
     {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, "Allow"),
    ("arn-like", [stmt(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:topic-*"}})], "dynamodb:GetItem", TABLE,
     {"aws:SourceArn": "arn:aws:sns:us-east-1:111111111111:topic-a"}, "Allow"),
    ("arn-equals-other-account", [stmt(Condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{B}:role/app/host"}})], "dynamodb:GetItem", TABLE,
     {"aws:PrincipalArn": f"arn:aws:iam::{C}:role/app/host"}, "ImplicitDeny"),
    ("arn-not-equals-missing-key-is-true", [stmt(Condition={"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111111111111:t"}})],
     "dynamodb:GetItem", TABLE, {}, "Allow"),
    # Multivalued keys (documented: ForAllValues is true when the key is absent; ForAnyValue false)
    ("for-all-values-subset", [stmt(Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Title"]}})],
     "dynamodb:GetItem", TABLE, {"dynamodb:Attributes": ["ID"]}, "Allow"),
    ("for-all-values-extra", [stmt(Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Title"]}})],
     "dynamodb:GetItem", TABLE, {"dynamodb:Attributes": ["ID", "Secret"]}, "ImplicitDeny"),
    ("for-all-values-absent-key-is-true", [stmt(action="dynamodb:Scan", Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID"]}})],
     "dynamodb:Scan", TABLE, {}, "Allow"),
    ("for-any-value-one-matches", [stmt(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}})],
     "dynamodb:GetItem", TABLE, {"aws:TagKeys": ["owner", "team"]}, "Allow"),
    ("for-any-value-absent-key-is-false", [stmt(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}})],
     "dynamodb:GetItem", TABLE, {}, "ImplicitDeny"),
]


@pytest.mark.parametrize(("statements", "action", "resource", "context", "expected"), [c[1:] for c in IDENTITY_CASES], ids=[c[0] for c in IDENTITY_CASES])
def test_identity_policy_evaluation(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, Any], expected: str) -> None:
    decision = authorize(Request(ALICE, action, resource, context), identity=doc(*statements))
    assert decision.effect == expected


def trust(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow", key: str = "Principal") -> list[Policy]:
    st: dict[str, Any] = {"Sid": "Trust", "Effect": effect, key: principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return [Policy("trust", {"Statement": [st]})]


ASSUME_ANY = doc(stmt(action="sts:AssumeRole", resource="*"))
B_ROOT = f"arn:aws:iam::{B}:root"
PRINCIPAL_ARN = {"ArnEquals": {"aws:PrincipalArn": B_ROLE.arn}}

# (case id, caller, caller's identity policies, trust policy, expected) for sts:AssumeRole on A_ROLE (account A)
ASSUME_CASES: list[tuple[str, Principal, list[Policy], list[Policy], str]] = [
    ("cross-account-needs-identity-allow", B_ROLE, [], trust({"AWS": B_ROOT}), "ImplicitDeny"),
    ("cross-account-needs-trust-allow", B_ROLE, ASSUME_ANY, trust({"AWS": f"arn:aws:iam::{C}:root"}), "ImplicitDeny"),
    ("cross-account-both-allow", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}), "Allow"),
    ("account-id-form-is-root", B_ROLE, ASSUME_ANY, trust({"AWS": B}), "Allow"),
    ("root-means-any-principal-of-the-account", B_OTHER, ASSUME_ANY, trust({"AWS": B_ROOT}), "Allow"),
    ("root-narrowed-by-principal-arn", B_OTHER, ASSUME_ANY, trust({"AWS": B_ROOT}, PRINCIPAL_ARN), "ImplicitDeny"),
    ("root-narrowed-admits-the-role", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}, PRINCIPAL_ARN), "Allow"),
    ("third-account-same-role-name", C_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app/host"}}), "ImplicitDeny"),
    ("specific-role-principal", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROLE.arn}), "Allow"),
    ("specific-role-principal-other-role", B_OTHER, ASSUME_ANY, trust({"AWS": B_ROLE.arn}), "ImplicitDeny"),
    ("star-principal-admits-strangers", C_ROLE, ASSUME_ANY, trust("*"), "Allow"),
    ("aws-star-principal-admits-strangers", C_ROLE, ASSUME_ANY, trust({"AWS": "*"}), "Allow"),
    ("star-principal-with-org-condition", C_ROLE, ASSUME_ANY, trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}), "ImplicitDeny"),
    ("identity-deny-wins", B_ROLE, doc(stmt(action="sts:AssumeRole", resource="*"), stmt("Deny", action="sts:*", resource="*")),
     trust({"AWS": B_ROOT}), "Deny"),
    ("trust-deny-wins", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}) + trust({"AWS": B_ROLE.arn}, effect="Deny"), "Deny"),
    ("not-principal-deny-spares-listed", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}) + trust({"AWS": B_ROLE.arn}, effect="Deny", key="NotPrincipal"), "Allow"),
    ("not-principal-deny-hits-others", B_OTHER, ASSUME_ANY, trust({"AWS": B_ROOT}) + trust({"AWS": B_ROLE.arn}, effect="Deny", key="NotPrincipal"), "Deny"),
    ("external-id-required-and-missing", B_ROLE, ASSUME_ANY, trust({"AWS": B_ROOT}, {"StringEquals": {"sts:ExternalId": "x-1"}}), "ImplicitDeny"),
    ("service-principal", EC2, [], trust({"Service": "ec2.amazonaws.com"}), "Allow"),
    ("other-service-principal", Principal.of_service("lambda.amazonaws.com"), [], trust({"Service": "ec2.amazonaws.com"}), "ImplicitDeny"),
    ("service-is-not-an-aws-account", EC2, [], trust({"AWS": B_ROOT}), "ImplicitDeny"),
    ("same-account-root-trust-needs-identity", ALICE, [], trust({"AWS": f"arn:aws:iam::{A}:root"}), "ImplicitDeny"),
    ("same-account-root-trust-with-identity", ALICE, ASSUME_ANY, trust({"AWS": f"arn:aws:iam::{A}:root"}), "Allow"),
    ("same-account-specific-trust-alone", ALICE, [], trust({"AWS": ALICE.arn}), "Allow"),
    ("same-account-identity-without-trust", ALICE, ASSUME_ANY, trust({"AWS": B_ROOT}), "ImplicitDeny"),
]


@pytest.mark.parametrize(("caller", "identity", "trust_policy", "expected"), [c[1:] for c in ASSUME_CASES], ids=[c[0] for c in ASSUME_CASES])
def test_assume_role_needs_identity_and_trust(caller: Principal, identity: list[Policy], trust_policy: list[Policy], expected: str) -> None:
    context = {"aws:PrincipalArn": caller.arn, "aws:PrincipalAccount": caller.account} if caller.arn else {}
    request = Request(caller, "sts:AssumeRole", A_ROLE, context)
    assert authorize(request, identity=identity, resource=trust_policy, resource_account=A, trust=True).effect == expected


def test_cross_account_data_access_needs_a_resource_policy() -> None:
    """DynamoDB in another account: the caller's identity Allow alone grants nothing."""
    request = Request(B_ROLE, "dynamodb:GetItem", TABLE)
    assert authorize(request, identity=doc(stmt(resource="*")), resource_account=A).effect == "ImplicitDeny"
    resource = [Policy("table", {"Statement": [stmt(Principal={"AWS": B_ROOT})]})]
    assert authorize(request, identity=doc(stmt(resource="*")), resource=resource, resource_account=A).effect == "Allow"
    assert authorize(request, identity=[], resource=resource, resource_account=A).effect == "ImplicitDeny"


def test_permissions_boundary_limits_identity_allows() -> None:
    request = Request(ALICE, "dynamodb:PutItem", TABLE)
    boundary = doc(stmt(action="dynamodb:GetItem"))
    assert authorize(request, identity=doc(stmt(action="dynamodb:*")), boundary=boundary).effect == "ImplicitDeny"
    assert authorize(Request(ALICE, "dynamodb:GetItem", TABLE), identity=doc(stmt(action="dynamodb:*")), boundary=boundary).effect == "Allow"


def test_decision_names_the_statements() -> None:
    policies = [Policy("AccessRole/inline", {"Statement": [stmt(Sid="Read"), stmt(action="dynamodb:*", resource="*")]})]
    decision = authorize(Request(ALICE, "dynamodb:GetItem", TABLE), identity=policies)
    assert decision.allowed_by == (StatementRef("AccessRole/inline", "Read"), StatementRef("AccessRole/inline", "Statement[1]"))
    denied = authorize(Request(ALICE, "dynamodb:GetItem", TABLE), identity=policies + doc(stmt("Deny", Sid="NoReads")))
    assert [str(r) for r in denied.denied_by] == ["p statement NoReads"]


@pytest.mark.parametrize(("statement", "words"), [
    (stmt(Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), "not supported"),
    (stmt(Condition={"ForSomeValues:StringEquals": {"k": "v"}}), "qualifier"),
    (stmt(resource=None), "needs Resource or NotResource"),
    (stmt(action=None), "needs Action or NotAction"),
    (stmt(effect="Permit"), "Effect must be Allow or Deny"),
    (stmt(resource={"Fn::Sub": "arn:${AWS::Partition}:dynamodb:::table/x"}), "unresolved intrinsic"),
    (stmt(Principal={"AWS": B_ROOT}), "cannot have Principal"),
])
def test_unsupported_or_malformed_policies_are_refused_not_guessed(statement: dict[str, Any], words: str) -> None:
    with pytest.raises(PolicyError, match=words):
        authorize(Request(ALICE, "dynamodb:GetItem", TABLE, {"k": "v"}), identity=doc(statement))


ADVERSARIAL_CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], str]] = [
    ("allow-condition-on-unknown-key-is-met", [stmt(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})], {}, "Allow"),
    ("allow-condition-on-known-key-is-evaluated", [stmt(Condition={"StringEquals": {"aws:PrincipalAccount": B}})], {"aws:PrincipalAccount": C}, "ImplicitDeny"),
    ("known-absent-key-is-absent", [stmt(Condition={"StringEquals": {"sts:ExternalId": "x"}})], {"sts:ExternalId": None}, "ImplicitDeny"),
    ("deny-condition-on-unknown-key-is-unmet", [stmt(), stmt("Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})], {}, "Allow"),
]


@pytest.mark.parametrize(("statements", "context", "expected"), [c[1:] for c in ADVERSARIAL_CASES], ids=[c[0] for c in ADVERSARIAL_CASES])
def test_adversarial_mode_lets_the_caller_choose_unknown_keys(statements: list[dict[str, Any]], context: dict[str, Any], expected: str) -> None:
    request = Request(ALICE, "dynamodb:GetItem", TABLE, context, adversarial=True)
    assert authorize(request, identity=doc(*statements)).effect == expected
    strict = authorize(Request(ALICE, "dynamodb:GetItem", TABLE, context), identity=doc(*statements)).effect
    if statements[0].get("Condition") and "aws:SourceVpc" in str(statements):
        assert strict == "ImplicitDeny", "strict mode: an unknown key is absent"


# Pieces of ARNs, wildcards and regex metacharacters: enough to meet segment boundaries and escapes.
_ARN_BITS = ["arn:aws:dynamodb:us-east-1:", A, ":", "table/", "Books", "index/", "*", "?", "/", "-", ".", "(", "|", "a", "b"]


@given(patterns=st.lists(st.lists(st.sampled_from(_ARN_BITS), max_size=6).map("".join), max_size=5),
       resource=st.lists(st.sampled_from(_ARN_BITS), max_size=7).map("".join))
def test_one_matcher_for_many_resource_patterns_agrees_with_matching_each(patterns: list[str], resource: str) -> None:
    from xacct_infra.access.matching import any_resource_matcher, resource_matches

    assert any_resource_matcher(patterns)(resource) == any(resource_matches(p, resource) for p in patterns)
