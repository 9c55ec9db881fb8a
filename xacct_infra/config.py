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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from xacct_infra import arns
from xacct_infra.errors import ConfigError

TableAccess = Literal["read", "write", "read-write"]
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

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.region)

    @property
    def role_arn(self) -> str:
        return arns.role_arn(self.partition, self.id, self.role_path, self.role_name)


@dataclass(frozen=True)
class AccountB:
    id: str
    region: str
    profile: str | None = None
    stack_name: str = "xacct-account-b"
    role_name: str = "xacct-instance"
    role_path: str = "/"
    artifact_bucket: str | None = None

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.region)

    @property
    def role_arn(self) -> str:
        return arns.role_arn(self.partition, self.id, self.role_path, self.role_name)


@dataclass(frozen=True)
class Config:
    account_a: AccountA
    account_b: AccountB
    source: str = field(default=DEFAULT_CONFIG, compare=False)

    def template_inputs(self, side: Literal["a", "b"]) -> dict[str, Any]:
        """Exactly the settings that shape one side's template (nothing about how it is deployed)."""
        a, b = self.account_a, self.account_b
        b_principal = {"id": b.id, "role_path": b.role_path, "role_name": b.role_name}
        if side == "a":
            return {
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
                "account_b": b_principal,
            }
        return {
            "account_a": {"id": a.id, "region": a.region, "role_path": a.role_path, "role_name": a.role_name},
            "account_b": b_principal,
        }

    def digest(self, side: Literal["a", "b"]) -> str:
        """A short, stable digest of :meth:`template_inputs` (comments and order do not count)."""
        canonical = json.dumps(self.template_inputs(side), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


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
        b = self.account_b(top["account_b"])
        if a.id == b.id:
            raise self.fail("account_b.id",
                            f"{b.id} is the same account as account_a.id; cross-account access needs two accounts")
        if a.partition != b.partition:
            raise self.fail("account_b.region",
                            f"{b.region} is in partition {b.partition} but account_a.region is in {a.partition}; roles cannot be assumed across partitions")
        return Config(account_a=a, account_b=b, source=self.source)

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
                   "external_id", "permissions_boundary", "artifact_bucket", "managed_policies_quota", "trust_policy_quota", "tables", "keys")
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
        return AccountA(tables=tables, keys=keys, max_session_duration=duration, external_id=external_id,
                        permissions_boundary=boundary, managed_policies_quota=managed_quota, trust_policy_quota=trust_quota, **common)

    def account_b(self, data: Any) -> AccountB:
        key = "account_b"
        allowed = ("id", "region", "profile", "stack_name", "role_name", "role_path", "artifact_bucket")
        section = self.table(data, key, allowed, ("id", "region"))
        common = self.common(section, key, {"stack_name": "xacct-account-b", "role_name": "xacct-instance"})
        return AccountB(**common)

    def table_entry(self, data: Any, key: str) -> Table:
        section = self.table(data, key, ("name", "access", "indexes"), ("name",))
        name = self.string(section, key, "name", "", _TABLE_NAME, "3..255 characters of [A-Za-z0-9_.-]")
        access = self.choice(section, key, "access", TABLE_ACCESS)
        indexes = section.get("indexes", True)
        if not isinstance(indexes, bool):
            raise self.fail(f"{key}.indexes", f"must be true or false, got {_kind(indexes)}")
        return Table(name=name, access=cast(TableAccess, access), indexes=indexes)

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


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _did_you_mean(name: str, allowed: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(name, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
