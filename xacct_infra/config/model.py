"""The config as frozen, typed objects, and the views commands act on.

``Config`` is the whole file: Account A (the owner of the tables and keys) and its consumers.
Account A holds one :class:`AccessRole` per consumer group; a command that acts for one consumer
takes a :class:`ConsumerView` (``Config.view(name)``): the whole config, that consumer, and the
Account A role it assumes, so nothing has to guess which role or which grants it is reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from xacct_infra import arns, kinds
from xacct_infra.errors import UsageError
from xacct_infra.kinds import Kind, KindSpec

Side = Literal["a", "b"]  # "a": Account A's stack (the owner); "b": a consumer's stack
SIDES: tuple[Side, ...] = ("a", "b")
TrustMode = Literal["roles", "org"]
TableAccess = Literal["read", "write", "read-write"]
KeyAccess = Literal["decrypt", "encrypt", "encrypt-decrypt"]

# The one table of access levels: what each level lets a consumer do. The config's allowed
# values, the policy actions (policies.py) and the can_* helpers all derive from it.
TABLE_LEVELS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}), "write": frozenset({"write"}), "read-write": frozenset({"read", "write"})}
KEY_LEVELS: dict[str, frozenset[str]] = {
    "decrypt": frozenset({"decrypt"}), "encrypt": frozenset({"encrypt"}), "encrypt-decrypt": frozenset({"encrypt", "decrypt"})}
TABLE_ACCESS: tuple[str, ...] = tuple(TABLE_LEVELS)
KEY_ACCESS: tuple[str, ...] = tuple(KEY_LEVELS)

DEFAULT_CONFIG = "xacct.toml"


def within(wanted: str, granted: str) -> bool:
    """Whether access level ``wanted`` is no wider than ``granted`` (tables or keys)."""
    levels = {**TABLE_LEVELS, **KEY_LEVELS}
    return levels[wanted] <= levels[granted]


@dataclass(frozen=True)
class Table:
    name: str
    access: TableAccess
    indexes: bool = True

    @property
    def can_read(self) -> bool:
        return "read" in TABLE_LEVELS[self.access]

    @property
    def can_write(self) -> bool:
        return "write" in TABLE_LEVELS[self.access]


@dataclass(frozen=True)
class Key:
    """A KMS key named by id; ``region`` is where it lives (from its ARN, else account_a's)."""

    key_id: str
    region: str
    access: KeyAccess

    @property
    def can_decrypt(self) -> bool:
        return "decrypt" in KEY_LEVELS[self.access]

    @property
    def can_encrypt(self) -> bool:
        return "encrypt" in KEY_LEVELS[self.access]


@dataclass(frozen=True)
class AccountA:
    """The account that owns the data: ``[account_a]``. ``role_name`` is the main role's name."""

    id: str
    region: str
    tables: tuple[Table, ...]
    keys: tuple[Key, ...] = ()
    profile: str | None = None
    stack_name: str = "xacct-account-a"
    role_name: str = "xacct-access"
    role_path: str = "/"
    max_session_duration: int = 3600
    external_id: str | None = None
    permissions_boundary: str | None = None
    artifact_bucket: str | None = None
    managed_policies_quota: int = 10  # IAM "Managed policies per role" (raisable to 20)
    trust_policy_quota: int = 2048  # IAM "Role trust policy length" (raisable to 4096)
    trust: TrustMode = "roles"  # "roles": each consumer's role; "org": any account of an organization
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.region)


@dataclass(frozen=True)
class Consumer:
    """One ``[[account_b]]`` entry: an account whose workload role assumes an Account A role."""

    id: str
    region: str
    profile: str | None = None
    stack_name: str = "xacct-account-b"
    role_name: str = "xacct-instance"
    role_path: str = "/"
    artifact_bucket: str | None = None
    name: str = ""  # how commands refer to it (--consumer); defaults to the account id
    group: str = ""  # consumers of one group share one Account A role; "" is the main role
    tables: tuple[Table, ...] | None = None  # narrowing: a subset of account_a's grants (None: all of them)
    keys: tuple[Key, ...] | None = None
    kind: Kind = "ec2"  # what assumes the role (kinds.py); existing-role: role_name/role_path come from role_arn
    vpc_ids: tuple[str, ...] = ()  # ec2: Account A admits the role only from instances launched in these VPCs
    cluster: str | None = None  # eks-pod-identity: narrow the trust to this cluster, namespace and service account
    namespace: str | None = None
    service_account: str | None = None
    credential_source: str | None = None  # existing-role: where the workload's SDK finds the role's credentials

    @property
    def spec(self) -> KindSpec:
        return kinds.spec(self.kind)

    @property
    def narrowed(self) -> bool:
        return self.tables is not None or self.keys is not None

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.region)

    @property
    def role_arn(self) -> str:
        return arns.role_arn(self.partition, self.id, self.role_path, self.role_name)


@dataclass(frozen=True)
class AccessRole:
    """One Account A role: its own name and grants, and the consumers that may assume it.

    The main role (group "") grants everything ``[account_a]`` lists; a consumer group's role
    grants that group's subset. Account-wide settings (path, session length, boundary, trust
    mode) come from ``owner``.
    """

    group: str
    owner: AccountA
    name: str
    tables: tuple[Table, ...]
    keys: tuple[Key, ...]
    consumers: tuple[Consumer, ...]

    @property
    def path(self) -> str:
        return self.owner.role_path

    @property
    def arn(self) -> str:
        return arns.role_arn(self.owner.partition, self.owner.id, self.owner.role_path, self.name)

    @property
    def logical_id(self) -> str:
        """The role's CloudFormation logical id in Account A's template."""
        return "AccessRole" + camel(self.group)

    @property
    def output(self) -> str:
        """The name of Account A's stack output holding this role's ARN."""
        return "RoleArn" + camel(self.group)


@dataclass(frozen=True)
class ConsumerView:
    """What one consumer sees: the whole config, the consumer, and the Account A role it assumes."""

    config: Config
    consumer: Consumer
    role: AccessRole

    @property
    def owner(self) -> AccountA:
        return self.config.account_a


@dataclass(frozen=True)
class Config:
    account_a: AccountA
    consumers: tuple[Consumer, ...]
    source: str = field(default=DEFAULT_CONFIG, compare=False)

    def consumer(self, consumer_name: str) -> Consumer:
        for b in self.consumers:
            if consumer_name in (b.name, b.id):
                return b
        raise UsageError(f"no consumer named {consumer_name!r} in {self.source}; known: {', '.join(b.name for b in self.consumers)}")

    def view(self, consumer_name: str | None = None) -> ConsumerView:
        """``--consumer NAME``: that consumer's view; without a name, the only consumer's."""
        if consumer_name:
            return self.view_of(self.consumer(consumer_name))
        if len(self.consumers) == 1:
            return self.view_of(self.consumers[0])
        raise UsageError(f"{self.source} has {len(self.consumers)} consumers; choose one with --consumer NAME "
                         f"({', '.join(b.name for b in self.consumers)}) or set XACCT_CONSUMER")

    def view_of(self, consumer: Consumer) -> ConsumerView:
        return ConsumerView(self, consumer, self.access_role_for(consumer))

    def views(self) -> tuple[ConsumerView, ...]:
        return tuple(self.view_of(b) for b in self.consumers)

    def access_roles(self) -> tuple[AccessRole, ...]:
        """Account A's roles, main role first, then one per consumer group in config order."""
        return self._access_roles

    @cached_property
    def main_role(self) -> AccessRole:
        """The role named ``account_a.role_name`` (granting all of account_a's tables and keys),
        whether or not a consumer uses it."""
        existing = self._role_of_group.get("")
        a = self.account_a
        return existing or AccessRole("", a, a.role_name, a.tables, a.keys, ())

    @cached_property
    def _access_roles(self) -> tuple[AccessRole, ...]:
        a = self.account_a
        groups: dict[str, list[Consumer]] = {}
        for b in self.consumers:
            groups.setdefault(b.group, []).append(b)
        out = []
        for group in sorted(groups, key=lambda g: (g != "", list(groups).index(g))):
            members = groups[group]
            first = members[0]
            if not group:
                out.append(AccessRole("", a, a.role_name, a.tables, a.keys, tuple(members)))
            else:
                out.append(AccessRole(group, a, f"{a.role_name}-{group}",
                                      first.tables if first.tables is not None else a.tables,
                                      first.keys if first.keys is not None else a.keys, tuple(members)))
        return tuple(out)

    def access_role_for(self, consumer: Consumer) -> AccessRole:
        return self._role_of_group[consumer.group]

    @cached_property
    def _role_of_group(self) -> dict[str, AccessRole]:
        return {r.group: r for r in self._access_roles}


def camel(group: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", group) if part)
