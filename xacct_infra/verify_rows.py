"""The rows ``verify`` reports: their statuses, the causes a failed row names, the table and the
summary line. The checks that produce them are in :mod:`xacct_infra.verify`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xacct_infra import arns, aws
from xacct_infra.config import AccountA

Status = Literal["ok", "FAIL", "skipped", "unproven"]
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}

CAUSE_PROPAGATION = "IAM propagation still in progress right after a deploy (run verify again in a minute)"
CAUSE_GRANT = "the role's policy does not grant {action} on {arn}: deploy Account A's stack from this config"
CAUSE_KEY_POLICY = ("the key policy lacks the default statement for account A's root ({root}, "
                    "kms:*), without which IAM grants are ineffective")
CAUSE_REGION = "not found in {region} of account {account}: wrong region in the config, or it does not exist yet"
CAUSE_TOO_BROAD = ("the role may do more than the config grants: look for other policies attached to {role} "
                   "(managed or extra inline policies, Resource \"*\")")


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    detail: str


def cause(exc: BaseException, a: AccountA, action: str, arn: str, region: str, *, kms: bool = False) -> str:
    """What a failed call of ``action`` on ``arn`` (in Account ``a``) most likely means, and what to do."""
    code = aws.error_code(exc)
    if code in DENIED:
        grant = CAUSE_GRANT.format(action=action, arn=arn)
        if kms:
            return f"{code}: {CAUSE_KEY_POLICY.format(root=arns.account_root_arn(a.partition, a.id))}; or {grant}; or {CAUSE_PROPAGATION}"
        return f"{code}: {grant}; or {CAUSE_PROPAGATION}"
    if code in ("ResourceNotFoundException", "NotFoundException"):
        return f"{code}: {arn} {CAUSE_REGION.format(region=region, account=a.id)}"
    if code in ("DisabledException", "KMSInvalidStateException"):
        return f"{code}: the key is disabled or pending deletion"
    return f"{code or type(exc).__name__}: unexpected error for {action} on {arn}"


def failed(rows: list[Row]) -> bool:
    return any(r.status in ("FAIL", "skipped") for r in rows)


def format_table(rows: list[Row]) -> str:
    width = max(len(r.check) for r in rows)
    return "".join(f"{r.status:<8}  {r.check:<{width}}  {r.detail}\n" for r in rows)


def summary(rows: list[Row]) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in ("ok", "FAIL", "skipped", "unproven")}
    text = f"{counts['ok']} ok, {counts['FAIL']} failed, {counts['skipped']} skipped, {counts['unproven']} unproven"
    if failed(rows):
        return f"verify FAILED: {text}"
    if counts["unproven"]:
        return f"verify passed with {counts['unproven']} denial(s) not proven: {text}"
    return f"verify passed: {text}"
