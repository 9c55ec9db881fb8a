"""`xacct-infra exec`: the command runs with Account A credentials in its environment only."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest
from creds_support import A_ID, Emulated

from xacct_infra import credentials

CHILD = r"""
import json, os, sys, boto3
secrets = [os.environ[n] for n in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")]
with open(sys.argv[1], "w") as f:
    json.dump({"secrets": secrets, "argv": sys.argv, "cmdline": open("/proc/self/cmdline").read(),
               "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_") and k not in
                       ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")},
               "tokens_equal": os.environ["AWS_SECURITY_TOKEN"] == os.environ["AWS_SESSION_TOKEN"]}, f)
print(boto3.client("sts").get_caller_identity()["Arn"])
print("some output", file=sys.stderr)
sys.exit(int(sys.argv[2]))
"""


def run_exec(emulated: Emulated, *command: str, env: dict[str, str] | None = None):
    return emulated.xacct("exec", "--config", str(emulated.config), "--profile", "instance", "--", *command, env=env)


@pytest.mark.parametrize("code", [0, 7, 255])
def test_exec_passes_the_exit_code_through(emulated: Emulated, code: int) -> None:
    # a child without boto3: the exit code and the output are what is tested here; acting in Account A is below
    result = run_exec(emulated, sys.executable, "-c", "import sys; print('child ran'); sys.exit(int(sys.argv[1]))", str(code))
    assert result.returncode == code, result.stderr
    assert result.stdout == "child ran\n"


def test_exec_passes_a_signal_death_through(emulated: Emulated) -> None:
    result = run_exec(emulated, sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert result.returncode == -signal.SIGTERM  # the command's own death, not a wrapper's exit code


def test_exec_credentials_never_in_argv_stdout_or_stderr(emulated: Emulated, tmp_path: Path) -> None:
    seen_file = tmp_path / "seen.json"
    result = run_exec(emulated, sys.executable, "-c", CHILD, str(seen_file), "0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/")  # the child acts in Account A
    seen = json.loads(seen_file.read_text())
    assert all(len(s) > 10 for s in seen["secrets"])
    for secret in seen["secrets"]:
        assert secret not in result.stdout and secret not in result.stderr
        assert secret not in " ".join(seen["argv"]) and secret not in seen["cmdline"]
    assert seen["env"]["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    assert seen["tokens_equal"]


def test_exec_removes_stale_variables_that_would_win(emulated: Emulated, tmp_path: Path) -> None:
    seen_file = tmp_path / "seen.json"
    stale = {"AWS_PROFILE": "does-not-exist", "AWS_DEFAULT_PROFILE": "nor-this", "AWS_SECURITY_TOKEN": "stale",
             "AWS_REGION": "eu-west-3", "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/other"}
    result = run_exec(emulated, sys.executable, "-c", CHILD, str(seen_file), "0", env=stale)
    assert result.returncode == 0, result.stderr  # boto3 would raise ProfileNotFound with AWS_PROFILE left in place
    seen = json.loads(seen_file.read_text())
    assert not {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN"} & set(seen["env"])
    assert seen["env"]["AWS_REGION"] == seen["env"]["AWS_DEFAULT_REGION"] == "us-east-1"
    assert seen["tokens_equal"]


def test_exec_command_not_found_exits_127(emulated: Emulated) -> None:
    result = run_exec(emulated, "xacct-no-such-command-here")
    assert result.returncode == 127
    assert result.stderr == "xacct-infra: error: exec: command not found: xacct-no-such-command-here\n"


def test_exec_not_executable_exits_126(emulated: Emulated, tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    result = run_exec(emulated, str(script))
    assert result.returncode == 126
    assert result.stderr.count("\n") == 1 and "permission denied" in result.stderr


def test_exec_without_a_command_is_a_usage_error(run, emulated: Emulated) -> None:
    result = run("exec", "--config", str(emulated.config))
    assert result.exit_code == 2


def test_child_env_sets_every_credential_variable() -> None:
    from datetime import UTC, datetime

    creds = credentials.TemporaryCredentials("AK", "SK", "TOK", datetime(2030, 1, 1, tzinfo=UTC), "arn", "us-east-1")
    env = credentials.child_env(creds, {"PATH": "/bin", "AWS_PROFILE": "x", "AWS_SECURITY_TOKEN": "old", "AWS_ENDPOINT_URL": "u"})
    assert env == {"PATH": "/bin", "AWS_ENDPOINT_URL": "u", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
                   "AWS_SESSION_TOKEN": "TOK", "AWS_SECURITY_TOKEN": "TOK", "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
                   "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}


def test_debug_logging_never_prints_the_assumed_credentials(emulated) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "xacct_infra", "--debug", "credentials", "--config", str(emulated.config),
                           "--profile", "instance", "--format", "json"], capture_output=True, text=True, check=False)
    import json

    assert proc.returncode == 0, proc.stderr
    creds = json.loads(proc.stdout)
    assert "DEBUG" in proc.stderr  # debug logging is on ...
    assert creds["SecretAccessKey"] not in proc.stderr and creds["SessionToken"] not in proc.stderr  # ... and holds no secret
