"""Run the real `deploy` command against a scripted CloudFormation, for tests/test_terminal.py,
which runs this module in a tmux pane (a real pseudo-terminal).

The stack's events carry reasons far wider than 80 columns. Fake time advances by the whole
poll interval while the process really sleeps a few milliseconds. With ``--pause FIFO`` the
clock stops once, after the resource events have been drawn, until the test writes a line to
FIFO (the test resizes the terminal meanwhile). Everything else (the reporter chosen for a
terminal, its clock, the command's output) is the CLI's own.
"""

from __future__ import annotations

import sys
import time

from tests.conftest import ROOT
from tests.fakes import FakeClients, FakeClock, FakeCloudFormation, Step
from xacct_infra.cli import cli

LONG = ("Resource creation Initiated; waiting for IAM to propagate the new role to every region before "
        "CloudFormation marks it complete (this reason is much wider than an 80-column terminal)")
POLICY = "AccessPolicyWithAVeryLongLogicalIdForTheTable"


class PausingClock(FakeClock):
    def __init__(self, fifo: str | None) -> None:
        super().__init__()
        self.fifo = fifo

    def sleep(self, seconds: float) -> None:
        time.sleep(0.002)
        self.t += seconds
        if self.fifo and self.t - 1000.0 > 8:  # both resources are in progress and "elapsed" is shown
            with open(self.fifo) as handle:  # blocks until the test has resized and writes
                handle.readline()
            self.fifo = None


CLOCK = PausingClock(None)


def scripted(target: object) -> FakeCloudFormation:
    cfn = FakeCloudFormation(CLOCK)
    cfn.on_execute = [
        Step(1, "CREATE_IN_PROGRESS", "AccessRole", "CREATE_IN_PROGRESS", LONG),
        Step(2, "CREATE_IN_PROGRESS", POLICY, "CREATE_IN_PROGRESS", LONG, "AWS::IAM::ManagedPolicy"),
        Step(40, "CREATE_IN_PROGRESS", "AccessRole", "CREATE_COMPLETE"),
        Step(41, "CREATE_IN_PROGRESS", POLICY, "CREATE_COMPLETE", resource_type="AWS::IAM::ManagedPolicy"),
        Step(42, "CREATE_COMPLETE"),
    ]
    return cfn


if __name__ == "__main__":
    extra = sys.argv[1:]
    if "--pause" in extra:
        CLOCK.fifo = extra[extra.index("--pause") + 1]
        del extra[extra.index("--pause"):extra.index("--pause") + 2]
    cli(["deploy", "--account-a", "--yes", "--no-termination-protection", "--config", str(ROOT / "xacct.toml"), *extra],
        prog_name="xacct-infra", obj=FakeClients(scripted, clock=lambda interrupts: CLOCK))
