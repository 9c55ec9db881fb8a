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
    if result.outputs is None and result.outcome != "planned":
        deployer.reporter.info(f"{result.stack_name}: CloudFormation returned no outputs; values known from the config are shown")
        row["known_from_config"] = target.known_outputs
    return row


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
