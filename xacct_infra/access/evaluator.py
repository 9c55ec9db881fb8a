"""A small offline IAM evaluator: policy documents in, Allow / Deny / implicit deny out.

It implements AWS's documented evaluation logic for what our templates (and plausible hand
edits of them) can contain, and refuses the rest with :class:`PolicyError` rather than guess:

* an explicit Deny in any applicable policy wins;
* otherwise an Allow is needed; across accounts both the caller's identity policy *and*
  the resource's policy must allow; a role's trust policy must always allow AssumeRole;
* ``Action``/``NotAction`` match case-insensitively with ``*`` and ``?``; ``Resource`` and
  ``NotResource`` match case-sensitively, ``*`` staying inside one ARN segment unless it
  ends the segment (then it may run past colons, as the IAM reference says);
* ``Principal``/``NotPrincipal``: ``*``; an account id or ``:root`` ARN stands for every
  principal of that account; a role ARN for that role's sessions; service principals;
* conditions: String*, Arn*, Bool, Null, the ``IfExists`` suffix and the ``ForAnyValue:`` /
  ``ForAllValues:`` qualifiers; condition keys are case-insensitive, values case-sensitive
  (except the IgnoreCase operators and Bool). The matching and the operators are in ``matching``.

A request's context says which keys are present; a key mapped to ``None`` is known to be
absent. With ``adversarial=True``, a key the context does not mention is one the caller may
choose: every Allow condition on it is taken as met and every Deny condition as unmet, so a
"not allowed" answer holds whatever the caller sends (used to prove the absence of access).

All inputs are plain JSON data whose intrinsics are already resolved (see ``intrinsics``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from xacct_infra.access.matching import ContextValue as ContextValue
from xacct_infra.access.matching import PolicyError as PolicyError
from xacct_infra.access.matching import action_matches, any_resource_matcher, conditions, strings

Effect = Literal["Allow", "Deny", "ImplicitDeny"]
PrincipalMatch = Literal["specific", "account", "any"]

_ACCOUNT_ROOT = re.compile(r"arn:[a-z-]+:iam::(\d{12}):root")
_ACCOUNT_ID = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Principal:
    """Who makes a request: an IAM principal (``arn`` = its IAM ARN, e.g. the role ARN for a
    role session) or an AWS service (``service`` = ``ec2.amazonaws.com``)."""

    label: str
    arn: str | None = None
    account: str | None = None
    service: str | None = None
    federated: str | None = None  # a web-identity or SAML provider (``cognito-identity.amazonaws.com``, a provider ARN)

    @classmethod
    def of_arn(cls, label: str, arn: str) -> Principal:
        parts = arn.split(":", 5)
        if len(parts) != 6 or not _ACCOUNT_ID.fullmatch(parts[4]):
            raise PolicyError(f"{arn!r} is not an IAM principal ARN")
        return cls(label=label, arn=arn, account=parts[4])

    @classmethod
    def of_service(cls, service: str) -> Principal:
        return cls(label=service, service=service)

    @classmethod
    def of_federated(cls, provider: str) -> Principal:
        return cls(label=provider, federated=provider)


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    adversarial: bool = False


@dataclass(frozen=True)
class Policy:
    """One policy document and the name findings use for it (``AccessRole/xacct-access``).

    Its statements are checked and indexed by action on first use and kept with the object:
    do not change ``document`` after making a Policy of it."""

    name: str
    document: Mapping[str, Any]
    _compiled: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, order=True)
class StatementRef:
    policy: str
    sid: str

    def __str__(self) -> str:
        return f"{self.policy} statement {self.sid}"


@dataclass(frozen=True)
class Decision:
    effect: Effect
    allowed_by: tuple[StatementRef, ...] = ()
    denied_by: tuple[StatementRef, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


class _Result:
    """The statements of some policies that apply to one request (a plain class: one is made
    for every policy set of every request the check evaluates)."""

    __slots__ = ("allows", "denies")

    def __init__(self) -> None:
        self.allows: list[tuple[StatementRef, PrincipalMatch]] = []
        self.denies: list[StatementRef] = []


_IMPLICIT_DENY = Decision("ImplicitDeny")  # immutable: one for every implicit deny


def authorize(request: Request, *, identity: Sequence[Policy] = (), resource: Sequence[Policy] = (),
              boundary: Sequence[Policy] | None = None, resource_account: str | None = None,
              trust: bool = False) -> Decision:
    """Decide one request.

    ``identity``: the caller's identity policies; ``resource``: the resource's policy (a
    role's trust policy when ``trust`` is set: then it must allow, whoever asks);
    ``boundary``: the caller's permissions boundary, if any; ``resource_account``: the
    account owning the resource (default: the caller's, i.e. same-account).
    """
    ident = _evaluate(identity, request, resource_policy=False)
    res = _evaluate(resource, request, resource_policy=True)
    bound = _evaluate(boundary, request, resource_policy=False) if boundary is not None else None
    denies = ident.denies + res.denies + (bound.denies if bound else [])
    if denies:
        return Decision("Deny", denied_by=tuple(sorted(set(denies))))

    p = request.principal
    if p.service is not None or p.federated is not None:  # services and federated users act on trust policies alone
        return _decide(bool(res.allows), [r for r, _ in res.allows])
    identity_ok = bool(ident.allows) and (bound is None or bool(bound.allows))
    identity_refs = [r for r, _ in ident.allows]
    resource_refs = [r for r, _ in res.allows]
    cross_account = resource_account is not None and resource_account != p.account
    specific = [r for r, how in res.allows if how != "account"]
    if cross_account:
        needs_resource = trust or bool(resource)  # no resource policy at all: nothing admits a stranger
        return _decide(identity_ok and bool(res.allows) and needs_resource, identity_refs + resource_refs)
    if trust and not res.allows:
        return _IMPLICIT_DENY
    if specific:  # same account: a resource policy naming the principal is enough on its own
        return Decision("Allow", allowed_by=tuple(sorted(set(specific))))
    if trust:  # trusted through the account root: the identity policy must allow too
        return _decide(identity_ok, identity_refs + resource_refs)
    return _decide(identity_ok, identity_refs)


def _decide(allowed: bool, refs: list[StatementRef]) -> Decision:
    return Decision("Allow", allowed_by=tuple(sorted(set(refs)))) if allowed else _IMPLICIT_DENY


def _evaluate(policies: Sequence[Policy] | None, request: Request, *, resource_policy: bool) -> _Result:
    result = _Result()
    for policy in policies or ():
        for st in _compiled(policy).matching(request.action):
            how = _applies(st, request, resource_policy=resource_policy)
            if how is None:
                continue
            if st.effect == "Deny":
                result.denies.append(st.ref)
            else:
                result.allows.append((st.ref, how))
    return result


@dataclass(frozen=True)
class _Statement:
    """A statement checked once and ready to match: its actions, resources and the rest."""

    ref: StatementRef
    where: str
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None  # None: neither Resource nor NotResource
    not_resource: bool
    body: Mapping[str, Any]
    literal: frozenset[str] = frozenset()  # the resources without wildcards, for a set lookup
    wild: tuple[str, ...] = ()  # the resource patterns
    wild_match: Callable[[str], bool] = field(default=lambda resource: False, repr=False, compare=False)

    def names(self, resource: str) -> bool:
        """Whether Resource (or NotResource) lists ``resource``."""
        return resource in self.literal or self.wild_match(resource)


@dataclass
class _Compiled:
    document: Mapping[str, Any]
    statements: tuple[_Statement, ...]
    by_action: dict[str, tuple[_Statement, ...]] = field(default_factory=dict)

    def matching(self, action: str) -> tuple[_Statement, ...]:
        """The statements whose Action/NotAction covers ``action`` (memoised per action)."""
        found = self.by_action.get(action)
        if found is None:
            found = tuple(st for st in self.statements if _any_matches(action_matches, st.actions, action) != st.not_action)
            self.by_action[action] = found
        return found


def may_apply(policies: Sequence[Policy], action: str, resource: str | None) -> bool:
    """Whether any statement of ``policies`` names ``action`` and ``resource`` (any resource when
    None; conditions and principals aside): when none does, every such request is an implicit deny."""
    return any(resource is None or st.resources is None or st.names(resource) != st.not_resource
               for policy in policies for st in _compiled(policy).matching(action))


def _compiled(policy: Policy) -> _Compiled:
    compiled: _Compiled | None = policy._compiled
    if compiled is None:
        compiled = _Compiled(policy.document, tuple(_compile(policy.name, i, st) for i, st in enumerate(_statements(policy))))
        object.__setattr__(policy, "_compiled", compiled)  # frozen: a cache, not a change of value
    return compiled


def _compile(name: str, index: int, st: Mapping[str, Any]) -> _Statement:
    where = f"{name} Statement[{index}]"
    if st.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny, got {st.get('Effect')!r}")
    for positive, negative in (("Action", "NotAction"), ("Resource", "NotResource")):
        if positive in st and negative in st:
            raise PolicyError(f"{where}: has both {positive} and {negative}")
    if "Action" not in st and "NotAction" not in st:
        raise PolicyError(f"{where}: needs Action or NotAction")
    action_key = "Action" if "Action" in st else "NotAction"
    resource_key = "Resource" if "Resource" in st else "NotResource" if "NotResource" in st else None
    resources = _patterns(st[resource_key], f"{where}.{resource_key}") if resource_key else None
    wild = tuple(r for r in resources or () if "*" in r or "?" in r)
    return _Statement(StatementRef(name, str(st.get("Sid") or f"Statement[{index}]")), where, str(st["Effect"]),
                      _patterns(st[action_key], f"{where}.{action_key}"), action_key == "NotAction",
                      resources, resource_key == "NotResource", st,
                      frozenset(r for r in resources or () if "*" not in r and "?" not in r),
                      wild, any_resource_matcher(wild))


def _statements(policy: Policy) -> list[Mapping[str, Any]]:
    statements = policy.document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise PolicyError(f"{policy.name}: Statement must be an object or a list of objects")
    return statements


def _applies(st: _Statement, request: Request, *, resource_policy: bool) -> PrincipalMatch | None:
    """How the statement's principal matched (``any`` for identity policies), or None if it does not apply.
    The caller has already matched the action."""
    if st.resources is None:
        if not resource_policy:
            raise PolicyError(f"{st.where}: needs Resource or NotResource")
    elif st.names(request.resource) == st.not_resource:
        return None
    how: PrincipalMatch | None = "any"
    if resource_policy:
        how = _principal(st.body, request.principal, st.where)
    elif "Principal" in st.body or "NotPrincipal" in st.body:
        raise PolicyError(f"{st.where}: an identity policy statement cannot have Principal")
    if how is None or not conditions(st.body.get("Condition", {}), request.context, adversarial=request.adversarial,
                                     allow=st.effect == "Allow", where=st.where):
        return None
    return how


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(strings(value, where))


@lru_cache(maxsize=65536)
def _any_matches(matches: Callable[[str, str], bool], patterns: tuple[str, ...], value: str) -> bool:
    """Memoised: a sweep asks the same (patterns, value) question many times."""
    return any(matches(p, value) for p in patterns)


def _principal(st: Mapping[str, Any], p: Principal, where: str) -> PrincipalMatch | None:
    if "Principal" in st:
        return _principal_matches(st["Principal"], p, where)
    if "NotPrincipal" in st:
        return None if _principal_matches(st["NotPrincipal"], p, where) else "any"
    raise PolicyError(f"{where}: a resource or trust policy statement needs Principal or NotPrincipal")


def _principal_matches(element: Any, p: Principal, where: str) -> PrincipalMatch | None:
    if element == "*":
        return "any"
    if not isinstance(element, dict):
        raise PolicyError(f"{where}.Principal: must be \"*\" or an object such as {{\"AWS\": ...}}")
    best: PrincipalMatch | None = None
    for kind, values in element.items():
        for value in strings(values, f"{where}.Principal.{kind}"):
            how = _one_principal(kind, value, p)
            if how == "specific":
                return how
            best = best or how
    return best


def _one_principal(kind: str, value: str, p: Principal) -> PrincipalMatch | None:
    if kind == "Service":
        return "specific" if p.service is not None and value.lower() == p.service.lower() else None
    if kind == "Federated":
        return "specific" if p.federated is not None and value == p.federated else None
    if kind != "AWS" or p.service is not None or p.federated is not None:
        return None  # CanonicalUser principals never make our requests
    if value == "*":
        return "any"
    root = _ACCOUNT_ROOT.fullmatch(value)
    account = root[1] if root else value if _ACCOUNT_ID.fullmatch(value) else None
    if account is not None:
        return "account" if account == p.account else None
    return "specific" if value == p.arn else None
