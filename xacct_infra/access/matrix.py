"""The access matrix and the negative sweep.

Who can do what, computed from the templates with the offline evaluator, then compared with
what the config grants. "Expected" comes from the config and the access levels documented
in ``policies`` (never from the templates), so a template that allows more, or less, fails;
the expected grants and the probed resources are in :mod:`.grants`.

Absence of access is proved adversarially: callers outside the design are given an
administrator's identity policy in their own account, and may choose every condition key the
request context does not pin (see ``evaluator``). Granted access is confirmed strictly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from xacct_infra import arns, kinds, policies
from xacct_infra.access.evaluator import ContextValue, Decision, Policy, Principal, Request, StatementRef, authorize, may_apply
from xacct_infra.access.grants import PROBE_INDEX as PROBE_INDEX
from xacct_infra.access.grants import PROBE_KEY as PROBE_KEY
from xacct_infra.access.grants import PROBE_STREAM as PROBE_STREAM
from xacct_infra.access.grants import data_actions as data_actions
from xacct_infra.access.grants import data_probes as data_probes
from xacct_infra.access.grants import expected_grants as expected_grants
from xacct_infra.access.grants import expected_grants_for as expected_grants_for
from xacct_infra.access.grants import role_probes as role_probes
from xacct_infra.access.probes import NO_IAM_PRINCIPAL, OTHER_ORG
from xacct_infra.access.templates import Role, TemplateSet, filename
from xacct_infra.config import Consumer, ConsumerView
from xacct_infra.findings import Finding

STS_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
OTHER_ACTIONS = ("iam:PassRole", "iam:CreateUser", "iam:AttachRolePolicy", "s3:GetObject", "ec2:RunInstances", "sts:AssumeRole")
THIRD_ACCOUNTS = ("333333333333", "444444444444", "555555555555", "666666666666", "777777777777")
ADMIN = Policy("worst case: an administrator policy in the caller's account",
               {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
WORST_CASE = ADMIN.name
ORG_PEER = "the same instance role in another account of the organization"


@dataclass(frozen=True, order=True)
class Grant:
    action: str
    resource: str
    via: str = ""  # "AccessRole" when the access comes from assuming that role


@dataclass(frozen=True)
class Caller:
    principal: Principal
    identity: tuple[Policy, ...]
    context: Mapping[str, ContextValue]


@dataclass(frozen=True, order=True)
class Cell:
    """A conditional cell of the matrix: ``action`` on ``resource`` when ``condition`` holds."""

    via: str  # the Account A role (logical id)
    action: str
    resource: str
    condition: str  # "dynamodb:ReturnValues=ALL_NEW"
    allowed: bool

    def __str__(self) -> str:
        return f"{self.via}: {self.action} with {self.condition} on {self.resource} -> {'allowed' if self.allowed else 'denied'}"


@dataclass
class Sweep:
    cells: list[Cell] = field(default_factory=list)
    requests: int = 0
    principals: dict[str, str] = field(default_factory=dict)  # label -> ARN or service
    matrix: dict[str, list[Grant]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sweep(view: ConsumerView, ts: TemplateSet, expected_trust: Mapping[str, Mapping[str, Any]] | None = None) -> Sweep:
    """One consumer's pass: its role reaches its own Account A role and nothing else; the other
    Account A roles of the config keep exactly their own grants and stay out of its reach.

    ``expected_trust``: role ARN -> the trust policy the generator writes for it; a service
    may assume a template role exactly when that policy admits it (the consumer's kind)."""
    p = ts.partition
    a, b, full = view.owner, view.consumer, view.config
    out = Sweep()
    a_arn, b_arn = arns.role_arn(p, a.id, a.role_path, view.role.name), arns.role_arn(p, b.id, b.role_path, b.role_name)
    a_role, b_role = ts.role("a", a_arn), ts.role("b", b_arn)
    for side, arn, role in (("account-a.yaml", a_arn, a_role), ("account-b.yaml", b_arn, b_role)):
        if role is None:
            out.findings.append(Finding("access:missing-role", side, f"no AWS::IAM::Role with ARN {arn}, which the config names"))
    _caveats(ts, out)

    unused = [t for t in THIRD_ACCOUNTS if t not in {a.id} | {c.id for c in full.consumers}]
    third, outsider = unused[0], unused[1]
    wanted = expected_trust or {}
    services = sorted({v for doc in wanted.values() for v in _services(doc)} | set(kinds.SERVICES))
    callers = _callers(view, ts, b_role, third, outsider, services)
    expected_edges = {(callers[0].principal.label, a_arn)}
    if a.trust == "org":  # by design: the same instance role in any account of the organization
        expected_edges.add((ORG_PEER, a_arn))
    edges: set[tuple[str, str]] = set()
    for caller, role in itertools.product(callers, ts.roles):
        request = Request(caller.principal, "sts:AssumeRole", role.arn, caller.context, adversarial=True)
        expected = (caller.principal.label, role.arn) in expected_edges or (
            caller.principal.service is not None and role.arn in wanted
            and authorize(request, resource=(Policy("expected", wanted[role.arn]),), trust=True).allowed)
        decision = _check(out, request, expected, role.trust.name, identity=caller.identity, resource=(role.trust.policy,),
                          resource_account=role.account, trust=True)
        if decision.allowed:
            edges.add((caller.principal.label, role.arn))
    # sts:TagSession: only a Pod Identity consumer's session tags may travel (they are transitive),
    # from its service into its role and from its role into its Account A role; nobody else's.
    for caller, role in itertools.product(callers, ts.roles):
        request = Request(caller.principal, "sts:TagSession", role.arn, caller.context, adversarial=True)
        expected = (b.spec.tag_session and (caller.principal.label, role.arn) == (callers[0].principal.label, a_arn)) or (
            caller.principal.service is not None and role.arn in wanted
            and authorize(request, resource=(Policy("expected", wanted[role.arn]),), trust=True).allowed)
        _check(out, request, expected, role.trust.name, identity=caller.identity, resource=(role.trust.policy,),
               resource_account=role.account, trust=True)

    known = {action.lower() for action in data_actions()}
    actions = sorted(set(data_actions()) | {a for a in _named_actions(ts) if a.lower() not in known})
    resources = list(dict.fromkeys(data_probes(view, p) + sorted(_named_resources(ts))))
    role_targets = role_probes(view, p, third)
    pairs = [*itertools.product(actions, resources), *itertools.product(STS_ACTIONS, role_targets),
             *((action, "*") for action in OTHER_ACTIONS)]
    runs = [(action, action.lower(), [resource for _, resource in run])  # the pairs in order, one action at a time
            for action, run in itertools.groupby(pairs, key=lambda pair: pair[0])]
    by_role = {arns.role_arn(p, a.id, r.path, r.name): expected_grants_for(r, p) for r in full.access_roles()}
    allowed: dict[str, list[Grant]] = {}
    for role in ts.roles:
        own = {(action.JSONrepr(), a_arn) for action in policies.consumer_actions(b)}  # Pod Identity: also sts:TagSession
        grants = {(x.lower(), r) for x, r in (own if role.arn == b_arn else by_role.get(role.arn, set()))}
        session = Principal.of_arn(f"{role.logical_id} session", role.arn)
        context = {"aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account, "aws:PrincipalType": "AssumedRole"}
        identity = tuple(d.policy for d in role.identity)
        where = f"{filename(role.side)} {role.logical_id} identity policies"
        allowed[role.arn] = []
        granted = {x for x, _ in grants}
        for action, low, targets in runs:
            named = may_apply(identity, action, None)
            if not named and low not in granted:
                out.requests += len(targets)  # no statement names the action: implicit denies, nothing to evaluate
                continue
            for resource in targets:
                expected = (low, resource) in grants
                if not expected and (not named or not may_apply(identity, action, resource)):
                    out.requests += 1  # no statement names it: an implicit deny, nothing to evaluate
                    continue
                request = Request(session, action, resource, context, adversarial=True)
                if _check(out, request, expected, where, identity=identity).allowed:
                    allowed[role.arn].append(Grant(action, resource))
        _return_values(out, role.logical_id, session, context, identity, grants, where)
    _matrix(out, callers, edges, allowed, {r.arn: r.logical_id for r in ts.roles}, b_arn)
    return out


def _services(document: Mapping[str, Any]) -> list[str]:
    body = document.get("Statement", [])
    out = []
    for st in body if isinstance(body, list) else [body]:
        principal = st.get("Principal") if isinstance(st, Mapping) else None
        if isinstance(principal, Mapping) and st.get("Effect") == "Allow":
            values = principal.get("Service", [])
            out += [v for v in (values if isinstance(values, list) else [values]) if isinstance(v, str)]
    return out


def _return_values(out: Sweep, via: str, session: Principal, context: Mapping[str, ContextValue], identity: tuple[Policy, ...],
                   grants: set[tuple[str, str]], where: str) -> None:
    """Write-only tables: PutItem/UpdateItem/DeleteItem are allowed only without ReturnValues or
    with NONE (anything else returns item contents); on readable tables every value is fine."""
    writable = sorted(r for a, r in grants if a == "dynamodb:putitem")
    for resource in writable:
        readable = ("dynamodb:getitem", resource) in grants
        for action, value in itertools.product(policies.RETURNING_ACTIONS, policies.RETURN_VALUES):
            name = action.JSONrepr()
            expected = (name.lower(), resource) in grants and (readable or value == "NONE")
            request = Request(session, name, resource, {**context, policies.RETURN_VALUES_KEY: value}, adversarial=True)
            decision = _check(out, request, expected, where, identity=identity)
            if not readable:
                out.cells.append(Cell(via, name, resource, f"{policies.RETURN_VALUES_KEY}={value}", decision.allowed))


def consumer_label(b: Consumer) -> str:
    """How the matrix names the consumer's own role: "Account B instance role" for EC2 (as always)."""
    return "Account B instance role" if b.kind == "ec2" else f"Account B {b.spec.label}"


def _callers(view: ConsumerView, ts: TemplateSet, b_role: Role | None, third: str, outsider: str,
             services: Iterable[str] = ("ec2.amazonaws.com", "lambda.amazonaws.com")) -> list[Caller]:
    p, a, b = ts.partition, view.owner, view.consumer
    b_arn = arns.role_arn(p, b.id, b.role_path, b.role_name)
    identity = tuple(d.policy for d in b_role.identity) if b_role else ()

    # Every principal carries its own organization: with trust = "org", Account B and the peer
    # account are members at the first configured OU path, the outsider belongs to another one.
    home = a.org_id or (a.org_paths[0].split("/")[0] if a.org_paths else None)
    members: dict[str, dict[str, ContextValue]] = {}
    if a.trust == "org" and home:
        inside: dict[str, ContextValue] = {"aws:PrincipalOrgID": home,
                                           "aws:PrincipalOrgPaths": [a.org_paths[0] if a.org_paths else f"{home}/r-xprb/"]}
        members = {b.id: inside, third: inside, outsider: {"aws:PrincipalOrgID": OTHER_ORG,
                                                            "aws:PrincipalOrgPaths": [f"{OTHER_ORG}/r-xprb/ou-xprb-xprobe00/"]}}

    def pinned(arn: str, account: str, **extra: str | None) -> dict[str, ContextValue]:
        org = members.get(account, {"aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None})
        return {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalType": "AssumedRole", **org, **extra}

    external: dict[str, str | None] = {"sts:ExternalId": a.external_id} if a.external_id else {}
    in_org = pinned

    me = consumer_label(b)
    vpc: dict[str, str | None] = {"aws:Ec2InstanceSourceVpc": b.vpc_ids[0]} if b.vpc_ids else {}
    callers = [Caller(Principal.of_arn(me, b_arn), identity, in_org(b_arn, b.id, **external, **vpc))]
    if b.vpc_ids:  # instance credentials used outside the configured VPCs (or outside any instance)
        callers.append(Caller(Principal.of_arn(f"{me} outside its VPCs", b_arn), identity,
                              pinned(b_arn, b.id, **external, **{"aws:Ec2InstanceSourceVpc": None})))
        callers.append(Caller(Principal.of_arn(f"{me} in another VPC", b_arn), identity,
                              pinned(b_arn, b.id, **external, **{"aws:Ec2InstanceSourceVpc": "vpc-00000000"})))
    if a.external_id:
        callers.append(Caller(Principal.of_arn(f"{me} without the ExternalId", b_arn), identity,
                              pinned(b_arn, b.id, **{"sts:ExternalId": None, **vpc})))
    other_b = arns.role_arn(p, b.id, "/", f"{b.role_name}-other")
    stranger = arns.role_arn(p, outsider if a.trust == "org" else third, b.role_path, b.role_name)
    if a.trust == "org":
        peer = arns.role_arn(p, third, b.role_path, b.role_name)
        callers.append(Caller(Principal.of_arn(ORG_PEER, peer), identity, in_org(peer, third, **external)))
        callers.append(Caller(Principal.of_arn("another role in an account of the organization", other_b), (ADMIN,),
                              in_org(other_b, b.id, **external)))
    callers += [
        Caller(Principal.of_arn("another principal of Account B", other_b), (ADMIN,), pinned(other_b, b.id)),
        Caller(Principal.of_arn(f"the same role in an account outside the organization ({outsider})" if a.trust == "org"
                                else f"a principal of a third account ({third})", stranger), (ADMIN,),
               pinned(stranger, outsider if a.trust == "org" else third)),
        *(Caller(Principal.of_service(service), (), NO_IAM_PRINCIPAL) for service in services if service != b.spec.service),
    ]
    if b.spec.service:  # the consumer's own service: as it asks for this account, for another workload, for a stranger
        service = b.spec.service
        callers.append(Caller(Principal.of_service(service), (), {**NO_IAM_PRINCIPAL, **kinds.service_request_context(
            b.kind, p, b.region, b.id, cluster=b.cluster, namespace=b.namespace, service_account=b.service_account)}))
        if b.kind == "eks-pod-identity" and (b.cluster or b.namespace or b.service_account):
            callers.append(Caller(Principal(label=f"{service} for another cluster, namespace and service account", service=service), (),
                                  {**NO_IAM_PRINCIPAL, **kinds.service_request_context(
                                      b.kind, p, b.region, b.id, cluster="xacct-other", namespace="xacct-other",
                                      service_account="xacct-other")}))
        theirs = kinds.service_request_context(b.kind, p, b.region, third, cluster=b.cluster, namespace=b.namespace,
                                               service_account=b.service_account)
        if theirs:
            callers.append(Caller(Principal(label=f"{service} for another account ({third})", service=service), (),
                                  {**NO_IAM_PRINCIPAL, **theirs}))
    for role in ts.roles:  # roles of the templates must not reach each other either (other than B -> A)
        if role.arn != b_arn:
            callers.append(Caller(Principal.of_arn(f"{role.logical_id} session", role.arn), tuple(d.policy for d in role.identity),
                                  pinned(role.arn, role.account)))
    return callers


def _check(out: Sweep, request: Request, expected: bool, where: str, **kwargs: object) -> Decision:
    """Evaluate one request; record a finding if the answer is not the expected one."""
    out.requests += 1
    decision = authorize(request, **kwargs)  # type: ignore[arg-type]
    what = f"{request.action} on {request.resource} by {request.principal.label}"
    if policies.RETURN_VALUES_KEY in request.context:
        value = request.context[policies.RETURN_VALUES_KEY]
        what = f"{request.action} with {policies.RETURN_VALUES_KEY}={value} on {request.resource} by {request.principal.label}"
    if expected:
        strict = authorize(replace(request, adversarial=False, context={**_always(request.resource), **request.context}),
                           **kwargs)  # type: ignore[arg-type]
        if not strict.allowed:
            refs = [r for r in strict.denied_by if r.policy != WORST_CASE]
            why = "explicitly denied" if strict.effect == "Deny" else "not allowed by any statement"
            if refs:
                out.findings += [Finding("access:missing-grant", r.policy, f"{what} is granted by the config but {why}", r.sid) for r in refs]
            else:
                out.findings.append(Finding("access:missing-grant", where, f"{what} is granted by the config but {why}"))
        return strict
    if decision.allowed:
        refs = [r for r in decision.allowed_by if r.policy != WORST_CASE]
        out.findings += [Finding("access:unexpected-allow", r.policy, f"allows {what}, which the config does not grant", r.sid)
                         for r in _blame(refs)]
    return decision


def _always(resource: str) -> dict[str, ContextValue]:
    """Keys every real request for a granted cell carries: it goes over TLS, to the resource's own
    region (a condition on them only narrows, and must not read as a missing grant)."""
    parts = resource.split(":")
    region = parts[3] if len(parts) > 5 else ""
    return {"aws:SecureTransport": True, **({"aws:RequestedRegion": region} if region else {})}


def _blame(refs: list[StatementRef]) -> list[StatementRef]:
    """The template statements responsible; a trust statement is the fault when it admits a stranger."""
    trust = [r for r in refs if r.policy.endswith("trust policy")]
    return trust or refs


def _matrix(out: Sweep, callers: list[Caller], edges: set[tuple[str, str]], allowed: Mapping[str, list[Grant]],
            names: Mapping[str, str], b_arn: str) -> None:
    """Per outside principal: what it may do itself and through every role chain it can assume."""
    session = {arn: (callers[0].principal.label if arn == b_arn else f"{name} session") for arn, name in names.items()}
    for caller in callers:
        label = caller.principal.label
        if label.endswith(" session"):
            continue  # sessions of template roles appear through the principals that reach them
        out.principals[label] = caller.principal.arn or caller.principal.service or ""
        def effective(arn: str, who: str) -> list[Grant]:
            """A role's identity allows, less AssumeRole on template roles whose trust refuses ``who``."""
            return [g for g in allowed.get(arn, []) if not (g.action == "sts:AssumeRole" and g.resource in names and (who, g.resource) not in edges)]

        grants = set(effective(caller.principal.arn or "", label))
        queue, seen = [(arn, "") for who, arn in sorted(edges) if who == label], set()
        while queue:
            arn, via = queue.pop(0)
            if arn in seen:
                continue
            seen.add(arn)
            grants.add(Grant("sts:AssumeRole", arn, via))
            chain = f"{via} -> {names[arn]}" if via else names[arn]
            grants |= {Grant(g.action, g.resource, chain) for g in effective(arn, session[arn])}
            queue += [(nxt, chain) for who, nxt in sorted(edges) if who == session[arn]]
        out.matrix[label] = sorted(grants)


def _caveats(ts: TemplateSet, out: Sweep) -> None:
    for role in ts.roles:
        out.findings += [Finding("access:unknown-policy", f"{role.trust.name.rsplit(' ', 2)[0]}", f"managed policy {arn} is not in the "
                                 "template, so what it allows cannot be proved") for arn in role.external_policies]
        if role.boundary:
            out.notes.append(f"{role.logical_id}: permissions boundary {role.boundary} is not evaluated (not in the template); "
                             "a boundary can only narrow access, so unexpected allows are still proved absent")


def _named_actions(ts: TemplateSet) -> set[str]:
    return {a for a in _strings_under(ts, ("Action", "NotAction")) if "*" not in a and "?" not in a and ":" in a}


def _named_resources(ts: TemplateSet) -> set[str]:
    return {r for r in _strings_under(ts, ("Resource", "NotResource")) if "*" not in r and "?" not in r}


def _strings_under(ts: TemplateSet, keys: tuple[str, ...]) -> Iterable[str]:
    for doc in ts.policies:
        statements = doc.document.get("Statement", [])
        for st in statements if isinstance(statements, list) else [statements]:
            for key in keys:
                value = st.get(key, []) if isinstance(st, dict) else []
                yield from (v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
