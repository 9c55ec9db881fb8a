"""Property-based: any valid config yields templates that pass cfn-lint, the template rules,
parliament and the access check; any invalid config exits 2 with one line, no traceback.

Example counts are bounded so the suite stays fast (cfn-lint costs ~0.1 s a template with its rules loaded once)."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cfn_lint import cfn_lint
from xacct_infra import check, config, render
from xacct_infra.cli import cli

REGIONS = {"aws": ["us-east-1", "eu-west-1", "ap-southeast-2"], "aws-cn": ["cn-north-1", "cn-northwest-1"],
           "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"]}
NAME_CHARS = string.ascii_letters + string.digits + "_+=,.@-"
HEX = "0123456789abcdef"

account_ids = st.text(alphabet=string.digits, min_size=12, max_size=12)
table_names = st.text(alphabet=string.ascii_letters + string.digits + "_.-", min_size=3, max_size=40)
role_names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=64)
role_paths = st.lists(st.text(alphabet=NAME_CHARS, min_size=1, max_size=12), max_size=3).map(lambda s: "/" + "".join(p + "/" for p in s))
external_ids = st.text(alphabet=NAME_CHARS + ":/", min_size=2, max_size=120)
uuids = st.uuids().map(str)
mrks = st.text(alphabet=HEX, min_size=32, max_size=32).map(lambda h: "mrk-" + h)


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    partition = draw(st.sampled_from(sorted(REGIONS)))
    a_id = draw(account_ids)
    b_id = draw(account_ids.filter(lambda x: x != a_id))
    a: dict[str, Any] = {"id": a_id, "region": draw(st.sampled_from(REGIONS[partition]))}
    b: dict[str, Any] = {"id": b_id, "region": draw(st.sampled_from(REGIONS[partition]))}
    for section in (a, b):
        if draw(st.booleans()):
            section["role_name"] = draw(role_names)
        if draw(st.booleans()):
            section["role_path"] = draw(role_paths)
    if draw(st.booleans()):
        a["external_id"] = draw(external_ids)
    if draw(st.booleans()):
        a["max_session_duration"] = draw(st.integers(3600, 43200))
    if draw(st.booleans()):
        a["permissions_boundary"] = f"arn:{partition}:iam::{a_id}:policy/Boundary"
    names = draw(st.lists(table_names, min_size=1, max_size=12, unique=True))
    a["tables"] = [{"name": n, "access": draw(st.sampled_from(config.TABLE_ACCESS)), **({"indexes": draw(st.booleans())} if draw(st.booleans()) else {})}
                   for n in names]
    keys = []
    for key_id in draw(st.lists(st.one_of(uuids, mrks), max_size=4, unique=True)):
        if draw(st.booleans()):
            key_id = f"arn:{partition}:kms:{draw(st.sampled_from(REGIONS[partition]))}:{a_id}:key/{key_id}"
        keys.append({"id": key_id, "access": draw(st.sampled_from(config.KEY_ACCESS))})
    if keys:
        a["keys"] = keys
    return {"account_a": a, "account_b": b}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # TOML basic strings share JSON's escapes


def to_toml(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, body in data.items():
        if not isinstance(body, dict):
            lines.append(f"{json.dumps(section)} = {toml_value(body)}")
            continue
        lines.append(f"[{json.dumps(section)}]")
        arrays = {k: v for k, v in body.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in body.items() if k not in arrays]
        for name, items in arrays.items():
            for item in items:
                lines.append(f"[[{json.dumps(section)}.{json.dumps(name)}]]")
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_any_valid_config_passes_the_rules_parliament_and_the_access_check(data: dict[str, Any]) -> None:
    cfg = config.loads(to_toml(data))
    render.render(cfg)
    report = check.run(cfg.view(), check.rendered(cfg))
    assert report.ok, [str(f) for f in report.findings[:5]]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_any_valid_config_passes_cfn_lint(data: dict[str, Any]) -> None:
    cfg = config.loads(to_toml(data))
    for item in render.render(cfg):
        region = cfg.account_a.region if item.side == "a" else cfg.consumers[0].region
        assert cfn_lint(item.body, region) == [], item.filename


STRING_KEYS = ("id", "region", "role_name", "role_path", "external_id", "profile", "stack_name", "permissions_boundary", "artifact_bucket")
INT_KEYS = ("max_session_duration", "managed_policies_quota", "trust_policy_quota")
wrong_for_string = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2), st.floats(allow_nan=False, allow_infinity=False))
wrong_for_int = st.one_of(st.text(max_size=5), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), st.lists(st.integers(), max_size=2))
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def invalid_configs(draw: st.DrawFn) -> str:
    data = draw(valid_configs())
    a, b = data["account_a"], data["account_b"]
    kind = draw(st.sampled_from(["unknown-key", "wrong-type", "wrong-int-type", "bad-id", "bad-region", "bad-table-name", "bad-access",
                                 "missing", "duplicate-table", "same-account", "out-of-range", "garbage", "bad-key", "no-tables"]))
    if kind == "unknown-key":
        section = draw(st.sampled_from([a, b, a["tables"][0]]))
        section[draw(st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12).filter(lambda k: k not in set(STRING_KEYS) | set(INT_KEYS)
                                                                                                  | {"tables", "keys", "name", "access", "indexes"}))] = 1
    elif kind == "wrong-type":
        a[draw(st.sampled_from(STRING_KEYS))] = draw(wrong_for_string)
    elif kind == "wrong-int-type":
        a[draw(st.sampled_from(INT_KEYS))] = draw(wrong_for_int)
    elif kind == "bad-id":
        draw(st.sampled_from([a, b]))["id"] = draw(text.filter(lambda s: not re.fullmatch(r"\d{12}", s)))
    elif kind == "bad-region":
        draw(st.sampled_from([a, b]))["region"] = draw(text.filter(lambda s: not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", s)))
    elif kind == "bad-table-name":
        a["tables"][0]["name"] = draw(text.filter(lambda s: not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", s)))
    elif kind == "bad-access":
        a["tables"][-1]["access"] = draw(text.filter(lambda s: s not in config.TABLE_ACCESS))
    elif kind == "missing":
        del draw(st.sampled_from([a, b]))[draw(st.sampled_from(["id", "region"]))]
    elif kind == "duplicate-table":
        a["tables"].append(dict(a["tables"][0]))
    elif kind == "same-account":
        b["id"] = a["id"]
    elif kind == "out-of-range":
        key, low, high = draw(st.sampled_from([("max_session_duration", 3600, 43200), ("managed_policies_quota", 0, 20), ("trust_policy_quota", 2048, 4096)]))
        a[key] = draw(st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1)))
    elif kind == "bad-key":
        a["keys"] = [{"id": draw(st.sampled_from(["alias/x", f"arn:aws:kms:us-east-1:{a['id']}:alias/x", "not-a-key", "1234"])), "access": "decrypt"}]
    elif kind == "no-tables":
        del a["tables"]
    else:
        return draw(text.filter(lambda s: "account_a" not in s))
    return to_toml(data)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_config=invalid_configs())
def test_any_invalid_config_exits_2_with_one_line_and_no_traceback(config_dir: Path, text_config: str) -> None:
    path = config_dir / "xacct.toml"
    path.write_text(text_config, encoding="utf-8")
    result = CliRunner().invoke(cli, ["templates", "--config", str(path), "--out", str(config_dir / "out")], catch_exceptions=False)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"xacct-infra: error: {path}: "), result.stderr
    assert "Traceback" not in result.stderr
    assert not (config_dir / "out").exists()
