"""`deploy`: a thin click wrapper around deploy/ (targets, deployer, fleet); `status` and `destroy` are in
:mod:`.stacks` and share the options and the deployer made here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

import click

from xacct_infra import aws
from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option, endpoint_option, output_option, region_option
from xacct_infra.cli.progress import LineReporter, clock_for, notices_after, reporter_for
from xacct_infra.deploy import fleet, targets
from xacct_infra.deploy.deployer import DeployOptions
from xacct_infra.deploy.interrupts import Interrupts
from xacct_infra.deploy.report import Reporter
from xacct_infra.deploy.targets import StackTarget
from xacct_infra.errors import ExitCode, UsageError


def clients(ctx: click.Context) -> aws.Clients:
    """The client factory the root command put on the context (tests pass a fake one)."""
    found = ctx.find_object(aws.Clients)
    return found if found is not None else aws.Clients()


def is_interactive(stdin: IO[Any] | None = None, stderr: IO[Any] | None = None) -> bool:
    """Prompts only when a person is there: stdin and stderr are both terminals."""
    return bool((stdin or sys.stdin).isatty() and (stderr or sys.stderr).isatty())


def aws_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = endpoint_option(f)
    f = region_option(f)
    f = click.option("--profile", metavar="NAME", help="AWS profile (default: the side's profile in the config, then AWS_PROFILE).")(f)
    return f


def side_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--consumer", multiple=True, metavar="NAME",
                     help="Only these [[account_b]] consumers (name or account id); repeatable.")(f)
    f = click.option("--all", "all_", is_flag=True, help="Both stacks (A first; destroy: B first).")(f)
    f = click.option("--account-b", "b", is_flag=True, help="Account B's instance-role stack.")(f)
    f = click.option("--account-a", "a", is_flag=True, help="Account A's access-role stack.")(f)
    return f


@click.command()
@config_option
@side_options
@aws_options
@click.option("--plan", "plan_only", is_flag=True, help="Show what would change (resources and IAM statements); change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (non-interactive runs never ask).")
@output_option()
@click.option("--termination-protection/--no-termination-protection", default=True, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS", help="Give up waiting after this long (the stack keeps going).")
@click.option("--continue-rollback", is_flag=True, help="Recover a stack in UPDATE_ROLLBACK_FAILED, then deploy.")
@click.option("--adopt", is_flag=True, help="Take over an existing stack of that name that xacct-infra did not create.")
@click.option("--jobs", type=click.IntRange(1, 32), default=4, show_default=True, help="Consumer stacks deployed at once.")
@click.option("--stackset", is_flag=True, help="With --account-b: deploy B's template as a StackSet to many accounts.")
@click.option("--accounts", metavar="ID,ID...", help="StackSet targets (self-managed).")
@click.option("--org-unit", "org_units", multiple=True, metavar="ou-...", help="StackSet targets (service-managed, auto-deployment); repeatable.")
@click.option("--regions", metavar="REGION,...", help="StackSet regions (default: account_b.region).")
@click.option("--max-concurrent-percentage", type=click.IntRange(1, 100), default=25, show_default=True)
@click.option("--failure-tolerance-percentage", type=click.IntRange(0, 100), default=0, show_default=True)
@click.pass_context
def deploy(ctx: click.Context, *, config_path: str, a: bool, b: bool, all_: bool, profile: str | None, region: str | None,
           endpoint_url: str | None, plan_only: bool, yes: bool, output: str, termination_protection: bool, timeout: float | None,
           continue_rollback: bool, adopt: bool, consumer: tuple[str, ...], jobs: int, stackset: bool, accounts: str | None,
           org_units: tuple[str, ...], regions: str | None, max_concurrent_percentage: int, failure_tolerance_percentage: int) -> None:
    """Deploy Account A's and/or Account B's stack through a change set.

    Idempotent: when the deployed template and tags already match the config, nothing is
    created and it says "no changes". Progress goes to stderr, results to stdout.
    Ctrl-C: before execution the change set is removed; after, the operation is cancelled
    (exit 130: the stack is as it was); a second Ctrl-C detaches.
    """
    cfg = config_mod.load(config_path)
    if stackset or accounts or org_units or regions:
        if not stackset or a or all_ or not b:
            raise UsageError("--accounts/--org-unit/--regions go with --account-b --stackset")
        from xacct_infra.cli.stackset import deploy_stackset

        if len(consumer) > 1:
            raise UsageError("--stackset deploys one consumer template: pass at most one --consumer")
        deploy_stackset(clients(ctx), cfg, consumer=consumer[0] if consumer else None, profile=profile, region=region,
                        endpoint_url=endpoint_url, accounts=accounts, org_units=org_units, regions=regions,
                        max_concurrent=max_concurrent_percentage, failure_tolerance=failure_tolerance_percentage,
                        timeout=timeout, output=output)
        return
    chosen = targets.select(cfg, a=a, b=b, all_=all_, profile=profile, region=region, endpoint_url=endpoint_url, consumers=consumer)
    rendered = targets.bodies(cfg, chosen)
    specs = {t.label: t.spec(targets.body_for(t, rendered), termination_protection) for t in chosen}
    for spec in specs.values():  # what CloudFormation would refuse, refused before any change
        spec.check_size()
    opts = DeployOptions(plan_only=plan_only, timeout=timeout, continue_rollback=continue_rollback, adopt=adopt,
                         confirm=None if (yes or plan_only or not is_interactive()) else _confirm)
    a_targets = [t for t in chosen if t.key == "a"]
    b_targets = [t for t in chosen if t.key == "b"]
    if len(b_targets) > 1 and opts.confirm is not None:  # refused before anything is touched
        raise UsageError(f"{len(b_targets)} consumer stacks deploy in parallel and cannot each ask: pass --yes, or --plan first")
    factory = clients(ctx)
    interrupts = Interrupts()
    rows: dict[str, fleet.Row] = {}

    def make(target: StackTarget, reporter: Reporter) -> Any:
        return stack_deployer(factory, target, reporter, interrupts)

    with interrupts.sigint(), notices_after(lambda: fleet.endpoint_notices(chosen, rows)):  # Ctrl-C is counted, never raised inside an AWS call
        for target in a_targets + (b_targets if len(b_targets) == 1 else []):
            if interrupts.count:
                click.echo(f"xacct-infra: {target.stack_name}: not started (interrupted)", err=True)
                break
            reporter = reporter_for()
            try:
                rows[target.label] = fleet.deploy_one(target, make(target, reporter), specs[target.label], opts)
            finally:
                getattr(reporter, "close", lambda: None)()  # stdout may follow: the live view stops here
            if output == "text":
                _print_text(rows[target.label])
        if len(b_targets) > 1 and not interrupts.count:
            parallel = fleet.deploy_all(b_targets, make, specs, opts, jobs=jobs, interrupts=interrupts,
                                        reporter_for=lambda t: LineReporter(prefix=f"[{t.short}] "))
            if output == "text":
                _print_table(b_targets, parallel)
            rows.update(parallel)
    if output == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    if interrupts.count and not any(row.get("exit_code") for row in rows.values()) and len(rows) < len(chosen):
        ctx.exit(int(ExitCode.INTERRUPTED))  # Ctrl-C between two stacks: the next one was not started
    code = fleet.exit_code(rows)
    if code:  # one row per consumer says what failed
        ctx.exit(int(code))


def stack_deployer(factory: aws.Clients, target: StackTarget, reporter: Reporter | None = None, interrupts: Interrupts | None = None) -> Any:
    """A deployer for one stack; on a terminal the live view ticks while the deployer waits."""
    interrupts = Interrupts() if interrupts is None else interrupts
    reporter = reporter or reporter_for()
    clock = clock_for(reporter, factory.clock(interrupts))
    return targets.deployer_for(factory, target, reporter=reporter, interrupts=interrupts, clock=clock)


def _print_table(chosen: list[StackTarget], rows: dict[str, fleet.Row]) -> None:
    width = max(len(t.short) for t in chosen)
    for t in chosen:
        row = rows[t.label]
        detail = row.get("error") or ", ".join(f"{k}={v}" for k, v in sorted((row.get("outputs") or row.get("known_from_config") or {}).items()))
        click.echo(f"{t.short:<{width}}\t{t.account_id}\t{t.stack_name}\t{row['outcome']}\t{detail}")


def _print_text(row: fleet.Row) -> None:
    click.echo(f"{row['stack']}\t{row['outcome']}")
    values = row["outputs"] if row["outputs"] is not None else row.get("known_from_config", {})
    suffix = "" if row["outputs"] is not None else "\t(from config)"
    for key, value in sorted(values.items()):
        click.echo(f"  {key}\t{value}{suffix}")


def _confirm(question: str) -> bool:
    return click.confirm(question, default=False, err=True)
