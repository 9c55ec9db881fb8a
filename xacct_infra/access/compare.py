"""Semantic comparison of policies and roles with what the generator writes for the config.

Pure functions over plain JSON documents whose intrinsics are already resolved, so the same
comparison serves ``check`` (templates vs config), ``audit`` (documents read live with
GetRole/GetRolePolicy/GetPolicyVersion) and ``diff`` (old vs new).

A document is broken into *atoms*: one (principal, action, conditions) for a trust policy,
one (action, resource, conditions) for a permissions policy, for every Allow. An actual atom
is acceptable only when some expected atom *covers* it: the same action (actions compare
case-insensitively, resources case-sensitively), a principal no wider, a resource no wider,
and conditions that imply every condition of the expected atom (extra conditions only
narrow). So statements may be split, merged, reordered or renamed, principals given as
one-element lists, actions respelled in another case and explicit Denies added without a
finding; anything an atom admits beyond the expected ones is a finding naming the statement
(its Sid, or ``Statement[i]``) and saying who or what else gets in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xacct_infra.access.atoms import POSITIVE as _POSITIVE
from xacct_infra.access.atoms import ROOT as _ROOT
from xacct_infra.access.atoms import Cond, Statement, statements
from xacct_infra.access.atoms import conditions_imply as _conditions_imply
from xacct_infra.access.atoms import matches as _matches
from xacct_infra.access.atoms import value_within as _value_within
from xacct_infra.access.matching import resource_matches
from xacct_infra.findings import Finding

TRUST_RULE = "access:trust"
POLICY_RULE = "access:policy"
ROLE_RULE = "access:role"
ATTACH_RULE = "access:attachment"

# Keys whose value is the calling principal itself: a principal ARN narrower than the expected
# principal can satisfy them on its own (an ARN principal admits only that ARN).
_PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount"})
_MAX_EXAMPLES = 3


# --------------------------------------------------------------------------- trust


@dataclass(frozen=True)
class TrustAtom:
    principal: tuple[str, str]
    action: str
    conditions: frozenset[Cond]

    def describe(self) -> str:
        kind, value = self.principal
        who = "anyone (\"*\")" if value == "*" else f"{kind} {value}" if kind != "AWS" else value
        return f"{who} to {self.action}" + (" where " + " and ".join(map(str, sorted(self.conditions, key=str))) if self.conditions else
                                            " with no condition")


def trust_atoms(document: Mapping[str, Any], *, partition: str = "aws") -> list[TrustAtom]:
    return [TrustAtom(p, a, st.conditions) for st in statements(document, partition=partition, trust=True)
            for p in st.principals for a in st.actions]


def _principal_within(kind: str, value: str, expected: TrustAtom) -> frozenset[Cond] | None:
    """The expected conditions still to be met when ``kind value`` is no wider than the
    expected principal, or None when it is wider or different."""
    e_kind, e_value = expected.principal
    if kind != e_kind:
        return None
    if value == e_value:
        return expected.conditions
    if kind != "AWS" or value == "*":
        return None
    root = _ROOT.fullmatch(e_value)
    if e_value != "*" and not (root and _account_of(value) == root[2]):
        return None
    if _ROOT.fullmatch(value):  # an account root is narrower than "*" only
        return expected.conditions if e_value == "*" else None
    # An IAM principal ARN: conditions on the principal's own ARN/account it meets by itself.
    return frozenset(c for c in expected.conditions
                     if not (c.key in _PRINCIPAL_KEYS and not c.qualifier and c.base in _POSITIVE
                             and _value_within("StringEquals", value if c.key == "aws:principalarn" else _account_of(value), c)))


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _covered(kind: str, value: str, action: str, conditions: frozenset[Cond], wanted: Sequence[TrustAtom]) -> bool:
    """Whether some expected atom admits everything ``kind value`` under ``conditions`` does."""
    candidates = [e for e in wanted if e.action.lower() == action.lower()]
    if _nobody(kind, value, conditions):
        return True
    if any((rest := _principal_within(kind, value, e)) is not None and _conditions_imply(conditions, rest) for e in candidates):
        return True
    # A wide principal pinned by aws:PrincipalArn admits only the ARNs the condition names:
    # "*" (or an account root) with ArnEquals aws:PrincipalArn = R admits R alone.
    # A pinned ARN the principal does not cover gets nothing through it (admitting nobody is no widening).
    for pin in (c for c in conditions if c.key == "aws:principalarn" and not c.qualifier and not c.if_exists and c.base in _POSITIVE):
        under = [v for v in pin.values if _could_admit(kind, value, v, pin.base)]
        if not under:
            return True  # no principal of ``value`` has such an ARN
        pinned = [_pinned(arn, value, pin.base) for arn in under]
        if any(arn is None for arn in pinned):
            continue
        others = conditions - {pin}
        if all(any((rest := _principal_within("AWS", arn, e)) is not None and _conditions_imply(others, rest)
                   for e in candidates) for arn in pinned if arn is not None and _admits(kind, value, arn)):
            return True
    return False


def _nobody(kind: str, principal: str, conditions: frozenset[Cond]) -> bool:
    """Whether an aws:PrincipalAccount condition excludes the one account ``principal`` is in."""
    root = _ROOT.fullmatch(principal)
    account = root[2] if root else _account_of(principal) if kind == "AWS" and principal != "*" else ""
    return bool(account) and any(
        c.key == "aws:principalaccount" and not c.qualifier and not c.if_exists and c.base in _POSITIVE
        and not any(_matches(c.base, v, account) for v in c.values) for c in conditions)


def _could_admit(kind: str, principal: str, value: str, operator: str) -> bool:
    """Whether some principal covered by ``principal`` has an ARN that ``operator value`` admits."""
    if kind != "AWS" or principal == "*":
        return kind == "AWS"
    root = _ROOT.fullmatch(principal)
    if root is None:  # one IAM principal: its own ARN must match
        return _matches(operator, value, principal) if operator != "StringEquals" else value == principal
    parts = value.split(":", 5)
    if len(parts) != 6:
        return operator != "StringEquals"  # a malformed pattern: assume the worst
    account = parts[4]
    return account == root[2] if operator == "StringEquals" else _matches(operator, account, root[2])


def _pinned(pattern: str, principal: str, operator: str) -> str | None:
    """The one ARN a PrincipalArn value admits under ``principal``, or None if it admits several:
    a wildcard account is fixed by an account-root principal."""
    if operator == "StringEquals" or not ("*" in pattern or "?" in pattern):
        return pattern
    root = _ROOT.fullmatch(principal)
    parts = pattern.split(":", 5)
    if root is None or len(parts) != 6 or "*" in parts[5] or "?" in parts[5] or not resource_matches(parts[4], root[2]):
        return None
    return ":".join([*parts[:4], root[2], parts[5]])


def _admits(kind: str, principal: str, arn: str) -> bool:
    if kind != "AWS":
        return False
    if principal in ("*", arn):
        return True
    root = _ROOT.fullmatch(principal)
    return bool(root and _account_of(arn) == root[2])


def compare_trust(actual: Mapping[str, Any], expected: Mapping[str, Any], *, where: str,
                  partition: str = "aws") -> list[Finding]:
    """Findings for everything ``actual`` (a trust policy) admits beyond ``expected``.

    Refused outright: NotPrincipal/NotAction in an Allow, a principal kind or service the
    expected policy does not use (Federated, CanonicalUser, another service), an action it
    does not use (sts:TagSession, sts:SetSourceIdentity, AssumeRoleWithWebIdentity/SAML...).
    """
    wanted = trust_atoms(expected, partition=partition)
    kinds = {a.principal[0] for a in wanted}
    services = {a.principal[1] for a in wanted if a.principal[0] == "Service"}
    actions = {a.action.lower(): a.action for a in wanted}
    described = list(dict.fromkeys(a.describe() for a in wanted))
    summary = "; ".join(described[:_MAX_EXAMPLES]) + (f"; and {len(described) - _MAX_EXAMPLES} more" if len(described) > _MAX_EXAMPLES else "") or "nobody"
    out: list[Finding] = []
    for st in statements(actual, partition=partition, trust=True):
        label = st.label
        out += [Finding(TRUST_RULE, where, f"{problem} (holds {st.first_action()})", label) for problem in st.problems]
        if not st.principals and not st.problems:
            out.append(Finding(TRUST_RULE, where, f"an Allow without Principal (holds {st.first_action()})", label))
        for action in st.actions:
            if action.lower() not in actions:
                out.append(Finding(TRUST_RULE, where, f"allows {action}, which the config's trust does not use "
                                                      f"(it uses only {', '.join(sorted(actions.values())) or 'nothing'})", label))
        for kind, value in st.principals:
            if kind not in kinds or (kind == "Service" and value not in services):
                what = {"Federated": "federated (web identity or SAML) principal", "CanonicalUser": "canonical user",
                        "Service": "service principal"}.get(kind, f"{kind} principal")
                out.append(Finding(TRUST_RULE, where, f"trusts {what} {value} (holds {st.first_action()}), which the config "
                                                      f"does not; the config trusts only: {summary}", label))
                continue
            for action in st.actions:
                if action.lower() not in actions:
                    continue
                atom = TrustAtom((kind, value), action, st.conditions)
                if not _covered(kind, value, action, st.conditions, wanted):
                    out.append(Finding(TRUST_RULE, where, f"admits {atom.describe()}, beyond the config, which admits only: "
                                                          f"{summary}", label))
    return out


# --------------------------------------------------------------------------- permissions


@dataclass
class _Expected:
    literal: dict[tuple[str, str], list[frozenset[Cond]]] = field(default_factory=dict)  # (action, resource) -> conditions
    patterns: dict[str, list[tuple[str, frozenset[Cond]]]] = field(default_factory=dict)  # action -> (resource pattern, conditions)
    actions: set[str] = field(default_factory=set)

    def add(self, st: Statement) -> None:
        for action in (a.lower() for a in st.actions):
            self.actions.add(action)
            for resource in st.resources:
                if "*" in resource or "?" in resource:
                    self.patterns.setdefault(action, []).append((resource, st.conditions))
                else:
                    self.literal.setdefault((action, resource), []).append(st.conditions)

    def covers(self, action: str, resource: str, conditions: frozenset[Cond]) -> bool:
        action = action.lower()
        wildcard = "*" in resource or "?" in resource
        if not wildcard:
            for wanted in self.literal.get((action, resource), []):
                if _conditions_imply(conditions, wanted):
                    return True
        for pattern, wanted in self.patterns.get(action, []):
            if (pattern == resource if wildcard else resource_matches(pattern, resource)) and _conditions_imply(conditions, wanted):
                return True
        return False


def compare_permissions(actual: Sequence[tuple[str, Mapping[str, Any]]], expected: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Findings for everything the ``(name, document)`` permissions policies allow beyond the
    union of the ``expected`` documents (one principal's identity policies, inline and attached)."""
    model = _Expected()
    for document in expected:
        for st in statements(document, trust=False):
            if not st.problems:
                model.add(st)
    out: list[Finding] = []
    for name, document in actual:
        for st in statements(document, trust=False):
            out += [Finding(POLICY_RULE, name, f"{problem} (holds {st.first_action()})", st.label) for problem in st.problems]
            beyond = [(a, r) for a in st.actions for r in st.resources if not model.covers(a, r, st.conditions)]
            if not beyond:
                continue
            shown = ", ".join(f"{a} on {r}" for a, r in beyond[:_MAX_EXAMPLES])
            more = f" and {len(beyond) - _MAX_EXAMPLES} more" if len(beyond) > _MAX_EXAMPLES else ""
            cond = " (under its conditions)" if st.conditions else ""
            out.append(Finding(POLICY_RULE, name, f"allows {shown}{more}{cond}, which the config does not grant", st.label))
    return out


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class RoleState:
    """A role as IAM holds it, from a template or from GetRole and friends.

    ``policies``: (name, document) of every identity policy whose content is known (inline,
    attached customer-managed); ``managed_arns``: attached managed policies whose content is
    not known here (AWS managed, or defined outside the template).
    """

    arn: str
    name: str
    path: str = "/"
    max_session_duration: int = 3600
    boundary: str | None = None
    trust: Mapping[str, Any] = field(default_factory=dict)
    policies: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    managed_arns: tuple[str, ...] = ()


def compare_role(actual: RoleState, expected: RoleState, *, where: str, partition: str = "aws") -> list[Finding]:
    """Every property of ``actual`` held to ``expected``: name, path, session length, boundary
    (exactly the expected one, or none when none is expected), trust, identity policies and
    managed policy attachments."""
    out: list[Finding] = []
    for what, got, want in (("RoleName", actual.name, expected.name), ("Path", actual.path, expected.path)):
        if got != want:
            out.append(Finding(ROLE_RULE, where, f"{what} is {got!r}; the config says {want!r}"))
    if actual.max_session_duration != expected.max_session_duration:
        longer = "longer sessions than" if actual.max_session_duration > expected.max_session_duration else "differs from"
        out.append(Finding(ROLE_RULE, where, f"MaxSessionDuration is {actual.max_session_duration} s ({longer} the config's "
                                             f"{expected.max_session_duration} s)"))
    if actual.boundary != expected.boundary:
        got_b = actual.boundary or "none"
        want_b = expected.boundary or "none"
        out.append(Finding(ROLE_RULE, where, f"PermissionsBoundary is {got_b}; the config says {want_b}"))
    out += compare_trust(actual.trust, expected.trust, where=f"{where} trust policy", partition=partition)
    out += compare_permissions(actual.policies, [doc for _, doc in expected.policies])
    for arn in actual.managed_arns:
        if arn not in expected.managed_arns:
            out.append(Finding(ROLE_RULE, where, f"attaches managed policy {arn}, which the config does not (what it allows "
                                                 "cannot be proved here: it counts as widening)"))
    return out


def compare_attachments(actual: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
                        expected: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]]) -> list[Finding]:
    """Policies attached to principals that are not roles of the template (``user alice``,
    ``group ops``, ``role existing``), keyed by that target: any target the config does not
    attach to is a finding of its own; a target it does attach to is held to its documents."""
    out: list[Finding] = []
    for target, docs in sorted(actual.items()):
        if target not in expected:
            for name, document in docs:
                labels = [st.label for st in statements(document, trust=False)] or [""]
                actions = sorted({a for st in statements(document, trust=False) for a in st.actions})
                out.append(Finding(ATTACH_RULE, name, f"is attached to {target}, which is not a role of the template and not "
                                                      f"one the config names; it gives {target} "
                                                      f"{', '.join(actions[:_MAX_EXAMPLES]) or 'nothing'}"
                                                      f"{' and more' if len(actions) > _MAX_EXAMPLES else ''}", labels[0]))
            continue
        out += compare_permissions(docs, [doc for _, doc in expected[target]])
    return out
