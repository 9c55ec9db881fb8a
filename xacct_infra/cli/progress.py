"""Terminal reporters for the deployer: a live view on a TTY, plain lines otherwise.

Everything goes to stderr; stdout carries only results (outputs, JSON).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, TextIO

import click

from xacct_infra.deploy.plan import ResourceChange

_COLOURS = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "ROLLBACK": "red"}


def _colour(status: str) -> str | None:
    if "ROLLBACK" in status or status.endswith("FAILED"):
        return "red"
    for suffix, colour in _COLOURS.items():
        if status.endswith(suffix):
            return colour
    return None


def _time(value: Any) -> str:
    return value.strftime("%H:%M:%S") if isinstance(value, datetime) else ""


class LineReporter:
    """One plain line per event (CI logs, pipes)."""

    def __init__(self, stream: TextIO | None = None, *, colour: bool = False, prefix: str = "") -> None:
        self.stream = stream or sys.stderr
        self.colour = colour
        self.prefix = prefix  # "[consumer] " when several deploys share the terminal

    def _echo(self, text: str, fg: str | None = None, bold: bool = False) -> None:
        if self.colour and (fg or bold):
            text = click.style(text, fg=fg, bold=bold)
        click.echo(self.prefix + text, file=self.stream)

    def event(self, event: dict[str, Any]) -> None:
        status = str(event.get("ResourceStatus", ""))
        reason = event.get("ResourceStatusReason")
        line = (f"{_time(event.get('Timestamp'))} {event.get('StackName', '')} {event.get('LogicalResourceId', '')} "
                f"{event.get('ResourceType', '')} {status}").strip()
        if reason:
            line += f": {reason}"
        self._echo(line, _colour(status))

    def info(self, message: str) -> None:
        self._echo(message)

    def warning(self, message: str) -> None:
        self._echo(f"warning: {message}", "yellow")

    def plan(self, stack: str, changes: list[ResourceChange], added: list[str], removed: list[str]) -> None:
        self._echo(f"Plan for {stack}:", bold=True)
        if not changes:
            self._echo("  (no resource changes)")
        for c in changes:
            mark = {"Add": "+", "Remove": "-", "Modify": "~"}.get(c.action, "?")
            replace = "  REPLACEMENT" + ("" if c.replacement == "True" else f" ({c.replacement})") if c.replaces else ""
            self._echo(f"  {mark} {c.action:<6} {c.logical_id} ({c.resource_type}){replace}",
                       "red" if c.replaces or c.action == "Remove" else None, bold=c.replaces)
        if added or removed:
            self._echo("IAM statements:", bold=True)
            for fact in added:
                self._echo(f"  + {fact}", "green")
            for fact in removed:
                self._echo(f"  - {fact}", "red")


class LiveReporter(LineReporter):
    """On a terminal: a live table of resources that is redrawn in place as events arrive."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream, colour=True)
        self.rows: dict[str, tuple[str, str, str]] = {}
        self.drawn = 0

    def event(self, event: dict[str, Any]) -> None:
        logical = str(event.get("LogicalResourceId", ""))
        self.rows[logical] = (str(event.get("ResourceType", "")), str(event.get("ResourceStatus", "")),
                              str(event.get("ResourceStatusReason") or ""))
        self._redraw()

    def _redraw(self) -> None:
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")  # up N lines, clear to end of screen
        width = max(len(k) for k in self.rows)
        for logical, (rtype, status, reason) in self.rows.items():
            text = f"  {logical:<{width}}  {rtype:<32} {status}" + (f": {reason}" if reason else "")
            click.echo(click.style(text, fg=_colour(status)), file=self.stream)
        self.drawn = len(self.rows)
        self.stream.flush()

    def info(self, message: str) -> None:
        self.drawn = 0  # keep the table above; start a new one for the next operation
        self.rows = {}
        super().info(message)

    def warning(self, message: str) -> None:
        self.drawn = 0
        self.rows = {}
        super().warning(message)


def reporter_for(stream: TextIO | None = None) -> LineReporter:
    stream = stream or sys.stderr
    return LiveReporter(stream) if stream.isatty() else LineReporter(stream)
