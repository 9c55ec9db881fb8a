"""How the deployer tells the outside world what is happening (implemented by the CLI)."""

from __future__ import annotations

from typing import Any, Protocol

from xacct_infra.deploy.plan import ResourceChange


class Reporter(Protocol):
    def event(self, event: dict[str, Any]) -> None: ...

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def plan(self, stack: str, changes: list[ResourceChange], added: list[str], removed: list[str]) -> None: ...


class NullReporter:
    def event(self, event: dict[str, Any]) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        pass

    def plan(self, stack: str, changes: list[ResourceChange], added: list[str], removed: list[str]) -> None:
        pass


class RecordingReporter:
    """Keeps everything it is told; used by tests and by callers that render later."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.events: list[dict[str, Any]] = []

    def event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self.lines.append(f"event {event.get('LogicalResourceId')} {event.get('ResourceStatus')} {event.get('ResourceStatusReason', '')}".rstrip())

    def info(self, message: str) -> None:
        self.lines.append(f"info {message}")

    def warning(self, message: str) -> None:
        self.lines.append(f"warning {message}")

    def plan(self, stack: str, changes: list[ResourceChange], added: list[str], removed: list[str]) -> None:
        self.lines.append(f"plan {stack} {[(c.action, c.logical_id, c.replacement) for c in changes]} +{added} -{removed}")
