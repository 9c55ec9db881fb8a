"""One exception root, caught once at the CLI boundary and mapped to an exit code."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Documented exit codes (README, "Exit codes")."""

    OK = 0
    FAILED = 1  # a deploy, check or verification failed; templates differ (--check)
    USAGE = 2  # bad flags, bad config, no/wrong credentials, wrong account
    CANNOT_EXECUTE = 126  # `exec`: the command exists but cannot be run (shell convention)
    COMMAND_NOT_FOUND = 127  # `exec`: no such command (shell convention)
    INTERRUPTED = 130


class XacctError(Exception):
    """An error the user can act on; its message is one line that says what to do."""

    exit_code: ExitCode = ExitCode.FAILED


class UsageError(XacctError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A problem in the config file: `file: key.path: problem; allowed: ...`."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class TemplateLimitError(UsageError):
    """A generated template or policy would exceed an AWS limit."""
