"""Change-set deployer: the CloudFormation client is injected, progress goes to a reporter.

Nothing here prints; the CLI supplies a :class:`~xacct_infra.deploy.report.Reporter`.
"""

from xacct_infra.deploy.deployer import Deployer, DeployFailed, DeployOptions, DeployResult, StackSpec
from xacct_infra.deploy.poll import Clock, SystemClock

__all__ = ["Clock", "DeployFailed", "DeployOptions", "DeployResult", "Deployer", "StackSpec", "SystemClock"]
