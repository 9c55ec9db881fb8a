"""What every part of one deploy shares: the client, time, output, ids and interrupts."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from xacct_infra import aws
from xacct_infra.deploy.errors import Stop
from xacct_infra.deploy.interrupts import Interrupts
from xacct_infra.deploy.poll import Clock, Deadline
from xacct_infra.deploy.report import Reporter


@dataclass
class Calls:
    cfn: Any
    clock: Clock
    reporter: Reporter
    rng: random.Random
    new_id: Callable[[], str]
    interrupts: Interrupts
    optional_cfn: Callable[[], Any] | None = None  # few retries: for calls some endpoints do not implement
    baseline: int = field(default=0)  # interrupts.count when this deploy started
    _optional: Any = field(default=None, repr=False)

    def start(self) -> None:
        self.baseline = self.interrupts.count

    def interrupted(self) -> int:
        """How many Ctrl-Cs this deploy has received."""
        return self.interrupts.count - self.baseline

    def check(self) -> None:
        """Between two calls: stop here if an interrupt came (the caller undoes what was done)."""
        if self.interrupted():
            raise Stop

    def sleep(self, seconds: float, deadline: Deadline) -> None:
        """Sleep (a real clock wakes early on a new interrupt); a scripted clock may report Ctrl-C by raising KeyboardInterrupt."""
        if not seconds:
            return
        try:
            self.clock.sleep(deadline.clamp(seconds))
        except KeyboardInterrupt:
            self.interrupts.interrupt()

    def pause(self, seconds: float) -> None:
        """A sleep during cleanup, which goes on whatever interrupts come."""
        try:
            self.clock.sleep(seconds)
        except KeyboardInterrupt:
            self.interrupts.interrupt()

    def optional(self) -> Any:
        """The client for calls an endpoint may not implement (built once, when first needed)."""
        if self.optional_cfn is None:
            return self.cfn
        if self._optional is None:
            self._optional = self.optional_cfn()
        return self._optional

    def describe(self, stack: str) -> dict[str, Any] | None:
        """A stack by name or id; None when it does not exist."""
        try:
            stacks = self.cfn.describe_stacks(StackName=stack)["Stacks"]
        except Exception as exc:
            if aws.error_code(exc) == "ValidationError" and "does not exist" in aws.error_message(exc):
                return None
            raise
        return dict(stacks[0]) if stacks else None

    def pages(self, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated call, through botocore's paginator."""
        for page in self.cfn.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, []) or []

    def token(self, kind: str) -> str:
        return f"xacct-{kind}-{self.new_id()}"
