"""`xacct-infra diff OLD NEW`: access added and removed as matrix cells, trust and role properties;
exit 0 when nothing widens, 1 when anything does, 2 on bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import ROOT

EXAMPLE = (ROOT / "xacct.toml").read_text()
ORG = (ROOT / "tests" / "golden" / "org" / "xacct.toml").read_text()
KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECOND_CONSUMER = """
[[account_b]]
name = "reporting"
id = "444444444444"
region = "us-east-1"
"""


@pytest.fixture
def diff(run: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    def invoke(old: str | Path, new: str | Path, *args: str) -> Result:
        paths = []
        for name, value in (("old", old), ("new", new)):
            if isinstance(value, str):
                path = tmp_path / f"{name}.toml"
                path.write_text(value)
                value = path
            paths.append(str(value))
        return run("diff", *paths, *args)
    return invoke


def plus_lines(result: Result) -> list[str]:
    return [line.strip() for line in result.output.splitlines() if line.strip().startswith("+ ")]


def test_a_table_added_widens_and_is_named(diff: Callable[..., Result]) -> None:
    new = EXAMPLE.replace("[account_b]", '[[account_a.tables]]\nname = "vault"\naccess = "read"\n\n[account_b]')
    result = diff(EXAMPLE, new)
    assert result.exit_code == 1, result.output
    assert "+ dynamodb:BatchGetItem, dynamodb:DescribeTable, dynamodb:GetItem, dynamodb:Query, dynamodb:Scan on " \
           "arn:aws:dynamodb:us-east-1:111111111111:table/vault" in plus_lines(result)
    assert "consumer 222222222222: Account A role xacct-access" in result.output
    assert "WIDENS" in result.output


def test_a_key_narrowed_does_not_widen_and_names_the_removed_actions(diff: Callable[..., Result]) -> None:
    result = diff(EXAMPLE, EXAMPLE.replace('access = "encrypt-decrypt"', 'access = "decrypt"'))
    assert result.exit_code == 0, result.output
    assert f"- kms:Encrypt, kms:GenerateDataKey on {KEY}" in result.output
    assert not plus_lines(result) and "narrowing only" in result.output


def test_no_change_exits_0(diff: Callable[..., Result]) -> None:
    result = diff(EXAMPLE, EXAMPLE + "\n# a comment only\n")
    assert result.exit_code == 0 and "no change in access" in result.output


def _template_dirs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    for d in (old, new):
        shutil.copytree(ROOT / "templates", d)
        shutil.copy(ROOT / "xacct.toml", d / "xacct.toml")
    return old, new


def _edit(template: Path, before: str, after: str) -> None:
    text = template.read_text()
    assert before in text
    template.write_text(text.replace(before, after))


def test_templates_with_administrator_access_attached_widen(diff: Callable[..., Result], tmp_path: Path) -> None:
    old, new = _template_dirs(tmp_path)
    _edit(new / "account-a.yaml", "      MaxSessionDuration: 3600\n",
          "      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/AdministratorAccess\n      MaxSessionDuration: 3600\n")
    result = diff(old, new)
    assert result.exit_code == 1, result.output
    assert "attached managed policy arn:aws:iam::aws:policy/AdministratorAccess: its contents are unknown offline" in result.output
    assert diff(old, old).exit_code == 0
    assert diff(new, old).exit_code == 0  # detaching it narrows


def test_a_longer_session_widens(diff: Callable[..., Result], tmp_path: Path) -> None:
    old, new = _template_dirs(tmp_path)
    _edit(new / "account-a.yaml", "      MaxSessionDuration: 3600\n", "      MaxSessionDuration: 43200\n")
    result = diff(old, new)
    assert result.exit_code == 1 and "MaxSessionDuration 3600 -> 43200 (widens)" in result.output
    assert diff(new, old).exit_code == 0


def test_a_consumer_added_widens_trust_and_removing_it_narrows(diff: Callable[..., Result]) -> None:
    several = EXAMPLE.replace("[account_b]", "[[account_b]]") + SECOND_CONSUMER
    added = diff(EXAMPLE, several)
    assert added.exit_code == 1, added.output
    assert "+ consumer reporting's role xacct-instance may sts:AssumeRole xacct-access" in plus_lines(added)
    removed = diff(several, EXAMPLE)
    assert removed.exit_code == 0, removed.output
    assert "- consumer reporting's role xacct-instance may no longer sts:AssumeRole xacct-access" in removed.output


def test_org_trust_widened_to_the_whole_organization_is_caught(diff: Callable[..., Result]) -> None:
    widened = ORG.replace('org_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]\n', "")
    result = diff(ORG, widened)
    assert result.exit_code == 1, result.output
    assert any("outside the configured OUs may sts:AssumeRole xacct-access" in line for line in plus_lines(result))


def test_json_and_markdown_for_bots_and_pull_requests(diff: Callable[..., Result]) -> None:
    new = EXAMPLE.replace('access = "encrypt-decrypt"', 'access = "decrypt"').replace(
        'name = "keystore-audit"\naccess = "read"', 'name = "keystore-audit"\naccess = "read-write"')
    data = json.loads(diff(EXAMPLE, new, "--output", "json").output)
    assert data["widens"] is True
    added = [c for c in data["changes"] if c["change"] == "+"]
    assert added and all(c["widens"] and c["section"] == "access" for c in added)
    assert any("kms:Encrypt" in c["text"] for c in data["changes"] if c["change"] == "-")
    markdown = diff(EXAMPLE, new, "--output", "markdown")
    assert markdown.exit_code == 1
    assert markdown.output.startswith("## xacct-infra diff:") and "- `+` dynamodb:" in markdown.output


@pytest.mark.parametrize(("old", "message"), [
    ("nope/xacct.toml", "does not exist"),
    ("[account_a]\nid = 1\n", "is required"),
])
def test_bad_input_exits_2_with_one_line(diff: Callable[..., Result], tmp_path: Path, old: str, message: str) -> None:
    result = diff(tmp_path / old if "/" in old else old, EXAMPLE)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_template_directory_without_its_config_needs_one(run: Callable[..., Result], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "t")
    monkeypatch.chdir(tmp_path)
    result = run("diff", "t", "t")
    assert result.exit_code == 2 and "needs its config" in result.output
