"""Every error path of `credentials`/`exec`/`profile`: one line, the right exit code, no secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from creds_support import A_ID, B_ID, REGION, Emulated, run_stubbed

from xacct_infra import aws
from xacct_infra.cli import cli
from xacct_infra.config import loads

SOURCE_SECRET = "SOURCE-SECRET-never-print-me"
CALLER = f"arn:aws:sts::{B_ID}:assumed-role/xacct-instance/i-0abc"


def one_line_error(result: Any, code: int, *secrets: str) -> str:
    assert result.exit_code == code, result.output
    assert result.output.startswith("xacct-infra: error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    for secret in (SOURCE_SECRET, *secrets):
        assert secret not in result.output
    return str(result.output)


@pytest.fixture
def stubbed_sts():
    """The CLI's STS client, a Stubber-backed one from the client factory: script an STS answer."""
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="AKIASOURCE", aws_secret_access_key=SOURCE_SECRET)
    stub = Stubber(sts)
    stub.activate()
    yield stub
    stub.assert_no_pending_responses()  # the scripted answer was the one the command got
    stub.deactivate()


def cmd(emulated: Emulated, *args: str) -> list[str]:
    return ["credentials", "--config", str(emulated.config), "--profile", "instance", *args]


@pytest.mark.parametrize(("code", "message", "expect"), [
    ("AccessDenied", f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{A_ID}:role/xacct-access",
     [CALLER, "the role does not exist", "trust policy", "external ID", "propagating"]),
    ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
     ["role chaining", "--duration 3600"]),
    ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
     ["MaxSessionDuration", "redeploy Account A"]),
    ("RegionDisabledException", "STS is not activated in this region for account:222222222222.", ["not activated in us-east-1"]),
])
def test_assume_role_refusals_are_explained(emulated: Emulated, stubbed_sts: Stubber, code: str, message: str,
                                            expect: list[str]) -> None:
    stubbed_sts.add_client_error("assume_role", service_error_code=code, service_message=message, http_status_code=403)
    output = one_line_error(run_stubbed(stubbed_sts, *cmd(emulated)), 2)
    for text in expect:
        assert text in output


@pytest.mark.parametrize(("code", "expect"), [("ExpiredToken", "have expired"), ("InvalidClientTokenId", "were rejected")])
def test_expired_or_rejected_caller_credentials(emulated: Emulated, stubbed_sts: Stubber, code: str, expect: str) -> None:
    stubbed_sts.add_client_error("assume_role", service_error_code=code, service_message=f"token {SOURCE_SECRET}?", http_status_code=403)
    assert expect in one_line_error(run_stubbed(stubbed_sts, *cmd(emulated)), 2)


def test_no_credentials(run, emulated: Emulated, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("")
    result = run("credentials", "--config", str(emulated.config),
                 env={"AWS_SHARED_CREDENTIALS_FILE": str(empty), "AWS_CONFIG_FILE": str(empty)})
    assert "no AWS credentials found" in one_line_error(result, 2)


def test_unknown_profile(run, emulated: Emulated) -> None:
    result = run("credentials", "--config", str(emulated.config), "--profile", "nope")
    assert "'nope' not found" in one_line_error(result, 2)


def test_unreachable_endpoint(run, emulated: Emulated) -> None:
    result = run(*cmd(emulated, "--endpoint-url", "http://127.0.0.1:9"))
    assert "cannot reach http://127.0.0.1:9" in one_line_error(result, 2, emulated.instance["aws_secret_access_key"])


@pytest.mark.parametrize(("duration", "expect"), [("899", "out of range"), ("43201", "out of range"),
                                                  ("7200", "exceeds account_a.max_session_duration = 3600")])
def test_duration_is_refused_before_any_call(run, emulated: Emulated, duration: str, expect: str) -> None:
    # The endpoint is closed: a call would fail with "cannot reach" instead.
    for command in ("credentials", "exec"):
        args = [command, "--config", str(emulated.config), "--endpoint-url", "http://127.0.0.1:9", "--duration", duration]
        result = run(*args, *(["--", "true"] if command == "exec" else []))
        assert expect in one_line_error(result, 2)
    assert expect in one_line_error(run("profile", "--config", str(emulated.config), "--duration", duration), 2)


def test_duration_up_to_the_configured_maximum_is_accepted(run, emulated: Emulated) -> None:
    emulated.config.write_text(emulated.config.read_text().replace('profile = "owner"', 'profile = "owner"\nmax_session_duration = 43200'))
    result = run(*cmd(emulated, "--duration", "43200", "--format", "process"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["a", "has space", "x" * 65, "slash/no", "ümlaut"])
def test_invalid_session_name_is_refused(run, emulated: Emulated, name: str) -> None:
    assert "--session-name" in one_line_error(run(*cmd(emulated, "--session-name", name)), 2)


def test_bad_config_is_one_line(run, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert "file not found" in one_line_error(run("credentials", "--config", str(missing)), 2)


def test_unset_needs_neither_config_nor_aws(run, tmp_path: Path) -> None:
    result = run("credentials", "--unset", "--config", str(tmp_path / "missing.toml"))
    assert result.exit_code == 0
    assert result.output == ("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN "
                             "AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION\n")


def test_assume_error_message_quotes_no_free_text() -> None:
    """AWS's message is reduced to the caller ARN: nothing else from it reaches the terminal."""
    from xacct_infra import credentials

    cfg = loads(f'[account_a]\nid="{A_ID}"\nregion="us-east-1"\n[[account_a.tables]]\nname="keystore"\naccess="read"\n'
                f'[account_b]\nid="{B_ID}"\nregion="us-east-1"\n')
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="AKIASOURCE", aws_secret_access_key=SOURCE_SECRET)
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "AccessDenied", f"User: {CALLER} is not authorized; {SOURCE_SECRET}")
        with pytest.raises(credentials.AssumeRoleError) as err:
            credentials.assume(sts, cfg.view(), duration=900, session_name="s1")
    assert err.value.code == "AccessDenied"
    assert SOURCE_SECRET not in str(err.value) and CALLER in str(err.value)
    assert "set account_a.external_id" in str(err.value)  # config has none: the trust may require one


def test_bad_ini_profile_name_is_refused_before_any_call(run, emulated: Emulated) -> None:
    result = run(*cmd(emulated, "--format", "ini", "--name", "two words", "--endpoint-url", "http://127.0.0.1:9"))
    assert "--name" in one_line_error(result, 2)


class FailingClients(aws.Clients):
    """A client factory whose every client fails with ``error`` (an AWS answer nothing anticipated, or a bug)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def client(self, target: aws.Target, service: str, *, max_attempts: int | None = None) -> Any:
        raise self.error


def test_an_unanticipated_aws_error_is_one_line_exit_1_and_a_bug_is_not_hidden(emulated: Emulated) -> None:
    from botocore.exceptions import ClientError

    odd = ClientError({"Error": {"Code": "OddFailure", "Message": "odd"}}, "AssumeRole")
    result = CliRunner().invoke(cli, cmd(emulated), obj=FailingClients(odd), catch_exceptions=False)
    assert "AWS: " in one_line_error(result, 1) and "OddFailure" in result.output and "--debug" in result.output
    with pytest.raises(LookupError):  # not botocore's: a traceback, never dressed up as an AWS error
        CliRunner().invoke(cli, cmd(emulated), obj=FailingClients(LookupError("a bug")), catch_exceptions=False)
