"""IAM and CloudFormation size limits: counted like IAM, packed into managed policies when the
inline policy is full, a precise exit-2 error when nothing fits."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cfn_lint import cfn_lint
from tests.conftest import MINIMAL
from xacct_infra import check, config, limits, render
from xacct_infra.errors import TemplateLimitError
from xacct_infra.intrinsics import Context, resolve


def many_tables(n: int, access: str = "read-write", extra: str = "") -> str:
    tables = "".join(f'[[account_a.tables]]\nname = "table-{i:04d}"\naccess = "{access}"\n\n' for i in range(n))
    return f'[account_a]\nid = "111111111111"\nregion = "us-east-1"\n{extra}\n{tables}[account_b]\nid = "222222222222"\nregion = "us-east-1"\n'


def sizes(cfg: config.Config) -> tuple[list[int], list[int]]:
    """(inline policy sizes, managed policy sizes) of Account A's role, resolved for aws-us-gov."""
    doc = json.loads(render.template_body(cfg, "a", "json"))
    ctx = Context("aws-us-gov", cfg.account_a.region, cfg.account_a.id)

    def size(policy: dict[str, Any]) -> int:
        return len(json.dumps(resolve(policy, ctx), separators=(",", ":")))

    role = doc["Resources"]["AccessRole"]["Properties"]
    managed = [r for _, r in sorted(doc["Resources"].items()) if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert role.get("ManagedPolicyArns", []) == [{"Ref": f"AccessPolicy{i}"} for i in range(1, len(managed) + 1)]
    return [size(p["PolicyDocument"]) for p in role.get("Policies", [])], [size(r["Properties"]["PolicyDocument"]) for r in managed]


def test_chars_count_without_whitespace_for_the_longest_partition() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                                   "Resource": {"Fn::Sub": "arn:${AWS::Partition}:kms:us-east-1:1:key/k"}}]}
    expected = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws-us-gov:kms:us-east-1:1:key/k"}]}'
    assert limits.chars(doc) == len(expected)


def test_small_configs_keep_one_inline_policy() -> None:
    inline, managed = sizes(config.loads(many_tables(70)))
    assert len(inline) == 1 and managed == [] and inline[0] <= limits.INLINE_POLICIES_PER_ROLE


def test_splitting_starts_when_the_inline_policy_is_full() -> None:
    inline, managed = sizes(config.loads(many_tables(80)))
    assert len(inline) == 1 and len(managed) == 1
    assert limits.INLINE_POLICIES_PER_ROLE - 200 < inline[0] <= limits.INLINE_POLICIES_PER_ROLE, "the inline policy is filled first"


@pytest.mark.slow  # scale: 300 tables through cfn-lint and the check
def test_hundreds_of_tables_fit_in_managed_policies_and_pass_every_gate() -> None:
    cfg = config.loads(many_tables(300))
    inline, managed = sizes(cfg)
    assert sum(inline) <= limits.INLINE_POLICIES_PER_ROLE
    assert 1 < len(managed) <= cfg.account_a.managed_policies_quota
    assert all(size <= limits.MANAGED_POLICY for size in managed)
    for item in render.render(cfg):
        assert cfn_lint(item.body) == [], item.filename
    report = check.run(cfg.view(), check.rendered(cfg))
    assert report.ok, [str(f) for f in report.findings[:5]]


def test_split_statements_get_unique_sids_and_packing_is_deterministic() -> None:
    cfg = config.loads(many_tables(300))
    first, second = render.template_body(cfg, "a", "json"), render.template_body(cfg, "a", "json")
    assert first == second
    doc = json.loads(first)
    documents = [p["PolicyDocument"] for p in doc["Resources"]["AccessRole"]["Properties"]["Policies"]]
    documents += [r["Properties"]["PolicyDocument"] for r in doc["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    sids = [s["Sid"] for d in documents for s in d["Statement"]]
    assert len(sids) == len(set(sids))
    assert "DynamoDBReadWritePart2" in sids
    granted = [r["Fn::Sub"] for d in documents for s in d["Statement"] if s["Sid"].startswith("DynamoDBReadWrite") for r in s["Resource"]]
    assert granted == [f"arn:${{AWS::Partition}}:dynamodb:us-east-1:111111111111:table/table-{i:04d}" for i in range(300)], "config order, none lost"


LIMIT_ERRORS: list[tuple[str, str, list[str]]] = [
    ("too-many-tables", many_tables(600), ["account_a.tables:", "need 13 managed policies", "managed_policies_quota is 10", "aws-us-gov"]),
    ("quota-zero", many_tables(80, extra="managed_policies_quota = 0"), ["need 1 managed policies", "managed_policies_quota is 0"]),
    ("trust-too-long", MINIMAL.replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nexternal_id = "' + "x" * 1224 + '"\n\n[[', 1)
     .replace('[account_b]\nid = "222222222222"', '[account_b]\nid = "222222222222"\nrole_path = "/' + "p" * 510 + '/"\nrole_name = "' + "n" * 64 + '"'),
     ["Account A's trust policy is", "trust policy quota is 2,048", "trust_policy_quota"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in LIMIT_ERRORS], ids=[c[0] for c in LIMIT_ERRORS])
def test_grants_that_cannot_fit_fail_at_templates_time_with_exit_2(run, write_config: Callable[[str], Path], tmp_path: Path,
                                                                     text: str, words: list[str]) -> None:
    path = write_config(text)
    result = run("templates", "--config", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"xacct-infra: error: {path}: ")
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "out").exists()


def test_raised_quotas_make_room() -> None:
    _inline, managed = sizes(config.loads(many_tables(600, extra="managed_policies_quota = 20")))
    assert 10 < len(managed) <= 20 and all(s <= limits.MANAGED_POLICY for s in managed)
    trust_text = LIMIT_ERRORS[2][1].replace('region = "us-east-1"\n', 'region = "us-east-1"\ntrust_policy_quota = 4096\n', 1)
    assert config.loads(trust_text).account_a.trust_policy_quota == 4096
    render.render(config.loads(trust_text))


def test_templates_over_51200_bytes_warn_that_deploy_needs_s3(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="xacct_infra.render"):
        render.render(config.loads(many_tables(300)))
    assert "account-a.yaml is 64,582 bytes, over the 51,200-byte limit" in caplog.text and "set artifact_bucket" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="xacct_infra.render"):
        render.render(config.loads(many_tables(300, extra='artifact_bucket = "my-templates"')))
    assert "deploy must upload it to s3://my-templates" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="xacct_infra.render"):
        render.render(config.loads(MINIMAL))
    assert caplog.text == ""


def test_templates_over_1mb_are_refused() -> None:
    with pytest.raises(TemplateLimitError, match=r"account-a.yaml is 1,048,577 bytes; CloudFormation accepts at most 1,048,576"):
        render.check_body("x" * 1_048_577, "account-a.yaml", "bucket", "xacct.toml")
    render.check_body("x" * 1_048_576, "account-a.yaml", "bucket", "xacct.toml")


BAD_QUOTAS = [
    ("managed_policies_quota = 21", "account_a.managed_policies_quota", "0..20"),
    ("managed_policies_quota = -1", "account_a.managed_policies_quota", "0..20"),
    ('managed_policies_quota = "10"', "account_a.managed_policies_quota", "must be an integer"),
    ("trust_policy_quota = 1000", "account_a.trust_policy_quota", "2048..4096"),
    ("trust_policy_quota = true", "account_a.trust_policy_quota", "must be an integer"),
]


@pytest.mark.parametrize(("line", "key", "words"), BAD_QUOTAS, ids=[b[0] for b in BAD_QUOTAS])
def test_bad_quota_keys_are_one_line_config_errors(run, write_config: Callable[[str], Path], line: str, key: str, words: str) -> None:
    path = write_config(MINIMAL.replace('region = "us-east-1"\n\n[[', f'region = "us-east-1"\n{line}\n\n[[', 1))
    result = run("templates", "--config", str(path), "--out", str(path.parent / "out"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f": {key}: " in result.stderr and words in result.stderr
