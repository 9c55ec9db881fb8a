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


if __name__ == "__main__":
    deploy_cli._deployer = fake_deployer  # type: ignore[assignment]
    sys.argv = ["xacct-infra", "deploy", "--account-a", "--yes", "--config", str(ROOT / "xacct.toml")]
    main()
