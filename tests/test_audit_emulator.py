"""`audit` against live (emulated) accounts over real HTTP: a clean deployment passes, and each
out-of-band change, made one at a time and undone after, exits 1 naming what is wrong.

The emulator does not enforce IAM; audit does not need it to: it reads the documents and
evaluates them itself. The stacks are deployed once for the module with the tool's own deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import A_ID, B_ID
from xacct_infra import aws, local
from xacct_infra.access import live
from xacct_infra.cli import cli

OUTSIDER = "333344445555"
CONFIG = """
[account_a]
id = "111111111111"
region = "us-east-1"
profile = "owner"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[[account_a.tables]]
name = "keystore-audit"
access = "read"
indexes = false

[[account_a.keys]]
id = "{key}"
access = "encrypt-decrypt"

[account_b]
id = "222222222222"
region = "us-east-1"
profile = "consumer"
"""


@dataclass
class Deployed:
    emulator: Any
    config: str
    key_arn: str
    clients: dict[str, Any]

    def iam(self, account: str) -> Any:
        return self.clients[f"iam-{account}"]

    @property
    def kms(self) -> Any:
        return self.clients["kms"]

    @property
    def ddb(self) -> Any:
        return self.clients["dynamodb"]

    def audit(self, *args: str, cached: bool = True) -> Result:
        obj = self.clients.setdefault("cached", CachedClients()) if cached else None
        return CliRunner().invoke(cli, ["audit", "--config", self.config, *args], obj=obj, catch_exceptions=False)


class CachedClients(aws.Clients):
    """The CLI's client factory, keeping its clients from one run to the next (the clean test uses a fresh one)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: dict[tuple[aws.Target, str], Any] = {}

    def client(self, target: aws.Target, service: str, *, max_attempts: int | None = None) -> Any:
        if (target, service) not in self.made:
            self.made[(target, service)] = super().client(target, service, max_attempts=max_attempts)
        return self.made[(target, service)]


def _setup(emu: Any, path: Any) -> Deployed:
    local.create_sample_data(emu, A_ID, "us-east-1", ["keystore", "keystore-audit"])
    key_id = local.create_sample_key(emu, A_ID, "us-east-1")
    emu.add_profile("owner", A_ID, "us-east-1")
    emu.add_profile("consumer", B_ID, "us-east-1")
    path.write_text(CONFIG.format(key=key_id))
    deploy = CliRunner().invoke(cli, ["deploy", "--all", "--yes", "--config", str(path)], catch_exceptions=False)
    assert deploy.exit_code == 0, deploy.output
    a, b = emu.mint(A_ID), emu.mint(B_ID)
    clients = {f"iam-{A_ID}": emu.client("iam", credentials=a), f"iam-{B_ID}": emu.client("iam", credentials=b),
               "kms": emu.client("kms", credentials=a), "dynamodb": emu.client("dynamodb", credentials=a)}
    return Deployed(emu, str(path), f"arn:aws:kms:us-east-1:{A_ID}:key/{key_id}", clients)


@pytest.fixture(scope="module")
def _deployment(emulator_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Deployed once per module and worker; redeployed if another module's test reset the emulator meanwhile."""
    emu = emulator_server
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
            mp.delenv(name, raising=False)
        for key, value in emu.env().items():
            mp.setenv(key, value)
        emu.reset()
        yield {"emu": emu, "path": tmp_path_factory.mktemp("audit") / "xacct.toml", "current": None}


@pytest.fixture
def deployed(_deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Deployed:
    emu = _deployment["emu"]
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    current: Deployed | None = _deployment["current"]
    if current is not None:
        try:  # still there? (a test of another module may have reset the emulator in between)
            current.iam(A_ID).get_role(RoleName="xacct-access")
            current.kms.describe_key(KeyId=current.key_arn)
            alive = "[owner]" in emu.credentials_file.read_text()
        except Exception:
            alive = False
        if alive:
            return current
    _deployment["current"] = _setup(emu, _deployment["path"])
    return _deployment["current"]


def test_a_clean_deployment_passes_and_shows_the_working_grants(deployed: Deployed) -> None:
    result = deployed.audit(cached=False)  # the real client factory: one session per account, account checked
    assert result.exit_code == 0, result.output
    assert "OK: the live accounts allow exactly what the config grants" in result.output
    ok = [line for line in result.output.splitlines() if line.startswith("ok ")]
    assert any("sts:AssumeRole" in line and "role/xacct-access" in line for line in ok)
    assert any("kms:Decrypt" in line and deployed.key_arn.rsplit(":", 1)[1] in line for line in ok)
    assert "service control policies were not considered" in result.output


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = {"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"}
DEFAULT_KEY_POLICY = {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A_ID}:root"},
                      "Action": "kms:*", "Resource": "*"}


def managed_policy(d: Deployed) -> Callable[[], None]:
    arn = d.iam(A_ID).create_policy(PolicyName="break-glass", PolicyDocument=_doc(ADMIN))["Policy"]["Arn"]
    d.iam(A_ID).attach_role_policy(RoleName="xacct-access", PolicyArn=arn)
    return lambda: (d.iam(A_ID).detach_role_policy(RoleName="xacct-access", PolicyArn=arn), d.iam(A_ID).delete_policy(PolicyArn=arn))


def inline_policy(d: Deployed) -> Callable[[], None]:
    table = f"arn:aws:dynamodb:us-east-1:{A_ID}:table/keystore"
    d.iam(A_ID).put_role_policy(RoleName="xacct-access", PolicyName="extra", PolicyDocument=_doc(
        {"Sid": "Cleanup", "Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": table}))
    return lambda: d.iam(A_ID).delete_role_policy(RoleName="xacct-access", PolicyName="extra")


def trust_admits_another_account(d: Deployed) -> Callable[[], None]:
    original = d.iam(A_ID).get_role(RoleName="xacct-access")["Role"]["AssumeRolePolicyDocument"]
    extra = {"Sid": "PartnerAccess", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"}, "Action": "sts:AssumeRole"}
    d.iam(A_ID).update_assume_role_policy(RoleName="xacct-access", PolicyDocument=_doc(*original["Statement"], extra))
    return lambda: d.iam(A_ID).update_assume_role_policy(RoleName="xacct-access", PolicyDocument=json.dumps(original))


def trust_allows_tag_session(d: Deployed) -> Callable[[], None]:
    original = d.iam(A_ID).get_role(RoleName="xacct-access")["Role"]["AssumeRolePolicyDocument"]
    edited = json.loads(json.dumps(original))
    edited["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    d.iam(A_ID).update_assume_role_policy(RoleName="xacct-access", PolicyDocument=json.dumps(edited))
    return lambda: d.iam(A_ID).update_assume_role_policy(RoleName="xacct-access", PolicyDocument=json.dumps(original))


def key_policy(*statements: dict[str, Any]) -> Callable[[Deployed], Callable[[], None]]:
    def apply(d: Deployed) -> Callable[[], None]:
        d.kms.put_key_policy(KeyId=d.key_arn, PolicyName="default", Policy=_doc(*statements))
        return lambda: d.kms.put_key_policy(KeyId=d.key_arn, PolicyName="default", Policy=_doc(DEFAULT_KEY_POLICY))
    return apply


def table_policy(d: Deployed) -> Callable[[], None]:
    arn = f"arn:aws:dynamodb:us-east-1:{A_ID}:table/keystore"
    d.ddb.put_resource_policy(ResourceArn=arn, Policy=_doc(
        {"Sid": "PartnerRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
         "Action": "dynamodb:GetItem", "Resource": arn}))
    return lambda: d.ddb.delete_resource_policy(ResourceArn=arn)


def wide_consumer_policy(d: Deployed) -> Callable[[], None]:
    d.iam(B_ID).put_role_policy(RoleName="xacct-instance", PolicyName="wide", PolicyDocument=_doc(
        {"Sid": "AnyRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    return lambda: d.iam(B_ID).delete_role_policy(RoleName="xacct-instance", PolicyName="wide")


def role_deleted(d: Deployed) -> Callable[[], None]:
    iam = d.iam(A_ID)
    role = iam.get_role(RoleName="xacct-access")["Role"]
    inline = {n: iam.get_role_policy(RoleName="xacct-access", PolicyName=n)["PolicyDocument"]
              for n in iam.list_role_policies(RoleName="xacct-access")["PolicyNames"]}
    for name in inline:
        iam.delete_role_policy(RoleName="xacct-access", PolicyName=name)
    iam.delete_role(RoleName="xacct-access")

    def undo() -> None:
        iam.create_role(RoleName="xacct-access", AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]),
                        MaxSessionDuration=role["MaxSessionDuration"])
        for name, doc in inline.items():
            iam.put_role_policy(RoleName="xacct-access", PolicyName=name, PolicyDocument=json.dumps(dict(live.document(doc))))
    return undo


def session_raised(d: Deployed) -> Callable[[], None]:
    d.iam(A_ID).update_role(RoleName="xacct-access", MaxSessionDuration=43200)
    return lambda: d.iam(A_ID).update_role(RoleName="xacct-access", MaxSessionDuration=3600)


KEY_ADMINS = {"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A_ID}:role/KeyAdmin"},
              "Action": ["kms:Describe*", "kms:Put*", "kms:Enable*"], "Resource": "*"}
PARTNER_DECRYPT = {"Sid": "PartnerDecrypt", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                   "Action": "kms:Decrypt", "Resource": "*"}

# (scenario, change, status word of the row, words every one of which must appear in one FAIL line)
SCENARIOS = [
    ("extra managed policy on A's role", managed_policy, "BEYOND",
     ["policy break-glass attached to xacct-access statement BreakGlass", "Action *; Resource *", "Account A role xacct-access"]),
    ("extra inline policy on A's role", inline_policy, "BEYOND",
     ["xacct-access's inline policy extra statement Cleanup", "dynamodb:DeleteTable", "table/keystore"]),
    ("trust edited to admit another account", trust_admits_another_account, "BEYOND",
     ["xacct-access's trust policy statement PartnerAccess", f"a principal of account {OUTSIDER}", "sts:AssumeRole"]),
    ("trust edited to allow sts:TagSession (compared exactly, as check does)", trust_allows_tag_session, "BEYOND",
     ["xacct-access's trust policy statement AssumeFromAccountBInstanceRole", "allows sts:TagSession"]),
    ("key policy without the IAM statement", key_policy(KEY_ADMINS), "BLOCKED",
     ["does not enable IAM policies for account 111111111111", "kms:Decrypt", "Account A role xacct-access"]),
    ("key policy granting another account", key_policy(DEFAULT_KEY_POLICY, PARTNER_DECRYPT), "BEYOND",
     ["key policy statement PartnerDecrypt", f"a principal of account {OUTSIDER}", "kms:Decrypt"]),
    ("table resource policy granting another account", table_policy, "BEYOND",
     ["table keystore's resource policy statement PartnerRead", f"a principal of account {OUTSIDER}", "dynamodb:GetItem"]),
    ("wide inline policy on B's role", wide_consumer_policy, "BEYOND",
     ["xacct-instance's inline policy wide statement AnyRole (Action sts:AssumeRole; Resource *)", "do sts:AssumeRole on"]),
    ("MaxSessionDuration raised on A's role", session_raised, "CHANGED",
     ["xacct-access's MaxSessionDuration is 43200, the config says 3600"]),
    ("A's role deleted out of band", role_deleted, "MISSING",
     ["Account A's role xacct-access does not exist"]),
]


@pytest.mark.parametrize(("change", "status", "words"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_each_out_of_band_change_exits_1_naming_it(deployed: Deployed, change: Any, status: str, words: list[str]) -> None:
    undo = change(deployed)
    try:
        result = deployed.audit()
    finally:
        undo()
    assert result.exit_code == 1, result.output
    rows = [line.split()[0] for line in result.output.splitlines() if line.split()]
    assert status in rows, result.output
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL ")]
    assert any(all(w in line for w in words) for line in fails), "\n".join(fails)


def test_json_names_the_layer_and_explains_every_cell(deployed: Deployed) -> None:
    undo = table_policy(deployed)
    try:
        result = deployed.audit("--output", "json")
    finally:
        undo()
    assert result.exit_code == 1
    report = json.loads(result.output)
    finding = next(f for f in report["findings"] if f["kind"] == "beyond-config")
    assert finding["through"] == "table keystore's resource policy statement PartnerRead"
    assert finding["who"] == f"a principal of account {OUTSIDER}" and finding["resource"].endswith(":table/keystore")
    granted = next(c for c in report["matrix"] if c["action"] == "kms:Decrypt" and c["expected"])
    assert "xacct-access's inline policy xacct-access statement KMSEncryptDecrypt" in granted["allowed_by"]
    assert report["calls"] >= 15


def test_undone_changes_leave_a_clean_audit(deployed: Deployed) -> None:
    """Runs after the scenarios: every change was undone, so the audit is clean again."""
    result = deployed.audit("--explain")
    assert result.exit_code == 0, result.output
    assert "Live access matrix" in result.output and "kms:Encrypt on " + deployed.key_arn in result.output


def test_organization_policies_given_as_files_take_part(deployed: Deployed, tmp_path: Any) -> None:
    scp, rcp = tmp_path / "scp.json", tmp_path / "rcp.json"
    scp.write_text(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}))
    rcp.write_text(_doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:DeleteItem", "Resource": "*"}))
    result = deployed.audit("--scp", str(scp), "--rcp", str(rcp))
    assert result.exit_code == 1, result.output
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL ")]
    assert any("cannot kms:Decrypt" in f and "explicitly denied by SCP scp.json statement NoDecrypt" in f for f in fails), fails
    assert any("cannot dynamodb:DeleteItem" in f and "explicitly denied by RCP rcp.json statement NoDeletes" in f for f in fails), fails
    assert "were not considered" not in result.output
    allow_all = tmp_path / "allow.json"
    allow_all.write_text(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    assert deployed.audit("--scp", str(allow_all)).exit_code == 0


def test_a_policy_file_that_is_not_a_policy_exits_2(deployed: Deployed, tmp_path: Any) -> None:
    bad = tmp_path / "scp.json"
    bad.write_text('{"Version": "2012-10-17"}')
    result = deployed.audit("--scp", str(bad))
    assert result.exit_code == 2 and "needs a Statement" in result.output and "Traceback" not in result.output
