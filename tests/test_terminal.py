"""The live deploy view on a real pseudo-terminal (tmux): rows fit the width, a redraw leaves
no stale fragment, a resize redraws cleanly, long waits show elapsed time, NO_COLOR holds."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.terminal import Tmux, fifo_writer, needs_tmux
from tests.tty_deploy import LONG, POLICY

pytestmark = [needs_tmux, pytest.mark.slow]
NAMES = ("xacct-account-a", "AccessRole", POLICY)


def start(term: Tmux, *args: str, env: dict[str, str] | None = None) -> None:
    term.start([sys.executable, "-m", "tests.tty_deploy", *args], cwd=ROOT, env={"PYTHONPATH": str(ROOT), **(env or {})})


def table(lines: list[str]) -> list[str]:
    """The live table: from the plan's last line (it ends with the key ARN) to the command's own
    result line. Anything an earlier draw left behind would be in there too."""
    end = next(i for i, line in enumerate(lines) if line.startswith("xacct-account-a created"))
    start_ = max(i for i, line in enumerate(lines[:end]) if line.endswith("1234567890ab"))
    return [re.sub(r"\s+", " ", line.strip()) for line in lines[start_ + 1:end]]


def test_at_80_columns_rows_are_cut_with_an_ellipsis_and_leave_no_fragment(tmp_path: Path) -> None:
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    with Tmux(tmp_path, width=80) as term:
        start(term, "--pause", str(fifo))
        with fifo_writer(fifo) as go:  # opens once the deploy is paused with both resources in progress
            live = term.screen()
            go.write("\n")
        assert term.wait() == 0, term.screen()
        final, joined = term.screen(), term.screen(joined=True)
    rows = [line for line in live if line.startswith(tuple(f"  {name} " for name in NAMES[1:]))]
    assert len(rows) == 2 and all(row.endswith("…") and len(row) < 80 for row in rows), live
    assert LONG not in "\n".join(live)
    final_rows = table(final)
    assert final_rows == [f"{name} CREATE_COMPLETE" for name in NAMES] + [final_rows[-1]], final
    assert re.fullmatch(r"4\ds elapsed", final_rows[-1])  # the stack took 42 s of (fake) time, give or take a poll
    assert table(joined) == table(final)  # no table row was wrapped by the terminal


def test_a_resize_while_waiting_redraws_the_table_at_the_new_width(tmp_path: Path) -> None:
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    with Tmux(tmp_path, width=100) as term:
        start(term, "--pause", str(fifo))
        with fifo_writer(fifo) as go:
            term.resize(50)
            go.write("\n")
        assert term.wait() == 0, term.screen()
        final = term.screen()
    rows = table(final)
    assert rows == [f"{name} CREATE_COMPLETE" for name in NAMES[:2]] + [rows[2], rows[3]], final
    assert re.fullmatch(r"4\ds elapsed", rows[3])
    assert re.fullmatch(r"AccessPolicyWithAVeryLong\w+… CREATE_COMPLETE", rows[2])  # the id is cut, the status stays
    first = final.index(next(r for r in final if r.startswith("  xacct-account-a ")))
    assert all(len(line) < 50 for line in final[first:first + 4])
    assert not any("IN_PROGRESS" in line or "Resource" in line for line in final)  # nothing left of earlier draws


@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)], ids=["auto", "NO_COLOR"])
def test_no_color_holds_on_a_terminal(tmp_path: Path, env: dict[str, str], coloured: bool) -> None:
    with Tmux(tmp_path) as term:
        start(term, env=env)
        assert term.wait() == 0
        screen = "\n".join(term.screen(escapes=True))
    assert bool(re.search(r"\x1b\[(3[0-7]|9[0-7])m", screen)) is coloured  # a foreground colour
    assert "CREATE_COMPLETE" in screen


def test_piped_output_keeps_every_character(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "tests.tty_deploy"], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"AccessRole AWS::IAM::Role CREATE_IN_PROGRESS: {LONG}" in proc.stderr
    assert "\x1b[" not in proc.stderr + proc.stdout and "…" not in proc.stderr




VERIFY_ROWS = """
from xacct_infra.cli.creds import _table
from xacct_infra.verify import Row
detail = "arn:aws:sts::111111111111:assumed-role/xacct-access/ec2-user@host-verify; " * 2 + "the role can do more than the config grants"
print(_table([Row("caller is in Account B", "ok", "arn:aws:sts::222222222222:assumed-role/xacct-instance/i-0123456789abcdef0"),
              Row("denied: dynamodb:DescribeTable on xacct-probe-not-in-config", "FAIL", detail)]), end="")
"""


def test_the_verify_table_fits_80_columns_on_a_terminal_and_keeps_everything_in_a_pipe(tmp_path: Path) -> None:
    import subprocess

    with Tmux(tmp_path, width=80) as term:
        term.start([sys.executable, "-c", VERIFY_ROWS], cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
        assert term.wait() == 0
        screen, joined = term.screen(), term.screen(joined=True)
    assert screen == joined and all(len(line) <= 80 for line in screen)  # nothing wrapped by the terminal
    assert screen[0].split()[:2] == ["ok", "caller"] and screen[-1].endswith("than the config grants")
    piped = subprocess.run([sys.executable, "-c", VERIFY_ROWS], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.splitlines()
    assert len(piped) == 2 and piped[1].endswith("the role can do more than the config grants") and len(piped[1]) > 170
