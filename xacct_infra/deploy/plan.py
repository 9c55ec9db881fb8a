"""What a change set will do: resource changes and an IAM statement diff, as plain data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

IAM_TYPES = {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"}


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str  # True | False | Conditional | ""

    @property
    def replaces(self) -> bool:
        return self.replacement in ("True", "Conditional")


def resource_changes(change_set: dict[str, Any]) -> list[ResourceChange]:
    out = []
    for change in change_set.get("Changes", []):
        rc = change.get("ResourceChange", {})
        out.append(ResourceChange(rc.get("Action", "?"), rc.get("LogicalResourceId", "?"), rc.get("ResourceType", "?"),
                                  str(rc.get("Replacement", "") or "")))
    return out


def parse_template(body: str | dict[str, Any] | None) -> dict[str, Any]:
    """A template body as CloudFormation returns it (YAML/JSON text, or already parsed JSON)."""
    if body is None:
        return {}
    if isinstance(body, dict):
        return body
    from cfn_tools import load_yaml  # handles !Sub and friends; also parses JSON

    try:
        parsed = load_yaml(body)
    except Exception:  # a template we cannot parse: show the IAM diff as all-new rather than fail
        return {}
    return dict(parsed) if isinstance(parsed, dict) else {}


def _text(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Sub" and isinstance(arg, str):
            return arg
        return f"{fn}({json.dumps(arg, sort_keys=True, default=str)})"
    return str(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


Fact = tuple[str, str, str, str]  # (where, effect, action, "on RESOURCE" / "by PRINCIPAL" + condition)


def iam_facts(template: dict[str, Any]) -> set[Fact]:
    """Each IAM grant in a template as one atomic fact, so two templates can be diffed."""
    facts: set[Fact] = set()
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") not in IAM_TYPES:
            continue
        props = resource.get("Properties", {})
        docs = []
        if "AssumeRolePolicyDocument" in props:
            docs.append((f"{logical_id} trust", props["AssumeRolePolicyDocument"]))
        for policy in props.get("Policies", []) or []:
            docs.append((f"{logical_id}/{policy.get('PolicyName')}", policy.get("PolicyDocument", {})))
        if "PolicyDocument" in props:
            docs.append((logical_id, props["PolicyDocument"]))
        for where, doc in docs:
            for st in _as_list(doc.get("Statement", [])):
                effect = st.get("Effect", "?")
                cond = f" when {json.dumps(st['Condition'], sort_keys=True, default=_text)}" if st.get("Condition") else ""
                targets = [f"by {kind}:{_text(p)}" for kind, ps in (st.get("Principal") or {}).items() for p in _as_list(ps)]
                targets += [f"on {_text(r)}" for r in _as_list(st.get("Resource", []))] if "Resource" in st else []
                for action in _as_list(st.get("Action", [])):
                    for target in targets or [""]:
                        facts.add((where, effect, str(action), f"{target}{cond}".strip()))
    return facts


def _lines(facts: set[Fact]) -> list[str]:
    """Facts grouped for reading: one line per (where, effect, target) listing its actions."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for where, effect, action, on in facts:
        grouped.setdefault((where, effect, on), []).append(action)
    return [f"{where}: {effect} {', '.join(sorted(actions))}{' ' + on if on else ''}"
            for (where, effect, on), actions in sorted(grouped.items())]


def iam_diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(added, removed) IAM grants between two templates, grouped into readable lines."""
    before, after = iam_facts(old), iam_facts(new)
    return _lines(after - before), _lines(before - after)
