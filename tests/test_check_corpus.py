"""The mutation corpus of `xacct-infra check`: hand edits of freshly generated templates.

Every widening edit must fail the check with a finding that names what was edited (the
statement's Sid, or ``Statement[i]`` for one without, or the role property); every harmless
edit (an added Deny, reordering, renamed Sids, a split statement, lower-case actions,
one-element lists...) must pass. Edits find what they change by content (a role by its
name, a statement by an action it holds), never by list index, so a reshaped template keeps
them meaningful. Templates are rendered once per module and copied per case.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from xacct_infra import check, config

Files = dict[str, dict[str, Any]]
Edit = Callable[[Files], str]  # edits the files in place; returns what a FAIL line must name

GOLDEN = ROOT / "tests" / "golden"
CONFIGS = {"example": config.load(ROOT / "xacct.toml"), "full": config.load(GOLDEN / "full" / "xacct.toml"),
           "org": config.load(GOLDEN / "org" / "xacct.toml"), "consumers": config.load(GOLDEN / "consumers" / "xacct.toml")}
RENDERED = {name: check.rendered_files(cfg) for name, cfg in CONFIGS.items()}

B = "arn:aws:iam::222222222222"
TABLE = "arn:aws:dynamodb:us-east-1:111111111111:table/keystore"
AUDIT = TABLE + "-audit"
KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EVENTS = "arn:aws:dynamodb:eu-west-1:111111111111:table/keystore.events"


# ----------------------------------------------------------------------------- locating by content


def role(files: Files, name: str) -> dict[str, Any]:
    """The properties of the AWS::IAM::Role named ``name``, in whichever template holds it."""
    for template in files.values():
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Role" and resource["Properties"]["RoleName"] == name:
                props: dict[str, Any] = resource["Properties"]
                return props
    raise LookupError(name)


def trust(files: Files, name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = role(files, name)["AssumeRolePolicyDocument"]["Statement"]
    return statements


def holding(statements: list[dict[str, Any]], action: str, resource: str = "") -> dict[str, Any]:
    """The statement that holds ``action`` (and a resource containing ``resource``)."""
    for st in statements:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = st.get("Resource", [])
        texts = [r.get("Fn::Sub", "") if isinstance(r, dict) else str(r) for r in (resources if isinstance(resources, list) else [resources])]
        if action.lower() in (a.lower() for a in actions) and (not resource or any(resource in t for t in texts)):
            return st
    raise LookupError(action)


def grants(files: Files, name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = role(files, name)["Policies"][0]["PolicyDocument"]["Statement"]
    return statements


def grant(files: Files, name: str, action: str, resource: str = "") -> dict[str, Any]:
    return holding(grants(files, name), action, resource)


def the_trust(files: Files, name: str) -> dict[str, Any]:
    return holding(trust(files, name), "sts:AssumeRole")


def add(statements: list[dict[str, Any]], statement: dict[str, Any]) -> str:
    statements.append(statement)
    return f"statement {statement['Sid']}" if "Sid" in statement else f"statement Statement[{len(statements) - 1}]"


def template_of(files: Files, name: str) -> dict[str, Any]:
    return next(t for t in files.values() if any(r["Type"] == "AWS::IAM::Role" and r["Properties"]["RoleName"] == name
                                                 for r in t["Resources"].values()))


def sid(st: dict[str, Any]) -> str:
    return f"statement {st['Sid']}"


def edit(st: dict[str, Any], **changes: Any) -> str:
    st.update(changes)
    return sid(st)


def condition(st: dict[str, Any], operator: str, key: str, value: Any, *, drop: str | None = None) -> str:
    conditions = st.setdefault("Condition", {})
    if drop:
        conditions.pop(drop, None)
    conditions.setdefault(operator, {})[key] = value
    return sid(st)


def allow(principal: Any, action: Any = "sts:AssumeRole", sid_: str | None = None, **extra: Any) -> dict[str, Any]:
    st = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    return {"Sid": sid_, **st} if sid_ else st


def iam_policy(kind: str, targets: dict[str, list[Any]], statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Type": kind, "Properties": {"PolicyName": "extra", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                                         **targets}}


def resource(files: Files, name: str, logical_id: str, body: dict[str, Any]) -> None:
    template_of(files, name)["Resources"][logical_id] = body


# ----------------------------------------------------------------------------- the widening edits

A, BR = "xacct-access", "xacct-instance"
WIDENING: list[tuple[str, str, Edit]] = [
    # --- Account A's trust (roles mode)
    ("a-trust-principalarn-lists-admin", "example", lambda f: condition(the_trust(f, A), "ArnEquals", "aws:PrincipalArn",
                                                                        [f"{B}:role/xacct-instance", f"{B}:role/Admin"])),
    ("a-trust-arnlike-any-prefix", "example", lambda f: condition(the_trust(f, A), "ArnLike", "aws:PrincipalArn", f"{B}:role/*xacct-instance", drop="ArnEquals")),
    ("a-trust-arnlike-any-path", "example", lambda f: condition(the_trust(f, A), "ArnLike", "aws:PrincipalArn", f"{B}:role/*/xacct-instance", drop="ArnEquals")),
    ("a-trust-arnlike-question-mark", "example", lambda f: condition(the_trust(f, A), "ArnLike", "aws:PrincipalArn", f"{B}:role/xacct-instanc?", drop="ArnEquals")),
    ("a-trust-arnequals-wildcard", "example", lambda f: condition(the_trust(f, A), "ArnEquals", "aws:PrincipalArn", f"{B}:role/*")),
    ("a-trust-attacker-role", "example", lambda f: add(trust(f, A), allow({"AWS": "arn:aws:iam::999999999999:role/attacker"}, sid_="Attacker"))),
    ("a-trust-probe-account-role", "example", lambda f: add(trust(f, A), allow({"AWS": "arn:aws:iam::333333333333:role/xacct-instance"}))),
    ("a-trust-another-b-role", "example", lambda f: add(trust(f, A), allow({"AWS": f"{B}:role/ci"}, sid_="Ci"))),
    ("a-trust-b-user", "example", lambda f: add(trust(f, A), allow({"AWS": f"{B}:user/alice"}, ["sts:AssumeRole"]))),
    ("a-trust-other-root-role-star", "example", lambda f: add(trust(f, A), allow(
        {"AWS": "arn:aws:iam::999999999999:root"}, sid_="Partner",
        Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999999999999:role/*"}}))),
    ("a-trust-other-account-id", "example", lambda f: add(trust(f, A), allow({"AWS": "999999999999"}, sid_="Partner2",
                                                                         Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999999999999:role/x*"}}))),
    ("a-trust-star-any-org", "example", lambda f: add(trust(f, A), allow("*", sid_="AnyOrg", Condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}}))),
    ("a-trust-star", "example", lambda f: edit(the_trust(f, A), Principal="*", Condition={})),
    ("a-trust-cognito", "example", lambda f: add(trust(f, A), allow({"Federated": "cognito-identity.amazonaws.com"},
                                                                    "sts:AssumeRoleWithWebIdentity", "Cognito"))),
    ("a-trust-github-no-sub", "example", lambda f: add(trust(f, A), allow(
        {"Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"}, "sts:AssumeRoleWithWebIdentity",
        "GitHub", Condition={"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}))),
    ("a-trust-saml", "example", lambda f: add(trust(f, A), allow(
        {"Federated": "arn:aws:iam::111111111111:saml-provider/corp"}, "sts:AssumeRoleWithSAML", "Saml",
        Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}))),
    ("a-trust-ecs-service", "example", lambda f: add(trust(f, A), allow({"Service": "ecs-tasks.amazonaws.com"}, sid_="Ecs"))),
    ("a-trust-tag-session", "example", lambda f: edit(the_trust(f, A), Action=["sts:AssumeRole", "sts:TagSession"])),
    ("a-trust-set-source-identity", "example", lambda f: edit(the_trust(f, A), Action=["sts:AssumeRole", "sts:SetSourceIdentity"])),
    ("a-trust-action-wildcard", "example", lambda f: edit(the_trust(f, A), Action="sts:*")),
    ("a-trust-not-action", "example", lambda f: (st := the_trust(f, A), st.pop("Action"), edit(st, NotAction="sts:TagSession"))[2]),
    ("a-trust-not-principal", "example", lambda f: (st := the_trust(f, A), edit(st, NotPrincipal=st.pop("Principal")))[1]),
    ("a-trust-condition-dropped", "example", lambda f: (st := the_trust(f, A), st.pop("Condition"), sid(st))[2]),
    ("a-trust-if-exists", "example", lambda f: condition(the_trust(f, A), "ArnEqualsIfExists", "aws:PrincipalArn", f"{B}:role/xacct-instance",
                                                         drop="ArnEquals")),
    ("a-trust-key-renamed", "example", lambda f: condition(the_trust(f, A), "ArnEquals", "aws:SourceArn", f"{B}:role/xacct-instance",
                                                           drop="ArnEquals")),
    ("a-trust-negated", "example", lambda f: condition(the_trust(f, A), "ArnNotEquals", "aws:PrincipalArn", f"{B}:role/Other", drop="ArnEquals")),
    ("a-trust-for-all-values", "example", lambda f: condition(the_trust(f, A), "ForAllValues:ArnEquals", "aws:PrincipalArn",
                                                              f"{B}:role/xacct-instance", drop="ArnEquals")),
    # --- Account A's permissions
    ("a-dynamodb-star", "example", lambda f: add(grants(f, A), {"Sid": "Everything", "Effect": "Allow", "Action": "dynamodb:*", "Resource": TABLE})),
    ("a-delete-table", "example", lambda f: (st := grant(f, A, "dynamodb:PutItem"), st["Action"].append("dynamodb:DeleteTable"), sid(st))[2]),
    ("a-kms-anywhere", "example", lambda f: add(grants(f, A), {"Sid": "AnyKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})),
    ("a-every-table", "example", lambda f: add(grants(f, A), {"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                              "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/*"})),
    ("a-table-prefix", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"), edit(st, Resource=[AUDIT + "*"]))[1]),
    ("a-neighbour-table", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"),
                                               st["Resource"].append(TABLE + "-secrets"), sid(st))[2]),
    ("a-other-region", "example", lambda f: add(grants(f, A), {"Sid": "West", "Effect": "Allow", "Action": ["dynamodb:GetItem"],
                                                               "Resource": ["arn:aws:dynamodb:us-west-2:111111111111:table/keystore"]})),
    ("a-not-action", "example", lambda f: add(grants(f, A), {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": TABLE})),
    ("a-not-resource", "example", lambda f: (st := grant(f, A, "kms:Decrypt"), st.pop("Resource"), edit(st, NotResource=[TABLE]))[2]),
    ("a-write-on-read-table", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"), st["Action"].append("dynamodb:PutItem"), sid(st))[2]),
    ("a-index-of-unindexed-table", "example", lambda f: (st := grant(f, A, "dynamodb:Query", "/index/"), st["Resource"].append(AUDIT + "/index/*"), sid(st))[2]),
    ("a-kms-create-grant", "example", lambda f: (st := grant(f, A, "kms:Decrypt"), st["Action"].append("kms:CreateGrant"), sid(st))[2]),
    ("a-kms-other-key", "example", lambda f: (st := grant(f, A, "kms:Decrypt"),
                                             st["Resource"].append("arn:aws:kms:us-east-1:111111111111:key/99999999-1111-4111-8111-999999999999"), sid(st))[2]),
    ("a-pass-role", "example", lambda f: add(grants(f, A), {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})),
    ("a-s3", "example", lambda f: add(grants(f, A), {"Sid": "Bucket", "Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": "arn:aws:s3:::keystore-backups/*"})),
    ("a-stream-records", "example", lambda f: add(grants(f, A), {"Sid": "Stream", "Effect": "Allow", "Action": ["dynamodb:GetRecords"],
                                                                 "Resource": TABLE + "/stream/*"})),
    ("a-export", "example", lambda f: (st := grant(f, A, "dynamodb:PutItem"), st["Action"].append("dynamodb:ExportTableToPointInTime"), sid(st))[2]),
    ("a-partiql", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"), st["Action"].append("dynamodb:PartiQLSelect"), sid(st))[2]),
    ("a-action-pattern", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"), edit(st, Action=["dynamodb:Get*"]))[1]),
    ("a-second-inline-policy", "example", lambda f: (role(f, A)["Policies"].append({"PolicyName": "more", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Sid": "Schedule", "Effect": "Allow", "Action": "kms:ScheduleKeyDeletion", "Resource": KEY}]}}),
        "statement Schedule")[1]),
    ("a-case-respelled-wider", "example", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"), st["Action"].append("DynamoDB:DeleteItem"), sid(st))[2]),
    # --- Account B's trust
    ("b-trust-ecs", "example", lambda f: edit(the_trust(f, BR), Principal={"Service": ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]})),
    ("b-trust-lambda-statement", "example", lambda f: add(trust(f, BR), allow({"Service": "lambda.amazonaws.com"}, sid_="Lambda"))),
    ("b-trust-ci-role", "example", lambda f: add(trust(f, BR), allow({"AWS": f"{B}:role/ci"}, sid_="Ci"))),
    ("b-trust-own-root", "example", lambda f: add(trust(f, BR), allow({"AWS": f"{B}:root"}))),
    ("b-trust-star", "example", lambda f: edit(the_trust(f, BR), Principal="*")),
    ("b-trust-github", "example", lambda f: add(trust(f, BR), allow(
        {"Federated": "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"}, "sts:AssumeRoleWithWebIdentity", "GitHub"))),
    ("b-trust-tag-session", "example", lambda f: edit(the_trust(f, BR), Action=["sts:AssumeRole", "sts:TagSession"])),
    # --- Account B's permissions
    ("b-assume-any-role", "example", lambda f: edit(grant(f, BR, "sts:AssumeRole"), Resource="arn:aws:iam::111111111111:role/*")),
    ("b-assume-another-role", "example", lambda f: (st := grant(f, BR, "sts:AssumeRole"),
                                                   st["Resource"].append("arn:aws:iam::111111111111:role/admin"), sid(st))[2]),
    ("b-assume-third-account", "example", lambda f: add(grants(f, BR), {"Sid": "Elsewhere", "Effect": "Allow", "Action": "sts:AssumeRole",
                                                                        "Resource": "arn:aws:iam::999999999999:role/xacct-access"})),
    ("b-data-directly", "example", lambda f: (st := grant(f, BR, "sts:AssumeRole"), st["Action"].append("dynamodb:GetItem"),
                                             st["Resource"].append(TABLE), sid(st))[3]),
    ("b-tag-session", "example", lambda f: (st := grant(f, BR, "sts:AssumeRole"), st["Action"].append("sts:TagSession"), sid(st))[2]),
    # --- role properties
    ("a-max-session-12h", "example", lambda f: (role(f, A).update(MaxSessionDuration=43200), "MaxSessionDuration")[1]),
    ("a-path-changed", "example", lambda f: (role(f, A).update(Path="/other/"), "Path")[1]),
    ("a-role-name-changed", "example", lambda f: (role(f, A).update(RoleName="xacct-access-2"), "RoleName")[1]),
    ("a-admin-attached", "example", lambda f: (role(f, A).update(ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
                                              "AdministratorAccess")[1]),
    ("b-readonly-attached", "example", lambda f: (role(f, BR).update(ManagedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
                                                 "ReadOnlyAccess")[1]),
    ("b-max-session-12h", "example", lambda f: (role(f, BR).update(MaxSessionDuration=43200), "MaxSessionDuration")[1]),
    ("full-boundary-removed", "full", lambda f: (role(f, "keystore-reader").pop("PermissionsBoundary"), "PermissionsBoundary")[1]),
    ("full-boundary-replaced", "full", lambda f: (role(f, "keystore-reader").update(
        PermissionsBoundary="arn:aws:iam::111111111111:policy/Wide"), "PermissionsBoundary")[1]),
    ("full-max-session-raised", "full", lambda f: (role(f, "keystore-reader").update(MaxSessionDuration=43200), "MaxSessionDuration")[1]),
    # --- attachments
    ("policy-on-user-alice", "example", lambda f: (resource(f, A, "Extra", iam_policy("AWS::IAM::Policy", {"Users": ["alice"]}, [
        {"Sid": "Destroy", "Effect": "Allow", "Action": ["dynamodb:DeleteTable", "kms:ScheduleKeyDeletion"], "Resource": [TABLE, KEY]}])),
        "user alice")[1]),
    ("managed-policy-on-outside-role", "example", lambda f: (resource(f, A, "Extra", iam_policy("AWS::IAM::ManagedPolicy", {"Roles": ["ops-admin"]}, [
        {"Sid": "Read", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]}])), "role ops-admin")[1]),
    ("policy-on-group", "example", lambda f: (resource(f, A, "Extra", iam_policy("AWS::IAM::Policy", {"Groups": ["admins"]}, [
        {"Sid": "Read", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [TABLE]}])), "group admins")[1]),
    ("policy-on-a-role", "example", lambda f: (resource(f, A, "Extra", iam_policy("AWS::IAM::Policy", {"Roles": [{"Ref": "AccessRole"}]}, [
        {"Sid": "DropTables", "Effect": "Allow", "Action": ["dynamodb:DeleteTable"], "Resource": [TABLE]}])), "statement DropTables")[1]),
    ("managed-policy-on-b-role", "example", lambda f: (resource(f, BR, "Extra", iam_policy("AWS::IAM::ManagedPolicy", {"Roles": [{"Ref": "InstanceRole"}]}, [
        {"Sid": "AnyRole", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "*"}])), "statement AnyRole")[1]),
    ("extra-role", "example", lambda f: (resource(f, A, "Backdoor", {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "backdoor", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}), "Backdoor")[1]),
    # --- organization-wide trust
    ("org-paths-whole-org", "org", lambda f: condition(the_trust(f, A), "ForAnyValue:StringLike", "aws:PrincipalOrgPaths", ["o-a1b2c3d4e5/*"])),
    ("org-paths-sibling-prefix", "org", lambda f: condition(the_trust(f, A), "ForAnyValue:StringLike", "aws:PrincipalOrgPaths",
                                                            ["o-a1b2c3d4e5/r-ab12/ou-ab12-1*"])),
    ("org-paths-dropped", "org", lambda f: (st := the_trust(f, A), st["Condition"].pop("ForAnyValue:StringLike"), sid(st))[2]),
    ("org-for-all-values", "org", lambda f: (st := the_trust(f, A), st["Condition"].update({"ForAllValues:StringLike": st["Condition"].pop(
        "ForAnyValue:StringLike")}), sid(st))[2]),
    ("org-second-org", "org", lambda f: (st := the_trust(f, A), st["Condition"]["StringEquals"].update(
        {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-zzzzzzzzzz"]}), sid(st))[2]),
    ("org-id-like", "org", lambda f: (st := the_trust(f, A), st["Condition"].pop("StringEquals"), st["Condition"].update(
        StringLike={"aws:PrincipalOrgID": "o-*"}), st["Condition"].pop("ForAnyValue:StringLike"), sid(st))[4]),
    ("org-any-role", "org", lambda f: condition(the_trust(f, A), "ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*")),
    ("org-any-path", "org", lambda f: condition(the_trust(f, A), "ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*/keystore-reader")),
    ("org-all-conditions-dropped", "org", lambda f: (st := the_trust(f, A), st.pop("Condition"), sid(st))[2]),
    # --- external id
    ("extid-dropped", "full", lambda f: (st := the_trust(f, "keystore-reader"), st["Condition"].pop("StringEquals"), sid(st))[2]),
    ("extid-like-star", "full", lambda f: (st := the_trust(f, "keystore-reader"), st["Condition"].pop("StringEquals"),
                                          condition(st, "StringLike", "sts:ExternalId", "*"))[2]),
    ("extid-if-exists", "full", lambda f: (st := the_trust(f, "keystore-reader"), st["Condition"].update(
        StringEqualsIfExists=st["Condition"].pop("StringEquals")), sid(st))[2]),
    ("extid-second-value", "full", lambda f: condition(the_trust(f, "keystore-reader"), "StringEquals", "sts:ExternalId",
                                                       ["keystore-prod:2026", "guessable"])),
    ("extid-second-statement-without", "full", lambda f: add(trust(f, "keystore-reader"), allow(
        {"AWS": f"{B}:root"}, sid_="NoExternalId", Condition={"ArnEquals": {"aws:PrincipalArn": f"{B}:role/hosts/app-host"}}))),
    # --- write-only tables
    ("full-write-only-may-return-values", "full", lambda f: (st := grant(f, "keystore-reader", "dynamodb:PutItem", "keystore.events"),
                                                            st.pop("Condition"), sid(st))[2]),
    ("full-write-only-return-values-like", "full", lambda f: edit(grant(f, "keystore-reader", "dynamodb:PutItem", "keystore.events"),
                                                                  Condition={"StringLikeIfExists": {"dynamodb:ReturnValues": "*"}})),
    # --- several consumers
    ("consumers-narrowed-role-trusts-payments", "consumers", lambda f: (st := the_trust(f, "xacct-access-reporting"),
                                                                        condition(st, "ArnEquals", "aws:PrincipalArn",
                                                                                  [f"{B}:role/xacct-instance", "arn:aws:iam::444444444444:role/xacct-instance"]),
                                                                        edit(st, Principal={"AWS": [f"{B}:root", "arn:aws:iam::444444444444:root"]}))[2]),
    ("consumers-narrowed-role-gets-write", "consumers", lambda f: (st := grant(f, "xacct-access-reporting", "dynamodb:GetItem"),
                                                                   st["Action"].append("dynamodb:PutItem"), sid(st))[2]),
]

HARMLESS: list[tuple[str, str, Callable[[Files], object]]] = [
    ("deny-in-trust", "example", lambda f: add(trust(f, A), {"Sid": "NoStrangers", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
                                                             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "222222222222"}}})),
    ("deny-in-permissions", "example", lambda f: add(grants(f, A), {"Sid": "NeverDrop", "Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"})),
    ("statements-reordered", "example", lambda f: grants(f, A).reverse()),
    ("actions-reordered", "example", lambda f: grant(f, A, "dynamodb:PutItem")["Action"].reverse()),
    ("sids-renamed", "example", lambda f: [st.update(Sid=f"Renamed{i}") for i, st in enumerate(grants(f, A) + trust(f, A) + trust(f, BR))]),
    ("statement-split", "example", lambda f: (st := grant(f, A, "dynamodb:PutItem"), grants(f, A).append(
        {**st, "Sid": "WriteHalf", "Action": st["Action"][5:]}), st.update(Action=st["Action"][:5]))),
    ("actions-lower-case", "example", lambda f: [st.update(Action=[a.lower() for a in st["Action"]]) for st in grants(f, A) + trust(f, A)]),
    ("principal-one-element-list", "example", lambda f: the_trust(f, A).update(Principal={"AWS": [the_trust(f, A)["Principal"]["AWS"]]})),
    ("principal-account-id", "example", lambda f: the_trust(f, A).update(Principal={"AWS": "222222222222"})),
    ("sid-removed", "example", lambda f: the_trust(f, A).pop("Sid")),
    ("an-account-the-condition-excludes", "example", lambda f: the_trust(f, A).update(Principal={"AWS": [f"{B}:root", "999999999999"]})),
    ("consumers-trust-split-per-consumer", "consumers", lambda f: (st := the_trust(f, A), trust(f, A).append(
        {**copy.deepcopy(st), "Sid": "Search", "Principal": {"AWS": st["Principal"]["AWS"][1]},
         "Condition": {**st["Condition"], "ArnEquals": {"aws:PrincipalArn": st["Condition"]["ArnEquals"]["aws:PrincipalArn"][1]}}}),
        st.update(Principal={"AWS": st["Principal"]["AWS"][0]}),
        st["Condition"].update(ArnEquals={"aws:PrincipalArn": st["Condition"]["ArnEquals"]["aws:PrincipalArn"][0]}))),
    ("org-condition-values-as-lists", "org", lambda f: the_trust(f, A)["Condition"]["StringEquals"].update(
        {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]})),
    ("logical-id-renamed", "example", lambda f: (res := f["account-a"]["Resources"]).update(Role=res.pop("AccessRole"))),
    ("full-write-only-condition-as-list", "full", lambda f: grant(f, "keystore-reader", "dynamodb:PutItem", "keystore.events").update(
        Condition={"StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE"]}})),
]


def mutated(name: str, change: Callable[[Files], object]) -> tuple[Files, object]:
    files = copy.deepcopy(RENDERED[name])
    return files, change(files)


@pytest.mark.parametrize(("name", "change"), [c[1:] for c in WIDENING], ids=[c[0] for c in WIDENING])
def test_a_widening_edit_fails_check_naming_what_was_edited(name: str, change: Edit) -> None:
    files, named = mutated(name, change)
    report = check.run_files(CONFIGS[name], files, parliament=False)
    lines = [str(f) for f in report.findings]
    assert not report.ok, f"{name}: the edit passed check"
    assert any(str(named) in line for line in lines), f"no finding names {named!r}:\n" + "\n".join(lines)


@pytest.mark.parametrize(("name", "change"), [c[1:] for c in HARMLESS], ids=[c[0] for c in HARMLESS])
def test_a_harmless_edit_passes_check(name: str, change: Callable[[Files], object]) -> None:
    files, _ = mutated(name, change)
    report = check.run_files(CONFIGS[name], files)  # with parliament: exit 0 means every gate passes
    assert report.ok, "\n".join(str(f) for f in report.findings)


def test_the_corpus_is_large_enough() -> None:
    assert len(WIDENING) >= 60 and len(HARMLESS) >= 8
    assert len({c[0] for c in WIDENING + HARMLESS}) == len(WIDENING) + len(HARMLESS)


def test_the_cli_exits_1_and_names_the_statement_for_a_hand_edited_yaml(run, tmp_path: Path) -> None:
    files, named = mutated("example", next(c[2] for c in WIDENING if c[0] == "a-trust-attacker-role"))
    for stem, doc in files.items():
        (tmp_path / f"{stem}.yaml").write_text(yaml.safe_dump(doc))
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(tmp_path))
    assert result.exit_code == 1
    assert any(line.startswith("FAIL ") and str(named) in line for line in result.stdout.splitlines()), result.stdout


def test_a_value_check_cannot_resolve_fails_naming_the_resource(run, tmp_path: Path) -> None:
    files = copy.deepcopy(RENDERED["example"])
    the_trust(files, A)["Principal"] = {"AWS": {"Fn::If": ["IsProd", "*", {"Ref": "AWS::NoValue"}]}}
    for stem, doc in files.items():
        (tmp_path / f"{stem}.yaml").write_text(yaml.safe_dump(doc))
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "account-a.yaml AccessRole statement AssumeFromAccountBInstanceRole: Fn::If is not supported" in result.stderr
