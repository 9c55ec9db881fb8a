"""Terminal reporters for the deployer: a live view on a TTY, plain lines otherwise.

Everything goes to stderr; stdout carries only results (outputs, JSON). The plain lines keep
every character (logs, pipes); the live view fits the terminal.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol, TextIO

import click

from xacct_infra.cli import term
from xacct_infra.deploy.plan import ResourceChange

_COLOURS = {"COMPLETE": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "ROLLBACK": "red"}
ELAPSED_AFTER = 5.0  # seconds an operation runs before the live view shows how long it has taken


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
    """One plain line per event (CI logs, pipes): full text, never cut."""

    def __init__(self, stream: TextIO | None = None, *, colour: bool = False, prefix: str = "") -> None:
        self.stream = stream or sys.stderr
        self.colour = colour
        self.prefix = prefix  # "[consumer] " when several deploys share the terminal

    def _echo(self, text: str, fg: str | None = None, bold: bool = False) -> None:
        if self.colour and (fg or bold):
            text = click.style(text, fg=fg, bold=bold)
        click.echo(self.prefix + text, file=self.stream, color=self.colour)

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

    def tick(self) -> None:
        """Called while the deployer waits; plain lines have nothing to refresh."""

    def close(self) -> None:
        """The operation's output is over (results may follow on stdout)."""

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
    """On a terminal: a table of resources redrawn in place as events arrive.

    The redraw moves the cursor up one line per row it drew, so a row must never wrap: each is
    cut to the terminal's width (with an ellipsis; the full reason is in the plain log and in
    ``--output json``). The width is read at every redraw; after a resize (SIGWINCH, noticed
    at the next tick) the old rows are counted as the terminal rewrapped them, so the redraw
    erases all of them. Once an operation has run ELAPSED_AFTER seconds, a last line says for
    how long; :meth:`tick`, called while the deployer waits, keeps it current.
    """

    def __init__(self, stream: TextIO | None = None, *, colour: bool = True, now: Callable[[], float] = time.monotonic,
                 width: Callable[[], int] | None = None, height: Callable[[], int] | None = None) -> None:
        super().__init__(stream, colour=colour)
        self.rows: dict[str, tuple[str, str, str]] = {}
        self.now = now
        self.width = width or (lambda: term.terminal_width(self.stream))
        self.height = height or (lambda: term.terminal_height(self.stream))
        self.drawn: list[str] = []  # plain text of the rows on screen, to erase them
        self.drawn_width = 0
        self.started: float | None = None
        self.shown_elapsed = ""
        self.resized = False

    def event(self, event: dict[str, Any]) -> None:
        if self.started is None:
            self.started = self.now()
        logical = str(event.get("LogicalResourceId", ""))
        self.rows[logical] = (str(event.get("ResourceType", "")), str(event.get("ResourceStatus", "")),
                              str(event.get("ResourceStatusReason") or ""))
        self._redraw()

    def tick(self) -> None:
        if self.rows and (self.resized or self._elapsed() != self.shown_elapsed):
            self._redraw()

    def on_resize(self, *_: Any) -> None:  # a signal handler: only note it; the next tick redraws
        self.resized = True

    def _elapsed(self) -> str:
        if self.started is None or self.now() - self.started < ELAPSED_AFTER:
            return ""
        return f"  {term.elapsed(self.now() - self.started)} elapsed"

    def lines(self, width: int) -> list[tuple[str, str | None]]:
        """The rows to draw at ``width``, each at most ``width - 1`` characters (the last column
        is left free: some terminals wrap as soon as it is written)."""
        usable = max(10, width - 1)
        rows = list(self.rows.items())
        room = max(1, self.height() - 2)
        footer = self._elapsed()
        if len(rows) + bool(footer) > room:  # never taller than the screen: it could not be erased
            hidden = len(rows) - room + 1 + bool(footer)
            rows = rows[hidden:]
            out: list[tuple[str, str | None]] = [(term.fit(f"  ({hidden} earlier rows not shown)", usable), None)]
        else:
            out = []
        logical_w = max((len(k) for k, _ in rows), default=0)
        type_w = max((len(t) for _, (t, _, _) in rows), default=0)
        status_w = max((len(st) for _, (_, st, _) in rows), default=0)
        if 2 + logical_w + 2 + type_w + 2 + status_w > usable:  # the type is the column to give up first
            type_w = 0
        logical_w = min(logical_w, max(6, usable - 5 - status_w - (2 if type_w else 0) - type_w))  # then the id is cut
        for logical, (rtype, status, reason) in rows:
            text = f"  {term.fit(logical, logical_w):<{logical_w}}  " + (f"{rtype:<{type_w}}  " if type_w else "") + status
            out.append((term.fit(text + (f": {reason}" if reason else ""), usable), _colour(status)))
        if footer:
            out.append((term.fit(footer, usable), None))
        self.shown_elapsed = footer
        return out

    def _redraw(self) -> None:
        width = self.width()
        if self.drawn:
            up = sum(term.rows_taken(len(t), width) for t in self.drawn) if width < self.drawn_width else len(self.drawn)
            self.stream.write(f"\x1b[{up}F\x1b[J")  # up to the first row drawn, clear to the end of the screen
        self.resized = False
        drawn = self.lines(width)
        for text, fg in drawn:
            click.echo(click.style(text, fg=fg) if self.colour and fg else text, file=self.stream, color=self.colour)
        self.drawn, self.drawn_width = [t for t, _ in drawn], width
        self.stream.flush()

    def close(self) -> None:
        """Keep the table where it is; what comes next starts below it."""
        if self.rows and self.shown_elapsed != self._elapsed():
            self._redraw()
        self.drawn, self.rows, self.started, self.shown_elapsed = [], {}, None, ""

    def info(self, message: str) -> None:
        self.close()
        super().info(message)

    def warning(self, message: str) -> None:
        self.close()
        super().warning(message)


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class TickingClock:
    """The deployer's clock, sleeping in short slices and ticking the reporter in between, so
    the live view shows elapsed time and follows a resize while the deployer waits."""

    def __init__(self, clock: Clock, tick: Callable[[], None], step: float = 0.25) -> None:
        self.clock, self.tick, self.step = clock, tick, step

    def now(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        end = self.clock.now() + seconds
        while (left := end - self.clock.now()) > 0:
            self.clock.sleep(min(self.step, left))
            self.tick()


def clock_for(reporter: object, clock: Clock) -> Clock:
    """The clock a deployer reporting to ``reporter`` should use: a live view ticks while it waits
    and reads elapsed time from the same clock."""
    if not isinstance(reporter, LiveReporter):
        return clock
    reporter.now = clock.now
    return TickingClock(clock, reporter.tick)


def reporter_for(stream: TextIO | None = None) -> LineReporter:
    """A live view on a terminal, plain lines otherwise; colour as --color/NO_COLOR say."""
    from xacct_infra.cli.options import colour_enabled

    stream = stream or sys.stderr
    colour = colour_enabled(stream)
    if not term.isatty(stream):
        return LineReporter(stream, colour=colour)
    reporter = LiveReporter(stream, colour=colour)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGWINCH"):
        signal.signal(signal.SIGWINCH, reporter.on_resize)
    return reporter


@contextlib.contextmanager
def notices_after(notices: Callable[[], list[tuple[str, str]]]) -> Iterator[None]:
    """However the block ends: the (level, message) notices it gathered, one line each on stderr
    (what the endpoints lack, said once for all stacks)."""
    from xacct_infra.cli.options import colour_enabled

    try:
        yield
    finally:
        colour = colour_enabled(sys.stderr)
        for level, message in notices():
            text = f"warning: {message}" if level == "warning" else message
            click.echo(click.style(text, fg="yellow") if colour and level == "warning" else text, err=True, color=colour)
