from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xacct_infra import config as config_mod
from xacct_infra.access import claims
from xacct_infra.cli.options import config_option, output_option
from xacct_infra.errors import ExitCode

if TYPE_CHECKING:
    from xacct_infra.check import Report


@click.command(help="Prove the templates allow exactly what the config grants (offline; no AWS calls).\n\n" + claims.help_text())
@config_option
@output_option(aliases=("--format",))
@click.option("--partition", type=click.Choice(["aws", "aws-cn", "aws-us-gov"]), default=None,
              help="Resolve ${AWS::Partition} to this partition (default: the config's).")
@click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Check the account-a/account-b templates in DIR instead of rendering them from the config.")
@click.pass_context
def check(ctx: click.Context, *, config_path: str, output: str, partition: str | None, template_dir: Path | None) -> None:
    from xacct_infra import check as check_mod

    started = time.perf_counter()
    cfg = config_mod.load(config_path)
    files = check_mod.read_dir(template_dir, cfg) if template_dir else check_mod.rendered_files(cfg)
    report = check_mod.run_files(cfg, files, partition=partition)
    elapsed = time.perf_counter() - started
    if output == "json":
        click.echo(json.dumps({**report.to_dict(), "seconds": round(elapsed, 3)}, indent=2))
    else:
        _text(report, template_dir, elapsed)
    if not report.ok:
        ctx.exit(int(ExitCode.FAILED))


def _text(report: Report, template_dir: Path | None, elapsed: float) -> None:
    source = f"{template_dir}" if template_dir else f"templates rendered from {report.source}"
    click.echo(f"xacct-infra check: {source} (partition {report.partition})")
    click.echo("\nAccess matrix (allowed; everything else is denied):")
    for label, who in report.sweep.principals.items():
        click.echo(f"  {label}  [{who}]")
        rows: dict[tuple[str, str], list[str]] = defaultdict(list)
        for grant in report.sweep.matrix[label]:
            rows[(grant.via, grant.resource)].append(grant.action)
        if not rows:
            click.echo("    nothing")
        for (via, resource), actions in sorted(rows.items()):
            prefix = f"via {via}: " if via else ""
            click.echo(f"    {prefix}{', '.join(sorted(actions))}  on {resource}")
    _cells(report)
    for note in report.sweep.notes:
        click.echo(f"\nnote: {note}")
    click.echo("")
    for finding in report.findings:
        click.echo(f"FAIL {finding}")
    counts: dict[str, int] = defaultdict(int)
    for finding in report.findings:
        counts[finding.rule.split(":")[0] if ":" in finding.rule else "rules"] += 1
    parliament = f"parliament {report.parliament}: {counts['parliament']} findings; " if report.parliament else ""
    click.echo(f"rules {', '.join(i for i, _ in report.rules)}: {counts['rules']} findings; {parliament}"
               f"access sweep: {report.sweep.requests} requests, {counts['access']} findings ({elapsed:.2f}s)")
    if report.ok:
        click.echo("OK: the templates allow exactly what the config grants")
    else:
        click.echo(f"FAILED: {len(report.findings)} findings")


def _cells(report: Report, limit: int = 20) -> None:
    """Write-only tables: which ReturnValues each item write may carry (the matrix's conditional cells)."""
    by_target: dict[tuple[str, str], dict[bool, list[str]]] = defaultdict(lambda: {True: [], False: []})
    for cell in report.sweep.cells:
        value = cell.condition.split("=", 1)[1]
        bucket = by_target[(cell.via, cell.resource)][cell.allowed]
        if value not in bucket:
            bucket.append(value)
    if not by_target:
        return
    click.echo("\nWrite-only tables (PutItem, UpdateItem, DeleteItem by dynamodb:ReturnValues):")
    for (via, resource), answers in sorted(by_target.items())[:limit]:
        allowed = ", ".join(answers[True]) or "none"
        denied = ", ".join(answers[False]) or "none"
        click.echo(f"  via {via} on {resource}: absent or {allowed} -> allowed; {denied} -> denied")
    if len(by_target) > limit:
        click.echo(f"  ... and {len(by_target) - limit} more tables (--output json lists every cell)")
