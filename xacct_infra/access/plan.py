"""What ``audit`` reads, who it asks about, and the live layers it asks through.

:class:`Plan` comes from the config alone: the reads (``live.ReadPlan``), the principals that
must be asked (:class:`Actor`), what each may do (from the config, never from AWS) and the
pieces that must exist. :class:`Layers` indexes the documents as read: each resource's policy,
KMS grants, the organization policies given on the command line, and how to name a statement.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xacct_infra import arns, kinds, policies
from xacct_infra.access import matrix
from xacct_infra.access.evaluator import ContextValue, Policy, Principal
from xacct_infra.access.layers import Actor, Layers, account_of
from xacct_infra.access.live import LiveRole, ReadPlan, Snapshot
from xacct_infra.config import Config, Consumer

OTHER_A = "xacct-audit-other-principal"  # a made-up role name: "another principal of the account"


@dataclass
class Plan:
    """The config's side of an audit: one consumer view per selected consumer."""

    config: Config
    consumers: tuple[Consumer, ...]
    partition: str = ""

    def __post_init__(self) -> None:
        self.partition = self.partition or self.config.account_a.partition
        self.views = [self.config.view_of(b) for b in self.consumers]
        # every Account A role, whichever consumers are chosen: a consumer let into another's role is theirs to see
        self.roles = list(self.config.access_roles())

    # ---------------------------------------------------------------- reads

    def owner_plan(self) -> ReadPlan:
        a = self.config.account_a
        keys = {arns.key_arn(self.partition, k.region, a.id, k.key_id) for r in self.roles for k in r.keys}
        tables = {t.name for r in self.roles for t in r.tables}
        return ReadPlan(a.id, a.region, roles=tuple(r.name for r in self.roles), keys=tuple(sorted(keys)),
                        tables=tuple(sorted(tables)), stacks=(a.stack_name,))

    def consumer_plans(self) -> dict[str, ReadPlan]:
        return {b.name: ReadPlan(b.id, b.region, roles=(b.role_name,), profiles=(b.role_name,) if b.kind == "ec2" else (),
                                 stacks=(b.stack_name,))
                for b in self.consumers}

    # ---------------------------------------------------------------- expected

    def expected_for_role(self, role_arn: str) -> frozenset[tuple[str, str]]:
        role = next((r for r in self.config.access_roles() if r.arn == role_arn), None)
        return frozenset(matrix.expected_grants_for(role, self.partition)) if role else frozenset()

    def expected_for_principal(self, principal: str) -> frozenset[tuple[str, str]]:
        return self.expected_for_role(principal)

    def expected_trusts(self, owner: Snapshot, consumers: Mapping[str, Snapshot]) -> list[tuple[LiveRole, Mapping[str, Any]]]:
        """(live role, the trust policy the generator writes for it), for every role read that the templates create."""
        from xacct_infra import check
        from xacct_infra.access.templates import read

        files, stems, a = check.rendered_files(self.config), check.layout(self.config), self.config.account_a
        wanted = {(a.id, r.name): r.trust.document for r in read("a", files["account-a"], self.partition, a.id, a.region, "account-a").roles}
        for b in self.consumers:
            if b.spec.creates_role:
                model = read("b", files[stems[b.name]], self.partition, b.id, b.region, stems[b.name])
                wanted |= {(b.id, r.name): r.trust.document for r in model.roles}
        out = []
        for snap in (owner, *consumers.values()):
            for role in snap.roles.values():
                if role is not None and (snap.account, role.name) in wanted:
                    out.append((role, wanted[(snap.account, role.name)]))
        return out

    # ---------------------------------------------------------------- pieces and properties (see findings.py)

    def layers(self, owner: Snapshot, consumers: Mapping[str, Snapshot], org: Layers) -> Layers:
        """The live documents of every account read, with the organization policies of ``org``."""
        out = Layers(owner.account, scps=org.scps, rcps=org.rcps, notes=list(org.notes),
                     org_accounts=frozenset({owner.account, *(b.id for b in self.consumers)}))
        out.index(org.scps + org.rcps)
        a = self.config.account_a
        out.gone |= {r.arn for r in self.roles if owner.roles.get(r.name) is None}
        out.gone |= {arn for arn, key in owner.keys.items() if not key.exists}
        out.gone |= {arns.table_arn(self.partition, a.region, a.id, n) for n, t in owner.tables.items() if not t.exists}
        for snap in (owner, *consumers.values()):
            for role in snap.roles.values():
                if role is not None:
                    trust = Policy(f"{role.name}'s trust policy", role.trust)
                    out.roles[role.arn] = (snap.account, trust)
                    out.index([trust, *role_policies(role)[0], *(role_policies(role)[1] or ())])
        for arn, key in owner.keys.items():
            if key.exists and key.policy is not None:
                out.keys[arn] = Policy(f"key {arn.rsplit('/', 1)[-1]}'s key policy", key.policy)
                out.grants[arn] = key.grants
                out.index([out.keys[arn]])
        for name, table in owner.tables.items():
            if table.exists:
                t = Policy(f"table {name}'s resource policy", table.policy) if table.policy else None
                s = Policy(f"table {name}'s stream policy", table.stream_policy) if table.stream_policy else None
                out.tables[name] = (t, s, table.stream_arn)
                out.index([p for p in (t, s) if p])
                out.notes += list(table.notes)
        return out

    # ---------------------------------------------------------------- who is asked

    def actors(self, owner: Snapshot, consumers: Mapping[str, Snapshot], layers: Layers) -> list[Actor]:
        a = self.config.account_a
        out: list[Actor] = []
        for role in self.roles:
            live = owner.roles.get(role.name)
            if live is not None:
                identity, boundary = role_policies(live)
                out.append(Actor(f"Account A role {live.name}", Principal.of_arn(f"Account A role {live.name}", live.arn), identity,
                                 boundary, _pinned(live.arn, a.id), self.expected_for_role(live.arn)))
        for view in self.views:
            b = view.consumer
            live = consumers.get(b.name, Snapshot(b.id)).roles.get(b.role_name)
            if live is None:
                continue
            identity, boundary = role_policies(live)
            label = f"consumer {b.name} role {live.name}" if len(self.config.consumers) > 1 else f"Account B role {live.name}"
            out.append(Actor(label, Principal.of_arn(label, live.arn), identity, boundary, self._caller_context(live.arn, b.id, b),
                             _assumes(b, view.role.arn), not_ours=not b.spec.creates_role))
            if a.trust == "org":
                peer = arns.role_arn(self.partition, self._third(), b.role_path, b.role_name)
                out.append(Actor(matrix.ORG_PEER, Principal.of_arn(matrix.ORG_PEER, peer), identity, boundary,
                                 self._caller_context(peer, self._third()), _assumes(b, view.role.arn)))
        return out + self._foreign(layers)

    def _foreign(self, layers: Layers) -> list[Actor]:
        a, third = self.config.account_a, self._third()
        known = {r.arn for r in self.config.access_roles()} | {b.role_arn for b in self.consumers}
        named: dict[str, Principal] = {}
        services = {b.spec.service for b in self.consumers}
        for st in layers.statements.values():
            for kind, value in _principals(st):
                if kind == "Service" and value not in services:
                    named[value] = Principal.of_service(value)
                elif kind == "AWS" and value != "*":
                    account = value if value.isdigit() else account_of(value)
                    if not account or value in known or (account == a.id and (value.isdigit() or value.endswith(":root"))):
                        continue
                    arn = arns.role_arn(self.partition, account, "/", OTHER_A) if value.isdigit() or value.endswith(":root") else value
                    label = f"a principal of account {account}" if arn.endswith(OTHER_A) else value
                    named.setdefault(arn, Principal.of_arn(label, arn))
        for grants in layers.grants.values():
            for grant in grants:
                grantee = str(grant.get("GranteePrincipal", ""))
                if grantee.startswith("arn:") and grantee not in known and account_of(grantee):
                    named.setdefault(grantee, Principal.of_arn(grantee, grantee))
        strangers = [Principal.of_arn(f"a principal of a third account ({third})", arns.role_arn(self.partition, third, "/", OTHER_A))]
        strangers += [Principal.of_arn(f"another principal of Account B ({b.id})", arns.role_arn(self.partition, b.id, "/", OTHER_A))
                      for b in self.consumers]
        # services that say which account they act for (EC2 does not: any instance role is EC2's to hand out)
        ours = {b.spec.service: b for b in self.consumers if b.spec.service and self._service_context(b, third)}
        strangers += [Principal.of_service(service) for service in ("lambda.amazonaws.com", *ours)]
        out = []
        for p in {**{s.arn or s.service or "": s for s in strangers}, **named}.values():
            identity = () if p.service else (matrix.ADMIN,)
            context: Mapping[str, ContextValue] = _pinned(p.arn or "", p.account or "")
            if p.service:  # a consumer's own service asks as it would for a workload of a third account
                b = ours.get(p.service)
                context = {} if b is None else self._service_context(b, third)
                p = Principal(label=f"{p.service} for another account ({third})" if b else p.service, service=p.service)
            out.append(Actor(p.label, p, identity, None, context, foreign=True, org_member=False))
        # The consumer's service assumes its role, as it does for the consumer's workloads. A service that sends no
        # account (EC2) cannot be told apart: it is one caller expected in every role of that kind.
        callers: dict[tuple[str, tuple[tuple[str, ContextValue], ...]], tuple[list[str], set[tuple[str, str]]]] = {}
        for b in self.consumers:
            if b.spec.service:
                context = self._service_context(b, b.id)
                names, wanted = callers.setdefault((b.spec.service, tuple(sorted(context.items()))), ([], set()))
                names.append(b.name)
                wanted |= {(x, b.role_arn) for x in ["sts:AssumeRole", *(["sts:TagSession"] if b.spec.tag_session else [])]}
        for (service, context_items), (names, wanted) in callers.items():
            caller = Principal(label=f"{service} ({'consumers' if len(names) > 1 else 'consumer'} {', '.join(names)})", service=service)
            out.append(Actor(caller.label, caller, (), None, dict(context_items), frozenset(wanted), foreign=True, org_member=False))
        a_other = arns.role_arn(self.partition, a.id, "/", OTHER_A)  # same account: only what resource policies give it by name
        out.append(Actor(f"another principal of Account A ({a.id})", Principal.of_arn("another principal of Account A", a_other), (), None,
                         _pinned(a_other, a.id), foreign=True))
        return out

    def requests_for(self, actor: Actor, layers: Layers) -> list[tuple[str, str]]:
        # an existing role (kind existing-role) keeps its own trust: who may assume it is not the config's business
        existing = {b.role_arn for b in self.consumers if not b.spec.creates_role}
        targets = sorted(set(layers.roles) - existing)
        data = self._data_resources(layers)
        if actor.foreign:  # a stranger gets in only through a resource's own policy: ask where there is one
            with_policy = [] if actor.principal.service else [r for r in data if layers.resource_policies("", r)[0]]
            return [*itertools.product(matrix.data_actions(), with_policy), *itertools.product(matrix.STS_ACTIONS, targets)]
        if actor.not_ours:  # an existing role the config only attaches to: what it may assume is ours to audit
            return list(itertools.product(matrix.STS_ACTIONS, [*targets, *self._role_probes()]))
        named = _named(layers.statements.values())
        actions = sorted(set(matrix.data_actions()) | {x for x in named[0] if ":" in x})
        resources = list(dict.fromkeys([*data, *self._neighbours(), "*", *named[1]]))
        role_targets = list(dict.fromkeys([*targets, *self._role_probes()]))
        same_service = [(x, r) for x, r in itertools.product(actions, resources) if r == "*" or _service(r) == x.split(":")[0].lower()]
        return [*same_service, *itertools.product(matrix.STS_ACTIONS, role_targets),
                *((x, "*") for x in matrix.OTHER_ACTIONS)]

    def _data_resources(self, layers: Layers) -> list[str]:
        a, p = self.config.account_a, self.partition
        out: list[str] = []
        for name in sorted({t.name for r in self.roles for t in r.tables}):
            table = arns.table_arn(p, a.region, a.id, name)
            stream = layers.tables.get(name, (None, None, None))[2]
            out += [table, f"{table}/index/{matrix.PROBE_INDEX}", stream or f"{table}/stream/{matrix.PROBE_STREAM}"]
        out += sorted({arns.key_arn(p, k.region, a.id, k.key_id) for r in self.roles for k in r.keys})
        return out

    def _neighbours(self) -> list[str]:
        a, p = self.config.account_a, self.partition
        names = {t.name for t in a.tables}
        first = a.tables[0].name
        other = next(f"{first}-{n}" for n in itertools.count(2) if f"{first}-{n}" not in names)
        key_ids = {k.key_id for k in a.keys}
        probe_key = matrix.PROBE_KEY if matrix.PROBE_KEY not in key_ids else matrix.PROBE_KEY.replace("0", "1")
        return [arns.table_arn(p, a.region, a.id, other), arns.key_arn(p, a.region, a.id, probe_key)]

    def _role_probes(self) -> list[str]:
        a, p = self.config.account_a, self.partition
        return [arns.role_arn(p, a.id, a.role_path, f"{a.role_name}-neighbour"),
                arns.role_arn(p, self._third(), a.role_path, a.role_name), "*"]

    def _third(self) -> str:
        used = {self.config.account_a.id} | {b.id for b in self.config.consumers}
        return next(t for t in matrix.THIRD_ACCOUNTS if t not in used)

    def _service_context(self, b: Consumer, account: str) -> dict[str, ContextValue]:
        return dict(kinds.service_request_context(b.kind, self.partition, b.region, account, cluster=b.cluster,
                                                  namespace=b.namespace, service_account=b.service_account))

    def _caller_context(self, arn: str, account: str, consumer: Consumer | None = None) -> dict[str, ContextValue]:
        a = self.config.account_a
        ctx: dict[str, ContextValue] = {**_pinned(arn, account)}
        if a.external_id:
            ctx["sts:ExternalId"] = a.external_id
        if a.trust == "org":
            ctx["aws:PrincipalOrgID"] = a.org_id or (a.org_paths[0].split("/")[0] if a.org_paths else None)
            ctx["aws:PrincipalOrgPaths"] = [a.org_paths[0]] if a.org_paths else None
        if consumer is not None and consumer.vpc_ids:  # an EC2 host of the consumer sends its VPC
            ctx["aws:Ec2InstanceSourceVpc"] = consumer.vpc_ids[0]
        return ctx


def role_policies(role: LiveRole) -> tuple[tuple[Policy, ...], tuple[Policy, ...] | None]:
    """A live role's identity policies and permissions boundary, named the way findings name them."""
    identity = [Policy(f"{role.name}'s inline policy {name}", doc) for name, doc in role.inline]
    identity += [Policy(f"policy {p.name}{' (AWS managed)' if p.aws_managed else ''} attached to {role.name}", p.document)
                 for p in role.attached]
    boundary = (Policy(f"permissions boundary {role.boundary.name} of {role.name}", role.boundary.document),) if role.boundary else None
    return tuple(identity), boundary


def _assumes(consumer: Consumer, role_arn: str) -> frozenset[tuple[str, str]]:
    return frozenset((a.JSONrepr(), role_arn) for a in policies.consumer_actions(consumer))


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def _pinned(arn: str, account: str) -> dict[str, ContextValue]:
    return {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalType": "AssumedRole",
            "aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None}


def _principals(st: Mapping[str, Any]) -> list[tuple[str, str]]:
    element = st.get("Principal", st.get("NotPrincipal"))
    if element == "*":
        return [("AWS", "*")]
    if not isinstance(element, dict):
        return []
    out = []
    for kind, values in element.items():
        for v in values if isinstance(values, list) else [values]:
            out.append((str(kind), str(v)))
    return out


def _named(statements: Iterable[Mapping[str, Any]]) -> tuple[set[str], list[str]]:
    """Actions and resources the live documents name literally (no wildcard)."""
    actions: set[str] = set()
    resources: list[str] = []
    for st in statements:
        for key, bucket in (("Action", "a"), ("NotAction", "a"), ("Resource", "r"), ("NotResource", "r")):
            values = st.get(key, [])
            for v in values if isinstance(values, list) else [values]:
                if isinstance(v, str) and "*" not in v and "?" not in v:
                    (actions.add(v) if bucket == "a" else resources.append(v))
    return actions, sorted(set(resources))
