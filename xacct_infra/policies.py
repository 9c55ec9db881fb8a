"""IAM policy documents (awacs), pure functions of the config. No boto3, no I/O.

ARNs are written with ``${AWS::Partition}`` inside ``Fn::Sub`` so one template serves every
partition; account ids and regions come from the config, so each grant reads as exactly
what the config says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from awacs import dynamodb, kms, sts
from awacs.aws import (
    Action,
    Allow,
    ArnEquals,
    AWSPrincipal,
    Condition,
    ConditionElement,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import Sub

from xacct_infra import arns
from xacct_infra.config import AccountA, AccountB, Key, Table

P = arns.PARTITION_SUB
VERSION = "2012-10-17"

# Access levels, exactly as documented in the README ("Access levels").
TABLE_READ: tuple[Action, ...] = (dynamodb.DescribeTable, dynamodb.GetItem, dynamodb.BatchGetItem, dynamodb.Query, dynamodb.Scan)
TABLE_WRITE: tuple[Action, ...] = (dynamodb.DescribeTable, dynamodb.PutItem, dynamodb.UpdateItem, dynamodb.DeleteItem, dynamodb.BatchWriteItem)
INDEX_READ: tuple[Action, ...] = (dynamodb.Query, dynamodb.Scan)
KEY_DECRYPT: tuple[Action, ...] = (kms.Decrypt, kms.DescribeKey)
KEY_ENCRYPT: tuple[Action, ...] = (kms.Encrypt, kms.GenerateDataKey, kms.DescribeKey)

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

    def statement(self, resources: Sequence[Sub] | None = None, sid: str | None = None) -> Statement:
        return Statement(Sid=sid or self.sid, Effect=Allow, Action=list(self.actions),
                         Resource=list(self.resources if resources is None else resources))


def access_grants(a: AccountA) -> list[AccessGrant]:
    """DynamoDB and KMS grants on exactly the configured tables, indexes and keys.

    One statement per access level, listing every resource at that level, so the policy
    reads like the config and stays small (IAM counts policy characters).
    """
    grants: list[AccessGrant] = []
    for access in ("read", "write", "read-write"):
        tables = [t for t in a.tables if t.access == access]
        if tables:
            grants.append(AccessGrant(f"DynamoDB{_SIDS[access]}", table_actions(tables[0]), tuple(table_resource(a, t) for t in tables)))
    indexed = [t for t in a.tables if t.indexes and t.can_read]
    if indexed:
        grants.append(AccessGrant("DynamoDBIndexRead", INDEX_READ, tuple(index_resource(a, t) for t in indexed)))
    for access in ("decrypt", "encrypt", "encrypt-decrypt"):
        keys = [k for k in a.keys if k.access == access]
        if keys:
            grants.append(AccessGrant(f"KMS{_SIDS[access]}", key_actions(keys[0]), tuple(key_resource(a, k) for k in keys)))
    return grants


def access_policy(a: AccountA) -> PolicyDocument:
    """All of :func:`access_grants` in one document (what a role holds when it fits inline)."""
    return document([g.statement() for g in access_grants(a)])


def document(statements: list[Statement]) -> PolicyDocument:
    return PolicyDocument(Version=VERSION, Statement=statements)


def account_a_trust_policy(a: AccountA, b: AccountB) -> PolicyDocument:
    """Account B's root as principal, narrowed to B's instance role by ``aws:PrincipalArn``.

    Trusting the root with an ArnEquals condition (rather than naming B's role as principal)
    lets Account A deploy before B's role exists and keeps trust intact if B's role is
    recreated: IAM resolves principal role ARNs to internal ids, but not condition values.
    """
    conditions: list[ConditionElement] = [
        ArnEquals("aws:PrincipalArn", Sub(arns.role_arn(P, b.id, b.role_path, b.role_name)))]
    if a.external_id:
        conditions.append(StringEquals("sts:ExternalId", a.external_id))
    return PolicyDocument(Version=VERSION, Statement=[Statement(
        Sid="AssumeFromAccountBInstanceRole", Effect=Allow,
        Principal=AWSPrincipal(Sub(arns.account_root_arn(P, b.id))),
        Action=[sts.AssumeRole], Condition=Condition(conditions))])


def ec2_trust_policy() -> PolicyDocument:
    return PolicyDocument(Version=VERSION, Statement=[Statement(
        Sid="EC2InstancesAssume", Effect=Allow, Principal=Principal("Service", "ec2.amazonaws.com"),
        Action=[sts.AssumeRole])])


def assume_account_a_policy(a: AccountA) -> PolicyDocument:
    """Account B's only permission: sts:AssumeRole on the one Account A role ARN."""
    return PolicyDocument(Version=VERSION, Statement=[Statement(
        Sid="AssumeAccountARole", Effect=Allow, Action=[sts.AssumeRole],
        Resource=[Sub(arns.role_arn(P, a.id, a.role_path, a.role_name))])])


def _unique(actions: Iterable[Action]) -> tuple[Action, ...]:
    seen: dict[str, Action] = {}
    for action in actions:
        seen.setdefault(action.JSONrepr(), action)
    return tuple(seen.values())


def action_names(actions: Sequence[Action]) -> list[str]:
    return [action.JSONrepr() for action in actions]
