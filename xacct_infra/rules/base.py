"""The rule interface and helpers shared by the rules."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from xacct_infra.access.templates import PolicyDoc, TemplateSet
from xacct_infra.config import ConsumerView
from xacct_infra.findings import Finding


@dataclass(frozen=True)
class StatementAt:
    doc: PolicyDoc
    sid: str
    body: dict[str, Any]

    @property
    def allow(self) -> bool:
        return self.body.get("Effect") == "Allow"


class Rule(abc.ABC):
    id: ClassVar[str]
    description: ClassVar[str]

    @abc.abstractmethod
    def validate(self, ts: TemplateSet, view: ConsumerView) -> list[Finding]:
        """Every violation in the templates; an empty list when they comply."""

    def finding(self, at: StatementAt | PolicyDoc | str, message: str) -> Finding:
        if isinstance(at, StatementAt):
            return Finding(self.id, at.doc.name, message, at.sid)
        return Finding(self.id, at if isinstance(at, str) else at.name, message)


def statements(ts: TemplateSet, *, trust: bool | None = None) -> Iterator[StatementAt]:
    """Every statement of every policy (only trust or only identity policies when asked)."""
    for doc in ts.policies:
        if trust is not None and (doc.kind == "trust") != trust:
            continue
        body = doc.document.get("Statement", [])
        for index, st in enumerate(body if isinstance(body, list) else [body]):
            if isinstance(st, dict):
                yield StatementAt(doc, str(st.get("Sid") or f"Statement[{index}]"), st)


def strings(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def run(rules: Sequence[Rule], ts: TemplateSet, view: ConsumerView) -> list[Finding]:
    return [finding for rule in rules for finding in rule.validate(ts, view)]
