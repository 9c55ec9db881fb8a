"""Config contract: valid configs load into typed objects; every bad input exits 2 with one
line naming the file, the key path and what is allowed, and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL
from xacct_infra import config
from xacct_infra.stacks.inputs import digest

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


def replace(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


def test_minimal_config_gets_documented_defaults() -> None:
    cfg = config.loads(MINIMAL)
    a, b = cfg.account_a, cfg.consumers[0]
    assert (a.stack_name, a.role_name, a.role_path, a.max_session_duration) == ("xacct-account-a", "xacct-access", "/", 3600)
    assert (b.stack_name, b.role_name, b.role_path) == ("xacct-account-b", "xacct-instance", "/")
    assert a.tables == (config.Table("keystore", "read", True),)
    assert a.keys == () and a.external_id is None and a.profile is None
    assert cfg.view().role.arn == "arn:aws:iam::111111111111:role/xacct-access"
    assert b.role_arn == "arn:aws:iam::222222222222:role/xacct-instance"


def test_key_arn_keeps_its_region_and_key_id_defaults_to_account_region() -> None:
    text = MINIMAL.replace("[account_b]", f"""
[[account_a.keys]]
id = "arn:aws:kms:eu-west-1:111111111111:key/{KEY}"
access = "decrypt"
[[account_a.keys]]
id = "mrk-0123456789abcdef0123456789abcdef"
access = "encrypt"
[account_b]""")
    keys = config.loads(text).account_a.keys
    assert keys == (config.Key(KEY, "eu-west-1", "decrypt"), config.Key("mrk-0123456789abcdef0123456789abcdef", "us-east-1", "encrypt"))


def test_digest_ignores_comments_profiles_and_order_of_keys() -> None:
    base = config.loads(MINIMAL)
    other = config.loads("# a comment\n" + MINIMAL.replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nprofile = "x"\n\n[[', 1))
    assert other.account_a.profile == "x"
    assert digest(base, "a") == digest(other, "a") and digest(base, "b") == digest(other, "b")
    changed = config.loads(MINIMAL.replace('access = "read"', 'access = "write"'))
    assert digest(changed, "a") != digest(base, "a")


def _with_key(key_id: str) -> str:
    return MINIMAL.replace("[account_b]", f'[[account_a.keys]]\nid = "{key_id}"\naccess = "decrypt"\n\n[account_b]')


BAD = [
    # (case id, config text, expected key path, expected words)
    ("toml-syntax", "[account_a\nid = 1", None, "invalid TOML"),
    ("missing-account-a", MINIMAL.split("[account_b]")[0].replace("[account_a]", "[account_x]"), "account_x", "unknown key"),
    ("missing-account-b", MINIMAL.split("[account_b]")[0], "account_b", "is required"),
    ("missing-id", replace('id = "111111111111"\n', ""), "account_a.id", "is required"),
    ("missing-region", replace('region = "us-east-1"\n', ""), "account_a.region", "is required"),
    ("unknown-top-key", MINIMAL + "\n[accout_c]\nid = 1\n", "accout_c", "unknown key"),
    ("unknown-table-key", replace('access = "read"', 'acess = "read"'), "account_a.tables[0].acess", "did you mean 'access'"),
    ("unknown-account-key", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nrole_nam = "x"\n\n[['), "account_a.role_nam", "did you mean 'role_name'"),
    ("id-not-string", replace('id = "111111111111"', "id = 111111111111"), "account_a.id", "must be a string"),
    ("id-not-12-digits", replace('id = "111111111111"', 'id = "11111"'), "account_a.id", "12 digits"),
    ("same-account", MINIMAL.replace('"222222222222"', '"111111111111"'), "account_b.id", "same account"),
    ("table-name-short", replace('name = "keystore"', 'name = "ks"'), "account_a.tables[0].name", "3..255"),
    ("table-name-chars", replace('name = "keystore"', 'name = "key store"'), "account_a.tables[0].name", "[A-Za-z0-9_.-]"),
    ("table-missing-access", replace('access = "read"\n', ""), "account_a.tables[0].access", "read | write | read-write"),
    ("table-unknown-access", replace('access = "read"', 'access = "admin"'), "account_a.tables[0].access", "read | write | read-write"),
    ("table-duplicate", replace('access = "read"\n', 'access = "read"\n[[account_a.tables]]\nname = "keystore"\naccess = "write"\n'),
     "account_a.tables[1].name", "duplicates account_a.tables[0]"),
    ("tables-not-array", replace('[[account_a.tables]]\nname = "keystore"\naccess = "read"\n', 'tables = "keystore"\n'), "account_a.tables", "array of tables"),
    ("indexes-not-bool", replace('access = "read"', 'access = "read"\nindexes = "yes"'), "account_a.tables[0].indexes", "true or false"),
    ("grants-nothing", replace('[[account_a.tables]]\nname = "keystore"\naccess = "read"\n', ""), "account_a.tables", "grants nothing"),
    ("key-alias", _with_key("alias/keystore"), "account_a.keys[0].id", "IAM policies need the key id or key ARN"),
    ("key-alias-arn", _with_key("arn:aws:kms:us-east-1:111111111111:alias/keystore"), "account_a.keys[0].id", "is an alias"),
    ("key-other-account", _with_key(f"arn:aws:kms:us-east-1:333333333333:key/{KEY}"), "account_a.keys[0].id", "not account_a.id"),
    ("key-garbage", _with_key("not-a-key"), "account_a.keys[0].id", "not a KMS key id"),
    ("key-unknown-access", _with_key(KEY).replace('access = "decrypt"', 'access = "sign"'), "account_a.keys[0].access", "decrypt | encrypt | encrypt-decrypt"),
    ("key-duplicate", MINIMAL.replace("[account_b]", f'[[account_a.keys]]\nid = "{KEY}"\naccess = "decrypt"\n'
                                      f'[[account_a.keys]]\nid = "arn:aws:kms:us-east-1:111111111111:key/{KEY}"\naccess = "encrypt"\n[account_b]'),
     "account_a.keys[1].id", "duplicates account_a.keys[0]"),
    ("role-name-too-long", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nrole_name = "' + "r" * 65 + '"\n\n[['), "account_a.role_name", "1..64"),
    ("role-path-no-slash", MINIMAL.replace('region = "us-east-1"\n', 'region = "us-east-1"\nrole_path = "team"\n', 2).replace(
        'region = "us-east-1"\nrole_path = "team"\n\n[[', 'region = "us-east-1"\n\n[['), "account_b.role_path", '"/a/b/"'),
    ("duration-low", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nmax_session_duration = 60\n\n[['), "account_a.max_session_duration", "3600..43200"),
    ("duration-type", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nmax_session_duration = "1h"\n\n[['), "account_a.max_session_duration", "integer"),
    ("external-id-short", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nexternal_id = "x"\n\n[['), "account_a.external_id", "2..1224"),
    ("external-id-chars", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nexternal_id = "has space"\n\n[['), "account_a.external_id", "2..1224"),
    ("stack-name", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\nstack_name = "1stack_name"\n\n[['), "account_a.stack_name", "starting with a letter"),
    ("boundary", replace('region = "us-east-1"\n\n[[', 'region = "us-east-1"\npermissions_boundary = "Boundary"\n\n[['), "account_a.permissions_boundary", "managed policy ARN"),
    ("region", replace('region = "us-east-1"', 'region = "mars"'), "account_a.region", "region name"),
    ("cross-partition", MINIMAL[::-1].replace('"1-tsae-su"', '"1-htron-nc"', 1)[::-1], "account_b.region", "partition"),
]


@pytest.mark.parametrize(("text", "key", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_config_exits_2_with_one_line_naming_file_and_key(run, write_config, tmp_path: Path, text: str, key: str | None, words: str) -> None:
    path = write_config(text)
    out = tmp_path / "out"
    result = run("templates", "--config", str(path), "--out", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"xacct-infra: error: {path}: ")
    if key:
        assert f": {key}: " in lines[0]
    assert words in lines[0]
    assert not out.exists(), "a bad config must write nothing"


def test_missing_config_file_names_it(run, tmp_path: Path) -> None:
    result = run("templates", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "nope.toml: file not found" in result.stderr


def test_bad_config_in_a_real_process_prints_no_traceback(write_config) -> None:
    path = write_config(MINIMAL.replace('access = "read"', 'access = "admin"'))
    proc = subprocess.run([sys.executable, "-m", "xacct_infra", "templates", "--config", str(path), "--out", str(path.parent / "o")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
