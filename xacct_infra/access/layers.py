"""The live documents ``audit`` asks through, indexed by resource, and the principals it asks about.

:class:`Layers` holds each resource's policy as read (trust, key and table/stream policies), KMS
grants and the organization policies given on the command line, and knows how to name the
layer that refuses a request. :class:`Actor` is one principal with its identity as read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xacct_infra import arns
from xacct_infra.access.evaluator import ContextValue, Decision, Policy, Principal, Request, StatementRef, authorize


@dataclass(frozen=True)
class Actor:
    label: str
    principal: Principal
    identity: tuple[Policy, ...]
    boundary: tuple[Policy, ...] | None
    context: Mapping[str, ContextValue]
    expected: frozenset[tuple[str, str]] = frozenset()
    foreign: bool = False  # not one of the config's roles: its identity is a worst case
    org_member: bool = True  # SCPs apply (Account A and the consumers' accounts)
    not_ours: bool = False  # an existing role (consumer kind existing-role): only what it may assume is audited

    @property
    def identity_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.identity + (self.boundary or ()))


@dataclass
class Layers:
    """The live documents, indexed by resource ARN, and the organization policies."""

    owner: str
    roles: dict[str, tuple[str, Policy]] = field(default_factory=dict)  # role ARN -> (account, trust policy)
    keys: dict[str, Policy] = field(default_factory=dict)  # key ARN -> key policy
    grants: dict[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    tables: dict[str, tuple[Policy | None, Policy | None, str | None]] = field(default_factory=dict)  # name -> (table, stream, stream ARN)
    scps: tuple[Policy, ...] = ()
    rcps: tuple[Policy, ...] = ()
    org_accounts: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)  # ARNs of configured roles, keys and tables that do not exist
    statements: dict[StatementRef, Mapping[str, Any]] = field(default_factory=dict)

    def index(self, policies: Iterable[Policy]) -> None:
        for policy in policies:
            items = policy.document.get("Statement", [])
            for i, st in enumerate(items if isinstance(items, list) else [items]):
                if isinstance(st, dict):
                    self.statements[StatementRef(policy.name, str(st.get("Sid") or f"Statement[{i}]"))] = st

    def resource_policies(self, action: str, resource: str) -> tuple[list[Policy], bool]:
        """The resource's own policies and whether one of them must allow (trust policies, key policies)."""
        if resource in self.gone:
            return [], True
        if resource in self.roles:
            return [self.roles[resource][1]], True
        if resource in self.keys:
            return [self.keys[resource]], True
        table = table_of(resource)
        if table is not None and table in self.tables and account_of(resource) == self.owner:
            table_policy, stream_policy, _ = self.tables[table]
            chosen = stream_policy if "/stream/" in resource else table_policy
            return ([chosen] if chosen else []), False
        return [], False

    def owner_of(self, resource: str, principal: Principal) -> str | None:
        """The account whose resource policy decides; None when the resource's own policy is unknown
        (then the identity alone is judged, which is what an identity policy offers)."""
        if resource in self.roles:
            return self.roles[resource][0]
        if resource in self.gone:
            return account_of(resource)
        if resource in self.keys or (table_of(resource) in self.tables and account_of(resource) == self.owner):
            return self.owner
        return None

    def grant_for(self, actor: Actor, action: str, resource: str) -> StatementRef | None:
        if not action.lower().startswith("kms:"):
            return None
        for grant in self.grants.get(resource, ()):
            grantee = str(grant.get("GranteePrincipal", ""))
            ops = {f"kms:{op}".lower() for op in grant.get("Operations", [])}
            p = actor.principal
            if action.lower() in ops and grantee in (p.arn, p.account, arns.account_root_arn(_partition(resource), p.account or "")):
                return StatementRef(f"key {resource.rsplit('/', 1)[-1]}'s grant", str(grant.get("GrantId", "?")))
        return None

    def org_cap(self, request: Request, actor: Actor, owner: str | None) -> Decision | None:
        """An SCP (on the caller's account) or RCP (on the resource's account) that refuses; None if none does."""
        if actor.principal.service is not None:
            return None
        if actor.org_member and actor.principal.account in self.org_accounts:
            for scp in self.scps:
                d = authorize(request, identity=[scp])
                if not d.allowed:
                    return d
        if owner is not None and owner in self.org_accounts:
            for rcp in self.rcps:
                d = authorize(request, resource=[rcp], trust=True)
                if not d.allowed:
                    return d
        return None

    def blocker(self, actor: Actor, action: str, resource: str, decision: Decision) -> tuple[str, str]:
        """(why, which layer) a granted request is refused, naming the first layer that refuses it."""
        if decision.effect == "Deny":
            refs = ", ".join(str(r) for r in decision.denied_by)
            return f"explicitly denied by {refs}", refs
        request = Request(actor.principal, action, resource, actor.context)
        who = actor.label
        if resource in self.gone:
            return f"{resource} does not exist", "live account"
        if not authorize(request, identity=actor.identity).allowed:
            return f"no identity policy of {who} allows it", f"{who}'s identity policies"
        if actor.boundary is not None and not authorize(request, identity=actor.boundary).allowed:
            name = actor.boundary[0].name
            return f"{name} does not allow it", name
        policies, required = self.resource_policies(action, resource)
        if required and resource in self.keys:
            name = f"key policy of {resource.rsplit('/', 1)[-1]}"
            return (f"the {name} does not enable IAM policies for account {self.owner} and does not name {actor.principal.arn}",
                    name)
        if required and policies:
            return f"{policies[0].name} does not admit {who}", policies[0].name
        for kind, items in (("SCP", self.scps), ("RCP", self.rcps)):
            for p in items:
                d = (authorize(request, identity=[p]) if kind == "SCP" else authorize(request, resource=[p], trust=True))
                if not d.allowed:
                    return f"{kind} {p.name} {'denies' if d.effect == 'Deny' else 'does not allow'} it", p.name
        return "refused", "?"

    def quote(self, ref: StatementRef) -> str:
        st = self.statements.get(ref)
        if st is None:
            return "a KMS grant" if "grant" in ref.policy else "?"
        parts = []
        for key in ("Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource"):
            if key in st:
                parts.append(f"{key} {_compact(st[key])}")
        if "Condition" in st:
            parts.append("with conditions")
        return "; ".join(parts)

    def describe_principal(self, value: str) -> str:
        if value.isdigit() or value.endswith(":root"):
            return f"account {account_of(value) or value}"
        return value



def _compact(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_compact(v) for v in value) if len(value) <= 3 else f"{', '.join(_compact(v) for v in value[:3])}, ..."
    if isinstance(value, dict):
        return ", ".join(f"{k} {_compact(v)}" for k, v in value.items())
    return str(value)


def account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 else "aws"


def table_of(resource: str) -> str | None:
    if ":dynamodb:" not in resource or ":table/" not in resource:
        return None
    return resource.split(":table/", 1)[1].split("/", 1)[0]


def display(resource: str) -> str:
    """A probe ARN in plain words: the probe index or stream stands for every one."""
    from xacct_infra.access import matrix

    out = resource.replace(f"/index/{matrix.PROBE_INDEX}", "/index/*").replace(f"/stream/{matrix.PROBE_STREAM}", "/stream/*")
    return out.replace(f"key/{matrix.PROBE_KEY}", "key/<a key not in the config>")
