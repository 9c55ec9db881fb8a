"""Adversarial edits of generated templates that the mutation corpus (test_check_corpus.py) does
not hold: operator swaps, IfExists and Null games, set operators, condition-key case, principal
forms, wildcard resources and actions, intrinsic tricks, extra IAM resources, per-kind trusts.

Each case is (id, config, "widen" | "harmless", edit). A widening edit must fail ``check`` with
a finding naming what it edited (the statement's Sid or ``Statement[i]``, the resource's logical
id, or the role property); a harmless edit must pass. Edits locate what they change by content
(a role by its name, a statement by an action or a value it holds), never by list index.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_check_corpus import (
    CONFIGS,
    GOLDEN,
    KEY,
    RENDERED,
    TABLE,
    B,
    Files,
    add,
    allow,
    condition,
    edit,
    grant,
    grants,
    iam_policy,
    resource,
    role,
    sid,
    template_of,
    the_trust,
    trust,
)
from xacct_infra import check, config
from xacct_infra.errors import ExitCode, XacctError

CONFIGS = {**CONFIGS, "kinds": config.load(GOLDEN / "kinds" / "xacct.toml")}
RENDERED = {**RENDERED, "kinds": check.rendered_files(CONFIGS["kinds"])}

A, BR = "xacct-access", "xacct-instance"
FULL_A = "keystore-reader"
AUDIT = TABLE + "-audit"
PREFIX = "arn:aws:dynamodb:us-east-1:111111111111:table/"


def _text(value: Any) -> str:
    return json.dumps(value)


def having(statements: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """The statement whose JSON holds ``text`` (a Sid-free way to find it by content)."""
    for st in statements:
        if text in _text(st):
            return st
    raise LookupError(text)


def conds(st: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = st.setdefault("Condition", {})
    return block


def rekey(st: dict[str, Any], key: str, operator: str, *, value: Any = None, new_key: str | None = None) -> str:
    """Move condition ``key`` (any operator, case-insensitively) under ``operator`` (and ``new_key``)."""
    block = conds(st)
    for op in list(block):
        for k in list(block[op]):
            if k.lower() == key.lower():
                old = block[op].pop(k)
                if not block[op]:
                    block.pop(op)
                block.setdefault(operator, {})[new_key or k] = old if value is None else value
                return sid(st)
    raise LookupError(key)


def drop(st: dict[str, Any], key: str) -> str:
    block = conds(st)
    for op in list(block):
        for k in list(block[op]):
            if k.lower() == key.lower():
                block[op].pop(k)
                if not block[op]:
                    block.pop(op)
    return sid(st)


def literal(node: Any) -> Any:
    """``node`` with every ``Fn::Sub`` of the pseudo partition written out (a JSON-string policy holds no intrinsics)."""
    if isinstance(node, list):
        return [literal(v) for v in node]
    if isinstance(node, dict):
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
            return node["Fn::Sub"].replace("${AWS::Partition}", "aws")
        return {k: literal(v) for k, v in node.items()}
    return node


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def a_resources(files: Files) -> dict[str, Any]:
    resources: dict[str, Any] = files["account-a"]["Resources"]
    return resources


def extra_policy(files: Files, name: str, kind: str, targets: dict[str, Any], action: Any, res: Any, sid_: str = "Extra") -> str:
    resource(files, name, "ExtraPolicy", iam_policy(kind, targets, [{"Sid": sid_, "Effect": "Allow", "Action": action, "Resource": res}]))
    return sid_


def statements_of(files: Files, name: str) -> list[dict[str, Any]]:
    return grants(files, name) + trust(files, name)


POD_NS = "aws:RequestTag/kubernetes-namespace"
VPC = "aws:Ec2InstanceSourceVpc"

Case = tuple[str, str, str, Callable[[Files], object]]
ATTACKS: list[Case] = [
    # ------------------------------------------------------------------ Account A's trust: operators
    ("a-trust-null-instead-of-arn", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "Null", value="false")),
    ("a-trust-stringlike-role-star", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringLike",
                                                                          value=f"{B}:role/*")),
    ("a-trust-arnlike-if-exists", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLikeIfExists")),
    ("a-trust-string-equals-if-exists", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringEqualsIfExists")),
    ("a-trust-foranyvalue-arnlike-star", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ForAnyValue:ArnLike",
                                                                              value=[f"{B}:role/xacct-instance", f"{B}:role/*"])),
    ("a-trust-string-not-like", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringNotLike",
                                                                     value=f"{B}:role/Admin*")),
    ("a-trust-arn-not-like", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnNotLike",
                                                                  value=f"{B}:user/*")),
    ("a-trust-principal-account-only", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringEquals",
                                                                            value="222222222222", new_key="aws:PrincipalAccount")),
    ("a-trust-mfa-instead", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "Bool", value="true",
                                                                 new_key="aws:MultiFactorAuthPresent")),
    ("a-trust-arnlike-suffix-star", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLike",
                                                                         value=f"{B}:role/xacct-instance*")),
    ("a-trust-any-account-same-name", "example", "widen", lambda f: (st := the_trust(f, A), st.update(Principal="*"),
                                                                      rekey(st, "aws:PrincipalArn", "ArnLike", value="arn:aws:iam::*:role/xacct-instance"))[2]),
    ("a-trust-other-root-same-name", "example", "widen", lambda f: add(trust(f, A), allow(
        {"AWS": "999999999999"}, sid_="Elsewhere", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/xacct-instance"}}))),
    ("a-trust-account-question-mark", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLike",
                                                                           value="arn:aws:iam::22222222222?:role/xacct-instance")),
    ("a-trust-user-same-name", "example", "widen", lambda f: condition(the_trust(f, A), "ArnEquals", "aws:PrincipalArn",
                                                                        [f"{B}:role/xacct-instance", f"{B}:user/xacct-instance"])),
    ("a-trust-ignore-case-operator", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringEqualsIgnoreCase",
                                                                          value=f"{B}:role/*")),
    ("a-trust-canonical-user", "example", "widen", lambda f: add(trust(f, A), allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
                                                                                    sid_="Canonical"))),
    ("a-trust-service-upper-case", "example", "widen", lambda f: add(trust(f, A), allow({"Service": "EC2.amazonaws.com"}, sid_="Ec2Upper"))),
    ("a-trust-action-assume-star", "example", "widen", lambda f: edit(the_trust(f, A), Action=["sts:Assume*"])),
    ("a-trust-action-question", "example", "widen", lambda f: edit(the_trust(f, A), Action=["sts:AssumeRole", "sts:?agSession"])),
    ("a-trust-star-in-principal-list", "example", "widen", lambda f: (st := the_trust(f, A), st.update(Principal={"AWS": [f"{B}:root", "*"]}),
                                                                       drop(st, "aws:PrincipalArn"))[2]),
    ("a-trust-deny-notaction-and-allow-star", "example", "widen", lambda f: (
        add(trust(f, A), {"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*", "NotAction": "sts:AssumeRole"}),
        add(trust(f, A), allow({"AWS": "arn:aws:iam::999999999999:root"}, sid_="Wide")))[1]),
    # ------------------------------------------------------------------ Account A's trust: harmless
    ("a-trust-key-case", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnEquals", new_key="AWS:PRINCIPALARN")),
    ("a-trust-arnlike-literal", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLike")),
    ("a-trust-stringequals-literal", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringEquals")),
    ("a-trust-stringlike-literal", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringLike")),
    ("a-trust-principal-is-the-role", "example", "harmless", lambda f: (st := the_trust(f, A), st.pop("Condition"),
                                                                         st.update(Principal={"AWS": f"{B}:role/xacct-instance"}))),
    ("a-trust-action-upper", "example", "harmless", lambda f: the_trust(f, A).update(Action="STS:ASSUMEROLE")),
    ("a-trust-action-string", "example", "harmless", lambda f: the_trust(f, A).update(Action="sts:AssumeRole")),
    ("a-trust-value-list", "example", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnEquals",
                                                                   value=[sub("arn:${AWS::Partition}:iam::222222222222:role/xacct-instance")])),
    ("a-trust-deny-notaction", "example", "harmless", lambda f: add(trust(f, A), {"Sid": "NoTags", "Effect": "Deny", "Principal": "*",
                                                                                  "NotAction": "sts:AssumeRole"})),
    ("a-trust-deny-notprincipal", "example", "harmless", lambda f: add(trust(f, A), {"Sid": "OnlyB", "Effect": "Deny", "NotPrincipal": {
        "AWS": f"{B}:root"}, "Action": "sts:AssumeRole"})),
    ("a-trust-narrowing-condition", "example", "harmless", lambda f: condition(the_trust(f, A), "Bool", "aws:SecureTransport", "true")),
    ("a-trust-principal-account-too", "example", "harmless", lambda f: condition(the_trust(f, A), "StringEquals", "aws:PrincipalAccount", "222222222222")),
    ("a-trust-literal-partition", "example", "harmless", lambda f: (st := the_trust(f, A), st.update(Principal={"AWS": f"{B}:root"}),
                                                                     rekey(st, "aws:PrincipalArn", "ArnEquals", value=f"{B}:role/xacct-instance"))),
    ("a-trust-duplicate-statement", "example", "harmless", lambda f: add(trust(f, A), {**copy.deepcopy(the_trust(f, A)), "Sid": "Again"})),
    # ------------------------------------------------------------------ Account A's permissions
    ("a-resource-question-mark-table", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"),
                                                                           Resource=[PREFIX + "keystore?audit"])),
    ("a-resource-prefix-index", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:Query", "/index/"), Resource=[PREFIX + "keystore*/index/*"])),
    ("a-resource-every-index", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:Query", "/index/"), Resource=[PREFIX + "*/index/*"])),
    ("a-resource-sub-table", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:PutItem"), Resource=[PREFIX + "keystore/*"])),
    ("a-resource-any-region", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:PutItem"),
                                                                  Resource=["arn:aws:dynamodb:*:111111111111:table/keystore"])),
    ("a-resource-any-account", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:PutItem"),
                                                                   Resource=["arn:aws:dynamodb:us-east-1:*:table/keystore"])),
    ("a-resource-account-question", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:PutItem"),
                                                                        Resource=["arn:aws:dynamodb:us-east-1:11111111111?:table/keystore"])),
    ("a-resource-every-key", "example", "widen", lambda f: edit(grant(f, A, "kms:Decrypt"), Resource=["arn:aws:kms:us-east-1:111111111111:key/*"])),
    ("a-resource-sub-variable-star", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Resource=[
        {"Fn::Sub": ["arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/${T}", {"T": "*"}]}])),
    ("a-resource-join-star", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Resource=[
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":dynamodb:us-east-1:111111111111:table/", "*"]]}])),
    ("a-resource-stream", "example", "widen", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"),
                                                          st["Resource"].append(AUDIT + "/stream/*"), st["Action"].append("dynamodb:GetRecords"), sid(st))[3]),
    ("a-action-kms-crypt", "example", "widen", lambda f: edit(grant(f, A, "kms:Decrypt"), Action=["kms:*crypt*", "kms:DescribeKey", "kms:GenerateDataKey"])),
    ("a-action-reencrypt", "example", "widen", lambda f: (st := grant(f, A, "kms:Decrypt"), st["Action"].append("kms:ReEncrypt*"), sid(st))[2]),
    ("a-action-star-star", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Action="*:*")),
    ("a-action-star", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Action="*")),
    ("a-action-item-star", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Action=["dynamodb:*Item"])),
    ("a-action-upper-write-on-read", "example", "widen", lambda f: (st := grant(f, A, "dynamodb:GetItem", "keystore-audit"),
                                                                     st["Action"].append("DYNAMODB:PUTITEM"), sid(st))[2]),
    ("a-identity-notresource-deny-and-allow", "example", "widen", lambda f: add(grants(f, A), {
        "Sid": "AllTables", "Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": TABLE})),
    ("a-deny-notaction-does-not-deny", "example", "widen", lambda f: (
        add(grants(f, A), {"Sid": "DenyRest", "Effect": "Deny", "NotAction": "dynamodb:*", "Resource": "*"}),
        add(grants(f, A), {"Sid": "DropIt", "Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": TABLE}))[1]),
    ("a-condition-on-grant-ifexists-any", "example", "widen", lambda f: add(grants(f, A), {
        "Sid": "Conditional", "Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": TABLE,
        "Condition": {"StringLikeIfExists": {"aws:SourceAccount": "*"}}})),
    # ------------------------------------------------------------------ Account A's permissions: harmless
    ("a-action-mixed-case", "example", "harmless", lambda f: grant(f, A, "dynamodb:PutItem").update(
        Action=["DynamoDB:" + a.split(":")[1].upper() for a in grant(f, A, "dynamodb:PutItem")["Action"]])),
    ("a-resource-string", "example", "harmless", lambda f: (st := grant(f, A, "kms:Decrypt"), st.update(Resource=st["Resource"][0]))),
    ("a-resource-literal-partition", "example", "harmless", lambda f: grant(f, A, "kms:Decrypt").update(Resource=[KEY])),
    ("a-statements-merged", "example", "harmless", lambda f: (
        rw := grant(f, A, "dynamodb:PutItem"), ro := grant(f, A, "dynamodb:GetItem", "keystore-audit"),
        ro["Resource"].append(rw["Resource"][0]), rw.update(Action=[a for a in rw["Action"] if a not in ro["Action"]]))),
    ("a-duplicate-grant", "example", "harmless", lambda f: add(grants(f, A), {**copy.deepcopy(grant(f, A, "kms:Decrypt")), "Sid": "AgainKms"})),
    ("a-empty-condition", "example", "harmless", lambda f: grant(f, A, "kms:Decrypt").update(Condition={})),
    ("a-narrowing-region-condition", "example", "harmless", lambda f: condition(grant(f, A, "kms:Decrypt"), "StringEquals",
                                                                                 "aws:RequestedRegion", "us-east-1")),
    ("a-sid-removed-permissions", "example", "harmless", lambda f: grant(f, A, "kms:Decrypt").pop("Sid")),
    ("a-deny-notresource", "example", "harmless", lambda f: add(grants(f, A), {"Sid": "OnlyTheTable", "Effect": "Deny", "Action": "dynamodb:*",
                                                                               "NotResource": [TABLE, TABLE + "/*", AUDIT]})),
    # ------------------------------------------------------------------ template-level edits
    ("description-changed", "example", "harmless", lambda f: [t.update(Description="edited by hand") for t in f.values()]),
    ("metadata-changed", "example", "harmless", lambda f: [t.update(Metadata={"Note": {"by": "ops"}}) for t in f.values()]),
    ("role-description-and-tags", "example", "harmless", lambda f: [role(f, n).update(Description="x", Tags=[
        *role(f, n).get("Tags", []), {"Key": "team", "Value": "ops"}]) for n in (A, BR)]),
    ("resource-metadata-and-deletion-policy", "example", "harmless", lambda f: [r.update(Metadata={"cfn-lint": {"config": {}}},
                                                                                           DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
                                                                                 for t in f.values() for r in t["Resources"].values()]),
    ("outputs-and-unused-parameter", "example", "harmless", lambda f: (
        f["account-a"].setdefault("Parameters", {}).update(Env={"Type": "String", "Default": "prod"}),
        f["account-a"]["Outputs"].update(Name={"Value": {"Ref": "AccessRole"}}))),
    ("a-parameter-in-resource", "example", "widen", lambda f: (
        f["account-a"].setdefault("Parameters", {}).update(Tables={"Type": "String", "Default": "*"}),
        edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Resource=[sub("arn:${AWS::Partition}:dynamodb:us-east-1:111111111111:table/${Tables}")]))[1]),
    ("a-fn-if-in-action", "example", "widen", lambda f: (
        f["account-a"].setdefault("Conditions", {}).update(Wide={"Fn::Equals": ["a", "a"]}),
        edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"), Action=[{"Fn::If": ["Wide", "dynamodb:*", "dynamodb:GetItem"]}]))[1]),
    ("a-conditional-extra-policy", "example", "widen", lambda f: (
        f["account-a"].setdefault("Conditions", {}).update(Never={"Fn::Equals": ["a", "b"]}),
        extra_policy(f, A, "AWS::IAM::Policy", {"Roles": [{"Ref": "AccessRole"}]}, "dynamodb:DeleteTable", TABLE, "Drop"),
        a_resources(f)["ExtraPolicy"].update(Condition="Never"))[1]),
    # ------------------------------------------------------------------ other IAM resources and attachments
    ("role-policy-resource", "example", "widen", lambda f: (resource(f, A, "ExtraRolePolicy", {"Type": "AWS::IAM::RolePolicy", "Properties": {
        "RoleName": "xacct-access", "PolicyName": "x", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Drop", "Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": TABLE}]}}}), "ExtraRolePolicy")[1]),
    ("user-and-access-key", "example", "widen", lambda f: (resource(f, A, "Bob", {"Type": "AWS::IAM::User", "Properties": {
        "UserName": "bob", "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}),
        resource(f, A, "BobKey", {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "Bob"}}}), "Bob")[2]),
    ("user-to-group-addition", "example", "widen", lambda f: (resource(f, A, "JoinAdmins", {"Type": "AWS::IAM::UserToGroupAddition",
                                                                                          "Properties": {"GroupName": "admins", "Users": ["bob"]}}), "JoinAdmins")[1]),
    ("group-with-inline-policy", "example", "widen", lambda f: (resource(f, A, "Ops", {"Type": "AWS::IAM::Group", "Properties": {"Policies": [
        {"PolicyName": "x", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                                                      "Resource": TABLE}]}}]}}), "Ops")[1]),
    ("policy-by-literal-role-name", "example", "widen", lambda f: extra_policy(f, A, "AWS::IAM::Policy", {"Roles": ["xacct-access"]},
                                                                                "dynamodb:DeleteTable", TABLE, "DropByName")),
    ("policy-by-joined-role-name", "example", "widen", lambda f: extra_policy(f, A, "AWS::IAM::Policy", {"Roles": [{"Fn::Join": ["-", ["xacct", "access"]]}]},
                                                                               "kms:ScheduleKeyDeletion", KEY, "Schedule")),
    ("managed-policy-via-arn-list", "example", "widen", lambda f: (
        resource(f, A, "Wide", iam_policy("AWS::IAM::ManagedPolicy", {"ManagedPolicyName": "wide"}, [
            {"Sid": "WideScan", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": PREFIX + "*"}])),
        role(f, A).update(ManagedPolicyArns=[{"Ref": "Wide"}]), "WideScan")[2]),
    ("managed-policy-by-literal-arn", "example", "widen", lambda f: (
        resource(f, A, "Wide", iam_policy("AWS::IAM::ManagedPolicy", {"ManagedPolicyName": "wide"}, [
            {"Sid": "WideScan", "Effect": "Allow", "Action": "dynamodb:Scan", "Resource": PREFIX + "*"}])),
        role(f, A).update(ManagedPolicyArns=["arn:aws:iam::111111111111:policy/wide"]), "WideScan")[2]),
    ("aws-managed-job-function", "example", "widen", lambda f: (role(f, A).update(ManagedPolicyArns=[
        sub("arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess")]), "ViewOnlyAccess")[1]),
    ("b-policy-on-a-role-name", "example", "widen", lambda f: extra_policy(f, BR, "AWS::IAM::Policy", {"Roles": ["xacct-access"]},
                                                                            "sts:AssumeRole", "*", "AnyRole")),
    ("b-second-inline-policy", "example", "widen", lambda f: (role(f, BR)["Policies"].append({"PolicyName": "more", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}]}}),
        "statement Read")[1]),
    ("second-role-copy", "example", "widen", lambda f: (resource(f, A, "AccessRole2", {"Type": "AWS::IAM::Role", "Properties": {
        **copy.deepcopy(role(f, A)), "RoleName": "xacct-access-copy"}}), "AccessRole2")[1]),
    ("b-instance-profile-second-role", "example", "harmless", lambda f: template_of(f, BR)["Resources"]["InstanceProfile"]["Properties"].update(
        InstanceProfileName="xacct-instance")),
    # ------------------------------------------------------------------ role properties
    ("a-max-session-as-string", "full", "harmless", lambda f: role(f, FULL_A).update(MaxSessionDuration="7200")),
    ("a-max-session-string-raised", "full", "widen", lambda f: (role(f, FULL_A).update(MaxSessionDuration="43200"), "MaxSessionDuration")[1]),
    ("a-boundary-via-sub", "full", "harmless", lambda f: role(f, FULL_A).update(
        PermissionsBoundary=sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/Boundary"))),
    ("a-boundary-other-path", "full", "widen", lambda f: (role(f, FULL_A).update(
        PermissionsBoundary="arn:aws:iam::111111111111:policy/x/Boundary"), "PermissionsBoundary")[1]),
    ("a-path-via-join", "full", "harmless", lambda f: role(f, FULL_A).update(Path={"Fn::Join": ["/", ["", "xacct", "prod", ""]]})),
    ("b-role-name-sub", "example", "harmless", lambda f: role(f, BR).update(RoleName=sub("xacct-instance"))),
    # ------------------------------------------------------------------ external id
    ("extid-like-prefix", "full", "widen", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "StringLike", value="keystore-prod:*")),
    ("extid-ignore-case", "full", "widen", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "StringEqualsIgnoreCase")),
    ("extid-null", "full", "widen", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "Null", value="false")),
    ("extid-for-all-values", "full", "widen", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "ForAllValues:StringEquals")),
    ("extid-not-equals", "full", "widen", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "StringNotEquals", value="wrong")),
    ("extid-key-case", "full", "harmless", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "StringEquals", new_key="STS:EXTERNALID")),
    ("extid-value-list", "full", "harmless", lambda f: rekey(the_trust(f, FULL_A), "sts:ExternalId", "StringEquals", value=["keystore-prod:2026"])),
    # ------------------------------------------------------------------ write-only tables
    ("write-only-not-equals", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                               Condition={"StringNotEqualsIfExists": {"dynamodb:ReturnValues": "ALL_OLD"}})),
    ("write-only-null-false", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                               Condition={"Null": {"dynamodb:ReturnValues": "false"}})),
    ("write-only-second-value", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                                 Condition={"StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "ALL_NEW"]}})),
    ("write-only-other-key", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                              Condition={"StringEqualsIfExists": {"dynamodb:ReturnConsumedCapacity": "NONE"}})),
    ("write-only-update-split-out", "full", "widen", lambda f: (st := grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                                 st.update(Action=[a for a in st["Action"] if a != "dynamodb:UpdateItem"]),
                                                                 add(grants(f, FULL_A), {"Sid": "Update", "Effect": "Allow", "Action": "dynamodb:UpdateItem",
                                                                                         "Resource": st["Resource"]}))[2]),
    ("write-only-for-any-value", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                                  Condition={"ForAnyValue:StringLike": {"dynamodb:ReturnValues": "*"}})),
    ("write-only-key-case", "full", "harmless", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                                Condition={"StringEqualsIfExists": {"DynamoDB:returnvalues": "NONE"}})),
    # ------------------------------------------------------------------ organization trust
    ("org-id-question-mark", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalOrgID", "StringLike", value="o-a1b2c3d4e?")),
    ("org-paths-ou-prefix-no-slash", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalOrgPaths", "ForAnyValue:StringLike",
                                                                      value=["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111*"])),
    ("org-paths-second-ou", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalOrgPaths", "ForAnyValue:StringLike",
                                                             value=["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"])),
    ("org-principal-arn-any-name", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLike",
                                                                    value="arn:aws:iam::*:role/fleet/*")),
    ("org-principal-arn-name-suffix", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLike",
                                                                       value="arn:aws:iam::*:role/*keystore-reader")),
    ("org-principal-arn-if-exists", "org", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnLikeIfExists")),
    ("org-paths-if-exists-and-id-dropped", "org", "widen", lambda f: (st := the_trust(f, A), drop(st, "aws:PrincipalOrgID"),
                                                                       rekey(st, "aws:PrincipalOrgPaths", "ForAnyValue:StringLikeIfExists"))[2]),
    ("org-principal-star-string", "org", "harmless", lambda f: the_trust(f, A).update(Principal="*")),
    ("org-key-case", "org", "harmless", lambda f: rekey(the_trust(f, A), "aws:PrincipalOrgID", "StringEquals", new_key="AWS:PRINCIPALORGID")),
    # ------------------------------------------------------------------ several consumers
    ("consumers-reporting-encrypt", "consumers", "widen", lambda f: (st := grant(f, "xacct-access-reporting", "kms:Decrypt"),
                                                                      st["Action"].append("kms:Encrypt"), sid(st))[2]),
    ("consumers-payments-extid-dropped", "consumers", "widen", lambda f: drop(the_trust(f, "xacct-access"), "sts:ExternalId")),
    ("consumers-sids-renamed", "consumers", "harmless", lambda f: [st.update(Sid=f"S{i}") for t in f.values() for r in t["Resources"].values()
                                                                   if r["Type"] == "AWS::IAM::Role"
                                                                   for i, st in enumerate(r["Properties"]["AssumeRolePolicyDocument"]["Statement"])]),
    # ------------------------------------------------------------------ consumer kinds
    ("lambda-trusts-ecs-too", "kinds", "widen", lambda f: edit(the_trust(f, "xacct-lambda"), Principal={"Service": ["lambda.amazonaws.com",
                                                                                                                   "ecs-tasks.amazonaws.com"]})),
    ("lambda-source-account-dropped", "kinds", "widen", lambda f: drop(the_trust(f, "xacct-lambda"), "aws:SourceAccount")),
    ("lambda-source-account-like-star", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-lambda"), "aws:SourceAccount", "StringLike", value="*")),
    ("lambda-source-account-if-exists", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-lambda"), "aws:SourceAccount", "StringEqualsIfExists")),
    ("lambda-source-account-other", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-lambda"), "aws:SourceAccount", "StringEquals",
                                                                       value=["202020202020", "999999999999"])),
    ("lambda-key-case", "kinds", "harmless", lambda f: rekey(the_trust(f, "xacct-lambda"), "aws:SourceAccount", "StringEquals", new_key="AWS:SOURCEACCOUNT")),
    ("lambda-service-list", "kinds", "harmless", lambda f: the_trust(f, "xacct-lambda").update(Principal={"Service": ["lambda.amazonaws.com"]})),
    ("ecs-source-arn-any-region", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-ecs-task"), "aws:SourceArn", "ArnLike",
                                                                     value=sub("arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:*"))),
    ("ecs-source-arn-any-account", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-ecs-task"), "aws:SourceArn", "ArnLike",
                                                                      value="arn:aws:ecs:us-east-1:*:*")),
    ("ecs-source-arn-dropped", "kinds", "widen", lambda f: drop(the_trust(f, "xacct-ecs-task"), "aws:SourceArn")),
    ("ecs-source-arn-if-exists", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-ecs-task"), "aws:SourceArn", "ArnLikeIfExists")),
    ("ecs-source-arn-stringlike", "kinds", "harmless", lambda f: rekey(the_trust(f, "xacct-ecs-task"), "aws:SourceArn", "ArnLike",
                                                                        value="arn:aws:ecs:us-east-1:303030303030:*")),
    ("codebuild-source-arn-any-region", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-codebuild"), "aws:SourceArn", "ArnLike",
                                                                           value="arn:aws:codebuild:*:404040404040:project/*")),
    ("codebuild-trusts-lambda-statement", "kinds", "widen", lambda f: add(trust(f, "xacct-codebuild"), allow({"Service": "lambda.amazonaws.com"},
                                                                                                              sid_="AlsoLambda"))),
    ("eks-namespace-dropped", "kinds", "widen", lambda f: drop(the_trust(f, "xacct-eks-pod"), POD_NS)),
    ("eks-namespace-like", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-eks-pod"), POD_NS, "StringLike", value="pay*")),
    ("eks-namespace-if-exists", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-eks-pod"), POD_NS, "StringEqualsIfExists")),
    ("eks-namespace-second", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-eks-pod"), POD_NS, "ForAnyValue:StringEquals",
                                                                value=["payments", "default"])),
    ("eks-cluster-any", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-eks-pod"), "aws:RequestTag/eks-cluster-arn", "StringLike",
                                                           value="arn:aws:eks:us-east-1:505050505050:cluster/*")),
    ("eks-service-account-dropped", "kinds", "widen", lambda f: drop(the_trust(f, "xacct-eks-pod"), "aws:RequestTag/kubernetes-service-account")),
    ("eks-operator-prefix-case", "kinds", "harmless", lambda f: rekey(the_trust(f, "xacct-eks-pod"), POD_NS, "StringEquals",
                                                                       new_key="AWS:RequestTag/kubernetes-namespace")),
    ("eks-stringlike-literal", "kinds", "harmless", lambda f: rekey(the_trust(f, "xacct-eks-pod"), POD_NS, "StringLike")),
    ("eks-tag-session-any-role", "kinds", "widen", lambda f: edit(grant(f, "xacct-eks-pod", "sts:TagSession"), Resource="*")),
    ("vpc-if-exists", "kinds", "widen", lambda f: rekey(having(trust(f, A), VPC), VPC, "StringEqualsIfExists")),
    ("vpc-extra-id", "kinds", "widen", lambda f: rekey(having(trust(f, A), VPC), VPC, "StringEquals",
                                                        value=["vpc-0a1b2c3d4e5f60718", "vpc-1a2b3c4d", "vpc-99999999"])),
    ("vpc-like", "kinds", "widen", lambda f: rekey(having(trust(f, A), VPC), VPC, "StringLike", value="vpc-*")),
    ("vpc-null", "kinds", "widen", lambda f: rekey(having(trust(f, A), VPC), VPC, "Null", value="false")),
    ("vpc-dropped", "kinds", "widen", lambda f: drop(having(trust(f, A), VPC), VPC)),
    ("vpc-host-in-consumer-list", "kinds", "widen", lambda f: (st := having(trust(f, A), "xacct-lambda"),
                                                                st["Principal"]["AWS"].append(sub("arn:${AWS::Partition}:iam::222222222222:root")),
                                                                st["Condition"]["ArnEquals"]["aws:PrincipalArn"].append(f"{B}:role/xacct-instance"),
                                                                sid(st))[3]),
    ("vpc-values-reordered", "kinds", "harmless", lambda f: having(trust(f, A), VPC)["Condition"]["StringEquals"][VPC].reverse()),
    ("tag-session-for-lambda-too", "kinds", "widen", lambda f: (st := having(trust(f, A), "sts:TagSession"),
                                                                 st["Principal"].update(AWS=[st["Principal"]["AWS"], "arn:aws:iam::202020202020:root"]),
                                                                 condition(st, "ArnEquals", "aws:PrincipalArn", [
                                                                     "arn:aws:iam::505050505050:role/xacct-eks-pod",
                                                                     "arn:aws:iam::202020202020:role/xacct-lambda"]))[2]),
    ("legacy-path-dropped-in-a", "kinds", "widen", lambda f: (st := having(trust(f, A), "legacy-app"),
                                                               st["Condition"]["ArnEquals"]["aws:PrincipalArn"].append("arn:aws:iam::606060606060:role/legacy-app"),
                                                               sid(st))[2]),
    ("legacy-any-path-in-a", "kinds", "widen", lambda f: add(trust(f, A), allow({"AWS": "arn:aws:iam::606060606060:root"}, sid_="LegacyAnyPath",
                                                                                 Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::606060606060:role/*/legacy-app"}}))),
    ("legacy-second-role", "kinds", "widen", lambda f: (f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"]["Roles"].append(
        "other-app"), "role other-app")[1]),
    ("legacy-other-role-only", "kinds", "widen", lambda f: (f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"].update(
        Roles=["other-app"]), "role other-app")[1]),
    ("legacy-user-too", "kinds", "widen", lambda f: (f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"].update(
        Users=["bob"]), "user bob")[1]),
    ("legacy-any-role", "kinds", "widen", lambda f: (st := f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"]["PolicyDocument"][
        "Statement"][0], st.update(Resource="arn:aws:iam::111111111111:role/*"), sid(st))[2]),
    ("legacy-description-changed", "kinds", "harmless", lambda f: f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"].update(
        Description="edited")),
    ("kinds-consumer-statement-split", "kinds", "harmless", lambda f: (st := having(trust(f, A), "xacct-lambda"), trust(f, A).append({
        **copy.deepcopy(st), "Sid": "Lambda", "Principal": {"AWS": st["Principal"]["AWS"][0]},
        "Condition": {"ArnEquals": {"aws:PrincipalArn": st["Condition"]["ArnEquals"]["aws:PrincipalArn"][0]}}}),
        st["Principal"].update(AWS=st["Principal"]["AWS"][1:]),
        st["Condition"]["ArnEquals"].update({"aws:PrincipalArn": st["Condition"]["ArnEquals"]["aws:PrincipalArn"][1:]}))),
    # ------------------------------------------------------------------ documents and values IAM reads differently
    ("a-trust-as-json-string", "example", "widen", lambda f: (st := add(trust(f, A), allow({"AWS": "arn:aws:iam::999999999999:root"}, sid_="Str")),
                                                               role(f, A).update(AssumeRolePolicyDocument=json.dumps(
                                                                   {**role(f, A)["AssumeRolePolicyDocument"], "Statement": [
                                                                       {**s_, "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Condition": {
                                                                           "ArnEquals": {"aws:PrincipalArn": f"{B}:role/xacct-instance"}}}
                                                                       if s_.get("Sid") != "Str" else s_ for s_ in trust(f, A)]})), st)[2]),
    ("a-extra-policy-as-json-string", "example", "widen", lambda f: (
        extra_policy(f, A, "AWS::IAM::Policy", {"Roles": [{"Ref": "AccessRole"}]}, "dynamodb:DeleteTable", TABLE, "DropStr"),
        a_resources(f)["ExtraPolicy"]["Properties"].update(PolicyDocument=json.dumps(a_resources(f)["ExtraPolicy"]["Properties"]["PolicyDocument"])),
        "DropStr")[2]),
    ("a-inline-policy-as-json-string", "example", "widen", lambda f: (
        add(grants(f, A), {"Sid": "DropInline", "Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": TABLE}),
        role(f, A)["Policies"][0].update(PolicyDocument=json.dumps(literal(role(f, A)["Policies"][0]["PolicyDocument"]))), "DropInline")[2]),
    ("a-inline-policy-as-json-string-same", "example", "harmless", lambda f: role(f, A)["Policies"][0].update(
        PolicyDocument=json.dumps(literal(role(f, A)["Policies"][0]["PolicyDocument"])))),
    ("a-trust-policy-variable-pin", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "ArnEquals", value="${aws:PrincipalArn}")),
    ("a-trust-policy-variable-account", "example", "widen", lambda f: add(trust(f, A), allow({"AWS": "*"}, sid_="Var", Condition={
        "StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}))),
    ("a-resource-policy-variable", "example", "widen", lambda f: edit(grant(f, A, "dynamodb:GetItem", "keystore-audit"),
                                                                       Resource=[PREFIX + "${aws:PrincipalTag/table}"])),
    ("write-only-policy-variable", "full", "widen", lambda f: edit(grant(f, FULL_A, "dynamodb:PutItem", "keystore.events"),
                                                                    Condition={"StringEqualsIfExists": {"dynamodb:ReturnValues": "${dynamodb:ReturnValues}"}})),
    ("template-transform-macro", "example", "widen", lambda f: (f["account-a"].update(Transform="RewriteEverything"), "Transform")[1]),
    ("template-transform-in-properties", "example", "widen", lambda f: (role(f, A).update(
        {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/more.yaml"}}}), "Fn::Transform")[1]),
    ("sub-variable-shadows-pseudo", "kinds", "widen", lambda f: rekey(the_trust(f, "xacct-lambda"), "aws:SourceAccount", "StringEquals",
                                                                       value={"Fn::Sub": ["${AWS::AccountId}", {"AWS::AccountId": "999999999999"}]})),
    ("a-resource-any-partition", "example", "widen", lambda f: edit(grant(f, A, "kms:Decrypt"),
                                                                     Resource=["arn:*:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"])),
    ("custom-resource", "example", "widen", lambda f: (resource(f, A, "Hook", {"Type": "Custom::Grant", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:grant"}}), "Hook")[1]),
    ("nested-stack", "example", "widen", lambda f: (resource(f, A, "Nested", {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": "https://example.com/t.yaml"}}), "Nested")[1]),
    ("a-trust-same-principal-again", "example", "harmless", lambda f: add(trust(f, A), allow({"AWS": f"{B}:role/xacct-instance"}, sid_="Again"))),
    # ------------------------------------------------------------------ round 3
    ("tags-and-description-from-a-parameter", "example", "harmless", lambda f: (
        f["account-a"].setdefault("Parameters", {}).update(Env={"Type": "String", "Default": "prod"}),
        role(f, A).update(Description=sub("keystore access (${Env})"), Tags=[{"Key": "env", "Value": {"Ref": "Env"}}]))),
    ("policy-name-changed", "example", "harmless", lambda f: role(f, A)["Policies"][0].update(PolicyName="renamed")),
    ("empty-managed-policy-list", "example", "harmless", lambda f: role(f, A).update(ManagedPolicyArns=[])),
    ("lambda-source-arn-narrowing", "kinds", "harmless", lambda f: condition(the_trust(f, "xacct-lambda"), "ArnLike", "aws:SourceArn",
                                                                              "arn:aws:lambda:us-east-1:202020202020:function:*")),
    ("ecs-source-arn-stringlike-operator", "kinds", "harmless", lambda f: rekey(the_trust(f, "xacct-ecs-task"), "aws:SourceArn", "StringLike")),
    ("legacy-roles-by-sub", "kinds", "harmless", lambda f: f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"].update(
        Roles=[sub("legacy-app")])),
    ("legacy-policy-renamed", "kinds", "harmless", lambda f: f["account-b-legacy"]["Resources"]["AssumeAccountAPolicy"]["Properties"].update(
        ManagedPolicyName="legacy-app-renamed")),
    ("legacy-second-policy", "kinds", "widen", lambda f: (f["account-b-legacy"]["Resources"].update(More=iam_policy(
        "AWS::IAM::ManagedPolicy", {"Roles": ["legacy-app"]}, [{"Sid": "Data", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}])),
        "statement Data")[1]),
    ("legacy-inline-policy-too", "kinds", "widen", lambda f: (f["account-b-legacy"]["Resources"].update(More=iam_policy(
        "AWS::IAM::Policy", {"Roles": ["legacy-app"]}, [{"Sid": "AnyRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])),
        "statement AnyRole")[1]),
    ("extid-bypassed-by-literal-role", "full", "widen", lambda f: add(trust(f, FULL_A), allow({"AWS": f"{B}:role/hosts/app-host"}, sid_="NoExtId"))),
    ("vpc-bypassed-by-literal-role", "kinds", "widen", lambda f: add(trust(f, A), allow({"AWS": f"{B}:role/xacct-instance"}, sid_="AnyVpc"))),
    ("org-account-pattern-noop", "org", "harmless", lambda f: condition(the_trust(f, A), "StringLike", "aws:PrincipalAccount", "*")),
    ("mrk-any-region", "full", "widen", lambda f: (st := grant(f, FULL_A, "kms:Encrypt", "mrk-"), st.update(Resource=[
        "arn:aws:kms:*:111111111111:key/mrk-0123456789abcdef0123456789abcdef"]), sid(st))[2]),
    ("bool-as-json-true", "example", "harmless", lambda f: condition(the_trust(f, A), "Bool", "aws:SecureTransport", True)),
    ("empty-action-list-statement", "example", "harmless", lambda f: add(grants(f, A), {"Sid": "Nothing", "Effect": "Allow", "Action": [],
                                                                                        "Resource": TABLE})),
    ("a-trust-source-account-binds-nothing", "example", "widen", lambda f: rekey(the_trust(f, A), "aws:PrincipalArn", "StringLike", value="*",
                                                                                  new_key="aws:SourceAccount")),
    ("a-trust-if-exists-with-null-guard", "example", "harmless", lambda f: (st := the_trust(f, A), rekey(st, "aws:PrincipalArn", "ArnEqualsIfExists"),
                                                                             condition(st, "Null", "aws:PrincipalArn", "false"))),
    ("extid-if-exists-with-null-guard", "full", "harmless", lambda f: (st := the_trust(f, FULL_A), rekey(st, "sts:ExternalId", "StringEqualsIfExists"),
                                                                        condition(st, "Null", "sts:ExternalId", "false"))),
    ("b-assume-split-duplicate", "example", "harmless", lambda f: add(grants(f, BR), {**copy.deepcopy(grant(f, BR, "sts:AssumeRole")), "Sid": "Again"})),
    ("b-assume-lower-case-string-resource", "example", "harmless", lambda f: (st := grant(f, BR, "sts:AssumeRole"),
                                                                              st.update(Action="sts:assumerole", Resource=st["Resource"][0]))),
    ("b-assume-joined-resource", "example", "harmless", lambda f: grant(f, BR, "sts:AssumeRole").update(Resource=[
        {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "iam", "", "111111111111", "role/xacct-access"]]}])),
    ("a-trust-root-twice", "example", "harmless", lambda f: the_trust(f, A).update(Principal={"AWS": [f"{B}:root", "222222222222"]})),
    ("org-paths-whole-org-added", "org", "widen", lambda f: (st := the_trust(f, A), st["Condition"]["ForAnyValue:StringLike"][
        "aws:PrincipalOrgPaths"].append("o-a1b2c3d4e5/*"), sid(st))[2]),
]


def mutated(name: str, change: Callable[[Files], object]) -> tuple[Files, object]:
    files = copy.deepcopy(RENDERED[name])
    return files, change(files)


def _judge(name: str, files: Files) -> tuple[bool, list[str]]:
    """(passed, the FAIL lines); a template check cannot read fails it with one line (exit 1), as on the CLI."""
    try:
        report = check.run_files(CONFIGS[name], files, parliament=False)
    except XacctError as exc:
        assert exc.exit_code == ExitCode.FAILED
        return False, [str(exc)]
    return report.ok, [str(f) for f in report.findings]


WIDENING = [c for c in ATTACKS if c[2] == "widen"]
HARMLESS = [c for c in ATTACKS if c[2] == "harmless"]


@pytest.mark.parametrize(("name", "change"), [(c[1], c[3]) for c in WIDENING], ids=[c[0] for c in WIDENING])
def test_a_widening_attack_fails_check_naming_what_was_edited(name: str, change: Callable[[Files], object]) -> None:
    files, named = mutated(name, change)
    ok, lines = _judge(name, files)
    assert not ok, f"{name}: the edit passed check"
    assert any(str(named) in line for line in lines), f"no finding names {named!r}:\n" + "\n".join(lines)


@pytest.mark.parametrize(("name", "change"), [(c[1], c[3]) for c in HARMLESS], ids=[c[0] for c in HARMLESS])
def test_a_harmless_attack_passes_check(name: str, change: Callable[[Files], object]) -> None:
    files, _ = mutated(name, change)
    ok, lines = _judge(name, files)
    assert ok, "\n".join(lines)


def test_ids_are_unique() -> None:
    assert len({c[0] for c in ATTACKS}) == len(ATTACKS)


PATHS = {"example": ROOT / "xacct.toml", "kinds": GOLDEN / "kinds" / "xacct.toml", "full": GOLDEN / "full" / "xacct.toml"}


@pytest.mark.parametrize("case", ["a-fn-if-in-action", "a-trust-null-instead-of-arn", "eks-namespace-like", "legacy-second-role",
                                  "a-trust-as-json-string", "extid-for-all-values", "vpc-host-in-consumer-list"])
def test_the_cli_exits_1_naming_the_statement(run, tmp_path: Path, case: str) -> None:
    name, change = next((c[1], c[3]) for c in ATTACKS if c[0] == case)
    files, named = mutated(name, change)
    for stem, doc in files.items():
        (tmp_path / f"{stem}.yaml").write_text(yaml.safe_dump(doc))
    result = run("check", "--config", str(PATHS[name]), "--template-dir", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert str(named) in result.output, result.output


@pytest.mark.parametrize("case", ["org-principal-star-string", "tags-and-description-from-a-parameter", "legacy-roles-by-sub"])
def test_the_cli_exits_0_on_a_harmless_edit(run, tmp_path: Path, case: str) -> None:
    name, change = next((c[1], c[3]) for c in ATTACKS if c[0] == case)
    files, _ = mutated(name, change)
    for stem, doc in files.items():
        (tmp_path / f"{stem}.yaml").write_text(yaml.safe_dump(doc))
    path = PATHS.get(name, GOLDEN / name / "xacct.toml")
    result = run("check", "--config", str(path), "--template-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
