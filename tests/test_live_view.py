"""The live view's parts, in process with a fake clock: elapsed time, ticking, height, fitting."""

from __future__ import annotations

import io

from tests.fakes import FakeClock
from xacct_infra.cli import term
from xacct_infra.cli.progress import ELAPSED_AFTER, LineReporter, LiveReporter, TickingClock, clock_for


def event(logical: str, status: str, reason: str = "") -> dict[str, str]:
    return {"LogicalResourceId": logical, "ResourceType": "AWS::IAM::Role", "ResourceStatus": status, "ResourceStatusReason": reason}


def live(clock: FakeClock, width: int = 80, height: int = 24) -> tuple[LiveReporter, io.StringIO]:
    out = io.StringIO()
    return LiveReporter(out, colour=False, now=clock.now, width=lambda: width, height=lambda: height), out


def test_a_long_wait_shows_elapsed_time_and_ticks_keep_it_current() -> None:
    clock = FakeClock()
    reporter, out = live(clock)
    ticking = clock_for(reporter, clock)
    assert isinstance(ticking, TickingClock)
    reporter.event(event("AccessRole", "CREATE_IN_PROGRESS"))
    ticking.sleep(ELAPSED_AFTER - 1)
    assert "elapsed" not in out.getvalue()  # a short wait says nothing
    ticking.sleep(2)
    assert out.getvalue().rstrip().endswith("6s elapsed")
    ticking.sleep(60)
    assert out.getvalue().rstrip().endswith("1m06s elapsed")
    assert len(clock.sleeps) > 200  # slept in short slices, ticking in between


def test_plain_lines_do_not_tick() -> None:
    clock = FakeClock()
    assert clock_for(LineReporter(io.StringIO()), clock) is clock


def test_rows_never_exceed_the_width_and_the_status_survives() -> None:
    reporter, _ = live(FakeClock(), width=40)
    reporter.rows = {"AVeryLongLogicalIdThatDoesNotFit": ("AWS::IAM::ManagedPolicy", "UPDATE_ROLLBACK_IN_PROGRESS", "x" * 100)}
    (text, colour), = reporter.lines(40)
    assert len(text) == 39 and text.endswith("…") and "UPDATE_ROLLBACK_IN_PROGRESS" in text and colour == "red"


def test_the_table_is_never_taller_than_the_terminal() -> None:
    reporter, _ = live(FakeClock(), height=8)
    for i in range(20):
        reporter.rows[f"Policy{i}"] = ("AWS::IAM::ManagedPolicy", "CREATE_COMPLETE", "")
    lines = [text for text, _ in reporter.lines(80)]
    assert len(lines) == 6 and lines[0] == "  (15 earlier rows not shown)" and lines[-1].startswith("  Policy19 ")


def test_rows_taken_after_a_reflow() -> None:
    assert [term.rows_taken(n, 50) for n in (0, 49, 50, 51, 79)] == [1, 1, 1, 2, 2]


def test_table_wraps_the_detail_under_the_row_and_keeps_every_character() -> None:
    rows = [("ok", "assume the role", "arn:aws:sts::111111111111:assumed-role/xacct-access/session " * 3),
            ("FAIL", "dynamodb:GetItem keystore", "denied")]
    wide = term.table(rows)
    assert len(wide) == 2 and wide[0].endswith("session")
    narrow = term.table(rows, 80)
    assert all(len(line) <= 80 for line in narrow)
    assert narrow[0].split() == ["ok", "assume", "the", "role"] and narrow[-1].endswith("denied")
    assert "".join(narrow[1:-1]).replace(" ", "") == rows[0][2].replace(" ", "")
