"""Ctrl-C for real: SIGINT sent to a running deploy process (scripted slow stack)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT


def start(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.slow_deploy", *extra], cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def read_until(proc: subprocess.Popen[str], needle: str) -> str:
    seen = ""
    assert proc.stderr is not None
    for line in proc.stderr:
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never appeared:\n{seen}")


def test_first_sigint_cancels_the_update_and_streams_the_rollback_exit_130() -> None:
    proc = start()
    read_until(proc, "AccessRole AWS::IAM::Role UPDATE_IN_PROGRESS")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "cancelling the update (CancelUpdateStack)" in err
    assert "UPDATE_ROLLBACK_COMPLETE" in err
    assert "Traceback" not in err


def test_second_sigint_detaches_and_says_how_to_reattach() -> None:
    proc = start("--never-rolls-back")
    read_until(proc, "AccessRole AWS::IAM::Role UPDATE_IN_PROGRESS")
    proc.send_signal(signal.SIGINT)
    read_until(proc, "press Ctrl-C again to detach")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "detached" in err and "xacct-infra status --account-a --wait" in err
    assert "Traceback" not in err


def test_sigint_during_parallel_consumer_deploys_cancels_each_and_starts_no_more() -> None:
    proc = start("--consumers")
    read_until(proc, "InstanceRole AWS::IAM::Role UPDATE_IN_PROGRESS")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    rows = {line.split("\t")[0].strip(): line for line in out.splitlines()}
    assert sorted(rows) == ["one", "three", "two"]
    interrupted = [name for name, line in rows.items() if "\tINTERRUPTED\t" in line]
    assert interrupted, out  # the running ones were cancelled (rollback followed) ...
    assert all("UPDATE_ROLLBACK_COMPLETE" in rows[name] for name in interrupted)
    not_started = [name for name, line in rows.items() if "\tNOT STARTED\t" in line]
    assert len(interrupted) + len(not_started) == 3  # ... and the queued one never started
    assert "cancelling the update (CancelUpdateStack)" in err
    assert "Traceback" not in err
