"""Validation of a consumer's ``kind`` and the keys that only some kinds take.

Kept apart from the generic validator: every key here is checked against the kind it belongs
to, so a key on the wrong kind is refused by name (``role_arn`` on a kind that creates its role,
``vpc_ids`` on a kind that is not EC2) instead of being silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from xacct_infra import arns, kinds
from xacct_infra.inputs import quote

if TYPE_CHECKING:
    from xacct_infra.config.fields import Fields

# Keys a consumer may carry besides the generic ones; which kind takes which is checked below.
KIND_KEYS: tuple[str, ...] = ("kind", "role_arn", "vpc_ids", "cluster", "namespace", "service_account", "credential_source")
_ONLY: dict[str, tuple[str, ...]] = {
    "role_arn": ("existing-role",), "credential_source": ("existing-role",), "vpc_ids": ("ec2",),
    "cluster": ("eks-pod-identity",), "namespace": ("eks-pod-identity",), "service_account": ("eks-pod-identity",),
}
MAX_VPC_IDS = 50
_VPC_ID = re.compile(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})", re.ASCII)
_ROLE_ARN = re.compile(r"arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>[0-9]{12}):role"
                       r"(?P<path>/(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})", re.ASCII)
_CLUSTER = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,99}", re.ASCII)  # EKS cluster names
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)  # Kubernetes DNS-1123 label
_SERVICE_ACCOUNT = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", re.ASCII)  # DNS-1123 subdomain


def kind_of(v: Fields, section: Mapping[str, Any], key: str) -> str:
    value = section.get("kind", kinds.DEFAULT_KIND)
    if not isinstance(value, str) or value not in kinds.KINDS:
        shown = quote(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise v.fail(f"{key}.kind", f"{shown} is not a consumer kind; allowed: {' | '.join(kinds.KIND_NAMES)}")
    return value


def default_role_name(kind: str) -> str:
    return kinds.spec(kind).default_role_name or "xacct-instance"


def kind_settings(v: Fields, section: Mapping[str, Any], key: str, kind: str, common: dict[str, Any],
                  trust: str) -> dict[str, Any]:
    """The Consumer fields ``kind`` adds; for existing-role, ``common``'s role name and path are set
    from ``role_arn``. Raises ConfigError naming the key."""
    for name, kinds_taking in _ONLY.items():
        if name in section and kind not in kinds_taking:
            reason = ("this kind creates its role: name it with role_name/role_path" if name == "role_arn" else
                      f"only kind = {' or '.join(repr(k) for k in kinds_taking)} takes it")
            raise v.fail(f"{key}.{name}", f"is not used with kind = {kind!r}; {reason}")
    out: dict[str, Any] = {"kind": kind}
    if kind == "existing-role":
        out["credential_source"] = _credential_source(v, section, key)
        _existing_role(v, section, key, common)
    if kind == "ec2" and "vpc_ids" in section:
        if trust != "roles":
            raise v.fail(f"{key}.vpc_ids", "needs account_a.trust = \"roles\": organization-wide trust cannot tell consumers apart")
        out["vpc_ids"] = _vpc_ids(v, section["vpc_ids"], f"{key}.vpc_ids")
    if kind == "eks-pod-identity":
        out["cluster"] = v.string(section, key, "cluster", None, _CLUSTER,
                                  "an EKS cluster name: 1..100 of [A-Za-z0-9_-], starting with a letter or digit")
        out["namespace"] = v.string(section, key, "namespace", None, _NAMESPACE,
                                    "a Kubernetes namespace: 1..63 of [a-z0-9-], starting and ending with a letter or digit")
        out["service_account"] = v.string(section, key, "service_account", None, _SERVICE_ACCOUNT,
                                          "a Kubernetes service account name: 1..253 of [a-z0-9.-], starting and ending with a letter or digit")
    return out


def _existing_role(v: Fields, section: Mapping[str, Any], key: str, common: dict[str, Any]) -> None:
    for name in ("role_name", "role_path"):
        if name in section:
            raise v.fail(f"{key}.{name}", "is not used with kind = \"existing-role\": role_arn names the role")
    if "role_arn" not in section:
        raise v.fail(f"{key}.role_arn", "is required with kind = \"existing-role\": arn:aws:iam::<this consumer's id>:role/<path/name>")
    value = section["role_arn"]
    where = f"{key}.role_arn"
    if not isinstance(value, str):
        raise v.fail(where, f"must be a string, got a {type(value).__name__}")
    match = _ROLE_ARN.fullmatch(value)
    if not match:
        raise v.fail(where, f"{quote(value)} is not an IAM role ARN; allowed: arn:<partition>:iam::<12 digits>:role/<path/>name")
    if match["account"] != common["id"]:
        raise v.fail(where, f"is in account {match['account']}, not this consumer's id {common['id']}; "
                     "a consumer's existing role must be in its own account")
    partition = arns.partition_for_region(common["region"])
    if match["partition"] != partition:
        raise v.fail(where, f"is in partition {match['partition']}, but region {common['region']} is in {partition}")
    if len(match["path"]) > 512:
        raise v.fail(where, f"has a path of {len(match['path'])} characters; IAM allows at most 512")
    common["role_name"], common["role_path"] = match["name"], match["path"]


def _credential_source(v: Fields, section: Mapping[str, Any], key: str) -> str | None:
    if "credential_source" not in section:
        return None
    value = section["credential_source"]
    if not isinstance(value, str) or value not in kinds.CREDENTIAL_SOURCES:
        shown = quote(value) if isinstance(value, str) else f"a {type(value).__name__}"
        raise v.fail(f"{key}.credential_source", f"{shown} is not a credential source; allowed: {' | '.join(kinds.CREDENTIAL_SOURCES)}")
    return value


def _vpc_ids(v: Fields, value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise v.fail(where, "must be a non-empty array of VPC ids ([\"vpc-0a1b2c3d\"])")
    if len(value) > MAX_VPC_IDS:
        raise v.fail(where, f"lists {len(value)} VPCs; at most {MAX_VPC_IDS}")
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _VPC_ID.fullmatch(item):
            shown = quote(item) if isinstance(item, str) else f"a {type(item).__name__}"
            raise v.fail(f"{where}[{i}]", f"{shown} is not a VPC id; allowed: vpc- and 8 or 17 lowercase hex digits")
        if item in seen:
            raise v.fail(f"{where}[{i}]", f"{item!r} is listed twice")
        seen.add(item)
    return tuple(value)
