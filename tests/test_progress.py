"""What the user sees: plain lines off a terminal, a redrawn table on one, prompts only when interactive."""

from __future__ import annotations

import datetime as dt
import io

from tests.conftest import EMU_CONFIG
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


def test_non_interactive_deploy_never_prompts(emulator, run, write_config) -> None:
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)), input="")
    assert result.exit_code == 0
    assert "[y/N]" not in result.stderr


def test_interactive_deploy_asks_and_a_no_deletes_the_change_set(emulator, run, write_config, monkeypatch) -> None:
    monkeypatch.setattr("xacct_infra.cli.deploy._interactive", lambda: True)
    result = run("deploy", "--account-a", "--config", str(write_config(EMU_CONFIG)), input="n\n")
    assert result.exit_code == 1
    assert "Deploy these changes to xacct-account-a" in result.stderr and "declined" in result.stderr
    cfn = emulator.client("cloudformation", credentials=emulator.mint("111111111111"))
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in cfn.list_stacks()["StackSummaries"])
