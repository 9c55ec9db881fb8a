"""A real pseudo-terminal for tests: a private tmux server runs a command in a pane of a given
size, and the test reads the screen as a terminal shows it (not the bytes written).

tmux renders what the program wrote, wraps long lines, and can be resized while the program
runs, so "no row wider than the terminal" and "no stale fragment after a redraw" are checked on
the screen a user would see. Each Tmux has its own socket: nothing touches the user's tmux.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pytest

TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


@contextmanager
def fifo_writer(path: Path, timeout: float = 30) -> Iterator[TextIO]:
    """Open FIFO ``path`` for writing: this blocks until the program opens it to read, which is
    how a test knows the program has reached that point. If it never does (it failed), the open
    is released after ``timeout`` seconds and the test fails instead of hanging."""
    opened: list[TextIO] = []
    opener = threading.Thread(target=lambda: opened.append(open(path, "w")), daemon=True)  # noqa: SIM115
    opener.start()
    opener.join(timeout)
    if not opened:
        with open(path) as _:  # our own reader releases the blocked open
            opener.join(5)
        for handle in opened:
            handle.close()
        raise AssertionError(f"the program never opened {path} within {timeout} s")
    try:
        yield opened[0]
    finally:
        opened[0].close()


class Tmux:
    def __init__(self, workdir: Path, width: int = 80, height: int = 24) -> None:
        self.workdir = workdir
        self.socket = Path(tempfile.mkdtemp(prefix="xt-")) / "s"  # short: a socket path has at most 107 bytes
        self.width, self.height = width, height
        (workdir / "tmux.conf").write_text("set -g remain-on-exit on\nset -g history-limit 5000\nset -g status off\n")

    def tmux(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run([str(TMUX), "-S", str(self.socket), "-f", str(self.workdir / "tmux.conf"), *args],
                              capture_output=True, text=True, check=False, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {proc.stderr}")
        return proc.stdout

    def start(self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        """Run ``argv`` in a new pane; when it ends, its exit code goes to a file and `done` is signalled."""
        script = self.workdir / "run.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in (env or {}).items())
        script.write_text(f"{exports}cd {shlex.quote(str(cwd or os.getcwd()))}\n{shlex.join(argv)}\n"
                          f"echo $? > {shlex.quote(str(self.workdir / 'rc'))}\ntmux wait-for -S done\n")
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height), f"sh {shlex.quote(str(script))}")

    def wait(self) -> int:
        """Block until the command has ended (tmux wait-for, no polling); its exit code."""
        self.tmux("wait-for", "done")
        return int((self.workdir / "rc").read_text())

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def resize(self, width: int, height: int | None = None) -> None:
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height or self.height))
        self.width = width

    def screen(self, *, joined: bool = False, escapes: bool = False) -> list[str]:
        """Every row of the pane and its scrollback, trailing blanks dropped. ``joined``: rows
        that tmux wrapped are joined back into one line (so a difference means a wrap).
        ``escapes``: with the colour and attribute sequences the program's text is shown with."""
        flags = (["-J"] if joined else []) + (["-e"] if escapes else [])
        text = self.tmux("capture-pane", "-p", "-t", "t", "-S", "-", *flags)
        rows = [row.rstrip() for row in text.splitlines() if not row.startswith("Pane is dead")]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        shutil.rmtree(self.socket.parent, ignore_errors=True)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
