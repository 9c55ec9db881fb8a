"""Account B: an EC2 instance role whose only permission is assuming its Account A role."""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Tags, Template
from troposphere.iam import InstanceProfile, Policy, Role

from xacct_infra import __version__, policies
from xacct_infra.config import Config, Consumer
from xacct_infra.stacks.account_a import TAGS
from xacct_infra.stacks.inputs import digest

ROLE = "InstanceRole"
PROFILE = "InstanceProfile"


class ConsumerTemplate:
    def __init__(self, config: Config, consumer: Consumer | None = None) -> None:
        self.config = config
        self.consumer = consumer or config.consumers[0]

    def build(self) -> Template:
        a, b = self.config.account_a, self.consumer
        target = self.config.access_role_for(b)
        # With several consumers the template names no consumer account, so every consumer with the
        # same role and Account A role shares it (and a StackSet can roll it out unchanged).
        where = f"Account B ({b.id})" if len(self.config.consumers) == 1 else "consumer"
        t = Template(Description=(
            f"xacct-infra {where}: EC2 instance role {b.role_name} allowed only to assume "
            f"{target.name} in Account A ({a.id})"))
        t.set_version("2010-09-09")
        t.set_metadata({"XacctInfra": {"Generator": f"xacct-infra {__version__}",
                                       "ConfigDigest": digest(self.config, "b", b)}})
        t.add_resource(Role(
            ROLE,
            RoleName=b.role_name,
            Path=b.role_path,
            AssumeRolePolicyDocument=policies.ec2_trust_policy(),
            Policies=[Policy(PolicyName="xacct-assume-account-a", PolicyDocument=policies.assume_account_a_policy(target))],
            Tags=Tags(**TAGS),
        ))
        t.add_resource(InstanceProfile(PROFILE, InstanceProfileName=b.role_name, Path=b.role_path, Roles=[Ref(ROLE)]))
        t.add_output(Output("RoleArn", Description="The instance role", Value=GetAtt(ROLE, "Arn")))
        t.add_output(Output("InstanceProfileName", Description="Launch EC2 instances with this profile", Value=Ref(PROFILE)))
        t.add_output(Output("InstanceProfileArn", Value=GetAtt(PROFILE, "Arn")))
        return t
