"""The conventions every command follows (issue 15): --output on everything that prints data,
global options before or after the command name, --color and NO_COLOR, shell completion."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from tests.conftest import EMU_CONFIG, MINIMAL, ROOT
from xacct_infra.cli import _COMMANDS, cli

DATA_COMMANDS = ["check", "deploy", "verify", "status", "destroy"]


def command(name: str) -> click.Command:
    found = cli.get_command(click.Context(cli), name)
    assert found is not None
    return found


def option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts), None)


@pytest.mark.parametrize("name", DATA_COMMANDS)
def test_every_command_that_prints_data_takes_output_text_or_json(name: str) -> None:
    opt = option(command(name), "--output")
    assert opt is not None, f"{name} has no --output"
    assert isinstance(opt.type, click.Choice) and {"text", "json"} <= set(opt.type.choices)
    assert opt.default == "text"


@pytest.mark.parametrize(("name", "choices"), [("credentials", {"env", "json", "process", "ini"}), ("templates", {"yaml", "json"})])
def test_file_format_commands_keep_format(name: str, choices: set[str]) -> None:
    opt = option(command(name), "--format")
    assert opt is not None and isinstance(opt.type, click.Choice) and set(opt.type.choices) == choices
    assert option(command(name), "--output") is None


def test_the_old_check_format_spelling_still_works_but_is_not_advertised(run, write_config) -> None:
    path = str(write_config(MINIMAL))
    old, new = run("check", "--config", path, "--format", "json"), run("check", "--config", path, "--output", "json")
    assert old.exit_code == new.exit_code == 0
    assert json.loads(old.stdout)["findings"] == json.loads(new.stdout)["findings"] == []
    help_text = run("check", "--help").stdout
    assert "--output" in help_text and "--format" not in help_text


@pytest.mark.parametrize("name", list(_COMMANDS))
@pytest.mark.parametrize("flag", [["--debug"], ["--color", "never"]])
def test_global_options_are_accepted_after_every_command(run, name: str, flag: list[str]) -> None:
    assert run(name, *flag, "--help").exit_code == 0
    assert run(*flag, name, "--help").exit_code == 0


@pytest.mark.parametrize("name", [n for n in _COMMANDS if n != "local"])
def test_every_command_takes_config(name: str) -> None:
    assert option(command(name), "--config") is not None


def test_config_before_the_command_name(run, write_config, tmp_path) -> None:
    path = str(write_config(MINIMAL))
    before = run("--config", path, "templates", "--out", str(tmp_path / "t"))
    assert before.exit_code == 0 and "account-a.yaml\twritten" in before.stdout


def test_config_precedence_command_then_group_then_environment(run, write_config, tmp_path) -> None:
    good = str(write_config(MINIMAL))
    missing = str(tmp_path / "missing.toml")
    out = ["--out", str(tmp_path / "t")]
    assert run("--config", missing, "templates", "--config", good, *out).exit_code == 0
    assert run("--config", good, "templates", *out, env={"XACCT_CONFIG": missing}).exit_code == 0
    result = run("--config", missing, "templates", *out, env={"XACCT_CONFIG": good})
    assert result.exit_code == 2 and "missing.toml: file not found" in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_in_either_position_shows_the_traceback(run, tmp_path, where: str) -> None:
    args = ["templates", "--config", str(tmp_path / "missing.toml")]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    debug = run(*args)  # --debug adds the traceback before the line, and keeps the exit code
    assert debug.exit_code == 2 and "Traceback" in debug.stderr and debug.stderr.splitlines()[-1].endswith("file not found; "
                                                                                                           "pass --config PATH or create xacct.toml (see README)")
    result = run(*[a for a in args if a != "--debug"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "env", "coloured"), [
    (["--color", "always"], {}, True),
    ([], {}, False),  # auto: CliRunner's stream is not a terminal
    (["--color", "never"], {}, False),
    (["--color", "always"], {"NO_COLOR": "1"}, True),  # a flag on the command line overrides NO_COLOR
], ids=["always", "auto-not-a-terminal", "never", "always-beats-NO_COLOR"])
def test_color_mode(emulator, write_config, args: list[str], env: dict[str, str], coloured: bool) -> None:
    path = str(write_config(EMU_CONFIG))
    result = CliRunner().invoke(cli, ["deploy", "--account-a", "--config", path, *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("\x1b[" in result.stderr) is coloured


def test_status_and_destroy_print_json(emulator, run, write_config) -> None:
    path = str(write_config(EMU_CONFIG))
    assert run("deploy", "--all", "--config", path).exit_code == 0
    status = run("status", "--config", path, "--output", "json")
    doc = json.loads(status.stdout)
    assert [s["stack"] for s in doc["stacks"]] == ["xacct-account-a", "xacct-account-b"]
    assert all(s["status"] == "CREATE_COMPLETE" and s["template_matches"] for s in doc["stacks"])
    assert doc["healthy"] is (status.exit_code == 0)
    destroy = run("destroy", "--all", "--yes", "--force", "--config", path, "--output", "json")
    assert destroy.exit_code == 0, destroy.output
    assert json.loads(destroy.stdout) == {"stacks": [
        {"stack": "xacct-account-b", "account": "222222222222", "outcome": "deleted"},
        {"stack": "xacct-account-a", "account": "111111111111", "outcome": "deleted"}]}
    gone = json.loads(run("status", "--config", path, "--output", "json").stdout)
    assert [s["status"] for s in gone["stacks"]] == ["NOT DEPLOYED", "NOT DEPLOYED"] and gone["healthy"] is False


# ------------------------------------------------------------------ shell completion

def complete(args: list[str], incomplete: str, env: dict[str, str] | None = None) -> list[str]:
    from click.shell_completion import ShellComplete

    runner = CliRunner()
    with runner.isolation(env=env):
        return [item.value for item in ShellComplete(cli, {}, "xacct-infra", "_XACCT_INFRA_COMPLETE").get_completions(args, incomplete)]


CONSUMERS = MINIMAL.replace('[account_b]\nid = "222222222222"\nregion = "us-east-1"\n', """
[[account_b]]
name = "payments"
id = "222222222222"
region = "us-east-1"

[[account_b]]
name = "reporting"
id = "444444444444"
region = "us-east-1"
""")


@pytest.mark.parametrize("name", ["verify", "credentials", "status", "deploy"])
def test_consumer_names_complete_from_the_config(write_config, name: str) -> None:
    path = str(write_config(CONSUMERS))
    assert complete([name, "--config", path, "--consumer"], "") == ["payments", "reporting"]
    assert complete(["--config", path, name, "--consumer"], "rep") == ["reporting"]


def test_consumer_completion_of_an_unreadable_config_is_empty(tmp_path) -> None:
    assert complete(["verify", "--config", str(tmp_path / "missing.toml"), "--consumer"], "") == []


@pytest.mark.parametrize("name", ["deploy", "verify", "credentials", "exec"])
def test_profile_names_complete_from_the_aws_files(tmp_path, name: str) -> None:
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n[profile owner]\nregion = us-east-1\n[sso-session x]\n")
    (tmp_path / "credentials").write_text("[consumer]\naws_access_key_id = A\n[owner]\naws_access_key_id = B\n")
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    assert complete([name, "--profile"], "", env) == ["default", "owner", "consumer"]
    assert complete([name, "--profile"], "o", env) == ["owner"]


def test_completion_script_is_generated(run) -> None:
    result = CliRunner().invoke(cli, [], prog_name="xacct-infra", env={"_XACCT_INFRA_COMPLETE": "bash_source"})
    assert "_xacct_infra_completion" in result.output and "complete " in result.output


def test_readme_documents_completion() -> None:
    text = (ROOT / "README.md").read_text()
    assert 'eval "$(_XACCT_INFRA_COMPLETE=bash_source xacct-infra)"' in text
