"""`local serve` on a real process: no /tmp/xacct-local-* left behind, private while it exists;
SIGTERM stops it even when SIGINT is ignored (a job started with `&`); Ctrl-C says it stopped."""

from __future__ import annotations

import glob
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.terminal import Tmux, needs_tmux

pytestmark = pytest.mark.slow  # whole demo and serve processes, stopped by real signals


def serve(tmp_path: Path, ignore_sigint: bool) -> tuple[subprocess.Popen[str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TMPDIR=str(tmp_path), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "xacct_infra", "local", "serve", "--config", str(ROOT / "xacct.toml")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "serving" in line:
            break
    else:
        raise AssertionError(proc.communicate(timeout=30))
    (workdir,) = [Path(p) for p in glob.glob(str(tmp_path / "xacct-local-*"))]
    return proc, workdir


@pytest.mark.parametrize(("sig", "ignore_sigint", "code"), [(signal.SIGTERM, True, 143), (signal.SIGINT, False, 130)],
                         ids=["SIGTERM with SIGINT ignored", "Ctrl-C"])
def test_serve_stops_cleanly_and_leaves_nothing(tmp_path: Path, sig: int, ignore_sigint: bool, code: int) -> None:
    proc, workdir = serve(tmp_path, ignore_sigint)
    assert workdir.stat().st_mode & 0o777 == 0o700
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "emulator stopped" in err and "Traceback" not in err
    assert not glob.glob(str(tmp_path / "xacct-local-*"))


# --------------------------------------------------------------------------- local demo: Ctrl-C and SIGTERM

DEMO_CHILD_WORKING = "Plan for xacct-account-a"  # printed by the demo's `deploy` child while it works


def leftovers(tmpdir: Path) -> list[str]:
    """/tmp/xacct-local-* directories, and any process still running with one in its arguments
    (a demo step's child names the config copy inside it)."""
    found = glob.glob(str(tmpdir / "xacct-local-*"))
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as handle:
                argv = handle.read().decode(errors="replace")
        except OSError:
            continue
        if str(tmpdir) in argv and "xacct_infra" in argv:
            found.append(argv.replace("\0", " "))
    return found


def demo_env(tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TMPDIR=str(tmpdir), PYTHONUNBUFFERED="1", AWS_EC2_METADATA_DISABLED="true", HOME=str(tmpdir))
    return env


def said(lines: list[str]) -> list[str]:
    """The lines xacct-infra says something with (errors, interruptions): `xacct-infra: ...`."""
    return [line for line in lines if line.lstrip("^C").startswith("xacct-infra: ")]


@needs_tmux
def test_ctrl_c_in_the_demo_on_a_terminal_says_it_once_and_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C on a terminal reaches the foreground process group; the demo's step is told once
    (by the demo, as if Ctrl-C were pressed in it alone) and undoes its work; one line says so."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    with Tmux(tmp_path, width=200, height=50) as term:
        argv = [sys.executable, "-m", "xacct_infra", "local", "demo", "--color", "never", "--config", str(ROOT / "xacct.toml")]
        script = tmp_path / "demo.sh"  # as Tmux.start writes it, but the shell survives the Ctrl-C to report the exit code
        script.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in demo_env(tmpdir).items()) +
                          f"trap : INT\ncd {shlex.quote(str(ROOT))}\n{shlex.join(argv)}\n"
                          f"echo $? > {shlex.quote(str(tmp_path / 'rc'))}\ntmux wait-for -S done\n")
        term.tmux("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", f"sh {shlex.quote(str(script))}")
        term.tmux("pipe-pane", "-t", "t", "-o", f"cat > {fifo}")
        with open(fifo, "rb") as out:
            seen = b""
            while DEMO_CHILD_WORKING.encode() not in seen:
                chunk = out.read1(4096)
                assert chunk, seen.decode(errors="replace")
                seen += chunk
            term.send("C-c")
            assert term.wait() == 130, term.screen()
        screen, coloured = term.screen(), "\n".join(term.screen(escapes=True))
    assert len(said(screen)) == 1, screen
    assert "interrupt" in said(screen)[0] and "Traceback" not in "\n".join(screen)
    assert "Demo finished" not in "\n".join(screen)
    assert "\x1b[3" not in coloured and "\x1b[1m" not in coloured, coloured  # --color never reached the steps too
    assert leftovers(tmpdir) == []


def test_sigterm_stops_the_demo_and_its_step_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "xacct_infra", "local", "demo", "--config", str(ROOT / "xacct.toml")],
                            env=demo_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if DEMO_CHILD_WORKING in line:
            break
    else:
        raise AssertionError("\n".join(lines))
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    lines += rest.splitlines()
    assert proc.returncode == 143, "\n".join(lines)
    assert len(said(lines)) == 1 and "Traceback" not in rest, "\n".join(lines)
    assert leftovers(tmp_path) == []
