"""Change-set deployer: the CloudFormation client is injected, progress goes to a reporter.

Nothing here prints; the CLI supplies a :class:`~xacct_infra.deploy.report.Reporter`.
deployer.py runs one stack (changesets.py and watch.py are its parts), fleet.py many at
once, targets.py picks them from the config, interrupts.py makes Ctrl-C safe, status.py
names CloudFormation's statuses, stackset.py rolls B's template out as a StackSet.
"""

from xacct_infra.deploy.deployer import Deployer, DeployFailed, DeployOptions, DeployResult, StackSpec
from xacct_infra.deploy.poll import Clock, SystemClock

__all__ = ["Clock", "DeployFailed", "DeployOptions", "DeployResult", "Deployer", "StackSpec", "SystemClock"]
