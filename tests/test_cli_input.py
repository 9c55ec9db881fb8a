"""Bad flags and environment, command by command: exit 2, one line naming the option, no traceback,
nothing written, no AWS call. Commands are found by the options they declare, so a command
added later (audit) that takes --endpoint-url is covered without editing this file."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from tests.conftest import MINIMAL
from xacct_infra import inputs
from xacct_infra.cli import _COMMANDS, cli

# Flags a command needs before it gets as far as its endpoint (sides, a command to exec).
NEEDS = {"deploy": ["--all", "--yes"], "destroy": ["--all", "--yes"], "exec": ["--", "true"]}
BAD_URLS = ["", "localhost:4566", "http://", "ftp://emulator:4566", "http://local host:4566", "http://localhost:99999",
            "http://localhost:4566\n[evil]", "http://user:s3cret@localhost:4566", "http://１２７.0.0.1:4566", "//localhost:4566"]
GOOD_URLS = ["http://localhost:4566", "https://sts.us-east-1.amazonaws.com", "http://127.0.0.1:5000/", "http://[::1]:4566",
             "https://vpce-0abc-123.sts.us-east-1.vpce.amazonaws.com", "HTTP://LOCALHOST:4566/path"]


def commands_with(option: str) -> list[list[str]]:
    """Command paths (``["deploy"]``, ``["local", "x"]``) whose command declares ``option``."""
    found: list[list[str]] = []
    ctx = click.Context(cli)

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])
        elif any(option in p.opts for p in command.params if isinstance(p, click.Option)):
            found.append(path)

    for name in _COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        walk(command, [name])
    return found


ENDPOINT_COMMANDS = commands_with("--endpoint-url")


def test_every_command_that_calls_aws_takes_endpoint_url() -> None:
    names = {" ".join(c) for c in ENDPOINT_COMMANDS}
    assert {"deploy", "status", "destroy", "credentials", "exec", "verify"} <= names, names


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "xacct.toml"
    path.write_text(MINIMAL)
    return path


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """An environment in which any AWS call would fail fast (and none must be made)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-secret", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def one_line(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("xacct-infra: error: "), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", ENDPOINT_COMMANDS, ids=" ".join)
def test_a_bad_endpoint_url_flag_is_refused_in_one_line(command: list[str], url: str, config: Path, no_aws: dict[str, str]) -> None:
    args = [*command, "--config", str(config), "--endpoint-url", url, *NEEDS.get(command[-1], [])]
    line = one_line(CliRunner().invoke(cli, args), "--endpoint-url", "allowed: an http:// or https:// URL")
    assert "s3cret" not in line


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("command", ENDPOINT_COMMANDS, ids=" ".join)
def test_a_bad_aws_endpoint_url_in_the_environment_is_refused_in_one_line(command: list[str], url: str, config: Path,
                                                                          no_aws: dict[str, str]) -> None:
    args = [*command, "--config", str(config), *NEEDS.get(command[-1], [])]
    one_line(CliRunner().invoke(cli, args, env={"AWS_ENDPOINT_URL": url}), "AWS_ENDPOINT_URL")


def test_a_service_specific_endpoint_variable_is_checked_too(config: Path, no_aws: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["credentials", "--config", str(config)], env={"AWS_ENDPOINT_URL_STS": "localhost:4566"})
    one_line(result, "AWS_ENDPOINT_URL_STS", "no http:// or https:// scheme")


def test_the_flag_wins_over_a_bad_environment_and_help_never_checks(config: Path, no_aws: dict[str, str]) -> None:
    assert inputs.check_endpoint("http://localhost:4566", {"AWS_ENDPOINT_URL": "bad"}) == "http://localhost:4566"
    result = CliRunner().invoke(cli, ["deploy", "--help"], env={"AWS_ENDPOINT_URL": ""})
    assert result.exit_code == 0 and "--endpoint-url" in result.output


@pytest.mark.parametrize("url", GOOD_URLS)
def test_usable_endpoint_urls_pass(url: str) -> None:
    assert inputs.endpoint_problem(url) is None


@pytest.mark.parametrize("url", BAD_URLS)
def test_unusable_endpoint_urls_are_refused_and_botocore_agrees_they_are_unusable(url: str) -> None:
    assert inputs.endpoint_problem(url) is not None


@pytest.mark.parametrize("region", ["us-east-١", "zz-nowhere-9", "us-iso-east-1", "US-EAST-1", "us-east-1\n"])
def test_a_bad_region_flag_is_refused_in_one_line(region: str, config: Path, no_aws: dict[str, str]) -> None:
    one_line(CliRunner().invoke(cli, ["deploy", "--account-a", "--yes", "--config", str(config), "--region", region]), "--region")


# --------------------------------------------------------------------------- templates --out

@pytest.mark.parametrize(("out", "modes"), [
    ("FILE", ([], ["--check"])), ("FILE/sub", ([], ["--check"])), ("FILE/a/b", ([], ["--check"])), ("/dev/null/sub", ([], ["--check"])),
    ("/proc/self/newdir", ([],)), ("/sys/xacct-newdir", ([],)),  # could be a directory, but cannot be created: --check just differs
])
def test_templates_out_that_cannot_be_a_directory_exits_2_and_writes_nothing(out: str, modes: tuple[list[str], ...], tmp_path: Path,
                                                                            config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("keep me\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    for flag in modes:
        one_line(CliRunner().invoke(cli, ["templates", "--config", str(config), "--out", out, *flag]), "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "FILE").read_text() == "keep me\n"


def test_a_template_name_taken_by_a_directory_writes_no_other_file(tmp_path: Path, config: Path) -> None:
    out = tmp_path / "out"
    (out / "account-b.yaml").mkdir(parents=True)
    one_line(CliRunner().invoke(cli, ["templates", "--config", str(config), "--out", str(out)]), "account-b.yaml is a directory")
    assert sorted(p.name for p in out.iterdir()) == ["account-b.yaml"]  # account-a.yaml not written either


def test_a_failure_while_writing_leaves_the_directory_as_it_was(tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All or nothing: the second file cannot be staged (disk full), so the first is not renamed into place."""
    import tempfile

    out = tmp_path / "new" / "out"
    real = tempfile.mkstemp
    calls = []

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(kwargs)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # the OS refuses the second file: a fault, not a swapped xacct function
    one_line(CliRunner().invoke(cli, ["templates", "--config", str(config), "--out", str(out)]), "No space left on device")
    assert len(calls) == 2
    assert not (tmp_path / "new").exists()  # the directories it created are gone too


# --------------------------------------------------------------------------- --debug and click's own errors

@pytest.mark.parametrize("args", [
    ["templates", "--config", "missing.toml"],
    ["credentials", "--config", "missing.toml", "--endpoint-url", "localhost:4566"],
    ["templates", "--out", "/dev/null/sub"],
])
def test_debug_adds_a_traceback_but_never_changes_the_exit_code(args: list[str], no_aws: dict[str, str], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xacct.toml").write_text(MINIMAL)
    plain = CliRunner().invoke(cli, args)
    for debug in (["--debug", *args], [*args, "--debug"]):
        result = CliRunner().invoke(cli, debug)
        assert (plain.exit_code, result.exit_code) == (2, 2), result.output
        assert result.stderr.splitlines()[-1] == plain.stderr.strip()


@pytest.mark.parametrize("args", [["templates", "--format", "xml"], ["no-such-command"], ["credentials", "--duration", "abc"],
                                  ["templates", "--no-such-option"]])
def test_usage_errors_from_click_are_one_line_too(args: list[str]) -> None:
    one_line(CliRunner().invoke(cli, args), "--help")


ENDPOINT_CASES = [
    ("the flag wins", "http://flag:1", {"AWS_ENDPOINT_URL": "http://env:2"}, ("sts",), "http://flag:1"),
    ("a service's own variable", None, {"AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:3", "AWS_ENDPOINT_URL": "http://env:2"},
     ("dynamodb",), "http://ddb:3"),
    ("the general variable", None, {"AWS_ENDPOINT_URL": "http://env:2"}, ("sts", "kms"), "http://env:2"),
    ("botocore told to ignore them", None, {"AWS_ENDPOINT_URL": "http://env:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"},
     ("sts",), None),
    ("nothing set", None, {}, ("sts",), None),
]


@pytest.mark.parametrize(("flag", "environ", "services", "expected"), [c[1:] for c in ENDPOINT_CASES], ids=[c[0] for c in ENDPOINT_CASES])
def test_the_endpoint_botocore_calls_is_the_one_named(flag: str | None, environ: dict[str, str], services: tuple[str, ...],
                                                      expected: str | None) -> None:
    from xacct_infra import inputs

    assert inputs.configured_endpoint(flag, services, environ) == expected


def test_a_printed_endpoint_never_shows_a_password_or_a_query() -> None:
    from xacct_infra import aws, inputs

    assert inputs.shown_endpoint("http://user:s3cret@10.0.0.1:4566/path?token=t0k3n#frag") == "http://***@10.0.0.1:4566/path"
    assert inputs.shown_endpoint("https://localhost:4566") == "https://localhost:4566"
    shown = aws.Target("us-east-1", endpoint_url="http://user:s3cret@10.0.0.1:4566/?X-Amz-Security-Token=t0k3n").endpoint("sts")
    assert "s3cret" not in shown and "t0k3n" not in shown and "10.0.0.1:4566" in shown
