"""Ctrl-C as data: an interrupt never abandons an AWS call in flight.

While :meth:`Interrupts.sigint` is active, SIGINT only counts. The deployer looks at the
count between calls, so it always knows what the call in flight did (the change set it
created, the execution it started) and can then undo it or cancel; only its sleeps end
early. Parallel consumer deploys share one ``Interrupts``, so one Ctrl-C reaches every
running deploy. The first Ctrl-C cancels, the second detaches from a running stack
operation, and a third raises KeyboardInterrupt at once (for an endpoint that hangs).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from xacct_infra.deploy.poll import SystemClock

HARD_STOP = 3  # this many Ctrl-Cs raise KeyboardInterrupt wherever the program is
SLICE = 0.05  # seconds: how soon a real-time sleep notices an interrupt


class Interrupts:
    def __init__(self) -> None:
        self.count = 0  # written only by the main thread (signal handler or relay), read by any

    def interrupt(self) -> None:
        self.count += 1

    @contextlib.contextmanager
    def sigint(self) -> Iterator[Interrupts]:
        """Count SIGINT instead of raising KeyboardInterrupt (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, frame: Any) -> None:
            self.interrupt()
            if self.count >= HARD_STOP:
                raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


class InterruptibleClock(SystemClock):
    """Real time, but a sleep ends as soon as a new interrupt arrives."""

    def __init__(self, interrupts: Interrupts) -> None:
        self.interrupts = interrupts

    def sleep(self, seconds: float) -> None:
        seen = self.interrupts.count
        end = time.monotonic() + seconds
        while self.interrupts.count == seen:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, SLICE))
