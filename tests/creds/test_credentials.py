"""`xacct-infra credentials`: Account B's identity turned into Account A credentials, in every format."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from creds_support import A_ID, REGION, Emulated
from hypothesis import given, settings
from hypothesis import strategies as st

from xacct_infra import credentials
from xacct_infra.config import loads

ODD = "it's a \"$HOME\" `id` $(id) ; rm -rf / \\ * ~ \t !x"


def fake(**overrides: str) -> credentials.TemporaryCredentials:
    values = {"access_key_id": "ASIAEXAMPLE", "secret_access_key": ODD, "session_token": "tok'en$PATH\"",
              "assumed_role_arn": f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/s", "region": REGION}
    values.update(overrides)
    return credentials.TemporaryCredentials(expiration=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), **values)


def bash(script: str, stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a real bash; bytes in and out, so no newline translation hides a difference."""
    done = subprocess.run(["bash", "-c", script], input=stdin.encode(), capture_output=True, timeout=30, check=False,
                          env={**os.environ, **(env or {})})
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def client_with(creds: dict[str, str], service: str, url: str) -> object:
    return boto3.client(service, region_name=REGION, endpoint_url=url, aws_access_key_id=creds["AccessKeyId"],  # type: ignore[call-overload]
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def test_credentials_from_instance_role_act_in_account_a(emulated: Emulated, run) -> None:
    result = run("credentials", "--config", str(emulated.config), "--profile", "instance", "--format", "json",
                 "--session-name", "ops@host-1")
    assert result.exit_code == 0, result.output
    creds = json.loads(result.output)
    assert creds["AssumedRoleArn"] == f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/ops@host-1"
    identity = client_with(creds, "sts", emulated.url).get_caller_identity()  # type: ignore[attr-defined]
    assert identity["Account"] == A_ID
    assert identity["Arn"] == creds["AssumedRoleArn"]
    table = client_with(creds, "dynamodb", emulated.url).describe_table(TableName="keystore")["Table"]  # type: ignore[attr-defined]
    assert table["TableArn"].split(":")[4] == A_ID
    key = client_with(creds, "kms", emulated.url).describe_key(KeyId=emulated.key_id)["KeyMetadata"]  # type: ignore[attr-defined]
    assert key["AWSAccountId"] == A_ID


def test_external_id_from_config_is_passed_automatically() -> None:
    from botocore.stub import Stubber

    cfg = loads('[account_a]\nid="111111111111"\nregion="us-east-1"\nexternal_id="ext-42"\n[[account_a.tables]]\n'
                'name="keystore"\naccess="read"\n[account_b]\nid="222222222222"\nregion="us-east-1"\n')
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s")
    with Stubber(sts) as stub:
        stub.add_response("assume_role", {
            "Credentials": {"AccessKeyId": "ASIAEXAMPLEEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t",
                            "Expiration": datetime(2030, 1, 1, tzinfo=UTC)},
            "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:n", "Arn": f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/n"}},
            {"RoleArn": cfg.view().role.arn, "RoleSessionName": "n1", "DurationSeconds": 900, "ExternalId": "ext-42"})
        credentials.assume(sts, cfg.view(), duration=900, session_name="n1")
        stub.assert_no_pending_responses()


def test_env_output_evals_in_bash_with_quotes_and_dollars() -> None:
    creds = fake()
    result = bash('eval "$(cat)"; printf "%s\\0" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" '
                  '"$AWS_SECURITY_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_REGION" "$AWS_DEFAULT_REGION"',
                  credentials.format_env(creds))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\0")[:-1] == [creds.access_key_id, ODD, "tok'en$PATH\"", "tok'en$PATH\"",
                                              "2030-01-02T03:04:05Z", REGION, REGION]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1))
def test_env_output_survives_eval_whatever_the_values(value: str) -> None:
    result = bash('eval "$(cat)"; printf "%s" "$AWS_SECRET_ACCESS_KEY"', credentials.format_env(fake(secret_access_key=value)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == value


def test_unset_goes_back_to_the_hosts_own_credentials() -> None:
    script = ('eval "$(cat)"; test -n "$AWS_SESSION_TOKEN" || exit 3; eval "$(' + f"{sys.executable} -m xacct_infra credentials --unset" + ')"; '
              'env | grep -E "^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|CREDENTIAL_EXPIRATION|REGION|DEFAULT_REGION)=" && exit 4; exit 0')
    result = bash(script, credentials.format_env(fake()))
    assert result.returncode == 0, (result.stdout, result.stderr)


def test_eval_in_bash_replaces_a_stale_security_token_and_acts_in_account_a(emulated: Emulated) -> None:
    stale = {"AWS_SECURITY_TOKEN": "stale-token-from-an-old-session", "AWS_SESSION_TOKEN": "stale-too"}
    script = (f'eval "$({sys.executable} -m xacct_infra credentials --config {emulated.config} --profile instance)" || exit 5\n'
              'test "$AWS_SECURITY_TOKEN" = "$AWS_SESSION_TOKEN" || exit 6\n'
              'test "$AWS_SECURITY_TOKEN" != stale-token-from-an-old-session || exit 7\n'
              f"{sys.executable} -c 'import boto3; print(boto3.client(\"sts\").get_caller_identity()[\"Arn\"])'")
    result = bash(script, "", env=stale)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/")


def test_process_format_works_as_credential_process(emulated: Emulated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aws-config"
    config.write_text(f"[profile via-process]\nregion = {REGION}\ncredential_process = {sys.executable} -m xacct_infra "
                      f"credentials --format process --profile instance --config {emulated.config}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    identity = boto3.Session(profile_name="via-process").client("sts").get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/")


def test_process_format_is_version_1_with_rfc3339_expiration() -> None:
    out = json.loads(credentials.format_process(fake()))
    assert out == {"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": ODD, "SessionToken": "tok'en$PATH\"",
                   "Expiration": "2030-01-02T03:04:05Z"}


def test_ini_format_is_a_credentials_file_profile() -> None:
    creds = fake(secret_access_key="abc/def+ghi=")
    parser = configparser.RawConfigParser()
    parser.read_string(credentials.format_ini(creds, "acct-a"))
    assert dict(parser["acct-a"]) == {"aws_access_key_id": "ASIAEXAMPLE", "aws_secret_access_key": "abc/def+ghi=",
                                      "aws_session_token": "tok'en$PATH\"", "region": REGION}


def test_secrets_stay_out_of_repr() -> None:
    # Plain values: repr() escapes quotes and backslashes, so odd values would hide a leak.
    creds = fake(access_key_id="ASIAPLAINKEYID", secret_access_key="plainsecret", session_token="plaintoken")
    for text in (repr(creds), str(creds)):
        assert "plainsecret" not in text and "plaintoken" not in text and "ASIAPLAINKEYID" not in text
    assert "xacct-access" in repr(creds), "repr still says whose credentials they are"


@pytest.mark.parametrize("raw", ["", "a", "ö@ü", "x" * 200, "root@ip-10-0-0-1.ec2.internal", "a b/c:d"])
def test_default_session_name_is_sanitised_for_sts(raw: str) -> None:
    assert credentials.SESSION_NAME.fullmatch(credentials.sanitise_session_name(raw))


@given(st.text(), st.text())
def test_default_session_name_is_always_valid_and_traceable(user: str, host: str) -> None:
    name = credentials.default_session_name(user, host)
    assert credentials.SESSION_NAME.fullmatch(name)
    if re.fullmatch(r"[a-z]{1,20}", user) and re.fullmatch(r"[a-z0-9-]{1,20}", host):
        assert name == f"{user}@{host}"
