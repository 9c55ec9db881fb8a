"""Adaptive polling with an injectable clock.

Check at once; then after about 0.5 s, doubling up to 5 s, each delay jittered by ±20 %.
A resource that is already done never costs a sleep. Throttling is not handled here but
by botocore's retry mode on the client (see aws.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Protocol

FIRST_DELAY = 0.5
MAX_DELAY = 5.0
JITTER = 0.2


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def delays(rng: random.Random | None = None, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> Iterator[float]:
    """0, then ~0.5, ~1, ~2, ~4, ~5, ~5, ... seconds."""
    rng = rng or random.Random()
    yield 0.0
    delay = first
    while True:
        yield delay * rng.uniform(1 - JITTER, 1 + JITTER)
        delay = min(delay * 2, cap)


class Deadline:
    """An optional time bound on a wait, measured on the injected clock."""

    def __init__(self, clock: Clock, timeout: float | None) -> None:
        self.clock = clock
        self.end = None if timeout is None else clock.now() + timeout

    def expired(self) -> bool:
        return self.end is not None and self.clock.now() >= self.end

    def clamp(self, delay: float) -> float:
        if self.end is None:
            return delay
        return max(0.0, min(delay, self.end - self.clock.now()))
