"""ARN and id builders/validators. Partition-aware; pure functions, no AWS calls."""

from __future__ import annotations

import re

PARTITION_SUB = "${AWS::Partition}"
# The partitions roles, tables and keys can live in (one list: patterns below derive from it).
PARTITIONS: tuple[str, ...] = ("aws", "aws-cn", "aws-us-gov")
PARTITION_PATTERN = "(?:" + "|".join(re.escape(p) for p in PARTITIONS) + ")"
# A well-formed KMS key id no config names: what `verify` and `check` probe as "a key not in the config".
PROBE_KEY_ID = "00000000-0000-4000-8000-000000000000"

_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}", re.ASCII)
_KEY_ARN = re.compile(rf"arn:(?P<partition>{PARTITION_PATTERN}):kms:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{{12}}):key/(?P<id>.+)",
                      re.ASCII | re.DOTALL)


def partition_for_region(region: str) -> str:
    """The partition of ``region``: as botocore's data says, else by its prefix."""
    from xacct_infra.regions import partition_of

    known = partition_of(region)
    if known:
        return known
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def role_arn(partition: str, account_id: str, path: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role{path}{name}"


def any_account_role_arn(partition: str, path: str, name: str) -> str:
    """The role ``path``+``name`` in every account (an ``ArnLike`` pattern, for organization-wide trust)."""
    return role_arn(partition, "*", path, name)


def managed_policy_arn(partition: str, account_id: str, path: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def instance_profile_arn(partition: str, account_id: str, path: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:instance-profile{path}{name}"


def user_arn(partition: str, account_id: str, path: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:user{path}{name}"


def oidc_provider_arn(partition: str, account_id: str, host: str) -> str:
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{host}"


def saml_provider_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:saml-provider/{name}"


def stack_arn(partition: str, region: str, account_id: str, name: str, stack_id: str = "*") -> str:
    return f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{name}/{stack_id}"


def account_root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def table_arn(partition: str, region: str, account_id: str, table: str) -> str:
    return f"arn:{partition}:dynamodb:{region}:{account_id}:table/{table}"


def index_arn(partition: str, region: str, account_id: str, table: str, index: str = "*") -> str:
    return f"{table_arn(partition, region, account_id, table)}/index/{index}"


def stream_arn(partition: str, region: str, account_id: str, table: str, stream: str = "*") -> str:
    return f"{table_arn(partition, region, account_id, table)}/stream/{stream}"


def global_table_arn(partition: str, account_id: str, table: str) -> str:
    return f"arn:{partition}:dynamodb::{account_id}:global-table/{table}"


def alias_arn(partition: str, region: str, account_id: str, alias: str) -> str:
    return f"arn:{partition}:kms:{region}:{account_id}:alias/{alias}"


def key_arn(partition: str, region: str, account_id: str, key_id: str) -> str:
    return f"arn:{partition}:kms:{region}:{account_id}:key/{key_id}"


def parse_key(value: str, *, account_id: str, default_region: str) -> tuple[str, str]:
    """Return ``(key_id, region)`` for a key id or key ARN owned by ``account_id``.

    Raises ValueError with a user-facing reason. Aliases are refused: IAM policies cannot
    use alias ARNs as a Resource, they need the key ARN.
    """
    from xacct_infra.inputs import quote

    if value.startswith("alias/") or ":alias/" in value:
        alias = value.split(":")[-1]
        raise ValueError(f"{quote(value)} is an alias; IAM policies need the key id or key ARN "
                         + (f"(find it with: aws kms describe-key --key-id {alias})" if len(alias) <= 256 and alias.isprintable()
                            and alias.isascii() else ""))
    match = _KEY_ARN.fullmatch(value)
    if match:
        if match["account"] != account_id:
            raise ValueError(f"key ARN is in account {match['account']}, not account_a.id {account_id}; "
                             "only keys owned by account_a can be granted")
        if not _KEY_ID.fullmatch(match["id"]):
            raise ValueError(f"{quote(match['id'])} is not a KMS key id (a UUID or mrk-<32 hex>)")
        if partition_for_region(match["region"]) != match["partition"]:
            raise ValueError(f"key ARN is in partition {match['partition']}, but its region {quote(match['region'])} is in "
                             f"{partition_for_region(match['region'])}")
        return match["id"], match["region"]
    if value.startswith("arn:"):
        raise ValueError(f"{quote(value)} is not a KMS key ARN; allowed: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID or a key id")
    if not _KEY_ID.fullmatch(value):
        raise ValueError(f"{quote(value)} is not a KMS key id; allowed: a key id (UUID or mrk-...) or a key ARN")
    return value, default_region


# What services name as aws:SourceArn when they assume a consumer's role (kinds.py), and EKS clusters.
def ecs_arn(partition: str, region: str, account_id: str, resource: str = "*") -> str:
    return f"arn:{partition}:ecs:{region}:{account_id}:{resource}"


def codebuild_project_arn(partition: str, region: str, account_id: str, project: str = "*") -> str:
    return f"arn:{partition}:codebuild:{region}:{account_id}:project/{project}"


def lambda_function_arn(partition: str, region: str, account_id: str, function: str) -> str:
    return f"arn:{partition}:lambda:{region}:{account_id}:function:{function}"


def eks_cluster_arn(partition: str, region: str, account_id: str, cluster: str) -> str:
    return f"arn:{partition}:eks:{region}:{account_id}:cluster/{cluster}"
