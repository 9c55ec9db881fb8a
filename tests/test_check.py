"""`xacct-infra check`: passes on the example configs; fails, naming the statement at fault,
on every hand-broken template; the sweep and the matrix say the right things."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import breakage as brk
from tests.conftest import ROOT
from xacct_infra import check, config
from xacct_infra.access import matrix

EXAMPLE = config.load(ROOT / "xacct.toml")
FULL = config.load(ROOT / "tests" / "golden" / "full" / "xacct.toml")
RENDERED = check.rendered(EXAMPLE)


def broken(edit: Callable[[brk.Templates], None], base: dict[str, Any] = RENDERED) -> brk.Templates:
    templates = copy.deepcopy(base)
    edit(templates)
    return templates


def test_check_passes_on_the_example_config(run) -> None:
    result = run("check", "--config", str(ROOT / "xacct.toml"))
    assert result.exit_code == 0, result.stdout
    assert "OK: the templates allow exactly what the config grants" in result.stdout
    assert "FAIL" not in result.stdout


def test_check_passes_on_the_committed_full_golden_templates(run) -> None:
    golden = ROOT / "tests" / "golden" / "full"
    result = run("check", "--config", str(golden / "xacct.toml"), "--template-dir", str(golden))
    assert result.exit_code == 0, result.stdout
    assert "permissions boundary arn:aws:iam::111111111111:policy/Boundary is not evaluated" in result.stdout


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_check_passes_in_every_partition(partition: str) -> None:
    assert check.run(EXAMPLE.view(), RENDERED, partition=partition, parliament=False).ok


# (case id, edit, [(rule, location words, statement)] that must be among the findings)
BROKEN: list[tuple[str, Callable[[brk.Templates], None], list[tuple[str, str, str]]]] = [
    ("dynamodb-star", brk.dynamodb_star, [("XI1001", "AccessRole inline policy", "Everything"),
                                          ("access:unexpected-allow", "AccessRole inline policy", "Everything")]),
    ("resource-star", brk.resource_star, [("XI1002", "AccessRole", "AnyKey"), ("parliament:RESOURCE_STAR", "AccessRole", "AnyKey"),
                                          ("access:unexpected-allow", "AccessRole", "AnyKey")]),
    ("not-action", brk.not_action, [("XI1001", "AccessRole", "AllButIam"), ("access:unexpected-allow", "AccessRole", "AllButIam")]),
    ("all-tables", brk.table_star, [("XI1002", "AccessRole", "AllTables"), ("access:unexpected-allow", "AccessRole", "AllTables")]),
    # "*" still pinned by aws:PrincipalArn admits only B's role (a service carries no PrincipalArn): the rule refuses it
    ("trust-star", brk.trust_star, [("XI1003", "AccessRole trust policy", "AssumeFromAccountBInstanceRole")]),
    ("trust-root-unconditioned", brk.trust_root_unconditioned, [("XI1004", "AccessRole trust policy", "AssumeFromAccountBInstanceRole"),
                                                                ("access:unexpected-allow", "AccessRole trust policy", "AssumeFromAccountBInstanceRole")]),
    ("trust-root-if-exists", brk.trust_root_if_exists, [("XI1004", "AccessRole trust policy", "AssumeFromAccountBInstanceRole")]),
    ("b-any-role", brk.b_any_role, [("XI1005", "InstanceRole inline policy", "AssumeAccountARole"),
                                    ("access:unexpected-allow", "InstanceRole inline policy", "AssumeAccountARole")]),
    ("b-extra-action", brk.b_extra_action, [("XI1005", "InstanceRole", "AssumeAccountARole")]),
    ("missing-index-grant", brk.drop_index_grant, [("access:missing-grant", "account-a.yaml AccessRole identity policies", "")]),
    ("deny-get-item", brk.deny_get_item, [("access:missing-grant", "AccessRole inline policy", "NoGets")]),
    ("managed-policy", brk.managed_policy, [("access:unexpected-allow", "Extra (managed policy)", "DropTables")]),
    ("kms-key-resource", brk.kms_key, [("XI1006", "Key (AWS::KMS::Key)", "")]),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_check_fails_naming_the_offending_statement(edit: Callable[[brk.Templates], None], expected: list[tuple[str, str, str]]) -> None:
    report = check.run(EXAMPLE.view(), broken(edit))
    assert not report.ok
    for rule, where, sid in expected:
        hits = [f for f in report.findings if f.rule.startswith(rule) and where in f.location and f.statement == sid]
        assert hits, f"no {rule} finding at {where!r} statement {sid!r} in: " + "\n".join(map(str, report.findings))


def test_unexpected_allows_are_listed_one_per_request() -> None:
    report = check.run(EXAMPLE.view(), broken(brk.dynamodb_star), parliament=False)
    allows = [f for f in report.findings if f.rule == "access:unexpected-allow"]
    table = "arn:aws:dynamodb:us-east-1:111111111111:table/keystore"
    assert any(f"dynamodb:DeleteTable on {table} by AccessRole session" in f.message for f in allows)
    granted = {a for a, r in matrix.expected_grants(EXAMPLE.view(), "aws") if r == table}
    assert len(allows) == len([a for a in matrix.data_actions() if a.startswith("dynamodb:") and a not in granted])


def test_external_id_is_required_when_configured() -> None:
    templates = broken(lambda t: trust_condition(t).pop("StringEquals"), check.rendered(FULL))
    report = check.run(FULL.view(), templates, parliament=False)
    assert [f.message for f in report.findings if f.rule == "access:unexpected-allow"] == [
        "allows sts:AssumeRole on arn:aws:iam::111111111111:role/xacct/prod/keystore-reader by Account B instance role without the ExternalId, "
        "which the config does not grant"]


def trust_condition(t: brk.Templates) -> dict[str, Any]:
    condition: dict[str, Any] = brk.trust_statement(t)["Condition"]
    return condition


def test_cli_fails_on_a_hand_broken_yaml_template_naming_the_sid(run, tmp_path: Path) -> None:
    for side, doc in broken(brk.dynamodb_star).items():
        (tmp_path / f"account-{side}.yaml").write_text(yaml.safe_dump(doc))
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL XI1001 account-a.yaml AccessRole inline policy xacct-access statement Everything: action 'dynamodb:*' is a wildcard" in result.stdout
    assert "FAIL access:unexpected-allow account-a.yaml AccessRole inline policy xacct-access statement Everything: allows dynamodb:" in result.stdout
    assert result.stdout.rstrip().endswith("findings")


def test_cli_reads_the_committed_yaml_short_forms(run) -> None:
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(ROOT / "templates"), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["findings"] == [] and report["requests"] > 4000
    by_label = {p["label"]: p for p in report["principals"]}
    assert by_label["another principal of Account B"]["allowed"] == []
    assert by_label["a principal of a third account (333333333333)"]["allowed"] == []
    b_allowed = {(g["action"], g["resource"]) for g in by_label["Account B instance role"]["allowed"]}
    assert ("sts:AssumeRole", "arn:aws:iam::111111111111:role/xacct-access") in b_allowed
    assert ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111111111111:table/keystore-audit") in b_allowed
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111111111111:table/keystore-audit") not in b_allowed


def test_cli_json_lists_findings(run, tmp_path: Path) -> None:
    for side, doc in broken(brk.trust_star).items():
        (tmp_path / f"account-{side}.json").write_text(json.dumps(doc))
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {"rule": "XI1003", "location": "account-a.yaml AccessRole trust policy", "statement": "AssumeFromAccountBInstanceRole",
            "message": "principal '*' is a wildcard: anyone could assume this role"} in report["findings"]


def test_missing_template_dir_is_a_usage_error(run, tmp_path: Path) -> None:
    result = run("check", "--config", str(ROOT / "xacct.toml"), "--template-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "no account-a.yaml or account-a.json" in result.stderr


def test_expected_grants_come_from_the_config_not_the_template() -> None:
    grants = matrix.expected_grants(EXAMPLE.view(), "aws")
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111111111111:table/keystore") in grants
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111111111111:table/keystore-audit") not in grants
    assert not any("keystore-audit/index" in r for _, r in grants), "indexes = false grants no index access"
    assert len(grants) == 9 + 5 + 2 + 4


def test_sweep_covers_every_awacs_dynamodb_and_kms_action() -> None:
    actions = matrix.data_actions()
    assert len([a for a in actions if a.startswith("dynamodb:")]) > 50 and len([a for a in actions if a.startswith("kms:")]) > 40
    probes = matrix.data_probes(EXAMPLE.view(), "aws")
    assert "*" in probes
    assert "arn:aws:dynamodb:us-east-1:111111111111:table/keystore-2" in probes  # a neighbour table
    assert "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000" in probes  # a neighbour key


def _words(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def test_help_and_readme_state_exactly_the_claims_check_enforces(run) -> None:
    from xacct_infra.access import claims

    help_text = _words(run("check", "--help").stdout)
    readme = _words((ROOT / "README.md").read_text())
    for claim in claims.PROVES + claims.DOES_NOT_PROVE:
        assert _words(claim) in help_text, claim
        assert _words(claim) in readme, claim


def test_write_only_tables_deny_return_values_other_than_none(run) -> None:
    report = check.run_files(FULL, check.rendered_files(FULL), parliament=False)
    assert report.ok, [str(f) for f in report.findings]
    events = "arn:aws:dynamodb:eu-west-1:111111111111:table/keystore.events"
    cells = {(c.action, c.condition): c.allowed for c in report.sweep.cells if c.resource == events}
    assert cells[("dynamodb:UpdateItem", "dynamodb:ReturnValues=ALL_NEW")] is False
    assert cells[("dynamodb:PutItem", "dynamodb:ReturnValues=ALL_OLD")] is False
    assert cells[("dynamodb:DeleteItem", "dynamodb:ReturnValues=NONE")] is True
    assert not any(c.resource.endswith("table/keystore_meta") for c in report.sweep.cells), "read-write tables are unaffected"
    result = run("check", "--config", str(ROOT / "tests" / "golden" / "full" / "xacct.toml"))
    assert f"via AccessRole on {events}: absent or NONE -> allowed; ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW -> denied" in result.stdout


def test_a_write_only_statement_without_its_condition_fails_naming_it() -> None:
    files = copy.deepcopy(check.rendered_files(FULL))
    for st in files["account-a"]["Resources"]["AccessRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
        if "dynamodb:UpdateItem" in st["Action"] and "Condition" in st:
            del st["Condition"]
            sid = st["Sid"]
    report = check.run_files(FULL, files, parliament=False)
    messages = [str(f) for f in report.findings if f.statement == sid]
    assert any("dynamodb:UpdateItem with dynamodb:ReturnValues=ALL_NEW on" in m for m in messages), messages
