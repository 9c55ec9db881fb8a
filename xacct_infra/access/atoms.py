"""A policy statement broken into its parts (principals, actions, resources, conditions), and
when one condition implies another: the vocabulary of :mod:`access.compare`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xacct_infra import arns
from xacct_infra.access.matching import like, policy_strings, resource_matches

ACCOUNT_ID = re.compile(r"\d{12}")
ROOT = re.compile(r"arn:([a-z-]+):iam::(\d{12}):root")
POSITIVE = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike"})
PATTERN_OPS = frozenset({"StringLike", "ArnEquals", "ArnLike"})  # wildcards are wildcards here


# --------------------------------------------------------------------------- atoms


@dataclass(frozen=True)
class Cond:
    """One condition test: ``ForAnyValue:StringLike`` / ``aws:principalorgpaths`` / values."""

    operator: str
    key: str  # lower-cased (condition keys are case-insensitive)
    values: frozenset[str]
    spelled: str = field(default="", compare=False)  # the key as the policy writes it, for messages

    @property
    def qualifier(self) -> str:
        return self.operator.rpartition(":")[0]

    @property
    def base(self) -> str:
        return self.operator.rpartition(":")[2].removesuffix("IfExists")

    @property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists")

    def __str__(self) -> str:
        values = sorted(self.values)
        return f"{self.operator} {self.spelled or self.key} {values[0] if len(values) == 1 else values}"


@dataclass(frozen=True)
class Statement:
    """An Allow statement broken into its parts (``label`` = Sid or ``Statement[i]``)."""

    label: str
    principals: tuple[tuple[str, str], ...]  # (kind, canonical value); () for identity policies
    actions: tuple[str, ...]  # as written; compared lower-cased (IAM matches actions case-insensitively)
    resources: tuple[str, ...]  # () for trust policies
    conditions: frozenset[Cond]
    problems: tuple[str, ...] = ()  # NotPrincipal, NotAction, NotResource, malformed parts

    def first_action(self) -> str:
        return self.actions[0] if self.actions else "no action"


def statements(document: Mapping[str, Any], *, partition: str = "aws", trust: bool) -> list[Statement]:
    """The Allow statements of a document, canonicalised (Deny statements only take away)."""
    body = document.get("Statement", []) if isinstance(document, Mapping) else []
    items = body if isinstance(body, list) else [body]
    out = []
    for index, st in enumerate(items):
        label = f"Statement[{index}]"
        if not isinstance(st, Mapping):
            out.append(Statement(label, (), (), (), frozenset(), ("is not an object",)))
            continue
        label = str(st.get("Sid") or label)
        if st.get("Effect") == "Deny":
            continue
        problems: list[str] = []
        if st.get("Effect") != "Allow":
            problems.append(f"Effect {st.get('Effect')!r} is neither Allow nor Deny")
        for element in ("NotPrincipal", "NotAction", "NotResource"):
            if element in st:
                problems.append(f"Allow with {element} admits everything not listed")
        principals: tuple[tuple[str, str], ...] = ()
        if trust:
            principals = tuple(_principals(st.get("Principal"), partition, problems))
        elif "Principal" in st:
            problems.append("an identity policy statement has a Principal")
        actions = tuple({a.lower(): a for a in reversed(_strings(st.get("Action", []), problems, "Action"))}.values())[::-1]
        resources = () if trust else tuple(dict.fromkeys(_strings(st.get("Resource", []), problems, "Resource")))
        conditions = _conditions(st.get("Condition", {}), problems)
        out.append(Statement(label, principals, actions, resources, conditions, tuple(problems)))
    return out


def _principals(element: Any, partition: str, problems: list[str]) -> Iterable[tuple[str, str]]:
    if element is None:
        return
    if element == "*":
        yield ("AWS", "*")
        return
    if not isinstance(element, Mapping):
        problems.append(f"Principal {element!r} is neither \"*\" nor an object")
        return
    for kind, values in element.items():
        for value in _strings(values, problems, f"Principal.{kind}"):
            yield (str(kind), canonical_principal(str(kind), value, partition))


def canonical_principal(kind: str, value: str, partition: str = "aws") -> str:
    """``111111111111`` and ``arn:<p>:iam::111111111111:root`` are the same principal."""
    if kind == "AWS" and ACCOUNT_ID.fullmatch(value):
        return arns.account_root_arn(partition, value)
    if kind == "Service":
        return value.lower()
    return value


def _strings(value: Any, problems: list[str], where: str) -> list[str]:
    out, odd = policy_strings(value)
    problems += [f"{where} holds a {kind}, not a string (unresolved intrinsic?)" for kind in odd]
    return out


def _conditions(block: Any, problems: list[str]) -> frozenset[Cond]:
    if not isinstance(block, Mapping):
        problems.append("Condition is not an object")
        return frozenset()
    out = set()
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            problems.append(f"Condition {operator} is not an object of keys")
            continue
        for key, values in keys.items():
            out.add(Cond(str(operator), str(key).lower(), frozenset(_strings(values, problems, f"Condition.{operator}")), str(key)))
    # "Null <key> false" requires the key, so an unqualified ...IfExists on it tests like the plain operator
    present = {c.key for c in out if c.operator == "Null" and c.values == frozenset({"false"})}
    return frozenset(Cond(c.operator.removesuffix("IfExists"), c.key, c.values, c.spelled)
                     if c.if_exists and not c.qualifier and c.key in present else c for c in out)


# --------------------------------------------------------------------------- implication


def implies(actual: Cond, expected: Cond) -> bool:
    """Whether every request that meets ``actual`` also meets ``expected`` (same key)."""
    if actual.key != expected.key or actual.qualifier != expected.qualifier:
        return False
    if actual.if_exists and not expected.if_exists:
        return False  # IfExists passes without the key
    if actual.base in POSITIVE and expected.base in POSITIVE:
        return all(value_within(actual.base, v, expected) for v in actual.values)
    return actual.base == expected.base and actual.values == expected.values


def value_within(operator: str, value: str, expected: Cond) -> bool:
    """Whether what ``operator value`` admits is admitted by ``expected``."""
    literal = operator == "StringEquals" or not ("*" in value or "?" in value)
    if not literal:  # a pattern is within the same pattern, or a prefix pattern it narrows ("a/b/*" within "a/*")
        return expected.base in PATTERN_OPS and (value in expected.values or any(_prefix_within(value, e) for e in expected.values))
    return any(matches(expected.base, pattern, value) for pattern in expected.values)


def _prefix_within(value: str, pattern: str) -> bool:
    """``value`` and ``pattern`` both "<fixed>*" and value's fixed part extends pattern's."""
    def fixed(p: str) -> str | None:
        head = p[:-1]
        return head if p.endswith("*") and "*" not in head and "?" not in head else None

    v, e = fixed(value), fixed(pattern)
    return v is not None and e is not None and v.startswith(e)


def matches(operator: str, pattern: str, value: str) -> bool:
    if operator == "StringEquals":
        return pattern == value
    if operator == "StringLike":
        return like(pattern, value)
    return resource_matches(pattern, value)  # ArnEquals / ArnLike: segment-wise, wildcards allowed


def conditions_imply(actual: frozenset[Cond], expected: Iterable[Cond]) -> bool:
    return all(any(implies(a, e) for a in actual) for e in expected)
