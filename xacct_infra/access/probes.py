"""Who to ask: probe principals taken from the trust policies themselves, and the comparison
of an actual trust policy with the expected one, request by request.

The fixed callers of the sweep answer "do the people we know about get in?". These answer
"does anyone the policy mentions, or could be read to mention, get in?": every principal,
account and ARN pattern that appears in a ``Principal`` or in an ``aws:PrincipalArn`` /
``aws:PrincipalAccount`` / ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths`` value, with
path and name variants of every role ARN (``role/x/<name>``, ``<name>x``, ``<nam>?``), the
same names in other accounts, services and federated identities (web identity and SAML
actions). Every principal carries its own organization id and OU path, as in AWS: members
of the configured organization at the configured OU and below, a sibling OU, the parent OU,
another organization, and no organization at all. Other condition keys (``sts:ExternalId``,
``aws:SourceAccount``, ...) take every value the policies name, a value they do not name,
and absence.

Pure: plain trust documents (intrinsics resolved) in, findings out. ``check`` compares
template roles with the generator's; ``audit`` can compare live ``GetRole`` documents.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from xacct_infra import arns as arn_of
from xacct_infra.access.evaluator import ContextValue, Policy, Principal, Request, authorize
from xacct_infra.access.matching import resource_matches
from xacct_infra.findings import Finding

PROBE_RULE = "access:trust-probe"
THIRD_ACCOUNTS = ("333333333333", "444444444444", "555555555555", "999999999999")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "codebuild.amazonaws.com",
            "pods.eks.amazonaws.com")
TRUST_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
FEDERATED_ACTIONS = ("sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:AssumeRole", "sts:TagSession")
OTHER_ORG = "o-xprobe00000"
_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths")
# Keys that describe the calling principal: fixed by who it is, never chosen per request.
BOUND_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
                        "aws:principaltype", "aws:userid", "aws:username", "aws:principalisawsservice",
                        "aws:principalservicename"})
# A service or federated identity is no IAM principal: it carries none of these (a trust condition
# on them fails for it), so a probe never lets it choose them.
NO_IAM_PRINCIPAL: Mapping[str, ContextValue] = {k: None for k in ("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID",
                                                                   "aws:PrincipalOrgPaths", "aws:PrincipalType", "aws:userid",
                                                                   "aws:username")}
_MAX_COMBINATIONS = 64
_ARN = re.compile(r"arn:[a-z-]+:iam::\d{12}:(role|user|assumed-role)/.+")
ADMIN = Policy("worst case: an administrator policy in the caller's account",
               {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@dataclass(frozen=True)
class Org:
    """Where the config's consumers live: an organization id and the OU paths trusted."""

    id: str | None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Probe:
    principal: Principal
    context: Mapping[str, ContextValue]
    actions: tuple[str, ...]

    def describe(self) -> str:
        who = self.principal.arn or self.principal.service or self.principal.federated or self.principal.label
        org = self.context.get("aws:PrincipalOrgPaths") or self.context.get("aws:PrincipalOrgID")
        if "aws:PrincipalOrgID" in self.context:
            who += f" (organization {', '.join(org) if isinstance(org, list) else org})" if org else " (in no organization)"
        return who


@dataclass
class _Seen:
    arns: set[str] = field(default_factory=set)
    arn_patterns: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    federated: set[str] = field(default_factory=set)
    org_ids: set[str] = field(default_factory=set)
    org_paths: set[str] = field(default_factory=set)
    free: dict[str, set[str]] = field(default_factory=dict)  # other condition keys -> values named
    org_keys: bool = False


def _strings(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items if isinstance(v, str | bool | int)]


def _collect(documents: Iterable[Mapping[str, object]]) -> _Seen:
    seen = _Seen()
    for document in documents:
        body = document.get("Statement", []) if isinstance(document, Mapping) else []
        for st in body if isinstance(body, list) else [body]:
            if not isinstance(st, Mapping):
                continue
            for element in ("Principal", "NotPrincipal"):
                principal = st.get(element)
                if principal == "*" or principal is None:
                    continue
                for kind, values in principal.items() if isinstance(principal, Mapping) else ():
                    for value in _strings(values):
                        _principal_value(seen, str(kind), value)
            condition = st.get("Condition", {})
            for _operator, keys in condition.items() if isinstance(condition, Mapping) else ():
                for key, values in keys.items() if isinstance(keys, Mapping) else ():
                    _condition_value(seen, str(key).lower(), _strings(values))
    return seen


def _principal_value(seen: _Seen, kind: str, value: str) -> None:
    if kind == "Service":
        seen.services.add(value.lower())
    elif kind == "Federated":
        seen.federated.add(value)
    elif kind == "AWS" and value != "*":
        if re.fullmatch(r"\d{12}", value):
            seen.accounts.add(value)
        elif "*" in value or "?" in value:
            seen.arn_patterns.add(value)
        else:
            parts = value.split(":")
            if len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
                seen.accounts.add(parts[4])
            if _ARN.fullmatch(value):
                seen.arns.add(value)


def _condition_value(seen: _Seen, key: str, values: list[str]) -> None:
    if key == "aws:principalarn":
        for value in values:
            (seen.arn_patterns if "*" in value or "?" in value else seen.arns).add(value)
            parts = value.split(":")
            if len(parts) > 4 and re.fullmatch(r"\d{12}", parts[4]):
                seen.accounts.add(parts[4])
    elif key == "aws:principalaccount":
        seen.accounts.update(_instances(v, "1") for v in values)
    elif key == "aws:principalorgid":
        seen.org_keys = True
        seen.org_ids.update(_instances(v, "x") for v in values)
    elif key == "aws:principalorgpaths":
        seen.org_keys = True
        seen.org_paths.update(_instances(v, "ou-xprb-xprobe00/") for v in values)
    elif key not in BOUND_KEYS:
        seen.free.setdefault(key, set()).update(values)


def _instances(pattern: str, filler: str) -> str:
    return pattern.replace("*", filler).replace("?", filler[:1] or "x")


# --------------------------------------------------------------------------- principals


def _arn_instances(pattern: str, accounts: Sequence[str]) -> Iterator[str]:
    """Concrete principal ARNs a pattern admits: every known account its account part
    matches, and fillers for the wildcards of the rest (empty, a name, a path)."""
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return
    wild = "*" in parts[4] or "?" in parts[4]
    candidates = [a for a in accounts if resource_matches(parts[4], a)] if wild else [parts[4]]
    for account in candidates:
        for filler in ("", "xprobe", "xprobe/x"):
            rest = parts[5].replace("*", filler)
            for q in ("x", "y"):
                arn = ":".join([*parts[:4], account, rest.replace("?", q)])
                if _ARN.fullmatch(arn.replace("//", "/x/")):
                    yield arn.replace("//", "/x/") if "//" in arn else arn


def _variants(arn: str, accounts: Sequence[str]) -> Iterator[str]:
    """A role or user ARN, its path and name neighbours, and the same name elsewhere."""
    head, _, rest = arn.partition(":iam::")
    account, _, resource = rest.partition(":")
    kind, _, path_name = resource.partition("/")
    path, _, name = path_name.rpartition("/")
    path = f"/{path}/" if path else "/"
    def build(acct: str, p: str, n: str) -> str:
        return f"{head}:iam::{acct}:{kind}{p}{n}"
    yield arn
    yield build(account, f"/xprobe{path}", name)  # role/x/<name>
    yield build(account, "/", name) if path != "/" else build(account, "/other/", name)
    yield build(account, path, f"{name}x")  # <name>x
    yield build(account, path, name[:-1] + ("x" if name[-1:] != "x" else "y"))  # <nam>?
    yield build(account, path, f"x{name}")
    for other in accounts:
        if other != account:
            yield build(other, path, name)


def principals(documents: Sequence[Mapping[str, object]], *, partition: str, accounts: Sequence[str] = ()) -> list[Principal]:
    """Every IAM principal, service and federated identity worth asking about."""
    seen = _collect(documents)
    every = sorted(seen.accounts | set(accounts) | set(THIRD_ACCOUNTS))
    arns: dict[str, None] = {}
    for arn in sorted(seen.arns):
        if _ARN.fullmatch(arn):
            arns.update(dict.fromkeys(_variants(arn, every)))
    for pattern in sorted(seen.arn_patterns):
        arns.update(dict.fromkeys(_arn_instances(pattern, every)))
    for account in every:
        arns[arn_of.role_arn(partition, account, "/", "xacct-probe")] = None
        arns[arn_of.user_arn(partition, account, "/", "xacct-probe")] = None
    out = [Principal.of_arn(arn, arn) for arn in arns if _ARN.fullmatch(arn)]
    out += [Principal.of_service(s) for s in sorted(seen.services | set(SERVICES))]
    federated = seen.federated | {"cognito-identity.amazonaws.com", "accounts.google.com", "www.amazon.com",
                                  arn_of.oidc_provider_arn(partition, every[0], "token.actions.githubusercontent.com"),
                                  arn_of.saml_provider_arn(partition, every[0], "xacct-probe")}
    out += [Principal.of_federated(f) for f in sorted(federated)]
    return out


def _memberships(seen: _Seen, org: Org | None) -> list[dict[str, ContextValue]]:
    """The organizations a probe principal may belong to (each carries its own)."""
    if not seen.org_keys and org is None:
        return [{}]
    out: list[dict[str, ContextValue]] = [{"aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None}]
    paths: set[str] = set(seen.org_paths)
    if org is not None:
        for path in org.paths:
            segments = path.rstrip("/").split("/")
            paths |= {path, f"{path}ou-xprb-xprobe01/"}  # the OU and a child OU
            paths.add("/".join(segments[:2]) + "/ou-xprb-xprobe02/")  # a sibling OU
            if len(segments) > 2:
                paths.add("/".join(segments[:-1]) + "/")  # the parent OU (or the root)
        if org.id and not org.paths:
            paths.add(f"{org.id}/r-xprb/")
    ids = set(seen.org_ids) | {p.split("/")[0] for p in paths} | {OTHER_ORG} | ({org.id} if org and org.id else set())
    paths.add(f"{OTHER_ORG}/r-xprb/ou-xprb-xprobe00/")
    for org_id in sorted(ids):
        members = sorted(p for p in paths if p.split("/")[0] == org_id) or [f"{org_id}/r-xprb/"]
        out += [{"aws:PrincipalOrgID": org_id, "aws:PrincipalOrgPaths": [path]} for path in members]
    return out


def probes(documents: Sequence[Mapping[str, object]], *, partition: str, accounts: Sequence[str] = (),
           org: Org | None = None) -> list[Probe]:
    """Probe requests for the trust policies ``documents`` (actual and expected together)."""
    seen = _collect(documents)
    memberships = _memberships(seen, org)
    out = []
    for principal in principals(documents, partition=partition, accounts=accounts):
        if principal.service:
            out.append(Probe(principal, NO_IAM_PRINCIPAL, TRUST_ACTIONS))
        elif principal.federated:
            out.append(Probe(principal, NO_IAM_PRINCIPAL, FEDERATED_ACTIONS))
        else:
            assert principal.arn and principal.account
            kind = "AssumedRole" if ":role/" in principal.arn else "User"
            base: dict[str, ContextValue] = {"aws:PrincipalArn": principal.arn, "aws:PrincipalAccount": principal.account,
                                             "aws:PrincipalType": kind}
            out += [Probe(principal, {**base, **m}, TRUST_ACTIONS) for m in memberships]
    return out


def free_combinations(documents: Sequence[Mapping[str, object]]) -> list[dict[str, ContextValue]]:
    """Concrete values for the condition keys a caller chooses per request: each value the
    policies name (patterns filled in), one they do not name, and absence."""
    seen = _collect(documents)
    keys = sorted(seen.free)
    choices: list[list[ContextValue]] = [[None, "xacct-probe-value", *sorted({_instances(v, "xprobe") for v in seen.free[k]})]
                                         for k in keys]
    combos = list(itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS))
    out = [dict(zip(keys, combo, strict=True)) for combo in combos]
    if len(combos) == _MAX_COMBINATIONS:  # too many together: also vary each key alone
        out += [{**{k: c[1] for k, c in zip(keys, choices, strict=True)}, key: value}
                for key, values in zip(keys, choices, strict=True) for value in values]
    return out


# --------------------------------------------------------------------------- the comparison


def compare(actual: Mapping[str, object], expected: Mapping[str, object], *, role_arn: str, role_account: str,
            where: str, partition: str, accounts: Sequence[str] = (), org: Org | None = None,
            extra_documents: Sequence[Mapping[str, object]] = ()) -> list[Finding]:
    """One finding per actual statement that admits a probe the expected policy refuses.

    ``extra_documents``: other trust policies whose principals should be probed too (the
    rest of the template), so a principal one role trusts is also tried on its siblings.
    """
    documents = [actual, expected, *extra_documents]
    actual_policy, expected_policy = Policy(where, actual), Policy("expected", expected)
    combos = free_combinations(documents)
    blamed: dict[str, list[str]] = {}
    for probe in probes(documents, partition=partition, accounts=accounts, org=org):
        for action in probe.actions:
            request = Request(probe.principal, action, role_arn, probe.context, adversarial=True)
            kwargs = {"identity": (ADMIN,), "resource_account": role_account, "trust": True}
            if not authorize(request, resource=(actual_policy,), **kwargs).allowed:  # type: ignore[arg-type]
                continue
            for combo in combos:
                concrete = Request(probe.principal, action, role_arn, {**probe.context, **combo}, adversarial=True)
                decision = authorize(concrete, resource=(actual_policy,), **kwargs)  # type: ignore[arg-type]
                if not decision.allowed or authorize(concrete, resource=(expected_policy,), **kwargs).allowed:  # type: ignore[arg-type]
                    continue
                extra = ", ".join(f"{k}={'absent' if v is None else v}" for k, v in combo.items())
                for ref in decision.allowed_by:
                    if ref.policy == where:
                        blamed.setdefault(ref.sid, []).append(f"{probe.describe()} ({action}{'; ' + extra if extra else ''})")
                break
    out = []
    for sid, who in blamed.items():
        unique = list(dict.fromkeys(who))
        more = f" and {len(unique) - 3} more" if len(unique) > 3 else ""
        out.append(Finding(PROBE_RULE, where, f"admits {'; '.join(unique[:3])}{more}, which the config does not", sid))
    return out
