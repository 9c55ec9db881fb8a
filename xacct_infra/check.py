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
from functools import lru_cache
from pathlib import Path
from typing import Any

from xacct_infra import render
from xacct_infra.access import matrix
from xacct_infra.access import templates as tpl
from xacct_infra.config import SIDES, Config, ConsumerView, Side
from xacct_infra.errors import UsageError
from xacct_infra.findings import Finding
from xacct_infra.rules import RULES
from xacct_infra.rules import run as run_rules

Templates = Mapping[Side, Mapping[str, Any]]


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
            "cells": [{**c.__dict__, "allowed": c.allowed} for c in self.sweep.cells],
            "findings": [f.to_dict() for f in self.findings], "notes": self.sweep.notes,
        }


def rendered(config: Config) -> dict[Side, dict[str, Any]]:
    """The templates ``xacct-infra templates`` would write, as dicts."""
    return {side: json.loads(render.template_body(config, side, "json")) for side in SIDES}


@lru_cache(maxsize=4)
def _json_templates(config: Config) -> tuple[render.Rendered, ...]:
    return tuple(render.render(config, "json"))


def layout(config: Config) -> dict[str, str]:
    """Consumer name -> the stem of its Account B template file (``account-b`` or ``account-b-<name>``)."""
    return {name: item.filename.rsplit(".", 1)[0] for item in _json_templates(config) for name in item.consumers}


def rendered_files(config: Config) -> dict[str, dict[str, Any]]:
    """Every template ``xacct-infra templates`` would write, as dicts, keyed by file stem."""
    return {item.filename.rsplit(".", 1)[0]: json.loads(item.body) for item in _json_templates(config)}


def read_dir(directory: Path, config: Config | None = None) -> dict[str, dict[str, Any]]:
    """The templates (YAML or JSON) from a directory, keyed by file stem: ``account-a`` and
    ``account-b``, or one ``account-b-<consumer>`` per distinct consumer template."""
    from cfn_flip import load  # troposphere's own dependency: reads !Sub/!GetAtt short forms

    stems = ["account-a", *dict.fromkeys(layout(config).values())] if config else ["account-a", "account-b"]
    out: dict[str, dict[str, Any]] = {}
    for stem in stems:
        candidates = [directory / f"{stem}.{ext}" for ext in ("yaml", "yml", "json")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise UsageError(f"{directory}: no {stem}.yaml or {stem}.json; run: xacct-infra templates --out {directory}")
        try:
            data, _ = load(path.read_text(encoding="utf-8"))
        except Exception as exc:  # cfn_flip raises YAML and JSON errors of several kinds
            raise UsageError(f"{path}: not a readable template: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: not a template (expected a mapping at the top)")
        out[stem] = json.loads(json.dumps(data))  # plain dicts and lists
    return out


def run_files(config: Config, files: Mapping[str, Mapping[str, Any]], *, partition: str | None = None,
              parliament: bool = True) -> Report:
    """Check every template of a config, one consumer at a time.

    Each pass is one consumer's view (Config.view_of) over Account A's template and that
    consumer's template: its instance role may assume its own Account A role and nothing else,
    every Account A role keeps exactly its own grants, and no principal outside the design
    gets in. With trust = "roles" every consumer gets a pass (the trust policy lists each);
    with trust = "org", one pass per distinct consumer template (the organization is checked
    by its own principals).
    """
    structural = compare_with_generator(config, files, partition=partition)
    if len(config.consumers) == 1:
        docs: dict[Side, Mapping[str, Any]] = {"a": files["account-a"], "b": files["account-b"]}
        report = run(config.view_of(config.consumers[0]), docs, partition=partition, parliament=parliament)
        report.findings = _unique(structural + report.findings)
        return report
    stems = layout(config)
    if config.account_a.trust == "roles":
        passes = list(config.consumers)
    else:
        passes = [config.consumer(n) for n in {stem: n for n, stem in reversed(stems.items())}.values()]
    reports = []
    for consumer in passes:
        stem = stems[consumer.name]
        view = config.view_of(consumer)
        docs = {"a": files["account-a"], "b": files[stem]}
        reports.append((consumer.name, run(view, docs, partition=partition, parliament=parliament,
                                           names={"a": "account-a.yaml", "b": f"{stem}.yaml"})))
    report = _merge(config, reports)
    report.findings = _unique(structural + report.findings)
    return report


def compare_with_generator(config: Config, files: Mapping[str, Mapping[str, Any]], *, partition: str | None = None) -> list[Finding]:
    """Every file held to what the generator writes for the config (access.expected): roles and
    their properties, trust (structurally and with probes), permissions and attachments."""
    from xacct_infra.access import expected, probes

    a = config.account_a
    stems = layout(config)
    owners = {"account-a": (a.id, a.region)}
    for consumer in config.consumers:
        owners.setdefault(stems[consumer.name], (consumer.id, consumer.region))
    return expected.compare_files(files, rendered_files(config), owners=owners, partition=partition or a.partition,
                                  accounts=[a.id, *dict.fromkeys(c.id for c in config.consumers)],
                                  org=probes.Org(a.org_id, a.org_paths) if a.trust == "org" else None)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _merge(config: Config, reports: list[tuple[str, Report]]) -> Report:
    first = reports[0][1]
    sweep = matrix.Sweep()
    findings: list[Finding] = []
    seen: set[str] = set()
    seen_cells: set[matrix.Cell] = set()
    for name, report in reports:
        sweep.requests += report.sweep.requests
        for label, who in report.sweep.principals.items():
            sweep.principals[f"{name}: {label}"] = who
            sweep.matrix[f"{name}: {label}"] = report.sweep.matrix[label]
        sweep.notes += [n for n in report.sweep.notes if n not in sweep.notes]
        sweep.cells += [c for c in report.sweep.cells if c not in seen_cells]
        seen_cells.update(report.sweep.cells)
        for finding in report.findings:
            if str(finding) not in seen:
                seen.add(str(finding))
                findings.append(finding)
    return Report(config.source, first.partition, first.rules, sweep, findings, first.parliament)


def run(view: ConsumerView, templates: Templates, *, partition: str | None = None, parliament: bool = True,
        names: Mapping[Side, str] | None = None) -> Report:
    part = partition or view.owner.partition
    ts = tpl.load(templates, view, part, names)
    sweep = matrix.sweep(view, ts, _expected_trust(view, part))
    findings = run_rules(RULES, ts, view)
    version = ""
    if parliament:
        from xacct_infra.rules import parliament as gate

        findings += gate.analyze(ts)
        version = gate.version()
    return Report(view.config.source, part, [(r.id, r.description) for r in RULES], sweep, findings + sweep.findings, version)


def _expected_trust(view: ConsumerView, partition: str) -> dict[str, Mapping[str, Any]]:
    """Role ARN -> the trust policy the generator writes for it, for this consumer's files."""
    files = rendered_files(view.config)
    generated = tpl.load({"a": files["account-a"], "b": files[layout(view.config)[view.consumer.name]]}, view, partition)
    return {role.arn: role.trust.document for role in generated.roles}
