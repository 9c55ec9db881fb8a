"""Account A: the role(s) Account B's instance roles may assume, scoped to tables and keys.

One role per consumer group (the main role for consumers that take everything Account A
grants); with a single consumer this is exactly the seed's one role.
"""

from __future__ import annotations

from awacs.aws import PolicyDocument
from troposphere import GetAtt, Output, Ref, Tags, Template
from troposphere.iam import ManagedPolicy, Policy, Role

from xacct_infra import __version__, limits, policies
from xacct_infra.config import AccessRole, Config
from xacct_infra.errors import TemplateLimitError
from xacct_infra.stacks.inputs import digest

ROLE = "AccessRole"
MANAGED = "AccessPolicy"
TAGS = {"managed-by": "xacct-infra"}


class AccountATemplate:
    def __init__(self, config: Config) -> None:
        self.config = config

    def build(self) -> Template:
        a, consumers = self.config.account_a, self.config.consumers
        if len(consumers) == 1:
            b = consumers[0]
            description = (f"xacct-infra Account A ({a.id}): role {a.role_name} that Account B ({b.id}) instance role "
                           f"{b.role_name} may assume for the configured DynamoDB tables and KMS keys")
        else:
            accounts = len({b.id for b in consumers})
            trust = "any account of the organization" if a.trust == "org" else f"{accounts} consumer account(s)"
            description = (f"xacct-infra Account A ({a.id}): roles for {len(consumers)} consumers in {trust}, "
                           "scoped to the configured DynamoDB tables and KMS keys")
        t = Template(Description=description)
        t.set_version("2010-09-09")
        t.set_metadata({"XacctInfra": {"Generator": f"xacct-infra {__version__}",
                                       "ConfigDigest": digest(self.config, "a")}})
        for access_role in self.config.access_roles():
            self._add_role(t, access_role)
        return t

    def _add_role(self, t: Template, access_role: AccessRole) -> None:
        a, group = self.config.account_a, access_role.group
        trust = policies.account_a_trust_policy(access_role)
        self._check_trust(trust, access_role)
        packed = limits.pack_access(access_role, source=self.config.source)
        role = Role(
            access_role.logical_id,
            RoleName=access_role.name,
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
        prefix = f"{MANAGED}{access_role.logical_id[len(ROLE):]}"
        for number, document in enumerate(packed.managed, 1):
            t.add_resource(ManagedPolicy(
                f"{prefix}{number}", ManagedPolicyName=f"{access_role.name}-access-{number}", Path=a.role_path,
                Description=f"xacct-infra grants for {access_role.name}, part {number} of {len(packed.managed)}",
                PolicyDocument=document))
        if packed.managed:
            role.ManagedPolicyArns = [Ref(f"{prefix}{n}") for n in range(1, len(packed.managed) + 1)]
        t.add_resource(role)
        who = "Account B assumes" if not group else f"consumer group {group} assumes"
        t.add_output(Output(access_role.output, Description=f"ARN that {who}", Value=GetAtt(access_role.logical_id, "Arn")))

    def _check_trust(self, trust: PolicyDocument, access_role: AccessRole) -> None:
        a, source = self.config.account_a, self.config.source
        n = len(access_role.consumers)
        if n == 1 or a.trust == "org":
            what = "account_a: Account A's trust policy" if not access_role.group else f"account_a: the trust policy of {access_role.name}"
            limits.check_trust(trust, a, source, what)
            return
        size = limits.chars(trust, region=a.region, account_id=a.id)
        if size > a.trust_policy_quota:
            per = size // n
            raise TemplateLimitError(
                f"{source}: account_b: the trust policy of {access_role.name} lists {n} consumer roles and is {size:,} "
                f"characters (about {per} per consumer, counted without whitespace for partition {limits.WORST_PARTITION}), "
                f"over the quota of {a.trust_policy_quota:,} (about {max(1, (a.trust_policy_quota - (size - per * n)) // per)} consumers fit). "
                "Options: (a) trust the organization instead of a list: account_a.trust = \"org\" with org_id or org_paths; "
                "(b) put consumers in groups (group = \"...\" on each [[account_b]]), one Account A role per group; "
                "(c) raise the IAM quota 'Role trust policy length' (up to 4,096) and set account_a.trust_policy_quota")
