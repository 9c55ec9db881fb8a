"""`make demo` ends with `credentials`, `exec` and `verify --roundtrip` on the emulator, and shows no secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from creds_support import AWS_VARS

from xacct_infra.cli.local import _redacted

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the whole demo: seven xacct-infra processes and an emulator
def test_demo_ends_with_credentials_and_verify_roundtrip_without_printing_secrets(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARS}
    env.update(HOME=str(tmp_path), AWS_EC2_METADATA_DISABLED="true", NO_COLOR="1")
    # --color always (which wins over NO_COLOR) on a pipe: the demo's steps colour their output too
    done = subprocess.run([sys.executable, "-m", "xacct_infra", "local", "demo", "--color", "always", "--config", str(ROOT / "xacct.toml")],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    coloured = done.stdout + done.stderr
    output = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert done.returncode == 0, output
    assert re.search(r"\x1b\[32m[^\n]*xacct-account-b[^\n]*CREATE_COMPLETE", coloured), coloured  # a deploy step's event line
    # what the emulator lacks is said once per deploy step (two of them), not once per stack
    for notice in ("does not support termination protection", "returned no outputs"):
        assert output.count(notice) == 2, output
    assert "$ xacct-infra credentials --profile xacct-demo-instance --format json" in output
    assert '"SessionToken": "<redacted: ' in output
    assert "acting as arn:aws:sts::111111111111:assumed-role/xacct-access/" in output
    assert "$ xacct-infra verify --profile xacct-demo-instance --roundtrip --emulator" in output
    assert "verify passed with 4 denial(s) not proven" in output
    assert output.rstrip().splitlines()[-1].startswith("Demo finished")
    assert "$ xacct-infra audit\n" in output and "OK: the live accounts allow exactly what the config grants" in output
    assert "FQoGZXIvYXdz" not in output  # every emulator session token starts like this


def test_redaction_keeps_nothing_secret() -> None:
    text = _redacted('{"AccessKeyId": "ASIAABCDEFGH", "SecretAccessKey": "s3cr3t", "SessionToken": "t0k3n", "Region": "us-east-1"}')
    assert "s3cr3t" not in text and "t0k3n" not in text and "ABCDEFGH" not in text and "us-east-1" in text
    assert "hidden" in _redacted("export AWS_SECRET_ACCESS_KEY=s3cr3t")
