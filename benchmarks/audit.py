"""`make bench`: what `audit` costs on the example config, on the local emulator."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_audit(repeats: int = 3) -> None:
    from xacct_infra.cli.local import _prepare

    emulator, _, demo_cfg = _prepare(str(ROOT / "xacct.toml"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator.env())  # type: ignore[attr-defined]
    xacct = [sys.executable, "-m", "xacct_infra"]
    try:
        subprocess.run([*xacct, "deploy", "--all", "--yes", "--config", str(demo_cfg)], env=env, check=True, capture_output=True)
        runs, reports = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run([*xacct, "audit", "--config", str(demo_cfg), "--output", "json"], env=env, capture_output=True, text=True)
            runs.append(time.perf_counter() - start)
            reports.append(json.loads(done.stdout))
    finally:
        emulator.stop()  # type: ignore[attr-defined]
    last = reports[-1]
    print(f"\n## `xacct-infra audit` on the example config (local emulator, fresh process, median of {repeats})")
    print(f"{last['calls']} API calls (read-only, including one GetCallerIdentity per account); "
          f"{last['requests']:,} requests evaluated; in process {statistics.median(r['seconds'] for r in reports):.2f} s; "
          f"whole process {statistics.median(runs):.2f} s; findings: {len(last['findings'])}")
