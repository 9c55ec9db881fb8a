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
CAUSE_LAYERS = ("or a Deny in a permissions boundary on {role}, {resource_policy}an SCP or an RCP of the organization; "
                "`xacct-infra audit` reads every layer and names the statement")
CAUSE_AUDIT = "`xacct-infra audit` names the statement that allows it"


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    detail: str


def cause(exc: BaseException, a: AccountA, action: str, arn: str, region: str, *, kms: bool = False, role: str = "the role") -> str:
    """What a failed call of ``action`` on ``arn`` (in Account ``a``) most likely means, and what to do:
    for a denial, every layer that can deny a call the role's policy grants."""
    code = aws.error_code(exc)
    if code in DENIED:
        grant = CAUSE_GRANT.format(action=action, arn=arn)
        if kms:
            layers = CAUSE_LAYERS.format(role=role, resource_policy="a Deny in the key policy, ")
            return (f"{code}: {CAUSE_KEY_POLICY.format(root=arns.account_root_arn(a.partition, a.id))}; or {grant}; "
                    f"{layers}; or {CAUSE_PROPAGATION}")
        table = _table_name(arn)
        layers = CAUSE_LAYERS.format(role=role, resource_policy=f"the resource policy of table {table}, " if table else "")
        return f"{code}: {grant}; {layers}; or {CAUSE_PROPAGATION}"
    if code in ("ResourceNotFoundException", "NotFoundException"):
        return f"{code}: {arn} {CAUSE_REGION.format(region=region, account=a.id)}"
    if code in ("DisabledException", "KMSInvalidStateException"):
        return f"{code}: the key is disabled or pending deletion"
    return f"{code or type(exc).__name__}: unexpected error for {action} on {arn}"


def _table_name(arn: str) -> str | None:
    """The table an ARN names (``...:table/NAME`` or an index or stream of it), or None."""
    _, found, rest = arn.partition(":table/")
    return rest.split("/", 1)[0] if found and ":dynamodb:" in arn else None


def too_broad(outcome: str, *, role: str, action: str, resource: str | None, exists: bool, endpoint: str | None) -> str:
    """Why a call that had to be denied was allowed: only the layers that can allow it. An identity
    policy of ``role`` always can (a List* call has no resource: only that); an existing table's
    resource policy, an existing key's key policy or a grant on it can too. Against an endpoint
    that is not AWS's, an emulator (which enforces no IAM) is the likelier cause."""
    if resource is None:
        where = f'a policy attached to {role} (a managed or extra inline policy) allows {action} on Resource "*"'
    elif not exists:
        where = (f"a policy attached to {role} (a managed or extra inline policy) allows {action} on {resource}, "
                 "which does not exist (through a wildcard, or by its name)")
    elif action.startswith("kms:"):
        where = (f"a policy attached to {role} (a managed or extra inline policy), the key policy of {resource} "
                 "or a grant on it allows it")
    else:
        table = _table_name(resource) or resource
        where = (f"a policy attached to {role} (a managed or extra inline policy) or the resource policy of table {table} "
                 "allows it")
    emulator = (f"; {endpoint} is not AWS's own endpoint: if it is an emulator, which enforces no IAM, pass --emulator"
                if endpoint else "")
    return f"{outcome} instead of AccessDenied: the role may do more than the config grants: {where}; {CAUSE_AUDIT}{emulator}"


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
