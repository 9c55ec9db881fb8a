"""The live reader on what the emulator cannot show: pagination of every list call (botocore
Stubber on real botocore clients), throttling absorbed by botocore's standard retry mode and a
refused read (a scripted proxy in front of the emulator), each refused read naming the permission."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.conftest import A_ID, EMU_CONFIG
from tests.flaky_proxy import THROTTLE, FlakyProxy
from xacct_infra import aws
from xacct_infra.access import live

ROLE = f"arn:aws:iam::{A_ID}:role/xacct-access"
KEY = f"arn:aws:kms:us-east-1:{A_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DENIED = (400, b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error>"
               b"<RequestId>x</RequestId></ErrorResponse>")


def _doc(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


@pytest.fixture
def stubbed() -> Iterator[tuple[dict[str, Any], dict[str, Stubber]]]:
    clients = {s: boto3.client(s, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y") for s in ("iam", "kms")}
    stubs = {s: Stubber(c) for s, c in clients.items()}
    for stub in stubs.values():
        stub.activate()
    yield clients, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def reader(clients: dict[str, Any], **plan: Any) -> live.Reader:
    return live.Reader(lambda service, region: clients[service], live.ReadPlan(A_ID, "us-east-1", **plan), jobs=1)


def test_every_list_call_follows_its_pages(stubbed: tuple[dict[str, Any], dict[str, Stubber]]) -> None:
    clients, stubs = stubbed
    iam, kms = stubs["iam"], stubs["kms"]
    role = {"Path": "/", "RoleName": "xacct-access", "RoleId": "AROAEXAMPLEEXAMPLE01", "Arn": ROLE, "CreateDate": "2026-01-01",
            "AssumeRolePolicyDocument": _doc("sts:AssumeRole"), "MaxSessionDuration": 3600}
    iam.add_response("get_role", {"Role": role}, {"RoleName": "xacct-access"})
    iam.add_response("list_role_policies", {"PolicyNames": ["a", "b"], "IsTruncated": True, "Marker": "m1"}, {"RoleName": "xacct-access"})
    iam.add_response("list_role_policies", {"PolicyNames": ["c"], "IsTruncated": False}, {"RoleName": "xacct-access", "Marker": "m1"})
    for name in ("a", "b", "c"):
        iam.add_response("get_role_policy", {"RoleName": "xacct-access", "PolicyName": name, "PolicyDocument": _doc(f"s3:{name}")},
                         {"RoleName": "xacct-access", "PolicyName": name})
    managed = [f"arn:aws:iam::{A_ID}:policy/p{i}" for i in (1, 2)]
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [{"PolicyArn": managed[0], "PolicyName": "p1"}],
                                                      "IsTruncated": True, "Marker": "m2"}, {"RoleName": "xacct-access"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [{"PolicyArn": managed[1], "PolicyName": "p2"}],
                                                      "IsTruncated": False}, {"RoleName": "xacct-access", "Marker": "m2"})
    for i, arn in enumerate(managed, 1):
        iam.add_response("get_policy", {"Policy": {"PolicyName": f"p{i}", "Arn": arn, "DefaultVersionId": "v3"}}, {"PolicyArn": arn})
        iam.add_response("get_policy_version", {"PolicyVersion": {"Document": _doc(f"ec2:p{i}"), "VersionId": "v3"}},
                         {"PolicyArn": arn, "VersionId": "v3"})
    kms.add_response("get_key_policy", {"Policy": _doc("kms:*")}, {"KeyId": KEY, "PolicyName": "default"})
    kms.add_response("list_grants", {"Grants": [{"GrantId": "g1", "GranteePrincipal": ROLE, "Operations": ["Decrypt"]}],
                                     "Truncated": True, "NextMarker": "n1"}, {"KeyId": KEY})
    kms.add_response("list_grants", {"Grants": [{"GrantId": "g2", "GranteePrincipal": ROLE, "Operations": ["Encrypt"]}],
                                     "Truncated": False}, {"KeyId": KEY, "Marker": "n1"})
    snap = reader(clients, roles=("xacct-access",), keys=(KEY,)).read()
    got = snap.roles["xacct-access"]
    assert got is not None
    assert [n for n, _ in got.inline] == ["a", "b", "c"] and got.inline[2][1]["Statement"][0]["Action"] == "s3:c"
    assert [p.name for p in got.attached] == ["p1", "p2"] and got.attached[1].document["Statement"][0]["Action"] == "ec2:p2"
    assert [g["GrantId"] for g in snap.keys[KEY].grants] == ["g1", "g2"]
    assert snap.calls == 1 + 2 + 3 + 2 + 4 + 1 + 2  # every page and every document read is one call


@pytest.mark.parametrize(("service", "op", "code", "permission"), [
    ("kms", "get_key_policy", "AccessDeniedException", "kms:GetKeyPolicy"),
    ("iam", "get_role", "AccessDenied", "iam:GetRole"),
])
def test_a_refused_read_names_the_missing_permission(stubbed: tuple[dict[str, Any], dict[str, Stubber]], service: str, op: str,
                                                    code: str, permission: str) -> None:
    clients, stubs = stubbed
    stubs[service].add_client_error(op, code, "User is not authorized")
    plan = {"keys": (KEY,)} if service == "kms" else {"roles": ("xacct-access",)}
    with pytest.raises(live.ReadDenied) as info:
        reader(clients, **plan).read()
    assert info.value.exit_code == 2
    assert f"audit cannot read account {A_ID}: {permission} on" in str(info.value) and "--print-policy" in str(info.value)


# ------------------------------------------------------------------ over HTTP, through a scripted proxy


@pytest.fixture
def proxied(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FlakyProxy, Callable[[], live.Reader]]]:
    emulator.client("iam", credentials=emulator.mint(A_ID)).create_role(
        RoleName="xacct-access", AssumeRolePolicyDocument=_doc("sts:AssumeRole"))
    proxy = FlakyProxy(emulator.url)
    target = aws.Target("us-east-1", "owner", proxy.url)
    sess = aws.session(target)

    def make() -> live.Reader:
        return live.Reader(lambda service, region: aws.client(sess, service, target), live.ReadPlan(A_ID, "us-east-1", roles=("xacct-access",)))

    yield proxy, make
    proxy.stop()


def test_throttled_reads_are_retried_by_botocore(proxied: tuple[FlakyProxy, Callable[[], live.Reader]]) -> None:
    proxy, make = proxied
    proxy.failures["GetRole"] = [THROTTLE, THROTTLE]
    proxy.failures["ListRolePolicies"] = [THROTTLE]
    snap = make().read()
    assert snap.roles["xacct-access"] is not None
    assert proxy.actions().count("GetRole") == 3 and proxy.actions().count("ListRolePolicies") == 2


def test_audit_exits_2_with_one_line_when_a_read_is_refused(proxied: tuple[FlakyProxy, Callable[[], live.Reader]],
                                                           run: Callable[..., Any], write_config: Callable[[str], Any]) -> None:
    proxy, _ = proxied
    proxy.failures["ListAttachedRolePolicies"] = [DENIED]
    result = run("audit", "--config", str(write_config(EMU_CONFIG)), "--endpoint-url", proxy.url)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "iam:ListAttachedRolePolicies on arn:aws:iam::111111111111:role/xacct-access was refused" in lines[0]


def test_print_policy_is_read_only_and_names_what_the_config_names(run: Callable[..., Any]) -> None:
    from tests.conftest import ROOT

    result = run("audit", "--config", str(ROOT / "xacct.toml"), "--print-policy")
    assert result.exit_code == 0
    policies = json.loads(result.stdout)
    assert set(policies) == {"account_a (111111111111)", "consumer 222222222222 (222222222222)"}
    statements = [st for doc in policies.values() for st in doc["Statement"]]
    actions = {a for st in statements for a in st["Action"]}
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in actions), actions
    assert {"iam:GetRole", "kms:GetKeyPolicy", "kms:ListGrants", "dynamodb:GetResourcePolicy", "iam:GetInstanceProfile"} <= actions
    resources = [r for st in statements for r in st["Resource"]]
    assert "*" not in resources and KEY in resources
    assert all(r.endswith(("policy/*", "stream/*")) or "stack/" in r or "*" not in r for r in resources), resources
