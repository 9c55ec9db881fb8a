"""`xacct-infra init`: a commented config from flags or questions, that templates and check accept as written."""

from __future__ import annotations

import sys
import tomllib

import pytest

from tests.conftest import ROOT
from tests.terminal import Tmux, needs_tmux

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
FLAGS = ["--account-a", "111111111111", "--account-b", "222222222222", "--region", "eu-west-1",
         "--table", "keystore:read-write", "--table", "audit", "--key", f"{KEY}:encrypt-decrypt"]


def test_flags_write_a_commented_config_that_templates_and_check_accept(run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", *FLAGS)
    assert result.exit_code == 0, result.output
    assert result.stdout == "xacct.toml\twritten\n"
    text = (tmp_path / "xacct.toml").read_text()
    assert text.count("\n# ") + text.startswith("# ") >= 2 and "# read | write | read-write" in text
    data = tomllib.loads(text)
    assert data["account_a"]["tables"] == [{"name": "keystore", "access": "read-write"}, {"name": "audit", "access": "read"}]
    assert data["account_a"]["keys"] == [{"id": KEY, "access": "encrypt-decrypt"}]
    assert data["account_b"] == {"id": "222222222222", "region": "eu-west-1"}
    assert run("templates").exit_code == 0
    checked = run("check")
    assert checked.exit_code == 0, checked.output
    assert "OK: the templates allow exactly what the config grants" in checked.stdout


def test_a_key_arn_keeps_its_colons(run, tmp_path) -> None:
    arn = f"arn:aws:kms:eu-west-1:111111111111:key/{KEY}"
    path = tmp_path / "x.toml"
    flags = [f if f != f"{KEY}:encrypt-decrypt" else arn for f in FLAGS]
    assert run("init", "--config", str(path), *flags).exit_code == 0
    assert tomllib.loads(path.read_text())["account_a"]["keys"] == [{"id": arn, "access": "decrypt"}]


def test_it_never_overwrites(run, tmp_path) -> None:
    path = tmp_path / "xacct.toml"
    path.write_text("# mine\n")
    result = run("init", "--config", str(path), *FLAGS)
    assert result.exit_code == 2
    assert result.stderr == f"xacct-infra: error: {path}: already exists; init never overwrites a config (pass --config NEW.toml)\n"
    assert path.read_text() == "# mine\n"


def with_flag(flag: str, value: str) -> list[str]:
    out = list(FLAGS)
    out[out.index(flag) + 1] = value
    return out


BAD = [  # (flags, what the one line must name)
    (with_flag("--account-a", "12345"), "--account-a '12345'"),
    (with_flag("--account-b", "111111111111"), "--account-b '111111111111'"),
    (with_flag("--region", "mars"), "--region 'mars'"),
    (with_flag("--table", "no spaces allowed"), "--table 'no spaces allowed'"),
    (with_flag("--table", "keystore:admin"), "--table 'keystore:admin': unknown access 'admin'"),
    (with_flag("--key", "alias/keystore"), "--key 'alias/keystore'"),
    (with_flag("--key", f"{KEY}:everything"), f"--key '{KEY}:everything': unknown access"),
    (with_flag("--key", 'x"\n[evil]'), "--key"),
    (FLAGS[:4], "missing --region, --table"),
]


@pytest.mark.parametrize(("flags", "named"), BAD, ids=[b[1].split(" ")[0] + str(i) for i, b in enumerate(BAD)])
def test_bad_flags_exit_2_with_one_line_and_write_nothing(run, tmp_path, flags: list[str], named: str) -> None:
    path = tmp_path / "xacct.toml"
    result = run("init", "--config", str(path), *flags)
    assert result.exit_code == 2
    assert result.stderr.startswith("xacct-infra: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert named in result.stderr
    assert list(tmp_path.iterdir()) == []


@needs_tmux
def test_on_a_terminal_it_asks_for_what_the_flags_leave_out(tmp_path) -> None:
    with Tmux(tmp_path) as term:
        term.start([sys.executable, "-m", "xacct_infra", "init", "--account-b", "222222222222"], cwd=tmp_path,
                   env={"PYTHONPATH": str(ROOT)})
        for answer in ("111111111111", "", "keystore:read-write", f"{KEY}:decrypt"):
            term.send(answer, "Enter")  # the terminal buffers the answers until each prompt reads them
        assert term.wait() == 0, term.screen()
        screen = "\n".join(term.screen())
    assert "Account A id" in screen and "Region [us-east-1]" in screen and "Account B id" not in screen
    data = tomllib.loads((tmp_path / "xacct.toml").read_text())
    assert data["account_a"] == {"id": "111111111111", "region": "us-east-1", "tables": [{"name": "keystore", "access": "read-write"}],
                                 "keys": [{"id": KEY, "access": "decrypt"}]}
