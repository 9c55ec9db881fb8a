"""What an endpoint lacks (termination protection, stack outputs: the emulator has neither) is said once
per run and endpoint, naming every stack it concerns, not once per stack (make demo, many consumers)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import A_ID, B_ID, EMU_CONFIG

PROTECTION, OUTPUTS = "does not support termination protection", "returned no outputs"


def notices(stderr: str, what: str) -> list[str]:
    return [line for line in stderr.splitlines() if what in line]


@pytest.mark.parametrize("output", ["text", "json"])
def test_each_notice_once_per_run_naming_the_endpoint_and_every_stack(emulator, run, write_config, output: str) -> None:
    cfg = str(write_config(EMU_CONFIG))
    for attempt in ("create", "no-op") if output == "text" else ("create",):
        result = run("deploy", "--all", "--config", cfg, "--output", output)
        assert result.exit_code == 0, result.stderr
        (protection,) = notices(result.stderr, PROTECTION)  # exactly one line: the information is all in it
        assert protection.startswith("warning: ") and emulator.url in protection, attempt
        assert "xacct-account-a" in protection and "xacct-account-b" in protection and "not protected" in protection
        (no_outputs,) = notices(result.stderr, OUTPUTS)
        assert emulator.url in no_outputs and "xacct-account-a" in no_outputs and "xacct-account-b" in no_outputs
    rows = json.loads(result.stdout) if output == "json" else None
    if rows is not None:  # and the rows still say it of each stack
        assert rows["account_a"]["known_from_config"] == {"RoleArn": f"arn:aws:iam::{A_ID}:role/xacct-access"}
        assert all("termination protection" in " ".join(row["unsupported"]) for row in rows.values())


def test_parallel_consumers_share_one_notice_that_names_each(emulator, run, write_config) -> None:
    emulator.add_profile("c2", "333333333333", "us-east-1")
    text = EMU_CONFIG.replace('[account_b]', '[[account_b]]\nname = "one"') + \
        '\n[[account_b]]\nname = "two"\nid = "333333333333"\nregion = "us-east-1"\nprofile = "c2"\n'
    result = run("deploy", "--account-b", "--config", str(write_config(text)))
    assert result.exit_code == 0, result.stderr
    (protection,) = notices(result.stderr, PROTECTION)
    assert "xacct-account-b [one]" in protection and "xacct-account-b [two]" in protection, protection
    (no_outputs,) = notices(result.stderr, OUTPUTS)
    assert "[one]" in no_outputs and "[two]" in no_outputs and B_ID not in no_outputs.split(":", 1)[0]
