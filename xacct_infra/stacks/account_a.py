"""Account A: the role Account B's instance role may assume, scoped to tables and keys."""

from __future__ import annotations

from troposphere import GetAtt, Output, Tags, Template
from troposphere.iam import Policy, Role

from xacct_infra import __version__, policies
from xacct_infra.config import Config

ROLE = "AccessRole"
TAGS = {"managed-by": "xacct-infra"}


class AccountATemplate:
    def __init__(self, config: Config) -> None:
        self.config = config

    def build(self) -> Template:
        a, b = self.config.account_a, self.config.account_b
        t = Template(Description=(
            f"xacct-infra Account A ({a.id}): role {a.role_name} that Account B ({b.id}) instance role "
            f"{b.role_name} may assume for the configured DynamoDB tables and KMS keys"))
        t.set_version("2010-09-09")
        t.set_metadata({"XacctInfra": {"Generator": f"xacct-infra {__version__}",
                                       "ConfigDigest": self.config.digest("a")}})
        role = Role(
            ROLE,
            RoleName=a.role_name,
            Path=a.role_path,
            MaxSessionDuration=a.max_session_duration,
            AssumeRolePolicyDocument=policies.account_a_trust_policy(a, b),
            Policies=[Policy(PolicyName="xacct-access", PolicyDocument=policies.access_policy(a))],
            Tags=Tags(**TAGS),
        )
        if a.permissions_boundary:
            role.PermissionsBoundary = a.permissions_boundary
        t.add_resource(role)
        t.add_output(Output("RoleArn", Description="ARN that Account B assumes", Value=GetAtt(ROLE, "Arn")))
        return t
