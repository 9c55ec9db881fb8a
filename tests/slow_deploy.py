"""Run the real CLI against a scripted CloudFormation whose update never finishes by itself.

Used by test_sigint.py, which sends this process a real SIGINT. Its clock really sleeps for
a few milliseconds per poll (a signal needs a running process) and advances fake time by
the full poll interval.
"""

from __future__ import annotations

import sys
import time

from tests.conftest import ROOT
from tests.fakes import FakeClients, FakeClock, FakeCloudFormation, Step
from xacct_infra import config, render
from xacct_infra.aws import Target
from xacct_infra.cli import cli
from xacct_infra.deploy.deployer import OWNER_TAG


class SlowClock(FakeClock):
    def sleep(self, seconds: float) -> None:
        time.sleep(0.02)
        self.t += seconds


CLOCK = SlowClock()  # one fake time for every stack of the process


def slow_update(target: Target) -> FakeCloudFormation:
    cfn = FakeCloudFormation(CLOCK)
    body = render.template_body(config.load(ROOT / "xacct.toml"), "a")
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template=body.replace("keystore-audit", "old"), protection=True,
                  tags=[{"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"}])
    cfn.on_execute = [Step(1, "UPDATE_IN_PROGRESS", "AccessRole", "UPDATE_IN_PROGRESS"), Step(10**6, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(1, "UPDATE_ROLLBACK_IN_PROGRESS", "AccessRole", "UPDATE_COMPLETE"), Step(2, "UPDATE_ROLLBACK_COMPLETE")]
    if "--never-rolls-back" in sys.argv:
        cfn.on_cancel = [Step(10**6, "UPDATE_ROLLBACK_COMPLETE")]
    return cfn


CONSUMERS = """
[account_a]
id = "111111111111"
region = "us-east-1"
[[account_a.tables]]
name = "keystore"
access = "read"
[[account_b]]
name = "one"
id = "222222222222"
region = "us-east-1"
profile = "one"
[[account_b]]
name = "two"
id = "333333333333"
region = "us-east-1"
profile = "two"
[[account_b]]
name = "three"
id = "444444444444"
region = "us-east-1"
profile = "three"
"""


ACCOUNTS = {"one": "222222222222", "two": "333333333333", "three": "444444444444"}


def slow_consumer(target: Target) -> FakeCloudFormation:
    cfn = FakeCloudFormation(CLOCK)
    account = ACCOUNTS[str(target.profile)]
    cfn.add_stack("xacct-account-b", "UPDATE_COMPLETE", template="old", protection=True,
                  tags=[{"Key": OWNER_TAG, "Value": f"account_b:{account}:xacct-account-b"}])
    cfn.on_execute = [Step(1, "UPDATE_IN_PROGRESS", "InstanceRole", "UPDATE_IN_PROGRESS"), Step(10**6, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(2, "UPDATE_ROLLBACK_COMPLETE")]
    return cfn


if __name__ == "__main__":
    if "--consumers" in sys.argv:
        import tempfile
        from pathlib import Path

        path = Path(tempfile.mkdtemp(prefix="xacct-slow-")) / "xacct.toml"
        path.write_text(CONSUMERS)
        clients = FakeClients(slow_consumer, clock=lambda interrupts: CLOCK, account_for=lambda t: ACCOUNTS[str(t.profile)])
        args = ["deploy", "--account-b", "--yes", "--jobs", "2", "--config", str(path)]
    else:
        clients = FakeClients(slow_update, clock=lambda interrupts: CLOCK)
        args = ["deploy", "--account-a", "--yes", "--config", str(ROOT / "xacct.toml")]
    cli(args, prog_name="xacct-infra", obj=clients)
