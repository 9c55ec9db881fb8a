"""Run the real CLI against a scripted CloudFormation whose update never finishes by itself.

Used by test_sigint.py, which sends this process a real SIGINT. Its clock really sleeps for
a few milliseconds per poll (a signal needs a running process) and advances fake time by
the full poll interval.
"""

from __future__ import annotations

import sys
import time

from tests.conftest import ROOT
from tests.fakes import FakeClock, FakeCloudFormation, Step
from xacct_infra import config, render
from xacct_infra.cli import deploy as deploy_cli
from xacct_infra.cli import main
from xacct_infra.cli.progress import LineReporter
from xacct_infra.deploy import Deployer
from xacct_infra.deploy.deployer import OWNER_TAG


class SlowClock(FakeClock):
    def sleep(self, seconds: float) -> None:
        time.sleep(0.02)
        self.t += seconds


def fake_deployer(side: object, guard: bool = True, **_: object) -> Deployer:
    clock = SlowClock()
    cfn = FakeCloudFormation(clock)
    body = render.template_body(config.load(ROOT / "xacct.toml"), "a")
    cfn.add_stack("xacct-account-a", "UPDATE_COMPLETE", template=body.replace("keystore-audit", "old"), protection=True,
                  tags=[{"Key": OWNER_TAG, "Value": "account_a:111111111111:xacct-account-a"}])
    cfn.on_execute = [Step(1, "UPDATE_IN_PROGRESS", "AccessRole", "UPDATE_IN_PROGRESS"), Step(10**6, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(1, "UPDATE_ROLLBACK_IN_PROGRESS", "AccessRole", "UPDATE_COMPLETE"), Step(2, "UPDATE_ROLLBACK_COMPLETE")]
    if "--never-rolls-back" in sys.argv:
        cfn.on_cancel = [Step(10**6, "UPDATE_ROLLBACK_COMPLETE")]
    return Deployer(cfn, clock=clock, reporter=LineReporter(sys.stderr))


class RelayedClock(FakeClock):
    """Fake time; each poll also gives the CLI's interrupt relay a chance to deliver Ctrl-C."""

    def __init__(self, relay_clock: object) -> None:
        super().__init__()
        self.relay_clock = relay_clock

    def sleep(self, seconds: float) -> None:
        self.relay_clock.sleep(0.02)  # type: ignore[attr-defined]  # raises KeyboardInterrupt when relayed
        self.t += seconds


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
[[account_b]]
name = "two"
id = "333333333333"
region = "us-east-1"
[[account_b]]
name = "three"
id = "444444444444"
region = "us-east-1"
"""


def fake_consumer_deployer(side: object, guard: bool = True, *, reporter: object = None, clock: object = None) -> Deployer:
    fake_clock = RelayedClock(clock)
    cfn = FakeCloudFormation(fake_clock)
    stack = side.stack_name  # type: ignore[attr-defined]
    value = f"account_b:{side.account_id}:{stack}"  # type: ignore[attr-defined]
    cfn.add_stack(stack, "UPDATE_COMPLETE", template="old", protection=True, tags=[{"Key": OWNER_TAG, "Value": value}])
    cfn.on_execute = [Step(1, "UPDATE_IN_PROGRESS", "InstanceRole", "UPDATE_IN_PROGRESS"), Step(10**6, "UPDATE_COMPLETE")]
    cfn.on_cancel = [Step(2, "UPDATE_ROLLBACK_COMPLETE")]
    return Deployer(cfn, clock=fake_clock, reporter=reporter)  # type: ignore[arg-type]


if __name__ == "__main__":
    if "--consumers" in sys.argv:
        import tempfile
        from pathlib import Path

        path = Path(tempfile.mkdtemp(prefix="xacct-slow-")) / "xacct.toml"
        path.write_text(CONSUMERS)
        deploy_cli._deployer = fake_consumer_deployer  # type: ignore[assignment]
        sys.argv = ["xacct-infra", "deploy", "--account-b", "--yes", "--jobs", "2", "--config", str(path)]
    else:
        deploy_cli._deployer = fake_deployer  # type: ignore[assignment]
        sys.argv = ["xacct-infra", "deploy", "--account-a", "--yes", "--config", str(ROOT / "xacct.toml")]
    main()
