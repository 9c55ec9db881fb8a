"""Several consumer accounts: [[account_b]], consumer groups and narrowing, org-wide trust,
trust-size failures that name the options, and the per-consumer Account B templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, ROOT
from xacct_infra import config, render
from xacct_infra.errors import UsageError

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
A = f"""
[account_a]
id = "111111111111"
region = "us-east-1"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[[account_a.tables]]
name = "audit"
access = "read"
indexes = false

[[account_a.keys]]
id = "{KEY}"
access = "encrypt-decrypt"
"""


def consumer(name: str, account: str, extra: str = "") -> str:
    return f'\n[[account_b]]\nname = "{name}"\nid = "{account}"\nregion = "us-east-1"\n{extra}'


def many(n: int, a: str = A) -> str:
    return a + "".join(consumer(f"team{i}", f"{300000000000 + i}") for i in range(n))


def test_single_table_form_still_loads_as_one_consumer_named_by_its_id() -> None:
    cfg = config.loads(MINIMAL)
    assert len(cfg.consumers) == 1 and cfg.consumers[0].name == "222222222222"
    assert [r.logical_id for r in cfg.access_roles()] == ["AccessRole"]


def test_consumers_share_the_main_role_unless_narrowed() -> None:
    cfg = config.loads(A + consumer("payments", "222222222222") + consumer("search", "333333333333")
                       + consumer("reporting", "444444444444", '[[account_b.tables]]\nname = "keystore"\naccess = "read"\n'))
    roles = cfg.access_roles()
    assert [(r.logical_id, r.name, [c.name for c in r.consumers]) for r in roles] == [
        ("AccessRole", "xacct-access", ["payments", "search"]),
        ("AccessRoleReporting", "xacct-access-reporting", ["reporting"])]
    reporting = roles[1]
    assert reporting.tables == (config.Table("keystore", "read", True),)
    assert reporting.keys == cfg.account_a.keys, "what a narrowed consumer does not list it gets as Account A grants it"
    view = cfg.view("reporting")
    assert view.role.arn == "arn:aws:iam::111111111111:role/xacct-access-reporting"
    assert view.consumer == cfg.consumer("444444444444") and view.role is roles[1]


def test_view_needs_a_consumer_name_when_there_are_several() -> None:
    cfg = config.loads(many(2))
    with pytest.raises(UsageError, match="choose one with --consumer NAME"):
        cfg.view(None)
    assert cfg.view("team1").consumer.id == "300000000001"
    with pytest.raises(UsageError, match="no consumer named 'nope'"):
        cfg.view("nope")


BAD = [
    ("narrow-unknown-table", consumer("x", "222222222222", '[[account_b.tables]]\nname = "other"\naccess = "read"\n'),
     "account_b[0].tables[0].name", "not in account_a.tables"),
    ("narrow-wider-access", consumer("x", "222222222222", '[[account_b.tables]]\nname = "audit"\naccess = "read-write"\n'),
     "account_b[0].tables[0].access", "wider than account_a grants"),
    ("narrow-indexes-not-granted", consumer("x", "222222222222", '[[account_b.tables]]\nname = "audit"\naccess = "read"\nindexes = true\n'),
     "account_b[0].tables[0].indexes", "does not grant the indexes"),
    ("narrow-unknown-key", consumer("x", "222222222222", '[[account_b.keys]]\nid = "99999999-12ab-34cd-56ef-1234567890ab"\naccess = "decrypt"\n'),
     "account_b[0].keys[0].id", "not in account_a.keys"),
    ("narrow-empty-tables", consumer("x", "222222222222", "tables = []\n"), "account_b[0].tables", "is empty"),
    ("duplicate-name", consumer("x", "222222222222") + consumer("x", "333333333333"), "account_b[1].name", "duplicates account_b[0]"),
    ("duplicate-role", consumer("x", "222222222222") + consumer("y", "222222222222"), "account_b[1].role_name", "duplicates account_b[0]"),
    ("group-mismatch", consumer("x", "222222222222", 'group = "g"\n[[account_b.tables]]\nname = "audit"\naccess = "read"\n')
     + consumer("y", "333333333333", 'group = "g"\n'), "account_b[1].group", "must narrow to the same tables"),
    ("consumer-is-account-a", consumer("x", "111111111111"), "account_b[0].id", "same account"),
    ("empty-array", None, "account_b", "is empty"),
]


@pytest.mark.parametrize(("tail", "key", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_consumer_config_exits_2_naming_the_key(run, write_config, tmp_path: Path, tail: str | None, key: str, words: str) -> None:
    text = "account_b = []\n" + A if tail is None else A + tail
    result = run("templates", "--config", str(write_config(text)), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f": {key}: " in result.stderr and words in result.stderr
    assert not (tmp_path / "out").exists()


ORG = A.replace('region = "us-east-1"\n', 'region = "us-east-1"\ntrust = "org"\norg_id = "o-a1b2c3d4e5"\n', 1)


@pytest.mark.parametrize(("text", "key", "words"), [
    (A.replace('region = "us-east-1"\n', 'region = "us-east-1"\ntrust = "org"\n', 1) + consumer("x", "222222222222"),
     "account_a.trust", "needs account_a.org_id"),
    (A.replace('region = "us-east-1"\n', 'region = "us-east-1"\norg_id = "o-a1b2c3d4e5"\n', 1) + consumer("x", "222222222222"),
     "account_a.org_id", 'only used with trust = "org"'),
    (ORG.replace('org_id = "o-a1b2c3d4e5"\n', 'org_id = "o-a1b2c3d4e5"\norg_paths = ["o-zzzzzzzzzz/r-ab12/"]\n')
     + consumer("x", "222222222222"), "account_a.org_paths[0]", "not in account_a.org_id"),
    (ORG + consumer("x", "222222222222", 'group = "g"\n'), "account_b[0].group", "cannot narrow"),
])
def test_bad_org_trust_config_exits_2(run, write_config, tmp_path: Path, text: str, key: str, words: str) -> None:
    result = run("templates", "--config", str(write_config(text)), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert f": {key}: " in result.stderr and words in result.stderr


def test_a_consumer_list_too_long_for_the_trust_quota_fails_with_the_numbers_and_the_options(run, write_config, tmp_path) -> None:
    result = run("templates", "--config", str(write_config(many(40))), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "lists 40 consumer roles" in line and "over the quota of 2,048" in line and "consumers fit" in line
    assert 'account_a.trust = "org"' in line and "group" in line and "trust_policy_quota" in line
    assert not (tmp_path / "out").exists()


def test_how_many_consumers_fit_in_the_default_trust_quota() -> None:
    fits = max(n for n in range(1, 40) if _renders(many(n)))
    assert 10 <= fits < 40  # "a few dozen" at most; the exact figure is in the README and make bench


def _renders(text: str) -> bool:
    try:
        render.render(config.loads(text))
    except UsageError:
        return False
    return True


def test_five_hundred_consumers_render_with_org_wide_trust() -> None:
    cfg = config.loads(many(500, ORG))
    rendered = render.render(cfg)
    assert [r.filename for r in rendered] == ["account-a.yaml", "account-b.yaml"], "one shared consumer template"
    assert len(rendered[1].consumers) == 500
    trust = json.loads(render.template_body(cfg, "a", "json"))["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"AWS": "*"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    assert trust["Statement"][0]["Condition"]["ArnLike"] == {"aws:PrincipalArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/xacct-instance"}}


def test_each_consumer_template_may_only_assume_its_own_group_role() -> None:
    cfg = config.load(ROOT / "tests" / "golden" / "consumers" / "xacct.toml")
    targets = {}
    for b in cfg.consumers:
        doc = json.loads(render.template_body(cfg, "b", "json", b))
        statement = doc["Resources"]["InstanceRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        targets[b.name] = [r["Fn::Sub"] for st in statement for r in st["Resource"]]
    assert targets == {"payments": ["arn:${AWS::Partition}:iam::111111111111:role/xacct-access"],
                       "search": ["arn:${AWS::Partition}:iam::111111111111:role/xacct-access"],
                       "reporting": ["arn:${AWS::Partition}:iam::111111111111:role/xacct-access-reporting"]}


def test_templates_removes_consumer_files_no_longer_generated(run, write_config, tmp_path) -> None:
    out = tmp_path / "t"
    three = write_config(A + consumer("p", "222222222222") + consumer("s", "333333333333", 'role_name = "other"\n'))
    assert run("templates", "--config", str(three), "--out", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["account-a.yaml", "account-b-p.yaml", "account-b-s.yaml"]
    one = write_config(A + consumer("p", "222222222222"), name="one.toml")
    check = run("templates", "--config", str(one), "--out", str(out), "--check")
    assert check.exit_code == 1 and "account-b-s.yaml" in check.stderr
    result = run("templates", "--config", str(one), "--out", str(out))
    assert "account-b-s.yaml\tremoved" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["account-a.yaml", "account-b.yaml"]


def test_a_single_narrowed_consumer_uses_its_own_role_everywhere(run, write_config) -> None:
    text = MINIMAL.replace('access = "read"', 'access = "read-write"') + '[[account_b.tables]]\nname = "keystore"\naccess = "read"\n'
    cfg = config.loads(text)
    assert cfg.view(None).role.arn == "arn:aws:iam::111111111111:role/xacct-access-222222222222"
    path = write_config(text)
    profile = run("profile", "--config", str(path))
    assert "role_arn = arn:aws:iam::111111111111:role/xacct-access-222222222222" in profile.stdout
    assert run("check", "--config", str(path)).exit_code == 0


@pytest.mark.parametrize(("first", "second"), [("a-b", "aB"), ("team", "TEAM")])
def test_group_names_that_would_name_the_same_role_are_refused(run, write_config, tmp_path, first, second) -> None:
    text = A + consumer("x", "222222222222", f'group = "{first}"\n') + consumer("y", "333333333333", f'group = "{second}"\n')
    result = run("templates", "--config", str(write_config(text)), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "account_b[1].group" in result.stderr and "same Account A role" in result.stderr
    assert "Traceback" not in result.stderr
