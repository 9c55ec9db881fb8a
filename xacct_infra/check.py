"""``xacct-infra check``: every security gate on the templates, in one report.

1. the template rules (``rules``), 2. parliament on the identity policies, 3. the access
matrix and negative sweep (``access.matrix``). Input is the template documents as plain
dicts (rendered from the config in memory, or read from files), so a hand-edited template
can be checked exactly like a generated one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xacct_infra import render
from xacct_infra.access import matrix
from xacct_infra.access import templates as tpl
from xacct_infra.config import Config
from xacct_infra.errors import UsageError
from xacct_infra.findings import Finding
from xacct_infra.rules import RULES
from xacct_infra.rules import run as run_rules

Templates = Mapping[tpl.Side, Mapping[str, Any]]


@dataclass
class Report:
    source: str
    partition: str
    rules: list[tuple[str, str]]
    sweep: matrix.Sweep
    findings: list[Finding] = field(default_factory=list)
    parliament: str = ""  # version, or "" when skipped

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.source, "partition": self.partition, "ok": self.ok,
            "rules": [{"id": i, "description": d} for i, d in self.rules], "parliament": self.parliament or None,
            "requests": self.sweep.requests,
            "principals": [{"label": label, "principal": who, "allowed": [g.__dict__ for g in self.sweep.matrix[label]]}
                           for label, who in self.sweep.principals.items()],
            "findings": [f.to_dict() for f in self.findings], "notes": self.sweep.notes,
        }


def rendered(config: Config) -> dict[tpl.Side, dict[str, Any]]:
    """The templates ``xacct-infra templates`` would write, as dicts."""
    return {side: json.loads(render.template_body(config, side, "json")) for side in render.SIDES}


def read_dir(directory: Path) -> dict[tpl.Side, dict[str, Any]]:
    """``account-a``/``account-b`` templates (YAML or JSON) from a directory."""
    from cfn_flip import load  # troposphere's own dependency: reads !Sub/!GetAtt short forms

    out: dict[tpl.Side, dict[str, Any]] = {}
    for side in tpl.SIDES:
        candidates = [directory / f"account-{side}.{ext}" for ext in ("yaml", "yml", "json")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise UsageError(f"{directory}: no account-{side}.yaml or account-{side}.json; run: xacct-infra templates --out {directory}")
        try:
            data, _ = load(path.read_text(encoding="utf-8"))
        except Exception as exc:  # cfn_flip raises YAML and JSON errors of several kinds
            raise UsageError(f"{path}: not a readable template: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: not a template (expected a mapping at the top)")
        out[side] = json.loads(json.dumps(data))  # plain dicts and lists
    return out


def run(config: Config, templates: Templates, *, partition: str | None = None, parliament: bool = True) -> Report:
    part = partition or config.account_a.partition
    ts = tpl.load(templates, config, part)
    sweep = matrix.sweep(config, ts)
    findings = run_rules(RULES, ts, config)
    version = ""
    if parliament:
        from xacct_infra.rules import parliament as gate

        findings += gate.analyze(ts)
        version = gate.version()
    return Report(config.source, part, [(r.id, r.description) for r in RULES], sweep, findings + sweep.findings, version)
