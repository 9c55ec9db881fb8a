"""``audit``: the live accounts held against the config, across every policy layer.

The live documents (read by ``access.live``) are evaluated with the same offline evaluator as
``check``, request by request, the way AWS decides this pattern:

* Account B's role calls ``sts:AssumeRole`` on Account A's role: B's identity policies ∩ its
  boundary (∩ SCPs) must allow, A's trust policy must admit it (∩ RCPs);
* A's role acts on each table and key: its identity policies ∩ its boundary (∩ SCPs) must
  allow; a key's policy must enable IAM policies for the account or name the role (or a grant
  must cover it); a table's (or stream's) resource policy may add or deny; an explicit Deny in
  any layer wins;
* every other principal a live resource policy, trust policy or grant names, a stranger in a
  third account and another principal of Account B (both with an administrator's identity in
  their own account) are asked the same questions: they must get nothing.

Absence is proved adversarially (the caller may choose every condition key the request does not
pin), granted access strictly, as in ``check``. What is compared with the config comes from the
config (``matrix.expected_grants_for``), never from the live documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from xacct_infra import arns
from xacct_infra.access import compare, matrix
from xacct_infra.access.evaluator import Decision, Policy, Request, StatementRef, authorize
from xacct_infra.access.layers import Actor, Layers
from xacct_infra.access.live import LiveRole, Snapshot
from xacct_infra.access.plan import Plan

Kind = Literal["not-working", "beyond-config", "missing", "property"]


@dataclass(frozen=True, order=True)
class Finding:
    kind: Kind
    who: str
    what: str
    resource: str
    through: str  # the policy and statement (or the layer) that decides it
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "who": self.who, "what": self.what, "resource": self.resource,
                "through": self.through, "message": self.message}


@dataclass(frozen=True, order=True)
class Cell:
    """One allowed request of the live access matrix, and the statements that allow it."""

    who: str
    action: str
    resource: str
    allowed_by: tuple[str, ...]
    expected: bool

    def to_dict(self) -> dict[str, Any]:
        return {"who": self.who, "action": self.action, "resource": self.resource,
                "allowed_by": list(self.allowed_by), "expected": self.expected}


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    calls: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


def evaluate(plan: Plan, owner: Snapshot, consumers: Mapping[str, Snapshot], org: Layers) -> Report:
    """Every finding and the access matrix for the accounts as read."""
    report = Report(calls=owner.calls + sum(s.calls for s in consumers.values()))
    layers = plan.layers(owner, consumers, org)
    report.findings += _missing(plan, owner, consumers) + _properties(plan, owner, consumers) + _trusts(plan, owner, consumers)
    report.notes += layers.notes
    for actor in plan.actors(owner, consumers, layers):
        _sweep(report, actor, layers, plan.requests_for(actor, layers))
    report.findings += _grants(plan, owner, layers)
    report.findings = sorted(set(report.findings), key=lambda f: (_ORDER[f.kind], f.who, f.through, f.resource))
    report.cells.sort()
    return report


_ORDER = {"missing": 0, "not-working": 1, "beyond-config": 2, "property": 3}


# --------------------------------------------------------------------------- one principal


def _sweep(report: Report, actor: Actor, layers: Layers, requests: Iterable[tuple[str, str]]) -> None:
    missing: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)  # (blocker, through) -> cells
    beyond: dict[StatementRef, list[tuple[str, str]]] = defaultdict(list)
    for action, resource in requests:
        expected = (action, resource) in actor.expected
        report.requests += 1
        decision = decide(actor, action, resource, layers, strict=expected)
        if decision.allowed:
            refs = tuple(str(r) for r in decision.allowed_by if r.policy != matrix.WORST_CASE)
            report.cells.append(Cell(actor.label, action, resource, refs, expected))
            if not expected:
                for ref in _blame(actor, decision.allowed_by):
                    beyond[ref].append((action, resource))
        elif expected:
            missing[layers.blocker(actor, action, resource, decision)].append((action, resource))
    for (blocker, through), cells in sorted(missing.items()):
        what, where = _summary(cells)
        report.findings.append(Finding("not-working", actor.label, what, where, through,
                                       f"{actor.label} cannot {what} on {where}, which the config grants: {blocker}"))
    for ref, cells in sorted(beyond.items()):
        what, where = _summary(cells)
        quoted = layers.quote(ref)
        report.findings.append(Finding("beyond-config", actor.label, what, where, str(ref),
                                       f"{ref} ({quoted}) lets {actor.label} do {what} on {where}, which the config does not grant"))


def decide(actor: Actor, action: str, resource: str, layers: Layers, *, strict: bool) -> Decision:
    """One request through every layer: identity ∩ boundary ∩ SCPs, the resource's policy, RCPs, grants."""
    request = Request(actor.principal, action, resource, actor.context, adversarial=not strict)
    resource_policies, required = layers.resource_policies(action, resource)
    owner = layers.owner_of(resource, actor.principal)
    decision = authorize(request, identity=actor.identity, resource=resource_policies, boundary=actor.boundary,
                         resource_account=owner, trust=required)
    if not decision.allowed and decision.effect != "Deny":
        grant = layers.grant_for(actor, action, resource)
        if grant is not None and _identity_allows(request, actor, owner):
            decision = Decision("Allow", allowed_by=(grant,))
    if decision.allowed:
        capped = layers.org_cap(request, actor, owner)
        if capped is not None:
            return capped
    return decision


def _identity_allows(request: Request, actor: Actor, owner: str | None) -> bool:
    """A KMS grant works for a principal of the key's account alone, and across accounts with an identity allow."""
    if owner == actor.principal.account:
        return True
    return authorize(request, identity=actor.identity, boundary=actor.boundary).allowed


def _blame(actor: Actor, refs: Sequence[StatementRef]) -> list[StatementRef]:
    """The live statements responsible: for one of the config's roles its own policies (a key or trust policy
    that delegates to IAM is not the fault); for a stranger with a worst-case identity, the resource side."""
    own = [r for r in refs if r.policy != matrix.WORST_CASE]
    mine = [r for r in own if r.policy in actor.identity_names]
    if actor.foreign:
        return [r for r in own if r not in mine] or own
    return mine or own


def _summary(cells: Sequence[tuple[str, str]]) -> tuple[str, str]:
    actions = sorted({a for a, _ in cells}, key=str.lower)
    resources = sorted({r for _, r in cells})
    what = ", ".join(actions) if len(actions) <= 4 else f"{len(actions)} actions ({', '.join(actions[:3])}, ...)"
    where = ", ".join(resources) if len(resources) <= 2 else f"{len(resources)} resources ({', '.join(resources[:2])}, ...)"
    return what, where


# --------------------------------------------------------------------------- KMS grants


def _grants(plan: Plan, owner: Snapshot, layers: Layers) -> list[Finding]:
    """Grants that give a principal more than the config gives it (a grant is a way in of its own)."""
    out = []
    for arn, key in sorted(owner.keys.items()):
        for grant in key.grants:
            grantee = str(grant.get("GranteePrincipal", ""))
            actions = sorted(f"kms:{op}" for op in grant.get("Operations", []))
            allowed = {a for a, r in plan.expected_for_principal(grantee) if r == arn}
            extra = [a for a in actions if a not in allowed]
            if not extra:
                continue
            gid = str(grant.get("GrantId", "?"))
            if grantee.endswith(".amazonaws.com"):
                layers.notes.append(f"key {arn} has grant {gid} for the service {grantee} ({', '.join(extra)})")
                continue
            who = layers.describe_principal(grantee)
            what = ", ".join(extra)
            out.append(Finding("beyond-config", who, what, arn, f"key {_short(arn)}'s grant {gid}",
                               f"key {_short(arn)}'s grant {gid} lets {who} {what}, which the config does not grant"))
    return out


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# --------------------------------------------------------------------------- pieces and role properties


def _missing(plan: Plan, owner: Snapshot, consumers: Mapping[str, Snapshot]) -> list[Finding]:
    a = plan.config.account_a
    out = []

    def gone(who: str, what: str, resource: str, message: str) -> None:
        out.append(Finding("missing", who, what, resource, "live account", message))

    for stack in owner.stacks.values():
        if not stack.exists:
            gone("Account A", "stack", stack.name, f"Account A's stack {stack.name} does not exist in {a.id} {a.region}")
    for role in plan.roles:
        if owner.roles.get(role.name) is None:
            gone("Account A", "role", role.arn, f"Account A's role {role.name} does not exist ({role.arn}): nothing can assume it")
    for name, table in sorted(owner.tables.items()):
        if not table.exists:
            gone("Account A", "table", name, f"table {name} does not exist in {a.id} {a.region}")
    for arn, key in sorted(owner.keys.items()):
        if not key.exists:
            gone("Account A", "key", arn, f"key {arn} does not exist")
    for b in plan.consumers:
        snap = consumers.get(b.name, Snapshot(b.id))
        who = f"consumer {b.name}"
        for stack in snap.stacks.values():
            if not stack.exists:
                gone(who, "stack", stack.name, f"{who}'s stack {stack.name} does not exist in {b.id} {b.region}")
        if snap.roles.get(b.role_name) is None:
            gone(who, "role", b.role_arn, f"{who}'s role {b.role_name} does not exist ({b.role_arn})")
        profile = snap.profiles.get(b.role_name)
        if profile is not None and not profile.exists:
            gone(who, "instance profile", b.role_name, f"{who}'s instance profile {b.role_name} does not exist")
        elif profile is not None and b.role_arn not in profile.roles:
            gone(who, "instance profile", b.role_name, f"{who}'s instance profile {b.role_name} does not hold the role {b.role_arn}")
    return out


def _trusts(plan: Plan, owner: Snapshot, consumers: Mapping[str, Snapshot]) -> list[Finding]:
    """Each live trust policy compared exactly with the generator's (``compare.compare_trust``, as ``check`` does):
    a principal kind, action or condition the config does not use is a finding even where no probe gets in."""
    out = []
    for live, expected in plan.expected_trusts(owner, consumers):
        where = f"{live.name}'s trust policy"
        for f in compare.compare_trust(live.trust, expected, where=where, partition=plan.partition):
            through = f"{where} statement {f.statement}" if f.statement else where
            out.append(Finding("beyond-config", live.name, "trust", live.arn, through, f"{through}: {f.message}"))
    return out


def _properties(plan: Plan, owner: Snapshot, consumers: Mapping[str, Snapshot]) -> list[Finding]:
    a = plan.config.account_a
    out = []
    checks: list[tuple[LiveRole | None, str, int, str | None]] = [
        (owner.roles.get(r.name), a.role_path, a.max_session_duration, a.permissions_boundary) for r in plan.roles]
    checks += [(consumers.get(b.name, Snapshot(b.id)).roles.get(b.role_name), b.role_path, 3600, None) for b in plan.consumers
               if b.spec.creates_role]
    for live, path, session, boundary in checks:
        if live is None:
            continue
        for prop, got, want in (("Path", live.path, path), ("MaxSessionDuration", live.max_session, session),
                                ("PermissionsBoundary", live.boundary_arn, boundary)):
            if got != want:
                out.append(Finding("property", live.name, prop, live.arn, f"{live.name}'s {prop}",
                                   f"{live.name}'s {prop} is {got or 'not set'}, the config says {want or 'not set'}"))
    return out


# --------------------------------------------------------------------------- inputs and outputs


def org_layers(scps: Sequence[tuple[str, Mapping[str, Any]]], rcps: Sequence[tuple[str, Mapping[str, Any]]]) -> Layers:
    """The organization policies given as files (``--scp``/``--rcp``): (name, document) each."""
    out = Layers("", scps=tuple(Policy(n, d) for n, d in scps), rcps=tuple(Policy(n, d) for n, d in rcps))
    if not scps:
        out.notes.append("service control policies were not considered (none given with --scp)")
    if not rcps:
        out.notes.append("resource control policies were not considered (none given with --rcp)")
    return out


def read_policies(plan: Plan) -> dict[str, Any]:
    """The read-only IAM policy ``audit`` needs, per account, scoped to what the config names."""
    a, p = plan.config.account_a, plan.partition
    iam_role = ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"]
    policies = ["iam:GetPolicy", "iam:GetPolicyVersion"]

    def policy_arns(account: str) -> list[str]:  # attached policies are not known in advance: the account's and AWS's
        return [arns.managed_policy_arn(p, account, "/", "*"), arns.managed_policy_arn(p, "aws", "/", "*")]

    def stack(region: str, account: str, name: str) -> str:
        return arns.stack_arn(p, region, account, name)

    owner = plan.owner_plan()
    tables = [arns.table_arn(p, a.region, a.id, t) for t in owner.tables]
    statements = [
        {"Sid": "ReadAccessRoles", "Effect": "Allow", "Action": iam_role, "Resource": [r.arn for r in plan.roles]},
        {"Sid": "ReadAttachedPolicies", "Effect": "Allow", "Action": policies, "Resource": policy_arns(a.id)},
        {"Sid": "ReadKeys", "Effect": "Allow", "Action": ["kms:GetKeyPolicy", "kms:ListGrants"], "Resource": list(owner.keys)},
        {"Sid": "ReadTables", "Effect": "Allow", "Action": ["dynamodb:DescribeTable", "dynamodb:GetResourcePolicy"],
         "Resource": tables + [f"{t}/stream/*" for t in tables]},
        {"Sid": "ReadStack", "Effect": "Allow", "Action": ["cloudformation:DescribeStacks"], "Resource": [stack(a.region, a.id, a.stack_name)]},
    ]
    out: dict[str, Any] = {f"account_a ({a.id})": {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}}
    for b in plan.consumers:
        profile = arns.instance_profile_arn(p, b.id, b.role_path, b.role_name)
        out[f"consumer {b.name} ({b.id})"] = {"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadConsumerRole", "Effect": "Allow", "Action": iam_role, "Resource": [b.role_arn]},
            {"Sid": "ReadAttachedPolicies", "Effect": "Allow", "Action": policies, "Resource": policy_arns(b.id)},
            {"Sid": "ReadInstanceProfile", "Effect": "Allow", "Action": ["iam:GetInstanceProfile"], "Resource": [profile]},
            {"Sid": "ReadStack", "Effect": "Allow", "Action": ["cloudformation:DescribeStacks"], "Resource": [stack(b.region, b.id, b.stack_name)]},
        ]}
    return out


def to_dict(report: Report, plan: Plan) -> dict[str, Any]:
    return {
        "config": plan.config.source, "ok": report.ok, "account_a": plan.config.account_a.id,
        "consumers": [{"name": b.name, "id": b.id} for b in plan.consumers],
        "calls": report.calls, "requests": report.requests,
        "findings": [f.to_dict() for f in report.findings], "notes": report.notes,
        "matrix": [c.to_dict() for c in report.cells],
    }
