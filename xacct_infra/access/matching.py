"""What IAM compares and how: wildcard matching of actions, resources and strings, the condition
operators (String*, Arn*, Bool, Null, ``IfExists``, ``ForAnyValue:``/``ForAllValues:``) and the
normalisation of policy values into the strings those comparisons see.

The decision logic (which statements apply, Deny over Allow, cross-account rules) is in
``evaluator``; this module knows nothing of principals or requests beyond a context mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from xacct_infra.errors import XacctError

ContextValue = str | bool | Sequence[str] | None


class PolicyError(XacctError):
    """A policy uses something the offline evaluator does not implement, or is malformed."""



@lru_cache(maxsize=4096)
def _glob(pattern: str, *, ignore_case: bool, arn: bool) -> re.Pattern[str]:
    out = []
    for i, char in enumerate(pattern):
        if char == "*":
            at_segment_end = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append("[^:]*" if arn and not at_segment_end else ".*")
        elif char == "?":
            out.append("[^:]" if arn else ".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return _glob(pattern, ignore_case=True, arn=False).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resource (and ArnLike) matching: case-sensitive, segment-wise wildcards."""
    return _glob(pattern, ignore_case=False, arn=True).fullmatch(resource) is not None


def any_resource_matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """``resource_matches`` against any of ``patterns``, as one regular expression (a statement may
    list hundreds of wildcard resources, and every request is checked against all of them)."""
    if not patterns:
        return lambda resource: False
    one = re.compile("|".join(f"(?:{_glob(p, ignore_case=False, arn=True).pattern})" for p in patterns), re.DOTALL)
    return lambda resource: one.fullmatch(resource) is not None


def like(pattern: str, value: str) -> bool:
    """StringLike: case-sensitive, ``*`` and ``?`` wildcards across the whole value."""
    return _glob(pattern, ignore_case=False, arn=False).fullmatch(value) is not None


_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.casefold() == v.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.casefold() == v.casefold(), True),
    "StringLike": (like, False),
    "StringNotLike": (like, True),
    # ArnEquals and ArnLike behave the same: segment-wise, wildcards allowed (IAM reference)
    "ArnEquals": (resource_matches, False),
    "ArnLike": (resource_matches, False),
    "ArnNotEquals": (resource_matches, True),
    "ArnNotLike": (resource_matches, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
}


def conditions(block: Any, context: Mapping[str, ContextValue], *, adversarial: bool, allow: bool, where: str) -> bool:
    """Whether a statement's Condition block holds for a request with ``context``. With
    ``adversarial``, a key the context does not mention is the caller's to choose: an Allow's
    condition on it holds and a Deny's does not."""
    if not isinstance(block, dict):
        raise PolicyError(f"{where}.Condition: must be an object")
    if not block:  # most statements have no condition: nothing to compare
        return True
    ctx = {k.lower(): v for k, v in context.items()}
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"{where}.Condition.{operator}: must be an object of condition keys")
        for key, values in keys.items():
            wanted = strings(values, f"{where}.Condition.{operator}.{key}")
            if adversarial and key.lower() not in ctx:
                _condition(operator, key.lower(), wanted, ctx, where)  # still refuse unsupported operators
                if not allow:
                    return False
                continue
            if not _condition(operator, key.lower(), wanted, ctx, where):
                return False
    return True


def _condition(operator: str, key: str, wanted: list[str], ctx: Mapping[str, ContextValue], where: str) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"{where}: condition qualifier {qualifier!r} is not supported")
    if_exists = op.endswith("IfExists")
    base = op.removesuffix("IfExists")
    value = ctx.get(key)
    present = value is not None and value != []
    if base == "Null":
        must_be_absent = wanted[0].lower() == "true"
        return not present if must_be_absent else present
    if base not in _OPERATORS:
        raise PolicyError(f"{where}: condition operator {operator!r} is not supported by the offline evaluator")
    match, negated = _OPERATORS[base]
    if value is None or not present:
        # Documented: ...IfExists is true without the key; ForAllValues is true on an empty set;
        # ForAnyValue false; a plain operator is false, a negated one (StringNotEquals...) true.
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier == "")
    values = _context_values(value)

    def one(item: str) -> bool:
        hit = any(match(p, item) for p in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)


def _context_values(value: str | bool | Sequence[str]) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def policy_strings(value: Any) -> tuple[list[str], list[str]]:
    """A policy value (one or a list) as the strings IAM compares, and the type names of items that
    are not strings (booleans and numbers are written as IAM reads them)."""
    out: list[str] = []
    odd: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int):
            out.append(str(item))
        else:
            odd.append(type(item).__name__)
    return out, odd


def strings(value: Any, where: str) -> list[str]:
    """``policy_strings`` for a value that must be all strings: a PolicyError naming ``where`` otherwise."""
    out, odd = policy_strings(value)
    if odd:
        raise PolicyError(f"{where}: expected strings, got {odd[0]} (unresolved intrinsic?)")
    return out
