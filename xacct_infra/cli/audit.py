"""`xacct-infra audit` (the live accounts against the config) and `xacct-infra diff` (old against new)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from xacct_infra import config as config_mod
from xacct_infra.cli.options import check_region, complete_consumers, complete_profiles, config_option, endpoint_option, output_option
from xacct_infra.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from xacct_infra import aws
    from xacct_infra.access.audit import Report
    from xacct_infra.access.live import ClientFactory

STATUS = {"missing": "MISSING", "not-working": "BLOCKED", "beyond-config": "BEYOND", "property": "CHANGED"}


@click.command()
@config_option
@click.option("--consumer", "consumers", multiple=True, metavar="NAME", shell_complete=complete_consumers,
              help="Audit only this consumer (repeatable; default: all).")
@click.option("--profile", metavar="NAME", shell_complete=complete_profiles,
              help="AWS profile for every account read (default: each side's profile in the config).")
@click.option("--region", metavar="REGION", callback=check_region, help="Override every side's region (keys keep their own).")
@endpoint_option
@output_option()
@click.option("--explain", is_flag=True, help="Also print every allowed cell of the live access matrix and the statements that allow it.")
@click.option("--scp", "scps", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A service control policy (JSON) that applies to Account A and the consumers (repeatable).")
@click.option("--rcp", "rcps", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A resource control policy (JSON) that applies to Account A's resources (repeatable).")
@click.option("--print-policy", is_flag=True, help="Print the read-only IAM policy audit needs in each account, and exit.")
@click.pass_context
def audit(ctx: click.Context, *, config_path: str, consumers: tuple[str, ...], profile: str | None, region: str | None,
          endpoint_url: str | None, output: str, explain: bool, scps: tuple[Path, ...], rcps: tuple[Path, ...],
          print_policy: bool) -> None:
    """Hold the live accounts against the config, across every policy layer (reads only).

    \b
    Reads Account A's roles (trust, inline and attached policies, boundary), every configured
    key's policy and grants, every table's (and stream's) resource policy, and each consumer's
    role and instance profile; then evaluates the whole request path offline. Reports configured
    grants that do not work live (and the layer that blocks them), access beyond the config
    (who, what, where, through which statement) and missing pieces.
    Exit 0: the live accounts allow exactly what the config grants; 1: findings;
    2: config, credentials, endpoint or a refused read (names the missing permission).
    """
    from xacct_infra.access import audit as audit_mod
    from xacct_infra.access import live
    from xacct_infra.access.plan import Plan

    cfg = config_mod.load(config_path)
    chosen = tuple(cfg.consumer(n) for n in dict.fromkeys(consumers)) if consumers else cfg.consumers
    plan = Plan(cfg, chosen)
    if print_policy:
        click.echo(json.dumps(audit_mod.read_policies(plan), indent=2))
        return
    org = audit_mod.org_layers([_policy_file(p, "SCP") for p in scps], [_policy_file(p, "RCP") for p in rcps])
    started = time.perf_counter()
    a = cfg.account_a
    sides = [(plan.owner_plan(), _target(a.region, a.profile, profile, region, endpoint_url), "account_a")]
    sides += [(p, _target(b.region, b.profile, profile, region, endpoint_url), f"consumer {b.name}")
              for b, p in zip(chosen, plan.consumer_plans().values(), strict=True)]
    from xacct_infra import aws

    found = ctx.find_object(aws.Clients)  # the one client factory the root command put on the context
    made = found if found is not None else aws.Clients()
    lock = threading.Lock()  # botocore sessions are not thread-safe: clients are made one at a time
    factories = live.run_all([partial(_clients, made, lock, target, p.account, label) for p, target, label in sides], jobs=len(sides))
    readers = [live.Reader(factory, p) for factory, (p, _, _) in zip(factories, sides, strict=True)]
    snaps = live.run_all([r.read for r in readers], jobs=len(readers))
    report = audit_mod.evaluate(plan, snaps[0], {b.name: s for b, s in zip(chosen, snaps[1:], strict=True)}, org)
    report.calls += len(sides)  # the GetCallerIdentity that proves each account before it is read
    elapsed = time.perf_counter() - started
    if output == "json":
        click.echo(json.dumps({**audit_mod.to_dict(report, plan), "seconds": round(elapsed, 3)}, indent=2))
    else:
        _text(report, plan, elapsed, explain)
    if not report.ok:
        ctx.exit(int(ExitCode.FAILED))


def _policy_file(path: Path, kind: str) -> tuple[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--{kind.lower()} {path}: not a readable JSON policy document ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list | dict):
        raise UsageError(f"--{kind.lower()} {path}: a policy document needs a Statement (an object or a list of objects)")
    return f"{kind} {path.name}", doc


def _target(side_region: str, side_profile: str | None, profile: str | None, region: str | None, endpoint_url: str | None) -> aws.Target:
    from xacct_infra import aws

    return aws.Target(region=region or side_region, profile=profile or side_profile, endpoint_url=endpoint_url)


def _clients(made: aws.Clients, lock: threading.Lock, target: aws.Target, account: str, label: str) -> ClientFactory:
    """Clients for one account, its credentials checked first (they must be that account's)."""
    from xacct_infra import aws

    with lock:
        made.guard(target, account, label)
    cache: dict[tuple[str, str], Any] = {}

    def factory(service: str, region: str) -> Any:
        with lock:
            if (service, region) not in cache:
                cache[(service, region)] = made.client(aws.Target(region, target.profile, target.endpoint_url), service)
            return cache[(service, region)]

    return factory


def _short(arn: str) -> str:
    from xacct_infra.access.layers import display

    return display(arn.split(":", 5)[-1] if arn.startswith("arn:") else arn)


def _text(report: Report, plan: Any, elapsed: float, explain: bool) -> None:
    a = plan.config.account_a
    who = ", ".join(f"{b.name} ({b.id})" if b.name != b.id else b.id for b in plan.consumers)
    click.echo(f"xacct-infra audit: Account A {a.id} and consumer {who}, read live against {plan.config.source}")
    rows: list[tuple[str, str, str, str, str]] = []
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for cell in report.cells:
        if cell.expected:
            grouped[(cell.who, cell.resource, "; ".join(cell.allowed_by))].append(cell.action)
    for (actor, resource, through), actions in sorted(grouped.items()):
        rows.append(("ok", actor, _actions(actions), _short(resource), through))
    rows += [(STATUS[f.kind], f.who, f.what, _short(f.resource), f.through) for f in report.findings]
    headers = ("STATUS", "WHO", "WHAT", "RESOURCE", "THROUGH")
    widths = [min(max(len(r[i]) for r in [headers, *rows]), 48) for i in range(4)]
    click.echo("")
    for row in [headers, *rows]:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    if explain:
        click.echo("\nLive access matrix (every allowed request, and the statements that allow it):")
        for cell in report.cells:
            mark = "" if cell.expected else "  [not in the config]"
            click.echo(f"  {cell.who}: {cell.action} on {cell.resource} <- {'; '.join(cell.allowed_by) or '?'}{mark}")
    click.echo("")
    for note in report.notes:
        click.echo(f"note: {note}")
    for finding in report.findings:
        click.echo(f"FAIL {finding.message}")
    click.echo(f"read {report.calls} API calls, evaluated {report.requests} requests ({elapsed:.2f}s)")
    if report.ok:
        click.echo("OK: the live accounts allow exactly what the config grants")
    else:
        click.echo(f"FAILED: {len(report.findings)} findings")


def _actions(actions: list[str]) -> str:
    names = sorted(set(actions), key=str.lower)
    service = names[0].split(":")[0] if names else ""
    if all(n.startswith(f"{service}:") for n in names):
        return f"{service}:" + ", ".join(n.split(":", 1)[1] for n in names)
    return ", ".join(names)


@click.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_path", default=None, metavar="PATH", envvar="XACCT_CONFIG",
              help="Accounts and regions for a template directory without its own xacct.toml (default: xacct.toml).")
@output_option("text", "json", "markdown", help="text, json for bots, or markdown for a pull-request comment.")
@click.pass_context
def diff(ctx: click.Context, *, old: Path, new: Path, config_path: str | None, output: str) -> None:
    """Show the access NEW adds and removes compared with OLD (each a config file or a template directory).

    \b
    Cells of the access matrix (role -> action -> resource), trust (who may assume what) and role
    properties (session length, boundary, attached policies whose contents are unknown offline).
    Exit 0: nothing widens (narrowing or no change); 1: something widens; 2: bad input.
    Typical CI use:  git show origin/main:xacct.toml > /tmp/old.toml && xacct-infra diff /tmp/old.toml xacct.toml
    """
    from xacct_infra.access import diff as diff_mod

    fallback = config_path or config_mod.DEFAULT_CONFIG
    result = diff_mod.compare(diff_mod.load(old, fallback), diff_mod.load(new, fallback))
    if output == "json":
        click.echo(json.dumps({"old": result.old, "new": result.new, "widens": result.widens,
                               "changes": [c.to_dict() for c in result.changes]}, indent=2))
    else:
        click.echo(diff_mod.render(result, markdown=output == "markdown"), nl=False)
    if result.widens:
        ctx.exit(int(ExitCode.FAILED))
