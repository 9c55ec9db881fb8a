"""Ctrl-C at every step: a SIGINT lands while request k is in flight, for EVERY k of a create
and of an update (counted on a clean run first), through a proxy in front of the emulator.

The rule, checked after each run: exit 130 means the stack is as it was before (create: no
stack, no role; update: the previous template live); exit 0 only when the change completed
before the interrupt could take effect, said in one line. Never an unexecuted change set,
never a REVIEW_IN_PROGRESS stack, never a traceback or an HTML fragment. The emulator runs
ExecuteChangeSet to the end inside the call, so from that request on the change has always
completed: the split between 130 and 0 is asserted exactly there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import A_ID, EMU_CONFIG
from tests.interrupt_proxy import InterruptingProxy
from xacct_infra.cli import cli


class Account:
    """Clients that look at emulated Account A directly (not through the proxy), made once."""

    def __init__(self, emulator: Any) -> None:
        creds = emulator.mint(A_ID)
        self.cfn = emulator.client("cloudformation", credentials=creds)
        self.iam = emulator.client("iam", credentials=creds)


@pytest.fixture
def account(emulator) -> Account:
    return Account(emulator)


@pytest.fixture
def proxy(emulator, monkeypatch) -> Iterator[InterruptingProxy]:
    p = InterruptingProxy(emulator.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
    yield p
    p.stop()


def config_text(n: int, tables: str = '"keystore"') -> str:
    """Its own stack and role names per run, so runs never see each other's leftovers."""
    return (EMU_CONFIG.replace('profile = "owner"\n', f'profile = "owner"\nstack_name = "irq-{n}"\nrole_name = "irq-role-{n}"\n', 1)
            .replace('name = "keystore"', f"name = {tables}"))


def deploy(path: Any) -> Result:
    return CliRunner().invoke(cli, ["deploy", "--account-a", "--yes", "--config", str(path)], catch_exceptions=False)


def leftovers(account: Account, stack: str) -> list[str]:
    """Unexecuted change sets and REVIEW_IN_PROGRESS stacks of that name (the emulator lists every stack's change sets)."""
    cfn = account.cfn
    change_sets = [f"change set {s['ChangeSetName']} {s['ExecutionStatus']}" for s in cfn.list_change_sets(StackName=stack)["Summaries"]
                   if s["StackName"] == stack and s["ExecutionStatus"] != "EXECUTE_COMPLETE"]
    review = [f"stack {s['StackId']} REVIEW_IN_PROGRESS" for s in cfn.list_stacks()["StackSummaries"]
              if s["StackName"] == stack and s["StackStatus"] == "REVIEW_IN_PROGRESS"]
    return change_sets + review


def live_stack(account: Account, stack: str) -> dict[str, Any] | None:
    live = [s for s in account.cfn.list_stacks()["StackSummaries"] if s["StackName"] == stack and s["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def role_exists(account: Account, name: str) -> bool:
    return any(r["RoleName"] == name for r in account.iam.list_roles()["Roles"])


def deployed_template(account: Account, stack: str) -> str:
    return str(account.cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"])


def clean_output(result: Result) -> list[str]:
    problems = []
    if "Traceback" in result.stderr or "<html" in result.stderr.lower() or "<!doctype" in result.stderr.lower():
        problems.append("a traceback or an HTML fragment on stderr")
    if result.stderr.count("xacct-infra: error:") > 1:
        problems.append("more than one error line")
    return problems


def count(proxy: InterruptingProxy, path: Any) -> list[str]:
    proxy.arm(None)
    result = deploy(path)
    assert result.exit_code == 0, result.stderr
    return list(proxy.actions)


@pytest.mark.slow  # one deploy per request of a create
def test_sigint_at_every_request_of_a_create_leaves_no_stack_no_role_or_says_it_completed(account, proxy, write_config) -> None:
    actions = count(proxy, write_config(config_text(0), "count.toml"))
    assert "CreateChangeSet" in actions and "ExecuteChangeSet" in actions
    executed_from = actions.index("ExecuteChangeSet") + 1
    failures = []
    for k in range(1, len(actions) + 1):
        path = write_config(config_text(k), f"create-{k}.toml")
        proxy.arm(k)
        result = deploy(path)
        stack, role = f"irq-{k}", f"irq-role-{k}"
        where = f"k={k} ({proxy.interrupted})"
        problems = clean_output(result) + leftovers(account, stack)
        if proxy.interrupted != actions[k - 1]:
            problems.append(f"interrupted {proxy.interrupted}, expected {actions[k - 1]}")
        if k < executed_from:
            if result.exit_code != 130:
                problems.append(f"exit {result.exit_code}, expected 130")
            if live_stack(account, stack) is not None or role_exists(account, role):
                problems.append("exit 130 but a stack or the role exists")
        else:
            if result.exit_code != 0 or "interrupt came too late" not in result.stderr:
                problems.append(f"exit {result.exit_code} without saying the create completed first")
            if (live_stack(account, stack) or {}).get("StackStatus") != "CREATE_COMPLETE" or not role_exists(account, role):
                problems.append("said complete but the stack or role is missing")
        failures += [f"{where}: {p}\n{result.stderr}" for p in problems]
    assert not failures, "\n".join(failures)
    assert len(actions) >= 9  # every request of the create was interrupted once (reported in the closing note)


NEW_TABLES = '"keystore"\naccess = "read"\n[[account_a.tables]]\nname = "audit"'


@pytest.mark.slow  # one deploy per request of an update
def test_sigint_at_every_request_of_an_update_keeps_the_old_template_or_says_it_completed(account, proxy, write_config) -> None:
    def deployed_old(k: int) -> Any:
        proxy.arm(None)
        assert deploy(write_config(config_text(k), f"old-{k}.toml")).exit_code == 0
        return write_config(config_text(k, NEW_TABLES), f"new-{k}.toml")

    actions = count(proxy, deployed_old(0))
    assert "CreateChangeSet" in actions and "ExecuteChangeSet" in actions
    executed_from = actions.index("ExecuteChangeSet") + 1
    failures = []
    for k in range(1, len(actions) + 1):
        new = deployed_old(k)
        before = deployed_template(account, f"irq-{k}")
        proxy.arm(k)
        result = deploy(new)
        after = deployed_template(account, f"irq-{k}")
        status = (live_stack(account, f"irq-{k}") or {}).get("StackStatus")
        problems = clean_output(result) + leftovers(account, f"irq-{k}")
        if proxy.interrupted != actions[k - 1]:
            problems.append(f"interrupted {proxy.interrupted}, expected {actions[k - 1]}")
        if k < executed_from:
            if result.exit_code != 130 or after != before or status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
                problems.append(f"exit {result.exit_code}, status {status}, template {'unchanged' if after == before else 'CHANGED'}")
        elif result.exit_code != 0 or "interrupt came too late" not in result.stderr or "table/audit" not in after:
            problems.append(f"exit {result.exit_code} without the update live and said so")
        failures += [f"k={k} ({proxy.interrupted}): {p}\n{result.stderr}" for p in problems]
    assert not failures, "\n".join(failures)
    assert len(actions) >= 10  # every request of the update was interrupted once (reported in the closing note)
