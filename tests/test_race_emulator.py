"""Two `deploy --account-a` of one stack at once: two real processes, each through its own proxy
in front of the emulator, ordered by holding requests (no sleeps): A makes its change set first;
B makes its own and looks before executing while A's is still waiting; only then does A execute.
B must see A, remove its own change set, wait, and report "no changes"."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from tests.conftest import A_ID, EMU_CONFIG, ROOT
from tests.interrupt_proxy import InterruptingProxy

pytestmark = pytest.mark.slow  # two deploy processes racing on the emulator

NEW_TABLES = EMU_CONFIG.replace('access = "read-write"', 'access = "read"')


def start(path: object, proxy: InterruptingProxy) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "xacct_infra", "deploy", "--account-a", "--yes", "--config", str(path),
                             "--endpoint-url", proxy.url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.parametrize("operation", ["create", "update"])
def test_the_second_of_two_racing_deploys_waits_for_the_first_and_reports_no_changes(emulator, write_config, operation) -> None:
    path = write_config(EMU_CONFIG if operation == "create" else NEW_TABLES)
    if operation == "update":
        first = subprocess.run([sys.executable, "-m", "xacct_infra", "deploy", "--account-a", "--yes", "--config",
                                str(write_config(EMU_CONFIG, "old.toml"))], cwd=ROOT, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr
    pa, pb = InterruptingProxy(emulator.url), InterruptingProxy(emulator.url)
    try:
        a_made, b_looked = pa.answered.setdefault("CreateChangeSet", threading.Event()), pb.answered.setdefault("ListChangeSets", threading.Event())
        pb.hold["CreateChangeSet"] = a_made  # A's change set is the older one
        pa.hold["ExecuteChangeSet"] = b_looked  # A executes only after B has looked
        a, b = start(path, pa), start(path, pb)
        a_out, a_err = a.communicate(timeout=60)
        b_out, b_err = b.communicate(timeout=60)
    finally:
        pa.stop()
        pb.stop()
    created = "created" if operation == "create" else "updated"
    assert (a.returncode, b.returncode) == (0, 0), a_err + b_err
    assert f"xacct-account-a\t{created}" in a_out
    assert "xacct-account-a\tno-changes" in b_out
    assert "another deploy" in b_err and "change set xacct-infra-" in b_err, b_err
    assert "Traceback" not in a_err + b_err
    assert "ExecuteChangeSet" not in pb.actions  # B never executed anything
    cfn = emulator.client("cloudformation", credentials=emulator.mint(A_ID))
    pending = [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="xacct-account-a")["Summaries"]
               if s["StackName"] == "xacct-account-a" and s["ExecutionStatus"] != "EXECUTE_COMPLETE"]
    stacks = [(s["StackName"], s["StackStatus"]) for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert pending == [] and stacks == [("xacct-account-a", f"{operation.upper()}_COMPLETE")]
