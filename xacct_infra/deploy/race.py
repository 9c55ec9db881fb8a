"""Two deploys of one stack at once.

The second sees the first: a stack operation in progress, an older xacct-infra change set
still to be executed on the stack, the stack changed since this deploy looked, or a refused
CreateChangeSet/ExecuteChangeSet. The younger deploy gives way: its own change set is
removed, it waits for the other and then reports "no changes" when the other deployed the
same template, or exits with one line naming the other deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xacct_infra.deploy import status as st
from xacct_infra.deploy.calls import Calls
from xacct_infra.deploy.changesets import ChangeSets, Pending, describe_other, older
from xacct_infra.deploy.errors import DeployFailed, DeployTimeout, Interrupted, OtherDeploy
from xacct_infra.deploy.poll import Deadline, delays
from xacct_infra.deploy.spec import DeployResult, StackSpec, outputs

OTHER_WAIT = 60.0  # seconds to wait for another deploy's change set to be executed before naming it


class Races:
    def __init__(self, calls: Calls, changesets: ChangeSets, matches: Callable[[StackSpec, dict[str, Any]], bool]) -> None:
        self.c = calls
        self.changesets = changesets
        self.matches = matches

    def raced(self, spec: StackSpec, before: dict[str, Any] | None, pending: Pending, cs: dict[str, Any]) -> OtherDeploy | None:
        """Has another deploy changed the stack since ours began, or is an older one waiting to execute?"""
        current = self.c.describe(spec.stack_name)
        if pending.creating:
            moved = current is None or current["StackId"] != cs["StackId"] or current["StackStatus"] != st.REVIEW_IN_PROGRESS
        else:
            moved = current is None or before is None or any(
                current.get(k) != before.get(k) for k in ("StackId", "StackStatus", "LastUpdatedTime"))
        mine = {"ChangeSetName": pending.name, "CreationTime": cs.get("CreationTime")}
        ahead = [o for o in self.changesets.others(pending, cs.get("CreationTime")) if older(o, mine)]
        if ahead:
            return OtherDeploy(describe_other(ahead[0]), ahead[0])
        if moved:
            return OtherDeploy(f"the stack is now {current['StackStatus'] if current else 'gone'}")
        return None

    def check(self, spec: StackSpec, before: dict[str, Any] | None, pending: Pending, cs: dict[str, Any]) -> None:
        raced = self.raced(spec, before, pending, cs)
        if raced is not None:
            raise raced

    def after(self, spec: StackSpec, other: OtherDeploy, deadline: Deadline) -> DeployResult:
        """This deploy gave way (its change set is gone): wait for the other, then compare."""
        name = spec.stack_name
        self.c.reporter.info(f"{name}: another deploy is at work ({other.who}); this one removed its change set and waits for it")
        start = self.c.clock.now()
        for delay in delays(self.c.rng):
            self.c.sleep(delay, deadline)
            if self.c.interrupted():
                raise Interrupted(f"{name}: interrupted while waiting for another deploy ({other.who}); this deploy changed nothing")
            stack = self.c.describe(name)
            busy = stack is not None and st.is_in_progress(stack["StackStatus"])
            theirs = self._theirs(other, name)
            waiting = theirs is not None and (theirs.get("ExecutionStatus") == st.CS_AVAILABLE or theirs.get("Status") in st.CS_BEING_MADE)
            if not busy and not waiting:
                break
            if deadline.expired():
                raise DeployTimeout(f"{name}: another deploy ({other.who}) was still at work after --timeout; this deploy changed nothing")
            if waiting and not busy and self.c.clock.now() - start > OTHER_WAIT:
                raise DeployFailed(f"{name}: another deploy's {other.who} has been waiting to be executed for over {OTHER_WAIT:.0f} s "
                                   "(a deploy at its confirmation prompt?); this deploy changed nothing: run it again when that one has ended")
        if stack is not None and self.matches(spec, stack):
            note = f"{name}: no changes: another deploy ({other.who}) deployed this template"
            self.c.reporter.info(note)
            return DeployResult(name, "no-changes", outputs(stack), stack["StackStatus"], note=note)
        now = stack["StackStatus"] if stack else "no stack"
        raise DeployFailed(f"{name}: another deploy ({other.who}) was at work on this stack and left it {now}, not at this config's "
                           f"template; this deploy changed nothing: run it again to apply this config")

    def _theirs(self, other: OtherDeploy, stack_name: str) -> dict[str, Any] | None:
        if not other.change_set:
            return None
        return self.changesets.find(str(other.change_set.get("ChangeSetId") or other.change_set["ChangeSetName"]),
                                    str(other.change_set.get("StackId") or stack_name))
