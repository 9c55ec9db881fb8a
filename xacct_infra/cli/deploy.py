"""`deploy`, `status` and `destroy`: thin click wrappers around the Deployer."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from xacct_infra import aws, render
from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option
from xacct_infra.cli.progress import reporter_for
from xacct_infra.deploy import Deployer, DeployOptions, StackSpec
from xacct_infra.deploy import status as st
from xacct_infra.deploy.artifacts import TemplateStore, check_size
from xacct_infra.errors import ExitCode, UsageError

SIDE_NAMES = {"a": "account_a", "b": "account_b"}


@dataclass(frozen=True)
class Side:
    key: render.Side
    name: str  # account_a | account_b
    account_id: str
    stack_name: str
    target: aws.Target
    artifact_bucket: str | None = None
    partition: str = "aws"


def _sides(cfg: config_mod.Config, a: bool, b: bool, all_: bool, profile: str | None, region: str | None,
           endpoint_url: str | None, order: tuple[render.Side, ...] = ("a", "b")) -> list[Side]:
    chosen = [k for k in order if all_ or (k == "a" and a) or (k == "b" and b)]
    if not chosen:
        raise UsageError("choose what to act on: --account-a, --account-b or --all")
    if profile and len(chosen) > 1:
        raise UsageError("--profile names one account's credentials; with --all set account_a.profile and account_b.profile in the config")
    out = []
    for k in chosen:
        side_cfg = cfg.account_a if k == "a" else cfg.account_b
        target = aws.Target(region=region or side_cfg.region, profile=profile or side_cfg.profile, endpoint_url=endpoint_url)
        out.append(Side(k, SIDE_NAMES[k], side_cfg.id, side_cfg.stack_name, target, side_cfg.artifact_bucket, side_cfg.partition))
    return out


def _spec(cfg: config_mod.Config, side: Side, termination_protection: bool = True) -> StackSpec:
    return StackSpec(side=side.name, account_id=side.account_id, stack_name=side.stack_name,
                     template_body=render.template_body(cfg, side.key), termination_protection=termination_protection)


def _deployer(side: Side, guard: bool = True) -> Deployer:
    sess = aws.session(side.target)
    with aws.translate_errors(side.target):
        if guard:
            aws.guard_account(sess, side.target, side.account_id, side.name)
        cfn = aws.client(sess, "cloudformation", side.target)
    store = None
    if side.artifact_bucket:
        bucket = side.artifact_bucket

        def store() -> TemplateStore:
            return TemplateStore(aws.client(sess, "s3", side.target), bucket, side.account_id, side.target.region, side.partition)

    # Termination protection goes through a client without retries: an endpoint that does not
    # implement it answers HTTP 500, which must cost a warning, not a retry backoff.
    return Deployer(cfn, reporter=reporter_for(), template_store=store,
                    optional_cfn=lambda: aws.client(sess, "cloudformation", side.target, max_attempts=1))


def aws_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--endpoint-url", metavar="URL", help="Override the AWS endpoint (env: AWS_ENDPOINT_URL).")(f)
    f = click.option("--region", metavar="REGION", help="Override the config's region for this side.")(f)
    f = click.option("--profile", metavar="NAME", help="AWS profile (default: the side's profile in the config, then AWS_PROFILE).")(f)
    return f


def side_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--all", "all_", is_flag=True, help="Both stacks (A first; destroy: B first).")(f)
    f = click.option("--account-b", "b", is_flag=True, help="Account B's instance-role stack.")(f)
    f = click.option("--account-a", "a", is_flag=True, help="Account A's access-role stack.")(f)
    return f


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


@click.command()
@config_option
@side_options
@aws_options
@click.option("--plan", "plan_only", is_flag=True, help="Show what would change (resources and IAM statements); change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (non-interactive runs never ask).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Format of the results on stdout.")
@click.option("--termination-protection/--no-termination-protection", default=True, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS", help="Give up waiting after this long (the stack keeps going).")
@click.option("--continue-rollback", is_flag=True, help="Recover a stack in UPDATE_ROLLBACK_FAILED, then deploy.")
@click.option("--stackset", is_flag=True, help="With --account-b: deploy B's template as a StackSet to many accounts.")
@click.option("--accounts", metavar="ID,ID...", help="StackSet targets (self-managed).")
@click.option("--org-unit", "org_units", multiple=True, metavar="ou-...", help="StackSet targets (service-managed, auto-deployment); repeatable.")
@click.option("--regions", metavar="REGION,...", help="StackSet regions (default: account_b.region).")
@click.option("--max-concurrent-percentage", type=click.IntRange(1, 100), default=25, show_default=True)
@click.option("--failure-tolerance-percentage", type=click.IntRange(0, 100), default=0, show_default=True)
def deploy(*, config_path: str, a: bool, b: bool, all_: bool, profile: str | None, region: str | None, endpoint_url: str | None,
           plan_only: bool, yes: bool, output: str, termination_protection: bool, timeout: float | None,
           continue_rollback: bool, stackset: bool, accounts: str | None, org_units: tuple[str, ...], regions: str | None,
           max_concurrent_percentage: int, failure_tolerance_percentage: int) -> None:
    """Deploy Account A's and/or Account B's stack through a change set.

    Idempotent: when the deployed template and tags already match the config, nothing is
    created and it says "no changes". Progress goes to stderr, results to stdout.
    """
    cfg = config_mod.load(config_path)
    if stackset or accounts or org_units or regions:
        if not stackset or a or all_ or not b:
            raise UsageError("--accounts/--org-unit/--regions go with --account-b --stackset")
        from xacct_infra.cli.stackset import deploy_stackset

        deploy_stackset(cfg, profile=profile, region=region, endpoint_url=endpoint_url, accounts=accounts, org_units=org_units,
                        regions=regions, max_concurrent=max_concurrent_percentage, failure_tolerance=failure_tolerance_percentage,
                        timeout=timeout, output=output)
        return
    sides = _sides(cfg, a, b, all_, profile, region, endpoint_url)
    specs = {side.name: _spec(cfg, side, termination_protection) for side in sides}
    for side in sides:  # what CloudFormation would refuse, refused before any change
        check_size(specs[side.name].template_body, side.name, side.artifact_bucket)
    results: dict[str, Any] = {}
    for side in sides:
        spec = specs[side.name]
        opts = DeployOptions(plan_only=plan_only, timeout=timeout, continue_rollback=continue_rollback,
                             confirm=None if (yes or plan_only or not _interactive()) else _confirm)
        deployer = _deployer(side)
        with aws.translate_errors(side.target):
            result = deployer.deploy(spec, opts)
        outputs = result.outputs
        entry: dict[str, Any] = {"stack": result.stack_name, "account": side.account_id, "outcome": result.outcome,
                                 "status": result.stack_status, "outputs": outputs}
        if outputs is None and result.outcome != "planned":
            known = _known_outputs(cfg, side)
            click.echo(f"{result.stack_name}: CloudFormation returned no outputs; values known from the config are shown", err=True)
            entry["known_from_config"] = known
        results[side.name] = entry
        if output == "text":
            _print_text(entry)
    if output == "json":
        click.echo(json.dumps(results, indent=2, sort_keys=True))


def _known_outputs(cfg: config_mod.Config, side: Side) -> dict[str, str]:
    if side.key == "a":
        return {"RoleArn": cfg.account_a.role_arn}
    return {"RoleArn": cfg.account_b.role_arn, "InstanceProfileName": cfg.account_b.role_name}


def _print_text(entry: dict[str, Any]) -> None:
    click.echo(f"{entry['stack']}\t{entry['outcome']}")
    values = entry["outputs"] if entry["outputs"] is not None else entry.get("known_from_config", {})
    suffix = "" if entry["outputs"] is not None else "\t(from config)"
    for key, value in sorted(values.items()):
        click.echo(f"  {key}\t{value}{suffix}")


def _confirm(question: str) -> bool:
    return click.confirm(question, default=False, err=True)


@click.command()
@config_option
@side_options
@aws_options
@click.option("--wait", is_flag=True, help="If an operation is running, follow it until it ends.")
@click.option("--events", default=5, show_default=True, type=click.IntRange(min=0), help="How many recent events to show.")
@click.pass_context
def status(ctx: click.Context, *, config_path: str, a: bool, b: bool, all_: bool, profile: str | None, region: str | None,
           endpoint_url: str | None, wait: bool, events: int) -> None:
    """Show each stack's status, recent events and drift against the config.

    Exit 0 when every chosen stack is deployed, stable and matches the config; 1 otherwise.
    """
    cfg = config_mod.load(config_path)
    if not (a or b):
        all_ = True
    healthy = True
    for side in _sides(cfg, a, b, all_, profile, region, endpoint_url):
        deployer = _deployer(side)
        spec = _spec(cfg, side)
        with aws.translate_errors(side.target):
            stack = deployer.describe(side.stack_name)
            if stack is not None and wait and st.is_in_progress(stack["StackStatus"]):
                stack = deployer.follow(spec, stack)
            if stack is None:
                click.echo(f"{side.stack_name}\t{side.name} {side.account_id}\tNOT DEPLOYED")
                healthy = False
                continue
            matches = deployer.template_matches(spec)
            recent = deployer.cfn.describe_stack_events(StackName=stack["StackId"]).get("StackEvents", [])[:events]
        status_ = stack["StackStatus"]
        ok = status_ in ("CREATE_COMPLETE", "UPDATE_COMPLETE") and matches
        healthy = healthy and ok
        click.echo(f"{side.stack_name}\t{side.name} {side.account_id}\t{status_}")
        click.echo(f"  template\t{'matches the config' if matches else 'DIFFERS from the config (see: xacct-infra deploy --plan)'}")
        click.echo(f"  termination protection\t{'on' if stack.get('EnableTerminationProtection') else 'off'}")
        if stack.get("StackStatusReason"):
            click.echo(f"  reason\t{stack['StackStatusReason']}")
        for ev in recent:
            reason = f": {ev['ResourceStatusReason']}" if ev.get("ResourceStatusReason") else ""
            click.echo(f"  {ev['Timestamp']:%Y-%m-%d %H:%M:%S} {ev['LogicalResourceId']} {ev['ResourceStatus']}{reason}")
    if not healthy:
        ctx.exit(int(ExitCode.FAILED))


@click.command()
@config_option
@side_options
@aws_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Turn termination protection off first; delete even without the ownership tag.")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS")
def destroy(*, config_path: str, a: bool, b: bool, all_: bool, profile: str | None, region: str | None, endpoint_url: str | None,
            yes: bool, force: bool, timeout: float | None) -> None:
    """Delete a stack (asks first; refuses while termination protection is on unless --force)."""
    cfg = config_mod.load(config_path)
    for side in _sides(cfg, a, b, all_, profile, region, endpoint_url, order=("b", "a")):
        if not yes:
            if not _interactive():
                raise UsageError(f"refusing to delete {side.stack_name} without --yes in a non-interactive run")
            if not click.confirm(f"Delete stack {side.stack_name} in account {side.account_id}?", default=False, err=True):
                raise UsageError(f"{side.stack_name}: not deleted")
        deployer = _deployer(side)
        with aws.translate_errors(side.target):
            final = deployer.destroy(_spec(cfg, side), force=force, timeout=timeout)
        click.echo(f"{side.stack_name}\t{'deleted' if final == 'DELETE_COMPLETE' else final}")
