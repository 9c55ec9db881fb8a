"""Fixtures for `credentials`, `exec`, `profile` and `verify` (see creds_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from creds_support import A_ID, AWS_VARS, B_ID, REGION, Emulated


@pytest.fixture
def emulated(emulator_server: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Emulated:
    """A clean emulator: Account A has tables keystore (read-write) and keystore-audit (read)
    and one KMS key; profile `instance` is Account B's instance role; `owner`/`consumer` are
    A's and B's admin identities."""
    from xacct_infra import local

    emu = emulator_server
    emu.reset()  # type: ignore[attr-defined]
    for name in AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for key, value in emu.env().items():  # type: ignore[attr-defined]
        monkeypatch.setenv(key, value)
    instance = emu.add_profile("instance", B_ID, REGION, role_name="xacct-instance")  # type: ignore[attr-defined]
    emu.add_profile("owner", A_ID, REGION)  # type: ignore[attr-defined]
    emu.add_profile("consumer", B_ID, REGION)  # type: ignore[attr-defined]
    local.create_sample_data(emu, A_ID, REGION, ["keystore", "keystore-audit"])  # type: ignore[arg-type]
    key_id = local.create_sample_key(emu, A_ID, REGION)  # type: ignore[arg-type]
    # Account A's role, as its stack would create it (verify --emulator checks that it exists)
    emu.client("iam", credentials=emu.mint(A_ID)).create_role(  # type: ignore[attr-defined]
        RoleName="xacct-access", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    setup = Emulated(emu, tmp_path / "xacct.toml", key_id, instance)
    setup.write_config(setup.config)
    return setup
