"""Load and validate ``xacct.toml`` into the frozen model (:mod:`xacct_infra.config.model`).

Every section check lives here (the per-value checks in :mod:`.fields`). A problem raises :class:`ConfigError` whose message is one
line: the file, the key path (``account_a.tables[1].access``) and what is allowed. Unknown
keys are errors, never ignored: a misspelt ``acess`` must not silently drop a grant.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from xacct_infra import arns, inputs, regions
from xacct_infra.config import consumer_kind
from xacct_infra.config.fields import Fields, kind, no_duplicates
from xacct_infra.config.model import (
    DEFAULT_CONFIG,
    KEY_ACCESS,
    TABLE_ACCESS,
    AccountA,
    Config,
    Consumer,
    Key,
    KeyAccess,
    Table,
    TableAccess,
    TrustMode,
    camel,
    within,
)
from xacct_infra.errors import ConfigError
from xacct_infra.inputs import quote

# ASCII only, everywhere: Python's \d and \w match any Unicode digit or letter ("١١١١٢٢٢٢٣٣٣٣").
# Values with non-ASCII or control characters are refused before any pattern is tried (fields.Fields.text).
_ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}", re.ASCII)
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}", re.ASCII)
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
_PATH_SEGMENT = r"[\w+=,.@-]+"
_ROLE_PATH = re.compile(rf"/({_PATH_SEGMENT}/)*", re.ASCII)
_STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_PROFILE = inputs.CONFIG_PROFILE
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_CONSUMER_NAME = re.compile(r"(?=[A-Za-z0-9-]{1,32}\Z)[A-Za-z0-9](-?[A-Za-z0-9])*", re.ASCII)
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}", re.ASCII)
_ORG_PATH = re.compile(r"o-[a-z0-9]{10,32}/r-[a-z0-9]{4,32}/(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}/)*", re.ASCII)
_POLICY_ARN = re.compile(rf"arn:(?P<partition>{arns.PARTITION_PATTERN}):iam::(?P<account>[0-9]{{12}}|aws):policy/([\w+=,.@/-]{{1,512}})", re.ASCII)
_KEY_TEXT = re.compile(r"[!-~]+", re.ASCII)  # arns.parse_key says what exactly is wrong
MAX_CONFIG_BYTES = 16 * 1024 * 1024  # consumers of a group repeat their narrowed table lists: a deployable config can pass 1 MiB

# --------------------------------------------------------------------------- loading


def load(path: str | Path = DEFAULT_CONFIG) -> Config:
    """Read and validate a config file. Raises ConfigError (exit 2) on any problem."""
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)  # bounded: --config /dev/zero must not eat the memory
    except FileNotFoundError:
        raise ConfigError(source, None, "file not found; pass --config PATH or create xacct.toml (see README)") from None
    except IsADirectoryError:
        raise ConfigError(source, None, "is a directory; --config expects a TOML file") from None
    except OSError as exc:
        raise ConfigError(source, None, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(source, None, f"is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; a config is a small TOML file")
    return loads(raw, source=source)


def decode(raw: bytes, source: str) -> str:
    """The text of a config file: UTF-8 (a UTF-8 BOM is dropped); anything else is refused by name."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if raw.startswith(bom):
            raise ConfigError(source, None, f"is {name} text; save it as UTF-8 (TOML files are UTF-8)")
    nul = raw.find(0)
    if nul >= 0:
        raise ConfigError(source, None, f"contains NUL bytes at offset {nul} (a binary file, or UTF-16/UTF-32 "
                          "without a BOM); save it as UTF-8 text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, None, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None


def loads(raw: bytes | str, *, source: str = DEFAULT_CONFIG) -> Config:
    text = decode(raw, source) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, None, f"invalid TOML: {quote(str(exc), 160)[1:-1]}") from None
    except RecursionError:  # tomllib recurses once per level of arrays/inline tables (~1000 levels)
        raise ConfigError(source, None, "nests arrays or inline tables too deeply (a config needs 3 levels)") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (int() refuses to parse it)
        raise ConfigError(source, None, f"invalid TOML: {quote(str(exc).split(':')[0], 120)[1:-1]}") from None
    return _Validator(source).config(data)


class _Validator(Fields):
    """The sections of a config: the top level, account_a and each consumer."""

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

    def check_consumers(self, a: AccountA, consumers: tuple[Consumer, ...], is_array: bool) -> None:
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
                clash = next((g for g in group_first if g != b.group and (g.lower() == b.group.lower() or camel(g) == camel(b.group))), None)
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

    def region(self, data: Mapping[str, Any], key: str) -> str | None:
        """A region botocore knows, in a partition xacct-infra supports (checked offline)."""
        allowed = f"an AWS region name such as us-east-1 (partition {', '.join(regions.SUPPORTED)})"
        region = self.string(data, key, "region", None, _REGION, allowed)
        problem = regions.region_problem(region) if region is not None else None
        if problem:
            raise self.fail(f"{key}.region", f"{quote(region)} {problem}; allowed: {allowed}")
        return region

    def common(self, data: Mapping[str, Any], key: str, defaults: Mapping[str, str]) -> dict[str, Any]:
        account_id = self.string(data, key, "id", None, _ACCOUNT_ID, "12 digits, as a string (\"111111111111\")")
        region = self.region(data, key)
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
            raise self.fail(f"{key}.max_session_duration", f"must be an integer number of seconds, got {kind(duration)}")
        if not 3600 <= duration <= 43200:
            raise self.fail(f"{key}.max_session_duration", f"{quote(duration)} is out of range; allowed: 3600..43200 seconds")

        external_id = self.string(section, key, "external_id", None, _EXTERNAL_ID,
                                  "2..1224 characters of [A-Za-z0-9_+=,.@:/-]")
        boundary = self.boundary(section, key, common["id"], common["region"])

        raw_tables = self.array_of_tables(section, key, "tables")
        if not raw_tables:
            raise self.fail(f"{key}.tables", "no tables: a config that grants nothing is refused; add at least one [[account_a.tables]]")
        tables = tuple(self.table_entry(t, f"{key}.tables[{i}]") for i, t in enumerate(raw_tables))
        no_duplicates(self, tables, lambda t: t.name, f"{key}.tables", "name")

        keys = tuple(
            self.key_entry(k, f"{key}.keys[{i}]", common["id"], common["region"])
            for i, k in enumerate(self.array_of_tables(section, key, "keys"))
        )
        no_duplicates(self, keys, lambda k: (k.region, k.key_id), f"{key}.keys", "id")

        managed_quota = self.integer(section, key, "managed_policies_quota", 10, 0, 20, "managed policies (IAM allows up to 20 per role)")
        trust_quota = self.integer(section, key, "trust_policy_quota", 2048, 2048, 4096, "characters (IAM's quota is 2048, raisable to 4096)")
        trust = self.choice(section, key, "trust", ("roles", "org"), default="roles")
        org_id = self.string(section, key, "org_id", None, _ORG_ID, "an AWS Organizations id (o-xxxxxxxxxx)")
        paths = section.get("org_paths", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise self.fail(f"{key}.org_paths", "must be an array of strings")
        for i, path in enumerate(paths):
            self.text(f"{key}.org_paths[{i}]", path, _ORG_PATH, "o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/ (ending in /)")
            if org_id and not path.startswith(org_id + "/"):
                raise self.fail(f"{key}.org_paths[{i}]", f"{quote(path)} is not in account_a.org_id {org_id}")
        if trust == "org" and not (org_id or paths):
            raise self.fail(f"{key}.trust", "\"org\" needs account_a.org_id or account_a.org_paths")
        if trust == "roles" and (org_id or paths):
            raise self.fail(f"{key}.{'org_id' if org_id else 'org_paths'}", "is only used with trust = \"org\"")
        return AccountA(tables=tables, keys=keys, max_session_duration=duration, external_id=external_id,
                        permissions_boundary=boundary, managed_policies_quota=managed_quota, trust_policy_quota=trust_quota,
                        trust=cast(TrustMode, trust), org_id=org_id, org_paths=tuple(paths), **common)

    def boundary(self, section: Mapping[str, Any], key: str, account_id: str, region: str) -> str | None:
        """A managed policy of Account A itself (or an AWS managed one), in Account A's partition:
        IAM refuses a boundary from another account, and an ARN of another partition never matches."""
        partition = arns.partition_for_region(region)
        allowed = f"a managed policy ARN of account_a ({arns.managed_policy_arn(partition, account_id, '/', 'NAME')}) or an AWS managed policy"
        boundary = self.string(section, key, "permissions_boundary", None, _POLICY_ARN, allowed)
        match = _POLICY_ARN.fullmatch(boundary) if boundary else None
        if match and match["partition"] != partition:
            raise self.fail(f"{key}.permissions_boundary", f"is in partition {match['partition']} but account_a.region {region} "
                            f"is in {partition}; allowed: {allowed}")
        if match and match["account"] not in (account_id, "aws"):
            raise self.fail(f"{key}.permissions_boundary", f"is a policy of account {match['account']}, not account_a.id "
                            f"{account_id}; allowed: {allowed}")
        return boundary

    def account_b(self, data: Any, key: str, a: AccountA) -> Consumer:
        allowed = ("name", "id", "region", "profile", "stack_name", "role_name", "role_path", "artifact_bucket", "group", "tables", "keys",
                   *consumer_kind.KIND_KEYS)
        section = self.table(data, key, allowed, ("id", "region"))
        kind = consumer_kind.kind_of(self, section, key)
        common = self.common(section, key, {"stack_name": "xacct-account-b", "role_name": consumer_kind.default_role_name(kind)})
        by_kind = consumer_kind.kind_settings(self, section, key, kind, common, a.trust)
        name = self.string(section, key, "name", common["id"], _CONSUMER_NAME, "1..32 characters of [A-Za-z0-9-]")
        group = self.string(section, key, "group", "", _CONSUMER_NAME, "1..32 characters of [A-Za-z0-9-]")
        tables: tuple[Table, ...] | None = None
        keys: tuple[Key, ...] | None = None
        if "tables" in section:
            tables = tuple(self.narrow_table(t, f"{key}.tables[{i}]", a) for i, t in enumerate(self.array_of_tables(section, key, "tables")))
            no_duplicates(self, tables, lambda t: t.name, f"{key}.tables", "name")
        if "keys" in section:
            keys = tuple(self.narrow_key(k, f"{key}.keys[{i}]", a) for i, k in enumerate(self.array_of_tables(section, key, "keys")))
            no_duplicates(self, keys, lambda k: (k.region, k.key_id), f"{key}.keys", "id")
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
        return Consumer(name=name, group=group, tables=tables, keys=keys, **common, **by_kind)

    def narrow_table(self, data: Any, key: str, a: AccountA) -> Table:
        """A consumer's table: one of account_a's, with access no wider."""
        wanted = self.table_entry(data, key, indexes_default=None)
        granted = next((t for t in a.tables if t.name == wanted.name), None)
        if granted is None:
            raise self.fail(f"{key}.name", f"{wanted.name!r} is not in account_a.tables; a consumer can only narrow what Account A grants")
        if not within(wanted.access, granted.access):
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
        if not within(wanted.access, granted.access):
            raise self.fail(f"{key}.access", f"{wanted.access!r} is wider than account_a grants for this key ({granted.access!r})")
        return wanted

    def table_entry(self, data: Any, key: str, indexes_default: bool | None = True) -> Table:
        section = self.table(data, key, ("name", "access", "indexes"), ("name",))
        name = self.string(section, key, "name", "", _TABLE_NAME, "3..255 characters of [A-Za-z0-9_.-]")
        access = self.choice(section, key, "access", TABLE_ACCESS)
        indexes = section.get("indexes", indexes_default)
        if not isinstance(indexes, bool) and not (indexes is None and indexes_default is None):
            raise self.fail(f"{key}.indexes", f"must be true or false, got {kind(indexes)}")
        return Table(name=name, access=cast(TableAccess, access), indexes=indexes)  # type: ignore[arg-type]

    def key_entry(self, data: Any, key: str, account_id: str, region: str) -> Key:
        section = self.table(data, key, ("id", "access"), ("id",))
        where = f"{key}.id"
        value = self.text(where, section["id"], _KEY_TEXT, "a key id (UUID or mrk-...) or a key ARN in account_a.id")
        access = self.choice(section, key, "access", KEY_ACCESS)
        try:
            key_id, key_region = arns.parse_key(value, account_id=account_id, default_region=region)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None
        if key_region != region:
            problem = regions.region_problem(key_region)
            if problem:
                raise self.fail(where, f"names region {quote(key_region)}, which {problem}")
            if arns.partition_for_region(key_region) != arns.partition_for_region(region):
                raise self.fail(where, f"names region {key_region} (partition {arns.partition_for_region(key_region)}) but account_a.region "
                                f"{region} is in {arns.partition_for_region(region)}; the role cannot use a key of another partition")
        return Key(key_id=key_id, region=key_region, access=cast(KeyAccess, access))


# Patterns other inputs (CLI flags) are held to as well.
ACCOUNT_ID = _ACCOUNT_ID
REGION = _REGION
