"""Shared by the tests of `credentials`, `exec`, `profile` and `verify`: a real emulator (moto server on
127.0.0.1) with Account A's table and key created through the API, and Account B's instance
role identity as profile `instance`. Nothing here can reach real AWS: every test runs with
AWS_ENDPOINT_URL pointing at the emulator, a private HOME and instance metadata disabled."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.stub import Stubber
from click.testing import CliRunner, Result

from xacct_infra import aws
from xacct_infra.cli import cli

A_ID, B_ID, REGION = "111111111111", "222222222222", "us-east-1"
EXTERNAL_ID = "xacct-test-external-id"


class StubbedClients(aws.Clients):
    """The CLI's client factory handing out one Stubber-backed STS client (and nothing else)."""

    def __init__(self, sts: Any) -> None:
        super().__init__()
        self.sts = sts

    def client(self, target: aws.Target, service: str, *, max_attempts: int | None = None) -> Any:
        assert service == "sts", service
        return self.sts


def run_stubbed(stub: Stubber, *args: str) -> Result:
    """The CLI with ``stub``'s STS client from its client factory (the one injection point): the
    answer is whatever the test scripts the endpoint to say."""
    return CliRunner().invoke(cli, list(args), obj=StubbedClients(stub.client), catch_exceptions=False)

CONFIG = """
[account_a]
id = "111111111111"
region = "{region}"
profile = "owner"
external_id = "{external_id}"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[[account_a.tables]]
name = "keystore-audit"
access = "read"

[[account_a.keys]]
id = "{key_id}"
access = "encrypt-decrypt"

[account_b]
id = "222222222222"
region = "us-east-1"
profile = "consumer"
"""

AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "XACCT_CONFIG")


@dataclass
class Emulated:
    emulator: object
    config: Path
    key_id: str
    instance: dict[str, str]  # Account B's instance-role credentials (the EC2 host's identity)

    @property
    def url(self) -> str:
        return str(self.emulator.url)  # type: ignore[attr-defined]

    def write_config(self, path: Path, region: str = REGION) -> Path:
        path.write_text(CONFIG.format(region=region, external_id=EXTERNAL_ID, key_id=self.key_id))
        return path

    def xacct(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real CLI in a child process (for exec, which replaces the process)."""
        return subprocess.run([sys.executable, "-m", "xacct_infra", *args], env={**os.environ, **(env or {})},
                              capture_output=True, text=True, input=input, timeout=60, check=False)
