"""The template rules. Each reads policies as IAM will see them (intrinsics resolved)."""

from __future__ import annotations

import re

from xacct_infra import arns
from xacct_infra.access.templates import TemplateSet
from xacct_infra.config import ConsumerView
from xacct_infra.findings import Finding
from xacct_infra.rules.base import Rule, StatementAt, statements, strings

_ACCOUNT_ROOT = re.compile(r"arn:[a-z-]+:iam::\d{12}:root|\d{12}")
_PRINCIPAL_KEYS = ("aws:principalarn", "aws:principalorgid")
_NARROWING_OPERATORS = ("ArnEquals", "ArnLike", "StringEquals", "StringLike", "StringEqualsIgnoreCase")


class NoWildcardAction(Rule):
    id = "XI1001"
    description = "Allow statements name every action exactly: no \"*\", \"service:*\" or other wildcard, no NotAction"

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        out = []
        for st in statements(ts):
            if not st.allow:
                continue  # a wildcard in a Deny only takes access away
            if "NotAction" in st.body:
                out.append(self.finding(st, "Allow with NotAction grants every action not listed; list the actions instead"))
            out += [self.finding(st, f"action {a!r} is a wildcard; list the exact actions") for a in strings(st.body.get("Action", []))
                    if "*" in a or "?" in a]
        return out


class NoWildcardResource(Rule):
    id = "XI1002"
    description = "Allow statements of identity policies name resources: no Resource \"*\", no whole-type or wildcard-account ARNs, no NotResource"

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        out = []
        for st in statements(ts, trust=False):
            if not st.allow:
                continue
            if "NotResource" in st.body:
                out.append(self.finding(st, "Allow with NotResource grants every resource not listed; list the resources instead"))
            out += [self.finding(st, f"resource {r!r} {why}") for r in strings(st.body.get("Resource", [])) if (why := _broad(r))]
        return out


def _broad(resource: str) -> str:
    if resource == "*":
        return "is every resource; name the table, index or key ARNs"
    parts = resource.split(":", 5)
    if len(parts) != 6:
        return "is not an ARN"
    if any("*" in p or "?" in p for p in parts[:5]):
        return "has a wildcard in its partition, service, region or account"
    if re.fullmatch(r"[*?]*|[^/]+/[*?]*", parts[5]):
        return "is every resource of its type; name the resources"
    return ""


class TrustPrincipalNotWildcard(Rule):
    id = "XI1003"
    description = ("Trust policies never admit \"*\" (or a wildcard principal) unless narrowed to an organization "
                   "(aws:PrincipalOrgID/PrincipalOrgPaths) and to an instance-role ARN (aws:PrincipalArn); never NotPrincipal in an Allow")

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        out = []
        for st in statements(ts, trust=True):
            if not st.allow:
                continue
            if "NotPrincipal" in st.body:
                out.append(self.finding(st, "Allow with NotPrincipal trusts everyone not listed"))
            principal = st.body.get("Principal")
            values = [principal] if isinstance(principal, str) else [v for vs in (principal or {}).values() for v in strings(vs)]
            wild = [v for v in values if "*" in v or "?" in v]
            if wild and not (_has(st, _ORG_KEYS) and _has(st, ("aws:principalarn",))):
                out += [self.finding(st, f"principal {v!r} is a wildcard: anyone could assume this role") for v in wild]
        return out


_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths")


def _has(st: StatementAt, keys: tuple[str, ...]) -> bool:
    """A condition that must hold on one of ``keys`` (not IfExists, not ForAllValues: both pass without the key)."""
    condition = st.body.get("Condition", {})
    if not isinstance(condition, dict):
        return False
    return any((operator in _NARROWING_OPERATORS or operator.startswith("ForAnyValue:")) and not operator.endswith("IfExists")
               and isinstance(names, dict) and any(k.lower() in keys for k in names)
               for operator, names in condition.items())


class AccountRootNeedsPrincipalCondition(Rule):
    id = "XI1004"
    description = "An account-root principal is trusted only with an aws:PrincipalArn or aws:PrincipalOrgID condition"

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        out = []
        for st in statements(ts, trust=True):
            principal = st.body.get("Principal")
            aws = strings(principal.get("AWS", [])) if isinstance(principal, dict) else []
            roots = [v for v in aws if _ACCOUNT_ROOT.fullmatch(v)]
            if st.allow and roots and not _narrowed(st):
                out.append(self.finding(st, f"trusts {', '.join(roots)} (every principal of the account) without an "
                                            "ArnEquals aws:PrincipalArn or StringEquals aws:PrincipalOrgID condition"))
        return out


def _narrowed(st: StatementAt) -> bool:
    condition = st.body.get("Condition", {})
    if not isinstance(condition, dict):
        return False
    # Not IfExists, not ForAllValues: both are met when the key is absent (IfExists only with "Null <key> false" beside it).
    required = {k.lower() for k, v in (condition.get("Null") or {}).items() if str(v).lower() == "false"} \
        if isinstance(condition.get("Null"), dict) else set()
    return any((operator in _NARROWING_OPERATORS or (operator.removesuffix("IfExists") in _NARROWING_OPERATORS and
                                                      any(k.lower() in required for k in keys)))
               and isinstance(keys, dict) and any(k.lower() in _PRINCIPAL_KEYS for k in keys)
               for operator, keys in condition.items())


class AccountBAssumeOnly(Rule):
    id = "XI1005"
    description = "Account B's role may only sts:AssumeRole on the exact ARN of Account A's role"

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        a = view.owner
        target = arns.role_arn(ts.partition, a.id, a.role_path, view.role.name)
        out = []
        granted = False
        # A Pod Identity role also tags the session: its session tags are transitive (kinds.py).
        wanted = ["sts:AssumeRole", "sts:TagSession"] if view.consumer.spec.tag_session else ["sts:AssumeRole"]
        for st in statements(ts, trust=False):
            if st.doc.side != "b" or not st.allow:
                continue
            actions = [x.lower() for x in strings(st.body.get("Action", []))]
            resources = strings(st.body.get("Resource", []))
            if sorted(actions) != sorted(w.lower() for w in wanted) or "NotAction" in st.body:
                out.append(self.finding(st, f"allows {st.body.get('Action', st.body.get('NotAction'))}; only {' and '.join(wanted)} is allowed"))
            elif resources != [target] or "NotResource" in st.body:
                out.append(self.finding(st, f"allows sts:AssumeRole on {resources}; only {target} is allowed"))
            else:
                granted = True
        if not granted and not out:  # a statement already reported is the reason
            out.append(self.finding("account-b.yaml", f"no statement allows sts:AssumeRole on {target}"))
        return out


class OnlyIamResources(Rule):
    id = "XI1006"
    description = "Templates hold only IAM roles, policies and instance profiles: other resources (key or table policies...) escape the check"

    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        return [self.finding(item, "resource type not evaluated by xacct-infra check; remove it or extend the check") for item in ts.unsupported]


RULES: tuple[Rule, ...] = (NoWildcardAction(), NoWildcardResource(), TrustPrincipalNotWildcard(),
                           AccountRootNeedsPrincipalCondition(), AccountBAssumeOnly(), OnlyIamResources())
