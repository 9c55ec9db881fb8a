"""Throttling, transient 5xx and idempotent retries, through a scripted proxy in front of the emulator."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from tests.conftest import EMU_CONFIG
from tests.flaky_proxy import THROTTLE, UNAVAILABLE, FlakyProxy
from xacct_infra import aws


@pytest.fixture
def proxy(emulator, monkeypatch):
    p = FlakyProxy(emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
    yield p
    p.stop()


def test_throttling_is_absorbed_by_botocore_retry_mode(proxy, run, write_config) -> None:
    proxy.failures["GetCallerIdentity"] = [THROTTLE, THROTTLE]
    proxy.failures["DescribeStacks"] = [THROTTLE]
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)))
    assert result.exit_code == 0, result.stderr
    actions = proxy.actions()
    # each throttled call was retried until it went through, and the account was proven before any change
    assert actions[:5] == ["DescribeStacks", "DescribeStacks", "GetCallerIdentity", "GetCallerIdentity", "GetCallerIdentity"]
    assert actions.index("GetCallerIdentity") < actions.index("CreateChangeSet")
    assert "Traceback" not in result.stderr


def test_mutating_calls_are_retried_with_the_same_idempotency_token(proxy, run, write_config) -> None:
    proxy.failures["CreateChangeSet"] = [UNAVAILABLE]
    proxy.failures["ExecuteChangeSet"] = [UNAVAILABLE, UNAVAILABLE]
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)))
    assert result.exit_code == 0, result.stderr
    creates = [r["ClientToken"] for r in proxy.requests if r.get("Action") == "CreateChangeSet"]
    executes = [r["ClientRequestToken"] for r in proxy.requests if r.get("Action") == "ExecuteChangeSet"]
    assert len(creates) == 2 and len(set(creates)) == 1
    assert len(executes) == 3 and len(set(executes)) == 1


def test_persistent_throttling_ends_in_one_line_not_a_traceback(proxy, run, write_config) -> None:
    proxy.failures["GetCallerIdentity"] = [THROTTLE] * 10
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Throttling" in result.stderr


def test_expired_token_exits_2_saying_so() -> None:
    import boto3

    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    target = aws.Target(region="us-east-1", profile="owner")
    with Stubber(sts) as stub:
        stub.add_client_error("get_caller_identity", "ExpiredToken", "The security token included in the request is expired")
        with pytest.raises(aws.CredentialsError, match="profile 'owner' have expired"), aws.translate_errors(target):
            sts.get_caller_identity()
