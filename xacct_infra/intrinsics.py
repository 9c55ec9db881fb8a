"""Resolve the CloudFormation intrinsics our templates use, for one partition, offline.

Policies are evaluated and measured the way IAM sees them: after CloudFormation has
substituted ``${AWS::Partition}`` and friends. Only what a policy can reasonably contain is
supported (``Fn::Sub``, ``Fn::Join``, ``Ref``, ``Fn::GetAtt`` of known resources); anything
else raises :class:`UnresolvableError` so a check can never pass on a value it did not see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xacct_infra.errors import XacctError

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class UnresolvableError(XacctError):
    """A template value uses an intrinsic (or a reference) that cannot be resolved offline."""


@dataclass(frozen=True)
class Context:
    """Values of the pseudo parameters, plus ``Ref``/``Fn::GetAtt`` values of template resources."""

    partition: str
    region: str
    account_id: str
    refs: Mapping[str, str] = field(default_factory=dict)
    attrs: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return {"AWS::Partition": self.partition, "AWS::Region": self.region, "AWS::AccountId": self.account_id,
                "AWS::URLSuffix": suffix}

    def ref(self, name: str) -> str:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.refs:
            return self.refs[name]
        raise UnresolvableError(f"Ref {name!r}: not a pseudo parameter or a resource this check knows")

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attrs[(logical_id, attribute)]
        except KeyError:
            raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute}: unknown resource or attribute") from None


def resolve(node: Any, ctx: Context) -> Any:
    """A copy of ``node`` (plain JSON data) with every supported intrinsic replaced by its value."""
    if isinstance(node, list):
        return [resolve(item, ctx) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Fn::Sub":
            return _sub(value, ctx)
        if key == "Ref":
            return ctx.ref(_string(value, "Ref"))
        if key == "Fn::GetAtt":
            return _get_att(value, ctx)
        if key == "Fn::Join":
            return _join(value, ctx)
        if key.startswith("Fn::"):
            raise UnresolvableError(f"{key} is not supported in policies checked offline")
    if "Fn::Transform" in node:  # AWS::Include and macros replace the node they sit in, whatever else it holds
        raise UnresolvableError("Fn::Transform is not supported in policies checked offline")
    return {k: resolve(v, ctx) for k, v in node.items()}


def _sub(value: Any, ctx: Context) -> str:
    if isinstance(value, str):
        template, variables = value, {}
    elif isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict):
        template, variables = value[0], {k: resolve(v, ctx) for k, v in value[1].items()}
    else:
        raise UnresolvableError("Fn::Sub takes a string or [string, {variables}]")

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name.startswith("!"):  # ${!Literal} is the documented escape for a literal ${Literal}
            return "${" + name[1:] + "}"
        if name in variables:
            return _string(variables[name], f"Fn::Sub variable {name}")
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return ctx.get_att(logical_id, attribute)
        return ctx.ref(name)

    return _SUB_VAR.sub(replace, template)


def _get_att(value: Any, ctx: Context) -> str:
    if isinstance(value, str) and "." in value:
        logical_id, attribute = value.split(".", 1)
    elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        logical_id, attribute = value
    else:
        raise UnresolvableError("Fn::GetAtt takes 'Resource.Attribute' or [Resource, Attribute]")
    return ctx.get_att(logical_id, attribute)


def _join(value: Any, ctx: Context) -> str:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise UnresolvableError("Fn::Join takes [delimiter, [values]]")
    parts = resolve(value[1], ctx)
    if not isinstance(parts, list):
        raise UnresolvableError("Fn::Join takes [delimiter, [values]]")
    return str(value[0]).join(_string(p, "Fn::Join value") for p in parts)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise UnresolvableError(f"{what}: expected a string after resolution, got {type(value).__name__}")
    return value
