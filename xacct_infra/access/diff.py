"""``diff``: the access an old and a new version grant, compared as cells of the access matrix.

Each side is a config (its templates are rendered in memory) or a directory of generated
templates (read the way ``check --template-dir`` reads them). Both sides' roles are evaluated
with the offline evaluator over one common set of probes (the union of both configs' tables,
keys, neighbours, roles, the ARNs the templates name, and ``*``), so a cell present on one side
and absent on the other is a real difference, not a difference of probes:

* access: (role, action, resource) that a role's identity policies allow;
* trust: (role, principal, action) that a role's trust policy admits, for the consumers' roles
  (with and without the ExternalId), other principals of their accounts, principals the trusts
  name, a third account, services, and in org mode peers inside and outside the configured OUs;
* role properties: MaxSessionDuration, PermissionsBoundary, Path, and attached managed policies
  whose contents are unknown offline (an AWS managed policy such as AdministratorAccess).

Anything added widens; a longer session, a boundary removed or changed, or an unknown attached
policy widens too.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xacct_infra import arns, check
from xacct_infra import config as config_mod
from xacct_infra.access import matrix
from xacct_infra.access import templates as tpl
from xacct_infra.access.evaluator import ContextValue, Policy, Principal, Request, authorize
from xacct_infra.access.layers import display
from xacct_infra.config import Config
from xacct_infra.errors import UsageError
from xacct_infra.intrinsics import UnresolvableError


@dataclass(frozen=True)
class RoleInfo:
    arn: str
    name: str
    side: str
    account: str
    group: str  # "consumers payments, reporting: role xacct-access" — how changes are grouped
    trust: Policy
    identity: tuple[Policy, ...]
    unknown: tuple[str, ...]  # attached managed policy ARNs whose contents are not in the templates
    max_session: int
    boundary: str | None
    path: str


@dataclass
class Version:
    label: str
    config: Config
    roles: dict[str, RoleInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    label: str
    principal: Principal
    context: Mapping[str, ContextValue]


@dataclass
class Change:
    section: str  # "access", "trust", "property"
    group: str
    sign: str  # "+" added, "-" removed, "~" changed
    text: str
    widens: bool

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "group": self.group, "change": self.sign, "text": self.text, "widens": self.widens}


@dataclass
class Result:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def widens(self) -> bool:
        return any(c.widens for c in self.changes)


# --------------------------------------------------------------------------- loading


def load(path: Path, fallback_config: str | None) -> Version:
    """A config file, or a directory of templates (accounts from its xacct.toml, else ``fallback_config``)."""
    if path.is_dir():
        own = path / "xacct.toml"
        source = str(own) if own.is_file() else fallback_config
        if source is None or not Path(source).is_file():
            raise UsageError(f"{path}: a template directory needs its config for account ids and regions: put xacct.toml in it "
                             "or pass --config PATH")
        cfg = config_mod.load(source)
        files = check.read_dir(path, cfg)
    elif path.is_file():
        cfg = config_mod.load(path)
        files = check.rendered_files(cfg)
    else:
        raise UsageError(f"{path}: no such file or directory; give a config file or a directory of generated templates")
    version = Version(str(path), cfg)
    stems = check.layout(cfg)
    partition = cfg.account_a.partition
    for view in cfg.views():
        stem = stems.get(view.consumer.name, "account-b")
        try:
            ts = tpl.load({"a": files["account-a"], "b": files[stem]}, view, partition, {"a": "account-a.yaml", "b": f"{stem}.yaml"})
        except UnresolvableError as exc:
            raise UsageError(f"{path}: {exc}") from None
        for role in ts.roles:
            if role.arn in version.roles:
                continue
            props = ts.templates[role.side]["Resources"][role.logical_id].get("Properties", {})
            if role.side == "a":
                users = [b.name for r in cfg.access_roles() if r.arn == role.arn for b in r.consumers]
                group = f"{'consumers' if len(users) > 1 else 'consumer'} {', '.join(users) or '(none)'}: Account A role {role.name}"
            else:
                group = f"consumer {view.consumer.name}: role {role.name}"
            version.roles[role.arn] = RoleInfo(role.arn, role.name, role.side, role.account, group, role.trust.policy,
                                               tuple(d.policy for d in role.identity), role.external_policies,
                                               int(props.get("MaxSessionDuration", 3600)), role.boundary, str(props.get("Path", "/")))
    return version


# --------------------------------------------------------------------------- comparing


def compare(old: Version, new: Version) -> Result:
    result = Result(old.label, new.label)
    roles = {**old.roles, **new.roles}
    pairs = _requests(old, new)
    for arn in sorted(roles, key=lambda r: (roles[r].group, r)):
        group = roles[arn].group
        before = _access(old.roles.get(arn), pairs)
        after = _access(new.roles.get(arn), pairs)
        _access_changes(result, group, before, after)
    probes = _probes(old, new)
    for arn in sorted(roles, key=lambda r: (roles[r].group, r)):
        group = roles[arn].group
        before, after = _trust(old.roles.get(arn), probes), _trust(new.roles.get(arn), probes)
        for label, action in sorted(after - before):
            result.changes.append(Change("trust", group, "+", f"{label} may {action} {roles[arn].name}", True))
        for label, action in sorted(before - after):
            result.changes.append(Change("trust", group, "-", f"{label} may no longer {action} {roles[arn].name}", False))
        _properties(result, group, old.roles.get(arn), new.roles.get(arn))
    return result


def _access(role: RoleInfo | None, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    if role is None:
        return set()
    session = Principal.of_arn(f"{role.name} session", role.arn)
    ctx: dict[str, ContextValue] = {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account, "aws:PrincipalType": "AssumedRole"}
    return {(a, r) for a, r in pairs
            if authorize(Request(session, a, r, ctx, adversarial=True), identity=role.identity).allowed}


def _access_changes(result: Result, group: str, before: set[tuple[str, str]], after: set[tuple[str, str]]) -> None:
    by_resource: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for action, resource in after - before:
        by_resource[resource][0].append(action)
    for action, resource in before - after:
        by_resource[resource][1].append(action)
    for resource, (added, removed) in sorted(by_resource.items()):
        if added:
            result.changes.append(Change("access", group, "+", f"{_list(added)} on {display(resource)}", True))
        if removed:
            result.changes.append(Change("access", group, "-", f"{_list(removed)} on {display(resource)}", False))


def _properties(result: Result, group: str, old: RoleInfo | None, new: RoleInfo | None) -> None:
    if old is None and new is None:
        return
    if old is None or new is None:
        role = new or old
        assert role is not None
        sign, verb = ("+", "added") if new else ("-", "removed")
        result.changes.append(Change("property", group, sign, f"role {role.arn} {verb}", False))
        if new is None:
            return
    for arn in sorted(set(new.unknown) - set(old.unknown if old else ())):
        result.changes.append(Change("property", group, "+", f"attached managed policy {arn}: its contents are unknown offline "
                                     "(an AWS managed or outside policy), so it counts as widening", True))
    if old is None:
        return
    for arn in sorted(set(old.unknown) - set(new.unknown)):
        result.changes.append(Change("property", group, "-", f"attached managed policy {arn} removed", False))
    if new.max_session != old.max_session:
        result.changes.append(Change("property", group, "~", f"MaxSessionDuration {old.max_session} -> {new.max_session}",
                                     new.max_session > old.max_session))
    if new.boundary != old.boundary:
        result.changes.append(Change("property", group, "~", f"PermissionsBoundary {old.boundary or 'none'} -> {new.boundary or 'none'}",
                                     old.boundary is not None))
    if new.path != old.path:
        result.changes.append(Change("property", group, "~", f"Path {old.path} -> {new.path}", False))


def _list(actions: Iterable[str]) -> str:
    return ", ".join(sorted(set(actions), key=str.lower))


# --------------------------------------------------------------------------- probes (the union of both sides)


def _requests(old: Version, new: Version) -> list[tuple[str, str]]:
    actions: set[str] = set(matrix.data_actions())
    resources: list[str] = []
    role_targets: list[str] = []
    for version in (old, new):
        view = version.config.views()[0]
        partition = version.config.account_a.partition
        resources += matrix.data_probes(view, partition)
        role_targets += [*version.roles, *matrix.role_probes(view, partition, _third(version.config))]
        for role in version.roles.values():
            for policy in role.identity:
                named_actions, named_resources = _named(policy)
                actions |= named_actions
                resources += named_resources
    resources = list(dict.fromkeys(resources))
    return [*itertools.product(sorted(actions), resources), *itertools.product(matrix.STS_ACTIONS, dict.fromkeys(role_targets)),
            *((a, "*") for a in matrix.OTHER_ACTIONS)]


def _probes(old: Version, new: Version) -> list[Probe]:
    out: dict[str, Probe] = {}

    def add(label: str, arn: str, context: Mapping[str, ContextValue]) -> None:
        out.setdefault(label, Probe(label, Principal.of_arn(label, arn), context))

    for version in (old, new):
        cfg = version.config
        a, p, third = cfg.account_a, cfg.account_a.partition, _third(cfg)
        org = {"aws:PrincipalOrgID": a.org_id or (a.org_paths[0].split("/")[0] if a.org_paths else None)} if a.trust == "org" else {}
        for b in cfg.consumers:
            ctx = {**_pinned(b.role_arn, b.id), **org}
            if a.org_paths:
                ctx["aws:PrincipalOrgPaths"] = [a.org_paths[0]]
            if a.external_id:
                add(f"consumer {b.name}'s role {b.role_name}", b.role_arn, {**ctx, "sts:ExternalId": a.external_id})
            add(f"consumer {b.name}'s role {b.role_name}" + (" without the ExternalId" if a.external_id else ""), b.role_arn, ctx)
            other = arns.role_arn(p, b.id, "/", "xacct-diff-other")
            add(f"another principal of account {b.id}", other, _pinned(other, b.id))
            if a.trust == "org":
                peer = arns.role_arn(p, third, b.role_path, b.role_name)
                add(f"role {b.role_name} in another account of the organization", peer,
                    {**_pinned(peer, third), **org, **({"aws:PrincipalOrgPaths": [a.org_paths[0]]} if a.org_paths else {})})
                if a.org_paths:
                    sibling = a.org_paths[0].rstrip("/").rsplit("/", 1)[0] + "/ou-xacct-sibling/"
                    add(f"role {b.role_name} in an account of the organization outside the configured OUs", peer,
                        {**_pinned(peer, third), **org, "aws:PrincipalOrgPaths": [sibling]})
        stranger = arns.role_arn(p, third, "/", "xacct-diff-other")
        add(f"a principal of a third account ({third})", stranger, _pinned(stranger, third))
        for role in version.roles.values():
            for kind, value in _trust_principals(role.trust):
                if kind == "AWS" and value != "*":
                    account = value if value.isdigit() else value.split(":")[4]
                    arn = arns.role_arn(p, account, "/", "xacct-diff-other") if value.isdigit() or value.endswith(":root") else value
                    add(f"a principal of account {account}" if arn.endswith("xacct-diff-other") else value, arn, _pinned(arn, account))
                elif kind == "Service":
                    out.setdefault(value, Probe(value, Principal.of_service(value), {}))
    for service in ("ec2.amazonaws.com", "lambda.amazonaws.com"):
        out.setdefault(service, Probe(service, Principal.of_service(service), {}))
    return list(out.values())


def _trust(role: RoleInfo | None, probes: list[Probe]) -> set[tuple[str, str]]:
    if role is None:
        return set()
    out = set()
    for probe, action in itertools.product(probes, matrix.STS_ACTIONS):
        identity = () if probe.principal.service else (matrix.ADMIN,)
        request = Request(probe.principal, action, role.arn, probe.context)
        if authorize(request, identity=identity, resource=(role.trust,), resource_account=role.account, trust=True).allowed:
            out.add((probe.label, action))
    return out


def _pinned(arn: str, account: str) -> dict[str, ContextValue]:
    return {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalType": "AssumedRole",
            "aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None, "sts:ExternalId": None}


def _third(cfg: Config) -> str:
    used = {cfg.account_a.id} | {b.id for b in cfg.consumers}
    return next(t for t in matrix.THIRD_ACCOUNTS if t not in used)


def _named(policy: Policy) -> tuple[set[str], list[str]]:
    actions: set[str] = set()
    resources: list[str] = []
    items = policy.document.get("Statement", [])
    for st in items if isinstance(items, list) else [items]:
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            values = st.get(key, []) if isinstance(st, dict) else []
            for v in values if isinstance(values, list) else [values]:
                if isinstance(v, str) and "*" not in v and "?" not in v:
                    (actions.add(v) if "Action" in key and ":" in v else resources.append(v) if "Resource" in key else None)
    return actions, resources


def _trust_principals(policy: Policy) -> list[tuple[str, str]]:
    items = policy.document.get("Statement", [])
    out = []
    for st in items if isinstance(items, list) else [items]:
        element = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(element, dict):
            for kind, values in element.items():
                out += [(str(kind), str(v)) for v in (values if isinstance(values, list) else [values])]
    return out


SECTIONS = {"access": "Access", "trust": "Trust (who may assume what)", "property": "Role properties"}


def render(result: Result, *, markdown: bool = False) -> str:
    """Plain text, or Markdown for a pull-request comment; changes grouped by consumer and role."""
    verdict = ("WIDENS: the new version grants access the old one did not" if result.widens
               else "does not widen: " + ("narrowing only" if result.changes else "no change in access"))
    lines = [f"## xacct-infra diff: {result.old} → {result.new}" if markdown else f"xacct-infra diff: {result.old} -> {result.new}", ""]
    for section, title in SECTIONS.items():
        changes = [c for c in result.changes if c.section == section]
        if not changes:
            continue
        lines.append(f"### {title}" if markdown else f"{title}:")
        groups: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            groups[change.group].append(change)
        for group, items in groups.items():
            lines.append(f"**{group}**" if markdown else f"  {group}")
            for c in items:
                flag = " (widens)" if c.widens and c.sign == "~" else ""
                lines.append(f"- `{c.sign}` {c.text}{flag}" if markdown else f"    {c.sign} {c.text}{flag}")
        lines.append("")
    lines.append(f"**{verdict}**" if markdown else verdict)
    return "\n".join(lines) + "\n"
