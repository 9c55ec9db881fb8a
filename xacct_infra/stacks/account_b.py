"""A consumer account: the role its workload runs as, whose only permission is assuming its Account A role."""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Sub, Tags, Template
from troposphere.iam import InstanceProfile, ManagedPolicy, Policy, Role

from xacct_infra import __version__, arns, policies
from xacct_infra.config import Config, Consumer
from xacct_infra.stacks.account_a import TAGS
from xacct_infra.stacks.inputs import digest

ROLE = "InstanceRole"  # an EC2 consumer's role (the logical id every existing stack has)
WORKLOAD_ROLE = "ConsumerRole"  # the role of a Lambda, ECS task, CodeBuild or Pod Identity consumer
PROFILE = "InstanceProfile"
ASSUME_POLICY = "AssumeAccountAPolicy"  # existing-role: the one resource, attached to the named role
ASSUME_POLICY_NAME = "xacct-assume-account-a"


class ConsumerTemplate:
    """A consumer's stack, shaped by its kind: EC2 gets an instance role and profile; Lambda, ECS
    tasks, CodeBuild and Pod Identity a role trusted by exactly that service; an existing role
    only a managed policy attached to it by name. In every kind the consumer may only assume its
    own Account A role."""

    def __init__(self, config: Config, consumer: Consumer | None = None) -> None:
        self.config = config
        self.consumer = consumer or config.consumers[0]

    def build(self) -> Template:
        a, b = self.config.account_a, self.consumer
        target = self.config.access_role_for(b)
        # With several consumers the template names no consumer account, so every consumer with the
        # same role and Account A role shares it (and a StackSet can roll it out unchanged).
        where = f"Account B ({b.id})" if len(self.config.consumers) == 1 else "consumer"
        spec = b.spec
        what = f"{spec.label} {b.role_name}" if b.kind != "existing-role" else f"existing role {b.role_path}{b.role_name}"
        t = Template(Description=f"xacct-infra {where}: {what} allowed only to assume {target.name} in Account A ({a.id})")
        t.set_version("2010-09-09")
        t.set_metadata({"XacctInfra": {"Generator": f"xacct-infra {__version__}",
                                       "ConfigDigest": digest(self.config, "b", b)}})
        permissions = policies.assume_account_a_policy(target, b)
        if b.kind == "existing-role":
            t.add_resource(ManagedPolicy(
                ASSUME_POLICY, ManagedPolicyName=f"{b.role_name}-{ASSUME_POLICY_NAME}", Path=b.role_path,
                Description=f"xacct-infra: lets {b.role_name} assume {target.name} in Account A, and nothing else",
                PolicyDocument=permissions, Roles=[b.role_name]))
            t.add_output(Output("RoleArn", Description="The existing role (not managed by this stack)",
                                Value=Sub(arns.role_arn(arns.PARTITION_SUB, policies.ACCOUNT_SUB, b.role_path, b.role_name))))
            t.add_output(Output("PolicyArn", Description="The policy attached to it", Value=Ref(ASSUME_POLICY)))
            return t
        trust = policies.consumer_trust_policy(b)
        logical = ROLE if b.kind == "ec2" else WORKLOAD_ROLE
        t.add_resource(Role(
            logical,
            RoleName=b.role_name,
            Path=b.role_path,
            AssumeRolePolicyDocument=trust,
            Policies=[Policy(PolicyName="xacct-assume-account-a", PolicyDocument=permissions)],
            Tags=Tags(**TAGS),
        ))
        if b.kind != "ec2":
            t.add_output(Output("RoleArn", Description=f"The {spec.label}", Value=GetAtt(logical, "Arn")))
            return t
        t.add_resource(InstanceProfile(PROFILE, InstanceProfileName=b.role_name, Path=b.role_path, Roles=[Ref(ROLE)]))
        t.add_output(Output("RoleArn", Description="The instance role", Value=GetAtt(ROLE, "Arn")))
        t.add_output(Output("InstanceProfileName", Description="Launch EC2 instances with this profile", Value=Ref(PROFILE)))
        t.add_output(Output("InstanceProfileArn", Value=GetAtt(PROFILE, "Arn")))
        return t
