"""Many stacks at once (every consumer's), each with its own credentials and deployer.

One failure does not stop or hide the others: each stack gets a row. All the deploys share
one :class:`Interrupts`: a Ctrl-C reaches every running deploy, which then follows the same
rule as a single one (undo before execution, cancel after; a second Ctrl-C detaches), and
no deploy that had not started yet is started.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from xacct_infra import aws
from xacct_infra.deploy.deployer import Deployer, DeployOptions, StackSpec
from xacct_infra.deploy.interrupts import Interrupts
from xacct_infra.deploy.report import Reporter
from xacct_infra.deploy.targets import StackTarget
from xacct_infra.errors import ExitCode, XacctError

Row = dict[str, Any]  # stack, account, outcome, status, outputs (or known_from_config), note; error, exit_code
MakeDeployer = Callable[[StackTarget, Reporter], Deployer]


def deploy_one(target: StackTarget, deployer: Deployer, spec: StackSpec, opts: DeployOptions) -> Row:
    """One stack, as a row; errors propagate (see :func:`deploy_all` for rows of failures)."""
    with aws.translate_errors(target.target):
        result = deployer.deploy(spec, opts)
    row: Row = {"stack": result.stack_name, "account": target.account_id, "outcome": result.outcome,
                "status": result.stack_status, "outputs": result.outputs}
    if result.note:
        row["note"] = result.note
    if result.unsupported:
        row["unsupported"] = list(result.unsupported)
    if result.outputs is None and result.outcome != "planned":
        row["known_from_config"] = target.known_outputs
    return row


def endpoint_notices(targets: Sequence[StackTarget], rows: Mapping[str, Row]) -> list[tuple[str, str]]:
    """What the endpoints lack, once per endpoint for all the stacks it concerns: (level, message).

    An emulator has neither termination protection nor stack outputs; saying so once per stack
    repeats one fact about the endpoint as many times as there are stacks."""
    names = [t.stack_name for t in targets]
    lacking: dict[tuple[str, str], list[str]] = {}
    no_outputs: dict[str, list[str]] = {}
    for t in targets:
        row = rows.get(t.label)
        if row is None:
            continue
        where = t.target.endpoint("cloudformation")
        stack = t.stack_name if names.count(t.stack_name) == 1 else f"{t.stack_name} [{t.short}]"
        for what in row.get("unsupported", ()):
            lacking.setdefault((where, what), []).append(stack)
        if "known_from_config" in row:
            no_outputs.setdefault(where, []).append(stack)
    notices = [("warning", f"{where} does not support {what}: {_and(stacks)} {'is' if len(stacks) == 1 else 'are'} not protected"
                if what.startswith("termination protection") else f"{where} does not support {what} ({_and(stacks)})")
               for (where, what), stacks in lacking.items()]
    notices += [("info", f"{where}: CloudFormation returned no outputs for {_and(stacks)}; values known from the config are shown "
                 "(from config)") for where, stacks in no_outputs.items()]
    return notices


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def failed_row(outcome: str, error: str, code: ExitCode) -> Row:
    return {"outcome": outcome, "error": error, "exit_code": int(code)}


def deploy_all(targets: Sequence[StackTarget], make_deployer: MakeDeployer, specs: Mapping[str, StackSpec], opts: DeployOptions,
               *, jobs: int, interrupts: Interrupts, reporter_for: Callable[[StackTarget], Reporter], poll: float = 0.2) -> dict[str, Row]:
    """Every target, ``jobs`` at a time; rows by label, in target order. The deployers must
    share ``interrupts`` (the main thread counts Ctrl-C into it while it waits here)."""

    def run(target: StackTarget) -> Row:
        row: Row = {"stack": target.stack_name, "account": target.account_id}
        if interrupts.count:  # Ctrl-C came before this one started: do not start it
            return {**row, **failed_row("NOT STARTED", "interrupted before it started", ExitCode.INTERRUPTED)}
        try:
            return deploy_one(target, make_deployer(target, reporter_for(target)), specs[target.label], opts)
        except XacctError as exc:
            interrupted = exc.exit_code == ExitCode.INTERRUPTED
            return {**row, **failed_row("INTERRUPTED" if interrupted else "FAILED", str(exc), exc.exit_code)}
        except Exception as exc:  # an AWS error in one stack must not hide the others
            if not aws.is_aws_error(exc):
                raise
            return {**row, **failed_row("FAILED", f"AWS: {exc}", ExitCode.FAILED)}

    rows: dict[str, Row] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="xacct-deploy") as pool:
        futures = {t.label: pool.submit(run, t) for t in targets}
        for name, future in futures.items():
            while True:  # a short timeout keeps the main thread free to take Ctrl-C (counted, not raised)
                try:
                    rows[name] = future.result(timeout=poll)
                    break
                except FutureTimeout:
                    continue
    return rows


def exit_code(rows: dict[str, Row]) -> ExitCode:
    """130 when any deploy was interrupted, else 1 when any failed, else 0."""
    codes = {row.get("exit_code") for row in rows.values()} - {None}
    if int(ExitCode.INTERRUPTED) in codes:
        return ExitCode.INTERRUPTED
    return ExitCode.FAILED if codes else ExitCode.OK
