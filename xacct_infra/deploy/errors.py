"""What can end a deploy, each with its exit code and a message that says the next step."""

from __future__ import annotations

from xacct_infra.errors import ExitCode, XacctError


class DeployFailed(XacctError):
    exit_code = ExitCode.FAILED


class DeployTimeout(DeployFailed):
    pass


class StackUnusable(DeployFailed):
    pass


class Declined(XacctError):
    exit_code = ExitCode.FAILED


class Interrupted(XacctError):
    """Ctrl-C: the stack is as it was before (or, after a second Ctrl-C, detached: the message says so)."""

    exit_code = ExitCode.INTERRUPTED


class OtherDeploy(Exception):
    """Another deploy of the same stack is running (internal: the deployer waits for it or explains)."""

    def __init__(self, who: str, change_set: dict[str, str] | None = None) -> None:
        super().__init__(who)
        self.who = who  # "change set xacct-infra-1a2b (created 12:00:03)" or "the stack is UPDATE_IN_PROGRESS"
        self.change_set = change_set  # the other deploy's change set summary, when known


class Stop(Exception):
    """An interrupt was noticed between two calls (internal: the deployer undoes, then raises Interrupted)."""
