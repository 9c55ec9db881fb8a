"""`xacct-infra graph`: the picture comes from the templates check reads, and the README's is current."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT
from xacct_infra import check, config, graph


def edges(path) -> set[tuple[str, str, str]]:
    return set(graph.edges(graph.build(config.load(path))))


def test_the_example_shows_trust_with_its_condition_and_each_grant_with_its_access() -> None:
    assert edges(ROOT / "xacct.toml") == {
        ("222222222222: EC2 instance role xacct-instance", "role xacct-access", "assumes if PrincipalArn = role/xacct-instance"),
        ("role xacct-access", "table keystore", "read-write"),
        ("role xacct-access", "table keystore-audit", "read"),
        ("role xacct-access", "key 1234abcd…", "encrypt-decrypt"),
    }


def test_a_narrowed_consumer_reaches_only_its_subset_through_its_own_role() -> None:
    found = edges(ROOT / "tests/golden/consumers/xacct.toml")
    reporting = {(src, dst) for src, dst, _ in found if src.startswith("reporting:")}
    assert reporting == {("reporting: EC2 instance role xacct-instance", "role xacct-access-reporting")}
    narrowed = {(dst, label) for src, dst, label in found if src == "role xacct-access-reporting"}
    assert ("key 1234abcd…", "decrypt") in narrowed and {label for _, label in narrowed} <= {"read", "decrypt"}
    assert all("ExternalId = keystore-shared" in label for src, _, label in found if src.endswith(("xacct-instance", "search-host")))


def test_it_is_drawn_from_the_templates_not_the_config() -> None:
    cfg = config.load(ROOT / "xacct.toml")
    files = check.rendered_files(cfg)
    widened = json.loads(json.dumps(files["account-a"]).replace('"dynamodb:BatchGetItem"', '"dynamodb:BatchGetItem", "dynamodb:PutItem"'))
    assert ("role xacct-access", "table keystore-audit", "read") in set(graph.edges(graph.build(cfg, files)))
    assert ("role xacct-access", "table keystore-audit", "read-write") in set(graph.edges(graph.build(cfg, {**files, "account-a": widened})))


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_output_formats(run, fmt: str) -> None:
    result = run("graph", "--config", str(ROOT / "xacct.toml"), "--output", fmt)
    assert result.exit_code == 0
    if fmt == "dot":
        assert result.stdout.startswith("digraph xacct {") and result.stdout.rstrip().endswith("}")
        assert 'role_xacct_access -> table_keystore [label="read-write"];' in result.stdout
        assert result.stdout.count("{") == result.stdout.count("}")
    else:
        assert result.stdout.startswith("flowchart LR\n")
        assert 'role_xacct_access -->|"read-write"| table_keystore' in result.stdout


def test_the_readme_diagram_is_the_generated_graph() -> None:
    """Regenerate with: xacct-infra graph --config xacct.toml (paste it into the README's mermaid block)."""
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- generated: xacct-infra graph --config xacct.toml -->\n```mermaid\n(.*?)```", readme, re.S)
    assert found, "the README's first diagram must be the generated graph"
    assert found.group(1) == graph.render(config.load(ROOT / "xacct.toml"))
