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
from xacct_infra.cli.options import config_option, output_option
from xacct_infra.cli.progress import LineReporter, LiveReporter, TickingClock, reporter_for
from xacct_infra.deploy import Deployer, DeployOptions, StackSpec, SystemClock
from xacct_infra.deploy import status as st
from xacct_infra.deploy.artifacts import TemplateStore, check_size
from xacct_infra.errors import ExitCode, UsageError, XacctError

SIDE_NAMES = {"a": "account_a", "b": "account_b"}


@dataclass(frozen=True)
class StackTarget:
    """One stack to act on: Account A's or one consumer's, with where to reach it."""
    key: config_mod.Side
    name: str  # account_a | account_b
    account_id: str
    stack_name: str
    target: aws.Target
    artifact_bucket: str | None = None
    partition: str = "aws"
    consumer: config_mod.Consumer | None = None
    label: str = ""  # account_a, account_b, or account_b:<consumer> when there are several


def _sides(cfg: config_mod.Config, a: bool, b: bool, all_: bool, profile: str | None, region: str | None,
           endpoint_url: str | None, order: tuple[config_mod.Side, ...] = ("a", "b"), consumers: tuple[str, ...] = ()) -> list[StackTarget]:
    chosen = [k for k in order if all_ or (k == "a" and a) or (k == "b" and b)]
    if not chosen:
        raise UsageError("choose what to act on: --account-a, --account-b or --all")
    if consumers and "b" not in chosen:
        raise UsageError("--consumer selects Account B consumers: use it with --account-b or --all")
    selected = [cfg.consumer(n) for n in dict.fromkeys(consumers)] if consumers else list(cfg.consumers)
    several = len(cfg.consumers) > 1
    out = []
    for k in chosen:
        for side_cfg in ([cfg.account_a] if k == "a" else selected):
            target = aws.Target(region=region or side_cfg.region, profile=profile or side_cfg.profile, endpoint_url=endpoint_url)
            consumer = side_cfg if isinstance(side_cfg, config_mod.Consumer) else None
            label = SIDE_NAMES[k] + (f":{consumer.name}" if consumer and several else "")
            out.append(StackTarget(k, SIDE_NAMES[k], side_cfg.id, side_cfg.stack_name, target, side_cfg.artifact_bucket, side_cfg.partition,
                            consumer, label))
    if profile and len(out) > 1:
        raise UsageError("--profile names one account's credentials; for several stacks set each side's profile in the config")
    return out


def _bodies(cfg: config_mod.Config) -> dict[str, str]:
    """Template body for Account A ("") and each consumer (by name), each distinct template rendered once."""
    out: dict[str, str] = {}
    for item in render.render(cfg):
        for name in item.consumers if item.side == "b" else ("",):
            out[name] = item.body
    return out


def _spec(cfg: config_mod.Config, side: StackTarget, bodies: dict[str, str], termination_protection: bool = True) -> StackSpec:
    return StackSpec(side=side.name, account_id=side.account_id, stack_name=side.stack_name,
                     template_body=bodies[side.consumer.name if side.consumer else ""],
                     termination_protection=termination_protection,
                     consumer=side.consumer.name if side.consumer and len(cfg.consumers) > 1 else "")


def _deployer(side: StackTarget, guard: bool = True, *, reporter: Any = None, clock: Any = None) -> Deployer:
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
    reporter = reporter or reporter_for()
    if clock is None and isinstance(reporter, LiveReporter):  # the live view ticks while the deployer waits
        base = SystemClock()
        reporter.now, clock = base.now, TickingClock(base, reporter.tick)
    return Deployer(cfn, reporter=reporter, clock=clock, template_store=store,
                    optional_cfn=lambda: aws.client(sess, "cloudformation", side.target, max_attempts=1))


def aws_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--endpoint-url", metavar="URL", help="Override the AWS endpoint (env: AWS_ENDPOINT_URL).")(f)
    f = click.option("--region", metavar="REGION", help="Override the config's region for this side.")(f)
    f = click.option("--profile", metavar="NAME", help="AWS profile (default: the side's profile in the config, then AWS_PROFILE).")(f)
    return f


def side_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--consumer", multiple=True, metavar="NAME",
                     help="Only these [[account_b]] consumers (name or account id); repeatable.")(f)
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
def deploy(*, config_path: str, a: bool, b: bool, all_: bool, profile: str | None, region: str | None, endpoint_url: str | None,
           plan_only: bool, yes: bool, output: str, termination_protection: bool, timeout: float | None,
           continue_rollback: bool, adopt: bool, consumer: tuple[str, ...], jobs: int, stackset: bool, accounts: str | None,
           org_units: tuple[str, ...], regions: str | None, max_concurrent_percentage: int, failure_tolerance_percentage: int) -> None:
    """Deploy Account A's and/or Account B's stack through a change set.

    Idempotent: when the deployed template and tags already match the config, nothing is
    created and it says "no changes". Progress goes to stderr, results to stdout.
    """
    cfg = config_mod.load(config_path)
    if stackset or accounts or org_units or regions:
        if not stackset or a or all_ or not b:
            raise UsageError("--accounts/--org-unit/--regions go with --account-b --stackset")
        from xacct_infra.cli.stackset import deploy_stackset

        if len(consumer) > 1:
            raise UsageError("--stackset deploys one consumer template: pass at most one --consumer")
        deploy_stackset(cfg, consumer=consumer[0] if consumer else None, profile=profile, region=region, endpoint_url=endpoint_url,
                        accounts=accounts, org_units=org_units, regions=regions, max_concurrent=max_concurrent_percentage,
                        failure_tolerance=failure_tolerance_percentage,
                        timeout=timeout, output=output)
        return
    sides = _sides(cfg, a, b, all_, profile, region, endpoint_url, consumers=consumer)
    bodies = _bodies(cfg)
    specs = {side.label: _spec(cfg, side, bodies, termination_protection) for side in sides}
    for side in sides:  # what CloudFormation would refuse, refused before any change
        check_size(specs[side.label].template_body, side.name, side.artifact_bucket)
    opts = DeployOptions(plan_only=plan_only, timeout=timeout, continue_rollback=continue_rollback, adopt=adopt,
                         confirm=None if (yes or plan_only or not _interactive()) else _confirm)
    results: dict[str, Any] = {}
    a_sides = [s for s in sides if s.key == "a"]
    b_sides = [s for s in sides if s.key == "b"]
    if len(b_sides) > 1 and opts.confirm is not None:  # refused before anything is touched
        raise UsageError(f"{len(b_sides)} consumer stacks deploy in parallel and cannot each ask: pass --yes, or --plan first")
    for side in a_sides + (b_sides if len(b_sides) == 1 else []):
        results[side.label] = _deploy_one(cfg, side, specs[side.label], opts, output)
    if len(b_sides) > 1:
        results.update(_deploy_parallel(cfg, b_sides, specs, opts, output, jobs))
    if output == "json":
        click.echo(json.dumps(results, indent=2, sort_keys=True))
    codes = {entry.get("exit_code") for entry in results.values()}
    if ExitCode.INTERRUPTED in codes:
        click.get_current_context().exit(int(ExitCode.INTERRUPTED))
    if codes - {None}:  # one row per consumer says what failed; exit 1 if any did
        click.get_current_context().exit(int(ExitCode.FAILED))


def _deploy_one(cfg: config_mod.Config, side: StackTarget, spec: StackSpec, opts: DeployOptions, output: str,
                reporter: Any = None, clock: Any = None) -> dict[str, Any]:
    deployer = _deployer(side, reporter=reporter, clock=clock)
    with aws.translate_errors(side.target):
        try:
            result = deployer.deploy(spec, opts)
        finally:
            getattr(deployer.reporter, "close", lambda: None)()  # stdout may follow: the live view stops here
    entry: dict[str, Any] = {"stack": result.stack_name, "account": side.account_id, "outcome": result.outcome,
                             "status": result.stack_status, "outputs": result.outputs}
    if result.outputs is None and result.outcome != "planned":
        (reporter or deployer.reporter).info(f"{result.stack_name}: CloudFormation returned no outputs; values known from the config are shown")
        entry["known_from_config"] = _known_outputs(cfg, side)
    if output == "text" and reporter is None:
        _print_text(entry)
    return entry


def _deploy_parallel(cfg: config_mod.Config, sides: list[StackTarget], specs: dict[str, StackSpec], opts: DeployOptions,
                     output: str, jobs: int) -> dict[str, Any]:
    """Every consumer stack, ``jobs`` at a time, each with its own credentials; one failure
    does not stop or hide the others. Ctrl-C is relayed to every running deploy (first:
    cancel, second: detach), as for a single stack."""
    from concurrent.futures import ThreadPoolExecutor

    relay = InterruptRelay()
    results: dict[str, Any] = {}

    def run(side: StackTarget) -> dict[str, Any]:
        row = {"stack": side.stack_name, "account": side.account_id}
        if relay.count:  # Ctrl-C came before this consumer started: do not start it
            return {**row, "outcome": "NOT STARTED", "error": "interrupted before it started", "exit_code": int(ExitCode.INTERRUPTED)}
        reporter = LineReporter(prefix=f"[{side.consumer.name if side.consumer else side.label}] ")
        try:
            return _deploy_one(cfg, side, specs[side.label], opts, output, reporter=reporter, clock=relay.clock())
        except XacctError as exc:
            outcome = "INTERRUPTED" if exc.exit_code == ExitCode.INTERRUPTED else "FAILED"
            return {**row, "outcome": outcome, "error": str(exc), "exit_code": int(exc.exit_code)}
        except KeyboardInterrupt:  # relayed while no stack operation was running (e.g. making the change set)
            return {**row, "outcome": "INTERRUPTED", "error": "interrupted; nothing was executed", "exit_code": int(ExitCode.INTERRUPTED)}
        except Exception as exc:  # an AWS error in one consumer must not hide the others
            if not type(exc).__module__.startswith("botocore"):
                raise
            return {**row, "outcome": "FAILED", "error": f"AWS: {exc}", "exit_code": int(ExitCode.FAILED)}

    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="xacct-deploy")
    futures = {side.label: pool.submit(run, side) for side in sides}
    try:
        for label, future in futures.items():
            while True:
                try:
                    results[label] = future.result(timeout=0.2)
                    break
                except TimeoutError:
                    continue
                except KeyboardInterrupt:
                    # first Ctrl-C: every running deploy cancels; a second one: they detach
                    relay.interrupt()
                    click.echo("xacct-infra: interrupt: cancelling running deploys; press Ctrl-C again to detach", err=True)
    finally:
        pool.shutdown(wait=True)
    if output == "text":
        _print_table(sides, results)
    return results


def _print_table(sides: list[StackTarget], results: dict[str, Any]) -> None:
    rows = [(s.consumer.name if s.consumer else s.label, s.account_id, s.stack_name, results[s.label]) for s in sides]
    width = max(len(r[0]) for r in rows)
    for name, account, stack, entry in rows:
        detail = entry.get("error") or ", ".join(f"{k}={v}" for k, v in sorted((entry.get("outputs") or entry.get("known_from_config") or {}).items()))
        click.echo(f"{name:<{width}}\t{account}\t{stack}\t{entry['outcome']}\t{detail}")


class InterruptRelay:
    """Delivers the main thread's Ctrl-C to deploys running in worker threads.

    Worker deployers get a clock whose sleep raises KeyboardInterrupt once per interrupt the
    main thread received, so each runs its own cancel-then-detach logic.
    """

    def __init__(self) -> None:
        import threading

        self.count = 0
        self.changed = threading.Condition()

    def interrupt(self) -> None:
        with self.changed:
            self.count += 1
            self.changed.notify_all()

    def clock(self) -> Any:
        relay = self

        class RelayClock(SystemClock):
            seen = 0

            def sleep(self, seconds: float) -> None:
                with relay.changed:
                    if relay.count == self.seen:
                        relay.changed.wait(seconds)
                    if relay.count > self.seen:
                        self.seen = relay.count
                        raise KeyboardInterrupt

        return RelayClock()


def _known_outputs(cfg: config_mod.Config, side: StackTarget) -> dict[str, str]:
    if side.key == "a":
        return {role.output: role.arn for role in cfg.access_roles()}
    b = side.consumer or cfg.consumers[0]
    known = {"RoleArn": b.role_arn}
    if b.kind == "ec2":
        known["InstanceProfileName"] = b.role_name
    return known


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
@output_option()
@click.pass_context
def status(ctx: click.Context, *, config_path: str, a: bool, b: bool, all_: bool, consumer: tuple[str, ...], profile: str | None,
           region: str | None, endpoint_url: str | None, wait: bool, events: int, output: str) -> None:
    """Show each stack's status, recent events and drift against the config.

    Exit 0 when every chosen stack is deployed, stable and matches the config; 1 otherwise.
    """
    cfg = config_mod.load(config_path)
    if not (a or b):
        all_ = True
    entries = []
    bodies = _bodies(cfg)
    for side in _sides(cfg, a, b, all_, profile, region, endpoint_url, consumers=consumer):
        deployer = _deployer(side)
        spec = _spec(cfg, side, bodies)
        entry: dict[str, Any] = {"stack": side.stack_name, "side": side.name, "account": side.account_id, "status": "NOT DEPLOYED",
                                 "healthy": False}
        entries.append(entry)
        with aws.translate_errors(side.target):
            stack = deployer.describe(side.stack_name)
            if stack is not None and wait and st.is_in_progress(stack["StackStatus"]):
                stack = deployer.follow(spec, stack)
                deployer.reporter.close()  # type: ignore[attr-defined]
            if stack is None:
                continue
            matches = deployer.template_matches(spec)
            recent = deployer.cfn.describe_stack_events(StackName=stack["StackId"]).get("StackEvents", [])[:events]
        entry.update(status=stack["StackStatus"], template_matches=matches, reason=stack.get("StackStatusReason"),
                     termination_protection=bool(stack.get("EnableTerminationProtection")),
                     healthy=stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE") and matches,
                     events=[{"time": ev["Timestamp"].isoformat(), "resource": ev["LogicalResourceId"], "status": ev["ResourceStatus"],
                              "reason": ev.get("ResourceStatusReason") or ""} for ev in recent])
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
def destroy(*, config_path: str, a: bool, b: bool, all_: bool, consumer: tuple[str, ...], profile: str | None, region: str | None, endpoint_url: str | None,
            yes: bool, force: bool, timeout: float | None, output: str) -> None:
    """Delete a stack (asks first; refuses while termination protection is on unless --force)."""
    cfg = config_mod.load(config_path)
    bodies = _bodies(cfg)
    done: list[dict[str, str]] = []
    try:
        for side in _sides(cfg, a, b, all_, profile, region, endpoint_url, order=("b", "a"), consumers=consumer):
            if not yes:
                if not _interactive():
                    raise UsageError(f"refusing to delete {side.stack_name} without --yes in a non-interactive run")
                if not click.confirm(f"Delete stack {side.stack_name} in account {side.account_id}?", default=False, err=True):
                    raise UsageError(f"{side.stack_name}: not deleted")
            deployer = _deployer(side)
            with aws.translate_errors(side.target):
                final = deployer.destroy(_spec(cfg, side, bodies), force=force, timeout=timeout)
                deployer.reporter.close()  # type: ignore[attr-defined]
            done.append({"stack": side.stack_name, "account": side.account_id, "outcome": "deleted" if final == "DELETE_COMPLETE" else final})
            if output == "text":
                click.echo(f"{side.stack_name}\t{done[-1]['outcome']}")
    finally:  # what was deleted before a failure is still reported
        if output == "json":
            click.echo(json.dumps({"stacks": done}, indent=2))
