"""What a sweep asks about and what it must find: the grants the config expects (from the config
and the access levels in ``policies``, never from the templates) and the resources and actions
probed around them (configured tables, indexes, streams and keys, their neighbours outside the
config, other regions and accounts, ``*``). :mod:`.matrix` runs the requests.
"""

from __future__ import annotations

import itertools

from xacct_infra import arns, policies
from xacct_infra.config import AccessRole, ConsumerView

PROBE_INDEX = "xacct-probe-index"
PROBE_STREAM = "2024-01-01T00:00:00.000"
PROBE_KEY = arns.PROBE_KEY_ID
OTHER_REGIONS = {"aws": ("us-west-2", "eu-central-1"), "aws-cn": ("cn-northwest-1", "cn-north-1"),
                 "aws-us-gov": ("us-gov-east-1", "us-gov-west-1")}


def data_actions() -> tuple[str, ...]:
    """Every DynamoDB and KMS action awacs knows (its Action constants)."""
    from awacs import dynamodb, kms
    from awacs.aws import Action

    return tuple(sorted({v.JSONrepr() for m in (dynamodb, kms) for v in vars(m).values() if isinstance(v, Action)}))


def expected_grants(view: ConsumerView, partition: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the consumer's Account A role must allow, from the config and the access levels."""
    return expected_grants_for(view.role, partition)


def expected_grants_for(role: AccessRole, partition: str) -> set[tuple[str, str]]:
    """(action, resource) pairs one Account A role must allow."""
    a = role.owner
    out: set[tuple[str, str]] = set()
    for t in role.tables:
        out |= {(act.JSONrepr(), arns.table_arn(partition, a.region, a.id, t.name)) for act in policies.table_actions(t)}
        if t.indexes and t.can_read:
            index = arns.index_arn(partition, a.region, a.id, t.name, PROBE_INDEX)
            out |= {(act.JSONrepr(), index) for act in policies.INDEX_READ}
    for k in role.keys:
        out |= {(act.JSONrepr(), arns.key_arn(partition, k.region, a.id, k.key_id)) for act in policies.key_actions(k)}
    return out


def data_probes(view: ConsumerView, partition: str) -> list[str]:
    """Configured tables/indexes/streams/keys (all of Account A's), their neighbours not in the config, and ``*``."""
    a = view.owner
    names = {t.name for t in a.tables}
    neighbour = next(f"{a.tables[0].name}-{n}" for n in itertools.count(2) if f"{a.tables[0].name}-{n}" not in names)
    other_region = next(r for r in OTHER_REGIONS.get(partition, ("us-west-2", "eu-central-1")) if r != a.region)
    probes: list[str] = []
    for name in [t.name for t in a.tables] + [neighbour]:
        table = arns.table_arn(partition, a.region, a.id, name)
        probes += [table, arns.index_arn(partition, a.region, a.id, name, PROBE_INDEX), arns.stream_arn(partition, a.region, a.id, name, PROBE_STREAM)]
    first = a.tables[0].name
    probes += [arns.table_arn(partition, other_region, a.id, first), arns.table_arn(partition, a.region, view.consumer.id, first),
               arns.global_table_arn(partition, a.id, first)]
    key_ids = {k.key_id for k in a.keys}
    probes += [arns.key_arn(partition, k.region, a.id, k.key_id) for k in a.keys]
    probes += [arns.key_arn(partition, a.region, a.id, PROBE_KEY if PROBE_KEY not in key_ids else PROBE_KEY.replace("0", "1")),
               arns.alias_arn(partition, a.region, a.id, "xacct-probe"), "*"]
    return probes


def role_probes(view: ConsumerView, partition: str, third: str) -> list[str]:
    a, b, name = view.owner, view.consumer, view.role.name
    return [arns.role_arn(partition, a.id, a.role_path, name),
            arns.role_arn(partition, a.id, a.role_path, f"{name}-neighbour"),
            arns.role_arn(partition, a.id, "/", name) if a.role_path != "/" else arns.role_arn(partition, a.id, "/other/", name),
            arns.role_arn(partition, b.id, b.role_path, f"{b.role_name}-neighbour"),
            arns.role_arn(partition, third, a.role_path, name), "*"]
