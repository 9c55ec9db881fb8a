"""Each template rule: silent on generated templates, and firing on the breakage it is for."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests import breakage as brk
from tests.conftest import ROOT
from xacct_infra import check, config
from xacct_infra.access import templates as tpl
from xacct_infra.rules import RULES, Rule
from xacct_infra.rules import parliament as parliament_gate

EXAMPLE = config.load(ROOT / "xacct.toml")
FULL = config.load(ROOT / "tests" / "golden" / "full" / "xacct.toml")
BY_ID = {rule.id: rule for rule in RULES}


def findings(rule: Rule, edit: Callable[[brk.Templates], None] | None = None, cfg: config.Config = EXAMPLE) -> list[str]:
    templates = copy.deepcopy(check.rendered(cfg))
    if edit:
        edit(templates)
    ts = tpl.load(templates, cfg.view(), cfg.account_a.partition)  # type: ignore[arg-type]
    return [f"{f.statement}: {f.message}" for f in rule.validate(ts, cfg.view())]


def trust_org_condition(t: brk.Templates) -> None:
    brk.trust_statement(t)["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}


def trust_account_id_form(t: brk.Templates) -> None:
    statement = brk.trust_statement(t)
    statement["Principal"] = {"AWS": "222222222222"}
    del statement["Condition"]


def deny_star(t: brk.Templates) -> None:
    brk.access_statements(t).append({"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"})


def b_second_statement(t: brk.Templates) -> None:
    statements = t["b"]["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    statements.append({"Sid": "Peek", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"})


def b_wrong_path(t: brk.Templates) -> None:
    brk.b_statement(t)["Resource"] = [{"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:role/other/xacct-access"}]


def b_nothing(t: brk.Templates) -> None:
    t["b"]["Resources"]["InstanceRole"]["Properties"]["Policies"] = []


def wildcard_account(t: brk.Templates) -> None:
    brk.access_statements(t)[0]["Resource"] = ["arn:aws:dynamodb:us-east-1:*:table/keystore"]


# (case id, rule id, edit (None: the generated templates), expected messages (substrings, one per finding))
CASES: list[tuple[str, str, Callable[[brk.Templates], None] | None, list[str]]] = [
    ("XI1001-clean", "XI1001", None, []),
    ("XI1001-service-star", "XI1001", brk.dynamodb_star, ["Everything: action 'dynamodb:*' is a wildcard"]),
    ("XI1001-star", "XI1001", brk.add({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}), ["All: action '*' is a wildcard"]),
    ("XI1001-prefix-wildcard", "XI1001", brk.add({"Sid": "Gets", "Effect": "Allow", "Action": "dynamodb:Get*", "Resource": brk.SUB_TABLE}),
     ["Gets: action 'dynamodb:Get*' is a wildcard"]),
    ("XI1001-not-action", "XI1001", brk.not_action, ["AllButIam: Allow with NotAction"]),
    ("XI1001-deny-star-is-fine", "XI1001", deny_star, []),
    ("XI1002-clean", "XI1002", None, []),
    ("XI1002-star", "XI1002", brk.resource_star, ["AnyKey: resource '*' is every resource"]),
    ("XI1002-whole-type", "XI1002", brk.table_star, ["AllTables: resource 'arn:aws:dynamodb:us-east-1:111111111111:table/*' is every resource of its type"]),
    ("XI1002-wildcard-account", "XI1002", wildcard_account, ["DynamoDBRead: resource 'arn:aws:dynamodb:us-east-1:*:table/keystore' has a wildcard"]),
    ("XI1002-not-resource", "XI1002", brk.add({"Sid": "NotIt", "Effect": "Allow", "Action": "kms:Decrypt", "NotResource": brk.SUB_TABLE}),
     ["NotIt: Allow with NotResource"]),
    ("XI1002-deny-star-is-fine", "XI1002", deny_star, []),
    ("XI1003-clean", "XI1003", None, []),
    ("XI1003-star", "XI1003", brk.trust_star, ["AssumeFromAccountBInstanceRole: principal '*' is a wildcard"]),
    ("XI1003-aws-star", "XI1003", lambda t: brk.trust_statement(t).update(Principal={"AWS": ["*"]}), ["principal '*' is a wildcard"]),
    ("XI1004-clean", "XI1004", None, []),
    ("XI1004-org-condition-is-fine", "XI1004", trust_org_condition, []),
    ("XI1004-unconditioned-root", "XI1004", brk.trust_root_unconditioned, ["AssumeFromAccountBInstanceRole: trusts arn:aws:iam::222222222222:root"]),
    ("XI1004-account-id-form", "XI1004", trust_account_id_form, ["trusts 222222222222 (every principal"]),
    ("XI1004-if-exists-does-not-narrow", "XI1004", brk.trust_root_if_exists, ["AssumeFromAccountBInstanceRole: trusts"]),
    ("XI1005-clean", "XI1005", None, []),
    ("XI1005-any-role", "XI1005", brk.b_any_role, ["AssumeAccountARole: allows sts:AssumeRole on ['arn:aws:iam::111111111111:role/*']"]),
    ("XI1005-wrong-path", "XI1005", b_wrong_path, ["only arn:aws:iam::111111111111:role/xacct-access is allowed"]),
    ("XI1005-extra-action", "XI1005", brk.b_extra_action, ["AssumeAccountARole: allows ['sts:AssumeRole', 'dynamodb:GetItem']"]),
    ("XI1005-extra-statement", "XI1005", b_second_statement, ["Peek: allows ['kms:Decrypt']; only sts:AssumeRole"]),
    ("XI1005-nothing-granted", "XI1005", b_nothing, [": no statement allows sts:AssumeRole on arn:aws:iam::111111111111:role/xacct-access"]),
    ("XI1006-clean", "XI1006", None, []),
    ("XI1006-kms-key", "XI1006", brk.kms_key, [": resource type not evaluated"]),
]


@pytest.mark.parametrize(("rule_id", "edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(rule_id: str, edit: Callable[[brk.Templates], None] | None, expected: list[str]) -> None:
    got = findings(BY_ID[rule_id], edit)
    assert len(got) == len(expected), got
    for message, words in zip(got, expected, strict=True):
        assert words in message


def test_rules_are_silent_on_the_full_golden_config() -> None:
    for rule in RULES:
        assert findings(rule, cfg=FULL) == [], rule.id


def test_rules_have_unique_ids_and_descriptions() -> None:
    assert len({r.id for r in RULES}) == len(RULES) and all(r.description for r in RULES)


@pytest.mark.parametrize(("edit", "issues"), [
    (None, []),
    (brk.resource_star, ["RESOURCE_STAR"]),
    (brk.add({"Sid": "Typo", "Effect": "Allow", "Action": "dynamodb:GetItems", "Resource": brk.SUB_TABLE}), ["UNKNOWN_ACTION"]),
    (brk.add({"Sid": "Mismatch", "Effect": "Allow", "Action": "dynamodb:GetRecords", "Resource": brk.SUB_TABLE}), ["RESOURCE_MISMATCH"]),
], ids=["clean", "resource-star", "unknown-action", "resource-mismatch"])
def test_parliament_gate(edit: Callable[[brk.Templates], None] | None, issues: list[str]) -> None:
    templates = copy.deepcopy(check.rendered(EXAMPLE))
    if edit:
        edit(templates)
    ts = tpl.load(templates, EXAMPLE.view(), "aws")  # type: ignore[arg-type]
    assert [f.rule.removeprefix("parliament:") for f in parliament_gate.analyze(ts)] == issues


def test_parliament_sees_resolved_arns_in_every_partition() -> None:
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        ts = tpl.load(check.rendered(FULL), FULL.view(), partition)
        assert parliament_gate.analyze(ts) == [], partition
