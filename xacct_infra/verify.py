"""Prove the cross-account access end to end, one row per check.

Every check is a real call made with Account A credentials obtained from the caller's
(Account B's) identity. Positive checks must succeed; negative checks must be *denied*:
a negative check that succeeds means the role can do more than the config grants, and fails.

Statuses: ``ok``, ``FAIL``, ``skipped`` (a check it depends on failed) and ``unproven``
(the answer neither proves nor disproves a denial). ``unproven`` comes from two places only:
an endpoint declared an emulator with ``emulator=True`` (emulators do not enforce IAM, so
their "allowed" means nothing), and KMS answering NotFound for a key that does not exist.
Only ``FAIL`` makes the run fail; the summary always counts the unproven rows.

Clients, clock and sleep are injected: tests script failures and never wait. The rows, their
causes and the summary are in :mod:`xacct_infra.verify_rows`.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from xacct_infra import arns, aws
from xacct_infra.config import ConsumerView, Key, Table
from xacct_infra.credentials import AssumeRoleError, TemporaryCredentials, assume
from xacct_infra.errors import UsageError
from xacct_infra.verify_rows import CAUSE_PROPAGATION, DENIED, cause, too_broad
from xacct_infra.verify_rows import Row as Row
from xacct_infra.verify_rows import Status as Status
from xacct_infra.verify_rows import failed as failed
from xacct_infra.verify_rows import format_table as format_table
from xacct_infra.verify_rows import summary as summary

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, str], Any]  # (service, region) -> client acting as the assumed role

VERIFY_DURATION = 900  # the shortest session STS issues; verify takes seconds
PROBE_KEY_ID = arns.PROBE_KEY_ID
PROBE_TABLE = "xacct-verify-not-granted"



@dataclass(frozen=True)
class Options:
    session_name: str
    roundtrip: bool = False
    emulator: bool = False  # the endpoint does not enforce IAM (declared by the user, never guessed)
    wait: float = 60.0  # how long AssumeRole AccessDenied is retried (IAM propagation)
    deny_tables: tuple[str, ...] = ()
    deny_keys: tuple[str, ...] = ()
    endpoint: str | None = None  # --endpoint-url or AWS_ENDPOINT_URL when set: not AWS's own (named in hints)


@dataclass
class Verifier:
    view: ConsumerView
    source_sts: Any  # STS client with the caller's (Account B's) credentials
    clients_for: Callable[[TemporaryCredentials], ClientFactory]
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    on_progress: Callable[[str], None] = lambda message: None
    token: Callable[[], str] = lambda: secrets.token_hex(8)
    rows: list[Row] = field(default_factory=list)

    # ----------------------------------------------------------------- driver

    def run(self, opts: Options) -> list[Row]:
        check_options(self.view, opts)  # refuse before any call
        caller = self._caller()
        creds = self._assume(opts, caller) if caller else None
        if creds is None:
            self._add("access checks", "skipped", "needs the role to be assumed")
            return self.rows
        clients = self.clients_for(creds)
        if opts.emulator and not self._role_exists(clients):
            self._add("access checks", "skipped", "needs Account A's role to exist")
            return self.rows
        self._acts_in_a(clients)
        schemas = {t.name: self._table(clients, t) for t in self.view.role.tables}
        for key in self.view.role.keys:
            self._key(clients, key)
        self._negatives(clients, opts)
        if opts.roundtrip:
            self._roundtrip(clients, schemas)
        return self.rows

    def _add(self, check: str, status: Status, detail: str) -> None:
        log.debug("verify %s: %s (%s)", check, status, detail)
        self.rows.append(Row(check, status, detail))

    # ----------------------------------------------------------------- identity and assume

    def _caller(self) -> str | None:
        b = self.view.consumer
        identity = self.source_sts.get_caller_identity()
        account, arn = str(identity["Account"]), str(identity["Arn"])
        if self.view.owner.trust == "org":  # any account of the organization may be a consumer
            self._add("caller is in Account B", "ok", f"{arn} (organization-wide trust: any member account)")
            return arn
        if account != b.id:
            self._add("caller is in Account B", "FAIL", f"credentials are {arn} in account {account}, not account_b.id {b.id}: "
                      f"run as the consumer's {b.spec.label} ({b.role_arn}), or pass --profile")
            return None
        self._add("caller is in Account B", "ok", arn)
        return arn

    def _assume(self, opts: Options, caller: str) -> TemporaryCredentials | None:
        b = self.view.consumer
        check = f"assume {self.view.role.arn}"
        if not _is_role(caller, b.role_name):
            # The trust policy admits exactly the consumer's role; waiting would not help.
            self._add(check, "FAIL", f"trust policy / principal mismatch: Account A's role trusts only {b.role_arn}, "
                      f"but the caller is {caller}")
            return None
        started, delay, attempts = self.monotonic(), 1.0, 0
        while True:
            attempts += 1
            try:
                creds = assume(self.source_sts, self.view, duration=VERIFY_DURATION, session_name=opts.session_name)
            except AssumeRoleError as exc:
                remaining = opts.wait - (self.monotonic() - started)
                if exc.code == "AccessDenied" and remaining > 0:
                    pause = min(delay, remaining)
                    self.on_progress(f"AssumeRole: AccessDenied (attempt {attempts}); IAM may still be propagating, "
                                     f"retrying in {pause:.0f} s")
                    self.sleep(pause)
                    delay = min(delay * 2, 16.0)
                    continue
                waited = self.monotonic() - started
                suffix = f"; {CAUSE_PROPAGATION}" if exc.code == "AccessDenied" and waited > 0 else ""
                self._add(check, "FAIL", f"{exc} (after {attempts} attempt(s), {waited:.0f} s){suffix}")
                return None
            took = self.monotonic() - started
            self._add(check, "ok", f"as {creds.assumed_role_arn} ({attempts} attempt(s), {took:.1f} s)")
            return creds

    def _role_exists(self, clients: ClientFactory) -> bool:
        """Emulators issue credentials for any role ARN, existing or not: there, AssumeRole proves nothing
        until the role is seen (IAM is not enforced, so the assumed credentials may read it)."""
        role = self.view.role
        try:
            clients("iam", self.view.owner.region).get_role(RoleName=role.name)
        except aws.client_error() as exc:
            if aws.error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
                self._add(f"role {role.name} exists", "FAIL", f"{role.arn} does not exist: the emulator issued credentials for it "
                          "anyway, which proves nothing; deploy Account A's stack")
                return False
            raise
        return True

    def _acts_in_a(self, clients: ClientFactory) -> None:
        a = self.view.owner
        identity = clients("sts", a.region).get_caller_identity()
        if str(identity["Account"]) != a.id:
            self._add("credentials act in Account A", "FAIL", f"they act in account {identity['Account']}, not account_a.id {a.id}")
        else:
            self._add("credentials act in Account A", "ok", str(identity["Arn"]))

    # ----------------------------------------------------------------- positive checks

    def _table(self, clients: ClientFactory, table: Table) -> list[dict[str, str]] | None:
        """DescribeTable (and a GetItem probe for read access). Returns the key schema with types."""
        a = self.view.owner
        ddb = clients("dynamodb", a.region)
        arn = arns.table_arn(a.partition, a.region, a.id, table.name)
        check = f"dynamodb:DescribeTable {table.name}"
        try:
            desc = ddb.describe_table(TableName=table.name)["Table"]
        except aws.client_error() as exc:
            self._add(check, "FAIL", self._cause(exc, "dynamodb:DescribeTable", arn, a.region))
            if table.can_read:
                self._add(f"dynamodb:GetItem {table.name}", "skipped", "needs DescribeTable (for the key schema)")
            return None
        account = str(desc.get("TableArn", arn)).split(":")[4]
        if account != a.id:
            self._add(check, "FAIL", f"the table answered from account {account}, not account_a.id {a.id}")
            return None
        types = {d["AttributeName"]: d["AttributeType"] for d in desc.get("AttributeDefinitions", [])}
        schema = [{"name": k["AttributeName"], "role": k["KeyType"], "type": types.get(k["AttributeName"], "S")}
                  for k in desc.get("KeySchema", [])]
        status = str(desc.get("TableStatus", "?"))
        self._add(check, "ok" if status in ("ACTIVE", "UPDATING") else "FAIL",
                  f"{status}, key {', '.join(k['name'] for k in schema)}")
        if table.can_read:
            probe = {k["name"]: _probe_value(k["type"], "xacct-verify-probe") for k in schema}
            try:
                found = "Item" in ddb.get_item(TableName=table.name, Key=probe)
                self._add(f"dynamodb:GetItem {table.name}", "ok", f"allowed (probe item {'present' if found else 'absent'})")
            except aws.client_error() as exc:
                self._add(f"dynamodb:GetItem {table.name}", "FAIL", self._cause(exc, "dynamodb:GetItem", arn, a.region))
        return schema

    def _key(self, clients: ClientFactory, key: Key) -> None:
        a = self.view.owner
        arn = arns.key_arn(a.partition, key.region, a.id, key.key_id)
        check = f"kms:DescribeKey {key.key_id}"
        try:
            meta = clients("kms", key.region).describe_key(KeyId=arn)["KeyMetadata"]
        except aws.client_error() as exc:
            self._add(check, "FAIL", self._cause(exc, "kms:DescribeKey", arn, key.region, kms=True))
            return
        state = str(meta.get("KeyState", "?"))
        detail = ", ".join(str(v) for v in (state, meta.get("KeyUsage"), meta.get("KeySpec")) if v)
        self._add(check, "ok" if state == "Enabled" else "FAIL",
                  detail if state == "Enabled" else f"{detail}: the key must be Enabled to encrypt or decrypt")

    def _cause(self, exc: BaseException, action: str, arn: str, region: str, *, kms: bool = False) -> str:
        return cause(exc, self.view.owner, action, arn, region, kms=kms, role=self.view.role.arn)

    # ----------------------------------------------------------------- negative checks

    def _negatives(self, clients: ClientFactory, opts: Options) -> None:
        a = self.view.owner
        granted_tables = {t.name for t in self.view.role.tables}
        probe_table = PROBE_TABLE
        while probe_table in granted_tables:
            probe_table += "-x"
        ddb = clients("dynamodb", a.region)
        for name in (probe_table, *opts.deny_tables):
            self._expect_denied(f"denied: dynamodb:DescribeTable {name} (not in config)", opts,
                                partial(ddb.describe_table, TableName=name),
                                "dynamodb:DescribeTable", arns.table_arn(a.partition, a.region, a.id, name))
        self._expect_denied("denied: dynamodb:ListTables", opts, lambda: ddb.list_tables(Limit=1), "dynamodb:ListTables", None)
        kms = clients("kms", a.region)
        for key_id in (PROBE_KEY_ID, *opts.deny_keys):
            target = key_id if key_id.startswith("arn:") else arns.key_arn(a.partition, a.region, a.id, key_id)
            self._expect_denied(f"denied: kms:DescribeKey {key_id} (not in config)", opts,
                                partial(kms.describe_key, KeyId=target), "kms:DescribeKey", target)
        self._expect_denied("denied: kms:ListKeys", opts, lambda: kms.list_keys(Limit=1), "kms:ListKeys", None)

    def _expect_denied(self, check: str, opts: Options, call: Callable[[], Any], action: str, resource: str | None) -> None:
        exists = True  # the call succeeded: the table or key is there
        try:
            call()
            outcome = "succeeded"
        except aws.client_error() as exc:
            code = aws.error_code(exc)
            if code in DENIED:
                self._add(check, "ok", f"denied ({code})")
                return
            if code == "NotFoundException":  # KMS: says nothing about whether the role could use such a key
                self._add(check, "unproven", "KMS answered NotFound (the key does not exist), which does not show a "
                          "denial; name an existing key outside the config with --deny-key")
                return
            if code != "ResourceNotFoundException":  # DynamoDB authorizes before it looks the table up
                self._add(check, "FAIL", f"expected AccessDenied, got {code}")
                return
            outcome, exists = f"was allowed ({code})", False
        if opts.emulator:
            self._add(check, "unproven", f"{outcome}: the emulator does not enforce IAM, so this denial is not proven")
        else:
            self._add(check, "FAIL", too_broad(outcome, role=self.view.role.arn, action=action, resource=resource, exists=exists,
                                               endpoint=opts.endpoint))

    # ----------------------------------------------------------------- roundtrip

    def _roundtrip(self, clients: ClientFactory, schemas: dict[str, list[dict[str, str]] | None]) -> None:
        """Store, read back and delete a probe secret in Keystore's item format."""
        a = self.view.owner
        tables, key = roundtrip_targets(self.view)
        table = next((t for t in tables if schemas.get(t.name) == KEYSTORE_SCHEMA), None)
        if table is None:
            self._add("roundtrip", "FAIL", "no read-write table has Keystore's key schema (hash key ParameterName, "
                      "type S, no range key)")
            return
        name = f"xacct-verify-{self.token()}"
        # Leading/trailing whitespace and a newline: a reader that strips secrets would fail the comparison.
        secret = f" xacct-verify {self.token()}\n\t".encode()
        key_arn = arns.key_arn(a.partition, key.region, a.id, key.key_id)
        kms, ddb = clients("kms", key.region), clients("dynamodb", a.region)
        table_arn = arns.table_arn(a.partition, a.region, a.id, table.name)
        step = "kms:Encrypt"
        try:
            blob = kms.encrypt(KeyId=key_arn, Plaintext=secret)["CiphertextBlob"]
            self._add(f"roundtrip: kms:Encrypt {key.key_id}", "ok", f"{len(secret)} bytes -> {len(blob)} bytes of ciphertext")
            step = "dynamodb:PutItem"
            ddb.put_item(TableName=table.name, Item={"ParameterName": {"S": name},
                                                     "Value": {"S": base64.b64encode(blob).decode("ascii")}})
        except aws.client_error() as exc:
            arn = key_arn if step.startswith("kms") else table_arn
            self._add(f"roundtrip: {step}", "FAIL", self._cause(exc, step, arn, a.region, kms=step.startswith("kms")))
            return
        self._add(f"roundtrip: dynamodb:PutItem {table.name}", "ok", f"ParameterName={name}")
        try:
            self._read_back(ddb, kms, table.name, name, key_arn, secret, table_arn, key.region)
        finally:
            try:
                ddb.delete_item(TableName=table.name, Key={"ParameterName": {"S": name}})
                self._add(f"roundtrip: dynamodb:DeleteItem {table.name}", "ok", "probe deleted")
            except aws.client_error() as exc:
                self._add(f"roundtrip: dynamodb:DeleteItem {table.name}", "FAIL",
                          f"{self._cause(exc, 'dynamodb:DeleteItem', table_arn, a.region)}; delete item {name} by hand")

    def _read_back(self, ddb: Any, kms: Any, table: str, name: str, key_arn: str, secret: bytes, table_arn: str,
                   key_region: str) -> None:
        check = f"roundtrip: GetItem + kms:Decrypt {table}"
        try:
            item = ddb.get_item(TableName=table, Key={"ParameterName": {"S": name}}, ConsistentRead=True).get("Item")
        except aws.client_error() as exc:
            self._add(check, "FAIL", self._cause(exc, "dynamodb:GetItem", table_arn, self.view.owner.region))
            return
        if item is None or "S" not in item.get("Value", {}):
            self._add(check, "FAIL", "the probe item came back without its Value")
            return
        try:
            plain = kms.decrypt(CiphertextBlob=base64.b64decode(item["Value"]["S"]), KeyId=key_arn)["Plaintext"]
        except aws.client_error() as exc:
            self._add(check, "FAIL", self._cause(exc, "kms:Decrypt", key_arn, key_region, kms=True))
            return
        if plain == secret:
            self._add(check, "ok", f"{len(plain)} bytes, equal byte for byte")
        else:
            self._add(check, "FAIL", f"decrypted {len(plain)} bytes differ from the {len(secret)} bytes stored")

KEYSTORE_SCHEMA = [{"name": "ParameterName", "role": "HASH", "type": "S"}]


def check_options(view: ConsumerView, opts: Options) -> None:
    role = view.role
    granted_tables = {t.name for t in role.tables}
    for name in opts.deny_tables:
        if name in granted_tables:
            raise UsageError(f"--deny-table {name}: that table is in the config, so access to it is expected")
    for key_id in opts.deny_keys:
        if any(key_id == k.key_id or key_id.endswith(f"/{k.key_id}") for k in role.keys):
            raise UsageError(f"--deny-key {key_id}: that key is in the config, so access to it is expected")
    if opts.roundtrip:
        roundtrip_targets(view)


def roundtrip_targets(view: ConsumerView) -> tuple[list[Table], Key]:
    """The read-write tables and the first encrypt-decrypt key; refuses configs that cannot roundtrip."""
    tables = [t for t in view.role.tables if t.can_read and t.can_write]
    key = next((k for k in view.role.keys if k.can_encrypt and k.can_decrypt), None)
    if not tables or key is None:
        raise UsageError("--roundtrip needs a table with access = \"read-write\" and a key with access = "
                         "\"encrypt-decrypt\" in the config")
    return tables, key


def _is_role(caller_arn: str, role_name: str) -> bool:
    """Is the caller a session of the role named ``role_name`` (or that role itself)?"""
    resource = caller_arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return rest.split("/")[0] == role_name
    return kind == "role" and rest.split("/")[-1] == role_name


def _probe_value(attr_type: str, text: str) -> dict[str, Any]:
    if attr_type == "N":
        return {"N": "0"}
    if attr_type == "B":
        return {"B": text.encode()}
    return {"S": text}
