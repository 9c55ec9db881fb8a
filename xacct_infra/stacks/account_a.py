"""Account A: the role Account B's instance role may assume, scoped to tables and keys."""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Tags, Template
from troposphere.iam import ManagedPolicy, Policy, Role

from xacct_infra import __version__, limits, policies
from xacct_infra.config import Config

ROLE = "AccessRole"
MANAGED = "AccessPolicy"
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
        trust = policies.account_a_trust_policy(a, b)
        limits.check_trust(trust, a, self.config.source, "account_a: Account A's trust policy")
        packed = limits.pack_access(a, source=self.config.source)
        role = Role(
            ROLE,
            RoleName=a.role_name,
            Path=a.role_path,
            MaxSessionDuration=a.max_session_duration,
            AssumeRolePolicyDocument=trust,
            Tags=Tags(**TAGS),
        )
        if packed.inline is not None:
            role.Policies = [Policy(PolicyName="xacct-access", PolicyDocument=packed.inline)]
        if a.permissions_boundary:
            role.PermissionsBoundary = a.permissions_boundary
        # Grants too large for the role's inline policy go to managed policies attached to it.
        for number, document in enumerate(packed.managed, 1):
            t.add_resource(ManagedPolicy(
                f"{MANAGED}{number}", ManagedPolicyName=f"{a.role_name}-access-{number}", Path=a.role_path,
                Description=f"xacct-infra grants for {a.role_name}, part {number} of {len(packed.managed)}",
                PolicyDocument=document))
        if packed.managed:
            role.ManagedPolicyArns = [Ref(f"{MANAGED}{n}") for n in range(1, len(packed.managed) + 1)]
        t.add_resource(role)
        t.add_output(Output("RoleArn", Description="ARN that Account B assumes", Value=GetAtt(ROLE, "Arn")))
        return t
