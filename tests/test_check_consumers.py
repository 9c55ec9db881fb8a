"""`check` with several consumers and with organization-wide trust: each consumer reaches only
its own Account A role and grants; outsiders of the organization get nothing; breakages fail."""

from __future__ import annotations

import copy

from tests.conftest import ROOT
from xacct_infra import check, config

GOLDEN = ROOT / "tests" / "golden"
CONSUMERS = config.load(GOLDEN / "consumers" / "xacct.toml")
ORG = config.load(GOLDEN / "org" / "xacct.toml")


def test_three_consumers_pass_and_the_narrowed_one_reaches_only_its_subset() -> None:
    report = check.run_files(CONSUMERS, check.rendered_files(CONSUMERS), parliament=False)
    assert report.ok, [str(f) for f in report.findings]
    reporting = {(g.action, g.resource.rsplit(":", 1)[1]) for g in report.sweep.matrix["reporting: Account B instance role"]}
    assert ("dynamodb:GetItem", "table/keystore") in reporting
    assert ("dynamodb:PutItem", "table/keystore") not in reporting
    assert not any(r.startswith("table/keystore-audit") for _, r in reporting)
    assert ("kms:Encrypt", "key/1234abcd-12ab-34cd-56ef-1234567890ab") not in reporting
    payments = {(g.action, g.resource.rsplit(":", 1)[1]) for g in report.sweep.matrix["payments: Account B instance role"]}
    assert ("dynamodb:PutItem", "table/keystore") in payments
    assert ("sts:AssumeRole", "role/xacct-access-reporting") not in payments


def test_a_consumer_template_pointed_at_another_groups_role_fails() -> None:
    files = copy.deepcopy(check.rendered_files(CONSUMERS))
    statement = files["account-b-reporting"]["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    statement["Resource"] = [{"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:role/xacct-access"}]
    report = check.run_files(CONSUMERS, files, parliament=False)
    rules = {f.rule for f in report.findings}
    assert "XI1005" in rules and "access:missing-grant" in rules
    assert any("account-b-reporting.yaml" in str(f) for f in report.findings)


def test_a_main_role_grant_leaking_into_the_narrowed_role_fails() -> None:
    files = copy.deepcopy(check.rendered_files(CONSUMERS))
    role = files["account-a"]["Resources"]["AccessRoleReporting"]["Properties"]
    role["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:PutItem")
    report = check.run_files(CONSUMERS, files, parliament=False)
    unexpected = [str(f) for f in report.findings if f.rule == "access:unexpected-allow"]
    assert unexpected and all("AccessRoleReporting" in u and "dynamodb:PutItem" in u for u in unexpected)


def test_org_wide_trust_passes_for_the_organization_and_no_one_else() -> None:
    report = check.run_files(ORG, check.rendered_files(ORG), parliament=False)
    assert report.ok, [str(f) for f in report.findings]
    assert report.sweep.matrix["the same instance role in another account of the organization"]
    assert report.sweep.matrix["the same role in an account outside the organization (444444444444)"] == []
    assert report.sweep.matrix["another role in an account of the organization"] == []


def test_org_trust_without_its_organization_condition_fails() -> None:
    files = copy.deepcopy(check.rendered_files(ORG))
    condition = files["account-a"]["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    del condition["StringEquals"]
    del condition["ForAnyValue:StringLike"]
    report = check.run_files(ORG, files, parliament=False)
    rules = {f.rule for f in report.findings}
    assert "XI1003" in rules and "access:unexpected-allow" in rules


def test_check_cli_reads_consumer_templates_from_a_directory(run) -> None:
    result = run("check", "--config", str(GOLDEN / "consumers" / "xacct.toml"), "--template-dir", str(GOLDEN / "consumers"))
    assert result.exit_code == 0, result.stdout
    assert "reporting: Account B instance role" in result.stdout
