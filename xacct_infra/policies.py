"""IAM policy documents (awacs), pure functions of the config. No boto3, no I/O.

ARNs are written with ``${AWS::Partition}`` inside ``Fn::Sub`` so one template serves every
partition; account ids and regions come from the config, so each grant reads as exactly
what the config says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from awacs import dynamodb, kms, sts
from awacs.aws import (
    Action,
    Allow,
    ArnEquals,
    ArnLike,
    AWSPrincipal,
    Condition,
    ConditionElement,
    ForAnyValueStringLike,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
    StringEqualsIfExists,
)
from troposphere import Sub

from xacct_infra import arns, kinds
from xacct_infra.config import AccessRole, AccountA, Consumer, Key, Table
from xacct_infra.config.model import camel

P = arns.PARTITION_SUB
VERSION = "2012-10-17"

# Access levels, exactly as documented in the README ("Access levels").
TABLE_READ: tuple[Action, ...] = (dynamodb.DescribeTable, dynamodb.GetItem, dynamodb.BatchGetItem, dynamodb.Query, dynamodb.Scan)
TABLE_WRITE: tuple[Action, ...] = (dynamodb.DescribeTable, dynamodb.PutItem, dynamodb.UpdateItem, dynamodb.DeleteItem, dynamodb.BatchWriteItem)
INDEX_READ: tuple[Action, ...] = (dynamodb.Query, dynamodb.Scan)
KEY_DECRYPT: tuple[Action, ...] = (kms.Decrypt, kms.DescribeKey)
KEY_ENCRYPT: tuple[Action, ...] = (kms.Encrypt, kms.GenerateDataKey, kms.DescribeKey)

# Write access that cannot read: PutItem/UpdateItem/DeleteItem return the item's old or new
# contents when asked (ReturnValues ALL_OLD, ALL_NEW, UPDATED_OLD, UPDATED_NEW), so a
# write-only table's statement allows them only when dynamodb:ReturnValues is absent or NONE
# (StringEqualsIfExists), in a statement of their own (DescribeTable and BatchWriteItem do not
# know the key). read-write tables are unaffected.
RETURN_VALUES_KEY = "dynamodb:ReturnValues"
RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
RETURNING_ACTIONS: tuple[Action, ...] = (dynamodb.PutItem, dynamodb.UpdateItem, dynamodb.DeleteItem)

_SIDS = {"read": "Read", "write": "Write", "read-write": "ReadWrite",
         "decrypt": "Decrypt", "encrypt": "Encrypt", "encrypt-decrypt": "EncryptDecrypt"}


def table_actions(table: Table) -> tuple[Action, ...]:
    actions: list[Action] = []
    if table.can_read:
        actions += TABLE_READ
    if table.can_write:
        actions += TABLE_WRITE
    return _unique(actions)


def key_actions(key: Key) -> tuple[Action, ...]:
    actions: list[Action] = []
    if key.can_decrypt:
        actions += KEY_DECRYPT
    if key.can_encrypt:
        actions += KEY_ENCRYPT
    return _unique(actions)


def table_resource(a: AccountA, table: Table) -> Sub:
    return Sub(arns.table_arn(P, a.region, a.id, table.name))


def index_resource(a: AccountA, table: Table) -> Sub:
    return Sub(arns.index_arn(P, a.region, a.id, table.name))


def key_resource(a: AccountA, key: Key) -> Sub:
    return Sub(arns.key_arn(P, key.region, a.id, key.key_id))


@dataclass(frozen=True)
class AccessGrant:
    """One statement's worth of grants: an access level's actions on every resource at that level."""

    sid: str
    actions: tuple[Action, ...]
    resources: tuple[Sub, ...]
    write_only: bool = False  # writes that may not return item contents (see WRITE_ONLY)

    def statement(self, resources: Sequence[Sub] | None = None, sid: str | None = None) -> Statement:
        extra = {"Condition": Condition(StringEqualsIfExists(RETURN_VALUES_KEY, "NONE"))} if self.write_only else {}
        return Statement(Sid=sid or self.sid, Effect=Allow, Action=list(self.actions),
                         Resource=list(self.resources if resources is None else resources), **extra)


def access_grants(role: AccessRole) -> list[AccessGrant]:
    """DynamoDB and KMS grants on exactly the configured tables, indexes and keys.

    One statement per access level, listing every resource at that level, so the policy
    reads like the config and stays small (IAM counts policy characters).
    """
    a = role.owner
    grants: list[AccessGrant] = []
    for access in ("read", "write", "read-write"):
        tables = [t for t in role.tables if t.access == access]
        if tables:
            resources = tuple(table_resource(a, t) for t in tables)
            if tables[0].can_read:
                grants.append(AccessGrant(f"DynamoDB{_SIDS[access]}", table_actions(tables[0]), resources))
            else:  # write-only: the item writes in a statement of their own, which may not return values
                returning = {x.JSONrepr() for x in RETURNING_ACTIONS}
                grants.append(AccessGrant("DynamoDBWrite", tuple(x for x in TABLE_WRITE if x.JSONrepr() not in returning), resources))
                grants.append(AccessGrant("DynamoDBWriteItems", RETURNING_ACTIONS, resources, write_only=True))
    indexed = [t for t in role.tables if t.indexes and t.can_read]
    if indexed:
        grants.append(AccessGrant("DynamoDBIndexRead", INDEX_READ, tuple(index_resource(a, t) for t in indexed)))
    for access in ("decrypt", "encrypt", "encrypt-decrypt"):
        keys = [k for k in role.keys if k.access == access]
        if keys:
            grants.append(AccessGrant(f"KMS{_SIDS[access]}", key_actions(keys[0]), tuple(key_resource(a, k) for k in keys)))
    return grants


def access_policy(role: AccessRole) -> PolicyDocument:
    """All of :func:`access_grants` in one document (what a role holds when it fits inline)."""
    return document([g.statement() for g in access_grants(role)])


def document(statements: list[Statement]) -> PolicyDocument:
    return PolicyDocument(Version=VERSION, Statement=statements)


def account_a_trust_policy(role: AccessRole) -> PolicyDocument:
    """Who may assume an Account A role: the consumers of ``role``.

    ``trust = "roles"``: each consumer account's root as principal, narrowed to the
    consumers' roles by ``ArnEquals aws:PrincipalArn``. Trusting the root with a
    condition (rather than naming B's role as principal) lets Account A deploy before B's role
    exists and keeps trust intact if B's role is recreated: IAM resolves principal role ARNs
    to internal ids, but not condition values. A root in the principal list only admits that
    account's principals, and ``aws:PrincipalArn`` contains the account, so listing several
    roots and several role ARNs admits exactly the listed roles. An EC2 consumer with
    ``vpc_ids`` gets a statement of its own that also requires ``aws:Ec2InstanceSourceVpc``.

    ``trust = "org"``: any principal (``*``) of the organization (``aws:PrincipalOrgID`` /
    ``aws:PrincipalOrgPaths``) whose ARN is a consumer role of the consumers' path and name
    (``ArnLike aws:PrincipalArn arn:<partition>:iam::*:role/<path><name>``).

    EKS Pod Identity sessions carry transitive session tags into the AssumeRole, which STS
    only accepts when the trust also allows ``sts:TagSession``: one more statement allows it,
    for the Pod Identity consumers' roles only (the same ``aws:PrincipalArn``), and nothing else.
    """
    a, consumers = role.owner, role.consumers
    equals: dict[str, Any] = {}
    if a.external_id:
        equals["sts:ExternalId"] = a.external_id
    tagging = [c for c in consumers if c.spec.tag_session]
    if a.trust == "org":
        org: dict[str, Any] = {"aws:PrincipalOrgID": a.org_id} if a.org_id else {}

        def org_statement(sid: str, action: Action, members: Sequence[Consumer], extra: dict[str, Any]) -> Statement:
            roles = list(dict.fromkeys(arns.any_account_role_arn(P, c.role_path, c.role_name) for c in members))
            conditions: list[ConditionElement] = [ArnLike("aws:PrincipalArn", _one_or_many([Sub(r) for r in roles]))]
            if a.org_paths:  # an OU path admits the accounts of its child OUs too, as StackSets deploy to them
                conditions.append(ForAnyValueStringLike("aws:PrincipalOrgPaths", [f"{path}*" for path in a.org_paths]))
            if org or extra:
                conditions.append(StringEquals({**org, **extra}))
            return Statement(Sid=sid, Effect=Allow, Principal=AWSPrincipal("*"), Action=[action], Condition=Condition(conditions))

        statements = [org_statement("AssumeFromOrganizationInstanceRoles", sts.AssumeRole, consumers, equals)]
        if tagging:
            statements.append(org_statement("TagSessionFromOrganizationPodIdentityRoles", sts.TagSession, tagging, {}))
        return PolicyDocument(Version=VERSION, Statement=statements)
    plain = [c for c in consumers if not c.vpc_ids]
    statements = []
    if plain:
        instances = all(c.kind == "ec2" for c in plain)
        sid = ("AssumeFromAccountBInstanceRole" if instances else "AssumeFromConsumerRole") if len(plain) == 1 else (
            "AssumeFromConsumerInstanceRoles" if instances else "AssumeFromConsumerRoles")
        statements.append(_roles_statement(sid, sts.AssumeRole, plain, equals))
    for c in consumers:
        if c.vpc_ids:
            statements.append(_roles_statement(f"AssumeFrom{camel(c.name)}InVpcs", sts.AssumeRole, [c],
                                               {**equals, "aws:Ec2InstanceSourceVpc": _one_or_many(list(c.vpc_ids))}))
    if tagging:
        statements.append(_roles_statement("TagSessionFromPodIdentityRoles", sts.TagSession, tagging, {}))
    return PolicyDocument(Version=VERSION, Statement=statements)


def _roles_statement(sid: str, action: Action, consumers: Sequence[Consumer], equals: dict[str, Any]) -> Statement:
    """``action`` for exactly these consumers' roles: their accounts' roots narrowed by ``aws:PrincipalArn``."""
    roots = list(dict.fromkeys(arns.account_root_arn(P, c.id) for c in consumers))
    role_arns = [arns.role_arn(P, c.id, c.role_path, c.role_name) for c in consumers]
    conditions: list[ConditionElement] = [ArnEquals("aws:PrincipalArn", _one_or_many([Sub(r) for r in role_arns]))]
    if equals:
        conditions.append(StringEquals(equals))
    return Statement(Sid=sid, Effect=Allow, Principal=AWSPrincipal(_one_or_many([Sub(r) for r in roots])),
                     Action=[action], Condition=Condition(conditions))


def _one_or_many(values: list[Any]) -> Any:
    """A single value as a string (how the seed and most reviewers write it), several as a list."""
    return values[0] if len(values) == 1 else values


# ---------------------------------------------------------------- the consumer's side, one function per kind
#
# Each consumer kind's role is trusted by exactly one service, with the confused-deputy
# conditions that service documents (kinds.py; sources in the README, "Consumer kinds"). The
# account in those conditions is ${AWS::AccountId}: always the account the consumer's stack is
# deployed in, so one template serves every consumer of a kind (and every StackSet instance).

ACCOUNT_SUB = "${AWS::AccountId}"
REGION_SUB = "${AWS::Region}"


def ec2_trust_policy() -> PolicyDocument:
    """``ec2``: EC2 may assume the instance role (EC2 sends no confused-deputy keys for it)."""
    return PolicyDocument(Version=VERSION, Statement=[Statement(
        Sid="EC2InstancesAssume", Effect=Allow, Principal=Principal("Service", "ec2.amazonaws.com"),
        Action=[sts.AssumeRole])])


def lambda_trust_policy() -> PolicyDocument:
    """``lambda``: Lambda may assume the execution role for functions of this account."""
    return _service_trust(kinds.spec("lambda"), "LambdaAssume")


def ecs_task_trust_policy() -> PolicyDocument:
    """``ecs-task``: ECS may assume the task role for tasks of this account and region."""
    return _service_trust(kinds.spec("ecs-task"), "EcsTasksAssume")


def codebuild_trust_policy() -> PolicyDocument:
    """``codebuild``: CodeBuild may assume the service role for projects of this account and region."""
    return _service_trust(kinds.spec("codebuild"), "CodeBuildAssume")


def eks_pod_identity_trust_policy(consumer: Consumer) -> PolicyDocument:
    """``eks-pod-identity``: Pod Identity may assume (and tag) the role for this account, and, when
    configured, only for that cluster, namespace and service account (its session tags)."""
    tags: dict[str, Any] = {}
    if consumer.cluster:
        tags["aws:RequestTag/eks-cluster-arn"] = Sub(arns.eks_cluster_arn(P, REGION_SUB, ACCOUNT_SUB, consumer.cluster))
    if consumer.namespace:
        tags["aws:RequestTag/kubernetes-namespace"] = consumer.namespace
    if consumer.service_account:
        tags["aws:RequestTag/kubernetes-service-account"] = consumer.service_account
    return _service_trust(kinds.spec("eks-pod-identity"), "EksPodIdentityAssume", tags)


def consumer_trust_policy(consumer: Consumer) -> PolicyDocument | None:
    """The trust policy of the role a consumer's template creates; None for ``existing-role``
    (xacct-infra creates no role there and does not own its trust)."""
    if consumer.kind == "ec2":
        return ec2_trust_policy()
    if consumer.kind == "lambda":
        return lambda_trust_policy()
    if consumer.kind == "ecs-task":
        return ecs_task_trust_policy()
    if consumer.kind == "codebuild":
        return codebuild_trust_policy()
    if consumer.kind == "eks-pod-identity":
        return eks_pod_identity_trust_policy(consumer)
    return None


def _service_trust(spec: kinds.KindSpec, sid: str, extra: dict[str, Any] | None = None) -> PolicyDocument:
    assert spec.service is not None
    equals: dict[str, Any] = {"aws:SourceAccount": Sub(ACCOUNT_SUB)} if spec.source_account else {}
    equals.update(extra or {})
    conditions: list[ConditionElement] = []
    if equals:
        conditions.append(StringEquals(equals))
    if spec.source_arn:
        conditions.append(ArnLike("aws:SourceArn", Sub(spec.source_arn(P, REGION_SUB, ACCOUNT_SUB))))
    actions = [sts.AssumeRole, sts.TagSession] if spec.tag_session else [sts.AssumeRole]
    statement = Statement(Sid=sid, Effect=Allow, Principal=Principal("Service", spec.service), Action=actions)
    if conditions:
        statement.Condition = Condition(conditions)
    return PolicyDocument(Version=VERSION, Statement=[statement])


def consumer_actions(consumer: Consumer) -> list[Action]:
    """What a consumer's role may do on its Account A role: assume it; a Pod Identity role also
    tags the session, because its own session tags are transitive and travel into that AssumeRole."""
    return [sts.AssumeRole, sts.TagSession] if consumer.spec.tag_session else [sts.AssumeRole]


def assume_account_a_policy(role: AccessRole, consumer: Consumer | None = None) -> PolicyDocument:
    """A consumer's only permission: sts:AssumeRole (and for Pod Identity sts:TagSession) on the
    one Account A role ARN."""
    actions = consumer_actions(consumer) if consumer is not None else [sts.AssumeRole]
    return PolicyDocument(Version=VERSION, Statement=[Statement(
        Sid="AssumeAccountARole", Effect=Allow, Action=actions,
        Resource=[Sub(arns.role_arn(P, role.owner.id, role.path, role.name))])])


def _unique(actions: Iterable[Action]) -> tuple[Action, ...]:
    seen: dict[str, Action] = {}
    for action in actions:
        seen.setdefault(action.JSONrepr(), action)
    return tuple(seen.values())

