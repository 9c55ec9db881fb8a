"""What the user sees: plain lines off a terminal, a redrawn table on one, prompts only when interactive."""

from __future__ import annotations

import datetime as dt
import io
import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import EMU_CONFIG, ROOT
from xacct_infra.cli.deploy import is_interactive
from xacct_infra.cli.progress import LineReporter, LiveReporter, reporter_for
from xacct_infra.deploy.plan import ResourceChange

EVENT = {"StackName": "s", "LogicalResourceId": "AccessRole", "ResourceType": "AWS::IAM::Role",
         "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": "Invalid principal",
         "Timestamp": dt.datetime(2026, 1, 2, 3, 4, 5)}


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_non_terminal_gets_one_plain_line_per_event() -> None:
    out = io.StringIO()
    LineReporter(out).event(EVENT)
    assert out.getvalue() == "03:04:05 s AccessRole AWS::IAM::Role CREATE_FAILED: Invalid principal\n"


def test_terminal_gets_a_live_table_redrawn_in_place() -> None:
    out = FakeTTY()
    reporter = reporter_for(out)
    assert isinstance(reporter, LiveReporter)
    reporter.event({**EVENT, "ResourceStatus": "CREATE_IN_PROGRESS", "ResourceStatusReason": ""})
    reporter.event(EVENT)
    text = out.getvalue()
    assert "\x1b[1F\x1b[J" in text  # moved up over the previous table and cleared it
    assert text.rstrip().endswith("CREATE_FAILED: Invalid principal\x1b[0m")


def test_plan_highlights_replacement_and_lists_iam_changes() -> None:
    out = io.StringIO()
    LineReporter(out).plan("s", [ResourceChange("Modify", "AccessRole", "AWS::IAM::Role", "True"),
                                 ResourceChange("Add", "Profile", "AWS::IAM::InstanceProfile", "")],
                           ["AccessRole/p: Allow dynamodb:GetItem on t"], ["AccessRole/p: Allow dynamodb:Scan on t"])
    lines = out.getvalue().splitlines()
    assert "  ~ Modify AccessRole (AWS::IAM::Role)  REPLACEMENT" in lines
    assert "  + Add    Profile (AWS::IAM::InstanceProfile)" in lines
    assert "  + AccessRole/p: Allow dynamodb:GetItem on t" in lines
    assert "  - AccessRole/p: Allow dynamodb:Scan on t" in lines


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("stdin", "stderr", "asks"), [(True, True, True), (True, False, False), (False, True, False),
                                                        (False, False, False)])
def test_only_a_terminal_on_both_stdin_and_stderr_counts_as_interactive(stdin: bool, stderr: bool, asks: bool) -> None:
    assert is_interactive(Stream(stdin), Stream(stderr)) is asks


def test_non_interactive_deploy_never_prompts(emulator, run, write_config) -> None:
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)), input="")
    assert result.exit_code == 0
    assert "[y/N]" not in result.stderr


def test_on_a_real_terminal_deploy_asks_and_a_no_deletes_the_change_set(emulator, write_config) -> None:
    """stdin and stderr on a pseudo-terminal (the detection itself, not a patched one)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "xacct_infra", "deploy", "--account-a", "--config", str(write_config(EMU_CONFIG))],
                            stdin=slave, stderr=slave, stdout=subprocess.PIPE, cwd=ROOT)
    os.close(slave)
    seen = b""
    while b"[y/N]" not in seen:
        chunk = os.read(master, 4096)
        assert chunk, seen
        seen += chunk
    os.write(master, b"n\n")
    assert proc.wait(timeout=60) == 1
    while b"declined" not in seen:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed
            break
        seen += chunk
    os.close(master)
    assert b"Deploy these changes to xacct-account-a" in seen and b"declined" in seen
    cfn = emulator.client("cloudformation", credentials=emulator.mint("111111111111"))
    stacks = cfn.list_stacks()["StackSummaries"]
    assert stacks and all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)
