"""`local serve` on a real process: no /tmp/xacct-local-* left behind, private while it exists;
SIGTERM stops it even when SIGINT is ignored (a job started with `&`); Ctrl-C says it stopped."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


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
