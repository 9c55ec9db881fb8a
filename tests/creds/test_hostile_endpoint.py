"""A hostile or broken endpoint cannot inject a line, a section or an escape sequence through the
credentials it returns; and a credential_process that calls xacct-infra for its own profile is
refused in one line instead of forking without end."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from creds_support import A_ID, AWS_VARS, B_ID, REGION, run_stubbed

from xacct_infra import aws, credentials
from xacct_infra.cli import cli

CONFIG = f"""
[account_a]
id = "{A_ID}"
region = "{REGION}"
[[account_a.tables]]
name = "keystore"
access = "read"
[account_b]
id = "{B_ID}"
region = "{REGION}"
"""
GOOD = {"AccessKeyId": "ASIAEXAMPLEKEYID0001", "SecretAccessKey": "abc/def+ghi=jkl0123456789abcdefghijklmn",
        "SessionToken": "FQoGZXIvYXdzEXAMPLE+/=token", "Arn": f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/ops@host"}
# Each value would break out of its place in one output format or another.
HOSTILE = [
    ("SessionToken", "tok\n[default]\naws_access_key_id = EVIL"),  # a new ini section
    ("SecretAccessKey", "secret\raws_session_token = evil"),  # a carriage return: a second line for some readers
    ("AccessKeyId", "ASIAEXAMPLE[evil]KEY"),  # brackets
    ("SessionToken", "tok\x1b]0;pwned\x07"),  # a terminal escape sequence
    ("SessionToken", "tok\u2028evil"),  # a Unicode line separator
    ("SecretAccessKey", "has a space"),
    ("SessionToken", "tökén"),
    ("SessionToken", ""),
    ("Arn", f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/s\n[evil]"),
    ("Arn", "not-an-arn-but-long-enough-for-botocore"),
]


def response(**overrides: str) -> dict[str, Any]:
    values = {**GOOD, **overrides}
    return {"Credentials": {"AccessKeyId": values["AccessKeyId"], "SecretAccessKey": values["SecretAccessKey"],
                            "SessionToken": values["SessionToken"], "Expiration": datetime.now(UTC) + timedelta(hours=1)},
            "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s", "Arn": values["Arn"]}}


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    client = boto3.client("sts", region_name=REGION, aws_access_key_id="AKIASOURCE", aws_secret_access_key="source-secret")
    stub = Stubber(client)
    stub.activate()
    for name in AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASOURCE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "source-secret")
    return stub


@pytest.mark.parametrize("fmt", credentials.FORMATS)
@pytest.mark.parametrize(("field", "value"), HOSTILE, ids=[f"{f}:{v!r}"[:40] for f, v in HOSTILE])
def test_a_hostile_answer_prints_nothing_and_exits_2(tmp_path: Path, sts: Stubber, fmt: str, field: str, value: str) -> None:
    (tmp_path / "xacct.toml").write_text(CONFIG)
    # The Stubber checks the shape botocore expects, not the content: exactly what a hostile server controls.
    sts.add_response("assume_role", response(**{field: value}))
    result = run_stubbed(sts, "credentials", "--config", str(tmp_path / "xacct.toml"), "--format", fmt)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and field in result.stderr and "Traceback" not in result.stderr
    assert value not in result.stderr or not value  # the bad value (perhaps a secret) is never echoed


def test_a_good_answer_still_prints_every_format(tmp_path: Path, sts: Stubber) -> None:
    (tmp_path / "xacct.toml").write_text(CONFIG)
    for fmt in credentials.FORMATS:
        sts.add_response("assume_role", response())
        result = run_stubbed(sts, "credentials", "--config", str(tmp_path / "xacct.toml"), "--format", fmt)
        assert result.exit_code == 0 and GOOD["SessionToken"] in result.stdout, result.output


def test_ini_writer_refuses_a_line_break_even_if_handed_one() -> None:
    creds = credentials.TemporaryCredentials("ASIAX", "secret", "tok\n[evil]", datetime(2030, 1, 1, tzinfo=UTC),
                                             GOOD["Arn"], REGION)
    with pytest.raises(credentials.UsageError):
        credentials.format_ini(creds, "p")


@pytest.mark.parametrize("name", ["a b", "x]\n[evil", "p#comment", "p;x", "pröfile", "p\x1b[31m", "x" * 129])
def test_ini_profile_name_is_printable_ascii_without_brackets_or_comment_characters(run, name: str) -> None:
    result = run("credentials", "--name", name, "--format", "ini")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "--name" in result.stderr


# --------------------------------------------------------------------------- the credential_process loop

def test_resolving_the_same_profile_again_is_refused_and_the_marker_is_restored() -> None:
    env: dict[str, str] = {"AWS_PROFILE": "loop"}
    with credentials.resolving(None, env) as name:
        assert name == "loop" and credentials.RESOLVING_VAR in env
        child = dict(env)  # what a credential_process inherits
        with pytest.raises(credentials.CredentialLoopError, match=r"'loop'.*--profile SOURCE"), credentials.resolving(None, child):
            pass
        with credentials.resolving("source", child) as other:  # a chain to another profile is fine
            assert other == "source"
            with pytest.raises(credentials.CredentialLoopError, match="loop > source"), credentials.resolving("loop", child):
                pass
    assert credentials.RESOLVING_VAR not in env


def test_exec_does_not_hand_the_marker_to_the_command() -> None:
    creds = credentials.TemporaryCredentials("ASIAX", "s", "t", datetime(2030, 1, 1, tzinfo=UTC), GOOD["Arn"], REGION)
    assert credentials.RESOLVING_VAR not in credentials.child_env(creds, {credentials.RESOLVING_VAR: '["p"]', "PATH": "/bin"})


def test_a_profile_whose_credential_process_calls_itself_is_refused_at_the_first_reentry(tmp_path: Path) -> None:
    """The real thing: AWS_PROFILE=loop, and loop's credential_process is `xacct-infra credentials --format process`.
    A shell in front of it counts the nested starts: the first one refuses, so there is exactly one."""
    (tmp_path / "xacct.toml").write_text(CONFIG)
    starts = tmp_path / "starts"
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(f"[profile loop]\nregion = {REGION}\n"
                          f"credential_process = sh -c 'echo started >> {starts}; exec {sys.executable} -m xacct_infra credentials --format process'\n")
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARS and not k.startswith("AWS_")}
    env.update(AWS_PROFILE="loop", AWS_CONFIG_FILE=str(aws_config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true", XACCT_CONFIG=str(tmp_path / "xacct.toml"))
    done = subprocess.run([sys.executable, "-m", "xacct_infra", "credentials", "--format", "process"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "'loop'" in lines[0] and "--profile SOURCE" in lines[0] and "Traceback" not in done.stderr
    assert starts.read_text().splitlines() == ["started"], "the loop went deeper than one nested start"



# --------------------------------------------------------------------------- DynamoDB and KMS that are not AWS

@pytest.mark.parametrize("answer", ["html-200", "json-200"])
def test_verify_with_sts_answering_and_dynamodb_kms_a_web_page_exits_2_naming_no_policy(emulated, monkeypatch: pytest.MonkeyPatch,
                                                                                       answer: str) -> None:
    """STS is the emulator (the role is assumed), but DynamoDB and KMS are sent to a web server
    (AWS_ENDPOINT_URL_DYNAMODB / _KMS): their 200 pages are not 'allowed' answers, nor a policy's fault."""
    from tests.web_page import web_page

    with web_page() as page:
        url = page.answering(answer)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", url)
        result = CliRunner().invoke(cli, ["verify", "--config", str(emulated.config), "--profile", "instance", "--emulator"],
                                    obj=aws.Clients(max_attempts=1), catch_exceptions=False)  # no retry, no backoff sleep
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "not an AWS API response" in result.stderr, result.stderr
    assert result.stdout == ""
