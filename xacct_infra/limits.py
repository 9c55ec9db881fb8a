"""IAM and CloudFormation size limits, counted before anything is deployed.

IAM counts policy characters without whitespace, after CloudFormation has substituted the
intrinsics, so sizes here are ``json.dumps(..., separators=(",", ":"))`` of the policy
resolved for the longest partition name (``aws-us-gov``): a template that fits there fits
in every partition. When the grants do not fit in the role's inline policy they are packed,
in config order, into customer-managed policies attached to the role; when even those are
not enough, :class:`TemplateLimitError` names the limit, the size and the quota to raise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from awacs.aws import PolicyDocument
from troposphere import Sub, encode_to_dict

from xacct_infra import policies, quotas
from xacct_infra.config import AccessRole, AccountA
from xacct_infra.errors import TemplateLimitError
from xacct_infra.intrinsics import Context, resolve

INLINE_POLICIES_PER_ROLE = quotas.INLINE_POLICIES_PER_ROLE
MANAGED_POLICY = quotas.MANAGED_POLICY
WORST_PARTITION = "aws-us-gov"


def chars(document: Any, *, region: str = "us-east-1", account_id: str = "111111111111", partition: str = WORST_PARTITION) -> int:
    """Characters IAM counts for a policy document (awacs object or plain dict)."""
    plain = resolve(encode_to_dict(document), Context(partition, region, account_id))
    return len(json.dumps(plain, separators=(",", ":"), ensure_ascii=False))


@dataclass
class _Bin:
    capacity: int
    overhead: int  # the document with no statements
    statements: list[tuple[str, policies.AccessGrant, list[Sub]]] = field(default_factory=list)
    used: int = 0


@dataclass(frozen=True)
class Packed:
    inline: PolicyDocument | None
    managed: tuple[PolicyDocument, ...] = ()


def pack_access(role: AccessRole, *, managed_quota: int | None = None, source: str = "xacct.toml") -> Packed:
    """The access grants as one inline policy when they fit (the common case, unchanged
    output), else the inline policy filled first and the rest in managed policies."""
    a = role.owner
    whole = policies.access_policy(role)
    if chars(whole, region=a.region, account_id=a.id) <= INLINE_POLICIES_PER_ROLE:
        return Packed(whole)
    quota = a.managed_policies_quota if managed_quota is None else managed_quota
    bins = _pack(a, policies.access_grants(role))
    needed = len(bins) - 1
    if needed > quota:
        total = sum(b.overhead + b.used for b in bins)
        raise TemplateLimitError(
            f"{source}: account_a.tables: the grants are {total:,} policy characters (counted without whitespace for partition "
            f"{WORST_PARTITION}) and need {needed} managed policies of {MANAGED_POLICY:,} besides the {INLINE_POLICIES_PER_ROLE:,}-character "
            f"inline policy, but account_a.managed_policies_quota is {quota}; raise the IAM quota 'Managed policies per role' "
            "(up to 20) and set managed_policies_quota, or split the tables across roles")
    documents = [policies.document([g.statement(resources, sid) for sid, g, resources in b.statements]) for b in bins]
    return Packed(documents[0] if bins[0].statements else None, tuple(documents[1:]))


def _pack(a: AccountA, grants: Sequence[policies.AccessGrant]) -> list[_Bin]:
    """Greedy, deterministic: resources in config order fill the current policy; the next
    policy starts when one more resource would not fit. A statement split across policies
    keeps its Sid in the first and gets ``Part2``, ``Part3``... in the next ones."""
    def measure(document: Any) -> int:
        return chars(document, region=a.region, account_id=a.id)

    empty_doc = measure(policies.document([]))
    bins = [_Bin(INLINE_POLICIES_PER_ROLE, empty_doc)]
    for grant in grants:
        chunk = 0
        overhead = measure(grant.statement([]))  # the statement with "Resource":[]
        for resource in grant.resources:
            size = measure([resource]) - 2  # the resource itself, without the brackets
            current = bins[-1]
            continuing = chunk > 0 and current.statements[-1][1] is grant
            extra = size + 1 if continuing else overhead + size + (1 if current.statements else 0)
            if current.overhead + current.used + extra > current.capacity:
                current, continuing, extra = _Bin(MANAGED_POLICY, empty_doc), False, overhead + size
                bins.append(current)
            if continuing:
                current.statements[-1][2].append(resource)
            else:
                chunk += 1
                current.statements.append((grant.sid if chunk == 1 else f"{grant.sid}Part{chunk}", grant, [resource]))
            current.used += extra
    return bins


def check_trust(document: PolicyDocument, a: AccountA, source: str, what: str) -> None:
    size = chars(document, region=a.region, account_id=a.id)
    if size > a.trust_policy_quota:
        raise TemplateLimitError(
            f"{source}: {what} is {size:,} characters (counted without whitespace for partition {WORST_PARTITION}) but the "
            f"trust policy quota is {a.trust_policy_quota:,}; shorten role_path/role_name/external_id, or raise the IAM quota "
            "'Role trust policy length' (up to 4,096) and set account_a.trust_policy_quota")
