"""`status` and `destroy`: thin click wrappers around the deployer's ``status()`` and ``destroy()``,
with the same stack selection and AWS options as `deploy`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import click

from xacct_infra import aws
from xacct_infra import config as config_mod
from xacct_infra.cli.deploy import aws_options, clients, is_interactive, side_options, stack_deployer
from xacct_infra.cli.options import config_option, output_option
from xacct_infra.deploy import targets
from xacct_infra.deploy.targets import StackTarget
from xacct_infra.errors import ExitCode, UsageError


@contextlib.contextmanager
def _deployer(ctx: click.Context, target: StackTarget) -> Iterator[Any]:
    """One stack's deployer, its AWS errors as one line, its live view closed afterwards."""
    deployer = stack_deployer(clients(ctx), target)
    with aws.translate_errors(target.target):
        try:
            yield deployer
        finally:
            getattr(deployer.reporter, "close", lambda: None)()


@click.command()
@config_option
@side_options
@aws_options
@click.option("--wait", is_flag=True, help="If an operation is running, follow it until it ends.")
@click.option("--events", default=5, show_default=True, type=click.IntRange(min=0), help="How many recent events to show.")
@output_option()
@click.pass_context
def status(ctx: click.Context, *, config_path: str, a: bool, b: bool, all_: bool, consumer: tuple[str, ...], profile: str | None,
           region: str | None, endpoint_url: str | None, wait: bool, events: int, output: str) -> None:
    """Show each stack's status, recent events and drift against the config.

    Exit 0 when every chosen stack is deployed, stable and matches the config; 1 otherwise.
    """
    cfg = config_mod.load(config_path)
    rendered = targets.bodies(cfg)
    entries = []
    for target in targets.select(cfg, a=a, b=b, all_=all_ or not (a or b), profile=profile, region=region, endpoint_url=endpoint_url,
                                 consumers=consumer):
        with _deployer(ctx, target) as deployer:
            report = deployer.status(target.spec(targets.body_for(target, rendered)), wait=wait, events=events)
        entries.append(report.to_dict(side=target.name, account=target.account_id))
    if output == "json":
        click.echo(json.dumps({"healthy": all(e["healthy"] for e in entries), "stacks": entries}, indent=2))
    for entry in entries if output == "text" else []:
        click.echo(f"{entry['stack']}\t{entry['side']} {entry['account']}\t{entry['status']}")
        if "template_matches" not in entry:
            continue
        click.echo(f"  template\t{'matches the config' if entry['template_matches'] else 'DIFFERS from the config (see: xacct-infra deploy --plan)'}")
        click.echo(f"  termination protection\t{'on' if entry['termination_protection'] else 'off'}")
        if entry["reason"]:
            click.echo(f"  reason\t{entry['reason']}")
        for ev in entry["events"]:
            reason = f": {ev['reason']}" if ev["reason"] else ""
            click.echo(f"  {ev['time'][:19].replace('T', ' ')} {ev['resource']} {ev['status']}{reason}")
    if not all(e["healthy"] for e in entries):
        ctx.exit(int(ExitCode.FAILED))


@click.command()
@config_option
@side_options
@aws_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Turn termination protection off first; delete even without the ownership tag.")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS")
@output_option()
@click.pass_context
def destroy(ctx: click.Context, *, config_path: str, a: bool, b: bool, all_: bool, consumer: tuple[str, ...], profile: str | None,
            region: str | None, endpoint_url: str | None, yes: bool, force: bool, timeout: float | None, output: str) -> None:
    """Delete a stack (asks first; refuses while termination protection is on unless --force)."""
    cfg = config_mod.load(config_path)
    rendered = targets.bodies(cfg)
    done: list[dict[str, str]] = []
    try:
        for target in targets.select(cfg, a=a, b=b, all_=all_, profile=profile, region=region, endpoint_url=endpoint_url,
                                     order=("b", "a"), consumers=consumer):
            if not yes:
                if not is_interactive():
                    raise UsageError(f"refusing to delete {target.stack_name} without --yes in a non-interactive run")
                if not click.confirm(f"Delete stack {target.stack_name} in account {target.account_id}?", default=False, err=True):
                    raise UsageError(f"{target.stack_name}: not deleted")
            with _deployer(ctx, target) as deployer:
                final = deployer.destroy(target.spec(targets.body_for(target, rendered)), force=force, timeout=timeout)
            done.append({"stack": target.stack_name, "account": target.account_id,
                         "outcome": "deleted" if final == "DELETE_COMPLETE" else final})
            if output == "text":
                click.echo(f"{target.stack_name}\t{done[-1]['outcome']}")
    finally:  # what was deleted before a failure is still reported
        if output == "json":
            click.echo(json.dumps({"stacks": done}, indent=2))
