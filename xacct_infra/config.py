"""Load and validate ``xacct.toml`` into frozen, typed objects.

Every input check lives here. A problem raises :class:`ConfigError` whose message is one
line: the file, the key path (``account_a.tables[1].access``) and what is allowed. Unknown
keys are errors, never ignored: a misspelt ``acess`` must not silently drop a grant.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from xacct_infra import arns
from xacct_infra.errors import ConfigError, UsageError

TableAccess = Literal["read", "write", "read-write"]
TrustMode = Literal["roles", "org"]
KeyAccess = Literal["decrypt", "encrypt", "encrypt-decrypt"]
TABLE_ACCESS: tuple[str, ...] = ("read", "write", "read-write")
KEY_ACCESS: tuple[str, ...] = ("decrypt", "encrypt", "encrypt-decrypt")

DEFAULT_CONFIG = "xacct.toml"

_ACCOUNT_ID = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_PATH_SEGMENT = r"[\w+=,.@-]+"
_ROLE_PATH = re.compile(rf"/({_PATH_SEGMENT}/)*", re.ASCII)
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_PROFILE = re.compile(r"[^\s\[\]]{1,128}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONSUMER_NAME = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9])*", re.ASCII)
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
_ORG_PATH = re.compile(r"o-[a-z0-9]{10,32}/r-[a-z0-9]{4,32}/(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}/)*")
_POLICY_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy/([\w+=,.@/-]{1,512})", re.ASCII)


@dataclass(frozen=True)
class Table:
    name: str
    access: TableAccess
    indexes: bool = True

    @property
    def can_read(self) -> bool:
        return self.access in ("read", "read-write")

    @property
    def can_write(self) -> bool:
        return self.access in ("write", "read-write")


@dataclass(frozen=True)
class Key:
    """A KMS key named by id; ``region`` is where it lives (from its ARN, else account_a's)."""

    key_id: str
    region: str
    access: KeyAccess

    @property
    def can_decrypt(self) -> bool:
        return self.access in ("decrypt", "encrypt-decrypt")

    @property
    def can_encrypt(self) -> bool:
        return self.access in ("encrypt", "encrypt-decrypt")


@dataclass(frozen=True)
class AccountA:
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
    trust: TrustMode = "roles"  # "roles": each consumer's instance role; "org": any account of an organization
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.region)

    @property
    def role_arn(self) -> str:
        return arns.role_arn(self.partition, self.id, self.role_path, self.role_name)


@dataclass(frozen=True)
class AccountB:
    """One consumer: an account whose EC2 hosts assume an Account A role."""

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
    """One Account A role and the consumers that may assume it.

    ``account`` is Account A as this role sees it: its role name, and the tables and keys it
    grants (all of account_a's for the main role, a consumer group's subset otherwise), so
    policy and limit code works on it unchanged.
    """

    group: str
    account: AccountA
    consumers: tuple[AccountB, ...]

    @property
    def logical_id(self) -> str:
        return "AccessRole" + _camel(self.group)

    @property
    def output(self) -> str:
        return "RoleArn" + _camel(self.group)

    @property
    def arn(self) -> str:
        return self.account.role_arn


@dataclass(frozen=True)
class Config:
    account_a: AccountA
    consumers: tuple[AccountB, ...]
    source: str = field(default=DEFAULT_CONFIG, compare=False)

    @property
    def account_b(self) -> AccountB:
        """The first (often the only) consumer."""
        return self.consumers[0]

    def consumer(self, name: str) -> AccountB:
        for b in self.consumers:
            if name in (b.name, b.id):
                return b
        raise UsageError(f"no consumer named {name!r} in {self.source}; known: {', '.join(b.name for b in self.consumers)}")

    def access_roles(self) -> tuple[AccessRole, ...]:
        """Account A's roles, main role first, then one per consumer group in config order."""
        return self._access_roles

    @cached_property
    def _access_roles(self) -> tuple[AccessRole, ...]:
        a = self.account_a
        groups: dict[str, list[AccountB]] = {}
        for b in self.consumers:
            groups.setdefault(b.group, []).append(b)
        out = []
        for group in sorted(groups, key=lambda g: (g != "", list(groups).index(g))):
            members = groups[group]
            first = members[0]
            view = a if not group else replace(
                a, role_name=f"{a.role_name}-{group}",
                tables=first.tables if first.tables is not None else a.tables,
                keys=first.keys if first.keys is not None else a.keys)
            out.append(AccessRole(group, view, tuple(members)))
        return tuple(out)

    def access_role_for(self, consumer: AccountB) -> AccessRole:
        return self._role_of_group[consumer.group]

    @cached_property
    def _role_of_group(self) -> dict[str, AccessRole]:
        return {r.group: r for r in self._access_roles}

    def for_consumer(self, consumer: AccountB) -> Config:
        """The config as one consumer sees it: Account A narrowed to that consumer's role and
        grants, and that consumer as the only Account B. Single-consumer code (credentials,
        verify, the access sweep) runs on it unchanged."""
        if self.consumers == (consumer,) and not consumer.group:
            return self
        return Config(account_a=self.access_role_for(consumer).account, consumers=(consumer,), source=self.source)

    def select(self, name: str | None) -> Config:
        """``--consumer NAME``: that consumer's view; without a name, the only consumer's."""
        if name:
            return self.for_consumer(self.consumer(name))
        if len(self.consumers) == 1:
            return self.for_consumer(self.consumers[0])
        raise UsageError(f"{self.source} has {len(self.consumers)} consumers; choose one with --consumer NAME "
                         f"({', '.join(b.name for b in self.consumers)}) or set XACCT_CONSUMER")

    def template_inputs(self, side: Literal["a", "b"], consumer: AccountB | None = None) -> dict[str, Any]:
        """Exactly the settings that shape one template (nothing about how it is deployed)."""
        a = self.account_a
        if side == "a":
            inputs: dict[str, Any] = {
                "account_a": {
                    "id": a.id,
                    "region": a.region,
                    "role_name": a.role_name,
                    "role_path": a.role_path,
                    "max_session_duration": a.max_session_duration,
                    "external_id": a.external_id,
                    "permissions_boundary": a.permissions_boundary,
                    "tables": [t.__dict__ for t in a.tables],
                    "keys": [k.__dict__ for k in a.keys],
                },
                "account_b": _principal(self.consumers[0]),
            }
            # Kept out of the single-consumer digest so existing templates do not change.
            if len(self.consumers) > 1 or self.consumers[0].narrowed or self.consumers[0].group:
                inputs["consumers"] = [_principal(b, narrowing=True) for b in self.consumers]
            if a.trust != "roles":
                inputs["trust"] = {"mode": a.trust, "org_id": a.org_id, "org_paths": list(a.org_paths)}
            return inputs
        b = consumer or self.consumers[0]
        target = self.access_role_for(b).account
        principal = _principal(b)
        if len(self.consumers) > 1:  # account-agnostic, so consumers (and StackSet instances) share one template
            del principal["id"]
        return {
            "account_a": {"id": a.id, "region": a.region, "role_path": a.role_path, "role_name": target.role_name},
            "account_b": principal,
        }

    def digest(self, side: Literal["a", "b"], consumer: AccountB | None = None) -> str:
        """A short, stable digest of :meth:`template_inputs` (comments and order do not count)."""
        canonical = json.dumps(self.template_inputs(side, consumer), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _principal(b: AccountB, narrowing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": b.id, "role_path": b.role_path, "role_name": b.role_name}
    if narrowing:
        out["group"] = b.group
        out["tables"] = None if b.tables is None else [t.__dict__ for t in b.tables]
        out["keys"] = None if b.keys is None else [k.__dict__ for k in b.keys]
    return out


def _camel(group: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", group) if part)


# --------------------------------------------------------------------------- loading


def load(path: str | Path = DEFAULT_CONFIG) -> Config:
    """Read and validate a config file. Raises ConfigError (exit 2) on any problem."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, None, "file not found; pass --config PATH or create xacct.toml (see README)") from None
    except IsADirectoryError:
        raise ConfigError(source, None, "is a directory; --config expects a TOML file") from None
    except OSError as exc:
        raise ConfigError(source, None, f"cannot read: {exc.strerror}") from None
    return loads(raw, source=source)


def loads(raw: bytes | str, *, source: str = DEFAULT_CONFIG) -> Config:
    text = raw.decode("utf-8", errors="strict") if isinstance(raw, bytes) else raw
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"invalid TOML: {exc}") from None
    except UnicodeDecodeError:  # pragma: no cover - decode above raises first
        raise ConfigError(source, None, "not UTF-8 text") from None
    return _Validator(source).config(data)


T = TypeVar("T")


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    # -- generic helpers

    def table(self, data: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Mapping[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"must be a table, got {_kind(data)}")
        for name in data:
            if name not in allowed:
                hint = _did_you_mean(name, allowed)
                raise self.fail(_join(key, name), f"unknown key{hint}; allowed: {', '.join(allowed)}")
        for name in required:
            if name not in data:
                raise self.fail(_join(key, name), "is required")
        return cast(Mapping[str, Any], data)

    def string(self, data: Mapping[str, Any], key: str, name: str, default: T, pattern: re.Pattern[str], allowed: str) -> str | T:
        if name not in data:
            return default
        value = data[name]
        where = f"{key}.{name}"
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, got {_kind(value)}")
        if not pattern.fullmatch(value):
            raise self.fail(where, f"{value!r} is not valid; allowed: {allowed}")
        return value

    def choice(self, data: Mapping[str, Any], key: str, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        where = f"{key}.{name}"
        if name not in data:
            if default is None:
                raise self.fail(where, f"is required; allowed: {' | '.join(choices)}")
            return default
        value = data[name]
        if not isinstance(value, str) or value not in choices:
            raise self.fail(where, f"{value!r} is not an access level; allowed: {' | '.join(choices)}")
        return value

    def integer(self, data: Mapping[str, Any], key: str, name: str, default: int, low: int, high: int, unit: str) -> int:
        value = data.get(name, default)
        where = f"{key}.{name}"
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"must be an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"{value} is out of range; allowed: {low}..{high} {unit}")
        return value

    def array_of_tables(self, data: Mapping[str, Any], key: str, name: str) -> list[Any]:
        if name not in data:
            return []
        value = data[name]
        if not isinstance(value, list):
            raise self.fail(f"{key}.{name}", f"must be an array of tables ([[{key}.{name}]]), got {_kind(value)}")
        return value

    # -- sections

    def config(self, data: dict[str, Any]) -> Config:
        top = self.table(data, "", ("account_a", "account_b"), ())
        for name in ("account_a", "account_b"):
            if name not in top:
                raise self.fail(name, f"is required: add a [{name}] table (see README, Config reference)")
        a = self.account_a(top["account_a"])
        raw_b = top["account_b"]
        if isinstance(raw_b, list):  # [[account_b]]: several consumers
            if not raw_b:
                raise self.fail("account_b", "is empty; add at least one [[account_b]]")
            consumers = tuple(self.account_b(item, f"account_b[{i}]", a) for i, item in enumerate(raw_b))
        else:
            consumers = (self.account_b(raw_b, "account_b", a),)
        self.check_consumers(a, consumers, isinstance(raw_b, list))
        return Config(account_a=a, consumers=consumers, source=self.source)

    def check_consumers(self, a: AccountA, consumers: tuple[AccountB, ...], is_array: bool) -> None:
        def key(i: int) -> str:
            return f"account_b[{i}]" if is_array else "account_b"

        seen_names: dict[object, int] = {}
        seen_roles: dict[object, int] = {}
        seen_stacks: dict[object, int] = {}
        group_first: dict[str, int] = {}
        for i, b in enumerate(consumers):
            if b.id == a.id:
                raise self.fail(f"{key(i)}.id", f"{b.id} is the same account as account_a.id; cross-account access needs two accounts")
            if a.partition != b.partition:
                raise self.fail(f"{key(i)}.region", f"{b.region} is in partition {b.partition} but account_a.region is in "
                                f"{a.partition}; roles cannot be assumed across partitions")
            for seen, ident, what in ((seen_names, b.name, "name"), (seen_roles, (b.id, b.role_path + b.role_name), "role_name"),
                                      (seen_stacks, (b.id, b.region, b.stack_name), "stack_name")):
                if ident in seen:
                    raise self.fail(f"{key(i)}.{what}", f"duplicates {key(seen[ident])} (same {'name' if what == 'name' else 'account and ' + what}); "
                                    "give each consumer its own name" + ("" if what == "name" else f" or {what}"))
                seen[ident] = i
            if b.group:
                clash = next((g for g in group_first if g != b.group and (g.lower() == b.group.lower() or _camel(g) == _camel(b.group))), None)
                if clash is not None:
                    raise self.fail(f"{key(i)}.group", f"{b.group!r} and {clash!r} would name the same Account A role "
                                    "(IAM role names ignore case); choose distinct group names")
                if len(f"{a.role_name}-{b.group}") > 64:
                    raise self.fail(f"{key(i)}.group", f"makes the Account A role name {a.role_name}-{b.group!r} longer than IAM's 64 characters")
                if b.group in group_first:
                    first = consumers[group_first[b.group]]
                    if (first.tables, first.keys) != (b.tables, b.keys):
                        raise self.fail(f"{key(i)}.group", f"consumers of group {b.group!r} share one Account A role, so they must "
                                        f"narrow to the same tables and keys; {key(group_first[b.group])} differs")
                group_first.setdefault(b.group, i)
            if a.trust == "org" and (b.group or b.narrowed):
                raise self.fail(f"{key(i)}.{'group' if b.group else 'tables'}", "organization-wide trust (account_a.trust = \"org\") "
                                "cannot tell consumers apart, so it cannot narrow one of them; use trust = \"roles\" for narrowed consumers")

    def common(self, data: Mapping[str, Any], key: str, defaults: Mapping[str, str]) -> dict[str, Any]:
        account_id = self.string(data, key, "id", None, _ACCOUNT_ID, "12 digits, as a string (\"111111111111\")")
        region = self.string(data, key, "region", None, _REGION, "an AWS region name such as us-east-1")
        out: dict[str, Any] = {"id": account_id, "region": region}
        out["profile"] = self.string(data, key, "profile", None, _PROFILE, "an AWS profile name without spaces or brackets")
        out["stack_name"] = self.string(data, key, "stack_name", defaults["stack_name"], _STACK_NAME, "1..128 of [A-Za-z0-9-] starting with a letter")
        out["role_name"] = self.string(data, key, "role_name", defaults["role_name"], _ROLE_NAME, "1..64 characters of [A-Za-z0-9_+=,.@-]")
        path = self.string(data, key, "role_path", "/", _ROLE_PATH, '"/" or "/a/b/" (segments of [A-Za-z0-9_+=,.@-])')
        if len(path) > 512:
            raise self.fail(f"{key}.role_path", f"is {len(path)} characters; IAM allows at most 512")
        out["role_path"] = path
        out["artifact_bucket"] = self.string(data, key, "artifact_bucket", None, _BUCKET, "an S3 bucket name (3..63 characters of [a-z0-9.-])")
        return out

    def account_a(self, data: Any) -> AccountA:
        key = "account_a"
        allowed = ("id", "region", "profile", "stack_name", "role_name", "role_path", "max_session_duration",
                   "external_id", "permissions_boundary", "artifact_bucket", "managed_policies_quota", "trust_policy_quota",
                   "trust", "org_id", "org_paths", "tables", "keys")
        section = self.table(data, key, allowed, ("id", "region"))
        common = self.common(section, key, {"stack_name": "xacct-account-a", "role_name": "xacct-access"})

        duration = section.get("max_session_duration", 3600)
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise self.fail(f"{key}.max_session_duration", f"must be an integer number of seconds, got {_kind(duration)}")
        if not 3600 <= duration <= 43200:
            raise self.fail(f"{key}.max_session_duration", f"{duration} is out of range; allowed: 3600..43200 seconds")

        external_id = self.string(section, key, "external_id", None, _EXTERNAL_ID,
                                  "2..1224 characters of [A-Za-z0-9_+=,.@:/-]")
        boundary = self.string(section, key, "permissions_boundary", None, _POLICY_ARN, "a managed policy ARN (arn:aws:iam::111111111111:policy/Boundary)")

        raw_tables = self.array_of_tables(section, key, "tables")
        if not raw_tables:
            raise self.fail(f"{key}.tables", "no tables: a config that grants nothing is refused; add at least one [[account_a.tables]]")
        tables = tuple(self.table_entry(t, f"{key}.tables[{i}]") for i, t in enumerate(raw_tables))
        _no_duplicates(self, tables, lambda t: t.name, f"{key}.tables", "name")

        keys = tuple(
            self.key_entry(k, f"{key}.keys[{i}]", common["id"], common["region"])
            for i, k in enumerate(self.array_of_tables(section, key, "keys"))
        )
        _no_duplicates(self, keys, lambda k: (k.region, k.key_id), f"{key}.keys", "id")

        managed_quota = self.integer(section, key, "managed_policies_quota", 10, 0, 20, "managed policies (IAM allows up to 20 per role)")
        trust_quota = self.integer(section, key, "trust_policy_quota", 2048, 2048, 4096, "characters (IAM's quota is 2048, raisable to 4096)")
        trust = self.choice(section, key, "trust", ("roles", "org"), default="roles")
        org_id = self.string(section, key, "org_id", None, _ORG_ID, "an AWS Organizations id (o-xxxxxxxxxx)")
        paths = section.get("org_paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise self.fail(f"{key}.org_paths", "must be an array of strings")
        for i, path in enumerate(paths):
            if not _ORG_PATH.fullmatch(path):
                raise self.fail(f"{key}.org_paths[{i}]", f"{path!r} is not valid; allowed: o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/ (ending in /)")
            if org_id and not path.startswith(org_id + "/"):
                raise self.fail(f"{key}.org_paths[{i}]", f"{path!r} is not in account_a.org_id {org_id}")
        if trust == "org" and not (org_id or paths):
            raise self.fail(f"{key}.trust", "\"org\" needs account_a.org_id or account_a.org_paths")
        if trust == "roles" and (org_id or paths):
            raise self.fail(f"{key}.{'org_id' if org_id else 'org_paths'}", "is only used with trust = \"org\"")
        return AccountA(tables=tables, keys=keys, max_session_duration=duration, external_id=external_id,
                        permissions_boundary=boundary, managed_policies_quota=managed_quota, trust_policy_quota=trust_quota,
                        trust=cast(TrustMode, trust), org_id=org_id, org_paths=tuple(paths), **common)

    def account_b(self, data: Any, key: str, a: AccountA) -> AccountB:
        allowed = ("name", "id", "region", "profile", "stack_name", "role_name", "role_path", "artifact_bucket", "group", "tables", "keys")
        section = self.table(data, key, allowed, ("id", "region"))
        common = self.common(section, key, {"stack_name": "xacct-account-b", "role_name": "xacct-instance"})
        name = self.string(section, key, "name", common["id"], _CONSUMER_NAME, "1..32 characters of [A-Za-z0-9-]")
        group = self.string(section, key, "group", "", _CONSUMER_NAME, "1..32 characters of [A-Za-z0-9-]")
        tables: tuple[Table, ...] | None = None
        keys: tuple[Key, ...] | None = None
        if "tables" in section:
            tables = tuple(self.narrow_table(t, f"{key}.tables[{i}]", a) for i, t in enumerate(self.array_of_tables(section, key, "tables")))
            _no_duplicates(self, tables, lambda t: t.name, f"{key}.tables", "name")
        if "keys" in section:
            keys = tuple(self.narrow_key(k, f"{key}.keys[{i}]", a) for i, k in enumerate(self.array_of_tables(section, key, "keys")))
            _no_duplicates(self, keys, lambda k: (k.region, k.key_id), f"{key}.keys", "id")
        if tables is not None and not tables:
            raise self.fail(f"{key}.tables", "is empty: a consumer that may use no table is refused; remove the consumer instead")
        narrowed = tables is not None or keys is not None
        if narrowed and not group:
            group = name  # a narrowed consumer gets an Account A role of its own
            if len(f"{a.role_name}-{group}") > 64:
                raise self.fail(f"{key}.name", f"makes the Account A role name {a.role_name}-{group!r} longer than IAM's 64 characters; "
                                "set a shorter group")
        if narrowed:  # what a narrowed consumer does not list, it gets as Account A grants it
            tables = a.tables if tables is None else tables
            keys = a.keys if keys is None else keys
        return AccountB(name=name, group=group, tables=tables, keys=keys, **common)

    def narrow_table(self, data: Any, key: str, a: AccountA) -> Table:
        """A consumer's table: one of account_a's, with access no wider."""
        wanted = self.table_entry(data, key, indexes_default=None)
        granted = next((t for t in a.tables if t.name == wanted.name), None)
        if granted is None:
            raise self.fail(f"{key}.name", f"{wanted.name!r} is not in account_a.tables; a consumer can only narrow what Account A grants")
        if not _within(wanted.access, granted.access):
            raise self.fail(f"{key}.access", f"{wanted.access!r} is wider than account_a grants for {wanted.name!r} ({granted.access!r})")
        indexes = granted.indexes if wanted.indexes is None else wanted.indexes
        if indexes and not granted.indexes:
            raise self.fail(f"{key}.indexes", f"account_a does not grant the indexes of {wanted.name!r}")
        return Table(wanted.name, wanted.access, indexes)

    def narrow_key(self, data: Any, key: str, a: AccountA) -> Key:
        wanted = self.key_entry(data, key, a.id, a.region)
        granted = next((k for k in a.keys if (k.key_id, k.region) == (wanted.key_id, wanted.region)), None)
        if granted is None:
            raise self.fail(f"{key}.id", f"{wanted.key_id!r} is not in account_a.keys; a consumer can only narrow what Account A grants")
        if not _within(wanted.access, granted.access):
            raise self.fail(f"{key}.access", f"{wanted.access!r} is wider than account_a grants for this key ({granted.access!r})")
        return wanted

    def table_entry(self, data: Any, key: str, indexes_default: bool | None = True) -> Table:
        section = self.table(data, key, ("name", "access", "indexes"), ("name",))
        name = self.string(section, key, "name", "", _TABLE_NAME, "3..255 characters of [A-Za-z0-9_.-]")
        access = self.choice(section, key, "access", TABLE_ACCESS)
        indexes = section.get("indexes", indexes_default)
        if not isinstance(indexes, bool) and not (indexes is None and indexes_default is None):
            raise self.fail(f"{key}.indexes", f"must be true or false, got {_kind(indexes)}")
        return Table(name=name, access=cast(TableAccess, access), indexes=indexes)  # type: ignore[arg-type]

    def key_entry(self, data: Any, key: str, account_id: str, region: str) -> Key:
        section = self.table(data, key, ("id", "access"), ("id",))
        where = f"{key}.id"
        value = section["id"]
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, got {_kind(value)}")
        access = self.choice(section, key, "access", KEY_ACCESS)
        try:
            key_id, key_region = arns.parse_key(value, account_id=account_id, default_region=region)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None
        return Key(key_id=key_id, region=key_region, access=cast(KeyAccess, access))


def _no_duplicates(v: _Validator, items: tuple[T, ...], ident: Callable[[T], object], key: str, name: str) -> None:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        k = ident(item)
        if k in seen:
            raise v.fail(f"{key}[{i}].{name}", f"duplicates {key}[{seen[k]}]; list each one once with the widest access it needs")
        seen[k] = i


_WIDTH = {"read": {"read"}, "write": {"write"}, "read-write": {"read", "write"},
          "decrypt": {"decrypt"}, "encrypt": {"encrypt"}, "encrypt-decrypt": {"encrypt", "decrypt"}}


def _within(wanted: str, granted: str) -> bool:
    return _WIDTH[wanted] <= _WIDTH[granted]


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _did_you_mean(name: str, allowed: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(name, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
