"""`make bench`: figures and ratios against the reference tools, measured in the same run.

1. Deploy (create) and no-op of both stacks on one local emulator: `xacct-infra deploy` vs
   `aws cloudformation deploy` (awscli v1, installed by this script in its own venv because
   it pins its own botocore). Also counts the change sets each leaves behind.
2. Detection latency: how long after a stack reaches a terminal state the tool notices,
   against a scripted CloudFormation on a fake clock: our poller vs botocore's own
   `stack_create_complete` waiter (what awscli uses; 30 s delay), driven by the same script.
3. `templates` wall time as a whole process.

Targets (issue 3): no-op <= 0.5x awscli with zero change sets (issue 13: one process per stack
<= 0.6x); create <= 1.0x awscli; `templates` <= 1.3x a bare troposphere script (bare_troposphere.py);
median detection latency <= 3 s. Printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
AWSCLI_VENV = BENCH_DIR / "awscli-venv"
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
A_ID, B_ID = "111111111111", "222222222222"


def awscli() -> Path | None:
    aws = AWSCLI_VENV / "bin" / "aws"
    if aws.exists():
        return aws
    print("installing awscli v1 into .bench/awscli-venv (reference tool) ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True)
        subprocess.run([str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    except subprocess.CalledProcessError as exc:
        print(f"awscli could not be installed ({exc}); reference figures skipped", file=sys.stderr)
        return None
    return aws


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - start
    return elapsed, proc.returncode


def config_text(suffix: str) -> str:
    return f"""
[account_a]
id = "{A_ID}"
region = "us-east-1"
profile = "owner"
stack_name = "bench-a-{suffix}"
role_name = "bench-access-{suffix}"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[[account_a.keys]]
id = "1234abcd-12ab-34cd-56ef-1234567890ab"
access = "encrypt-decrypt"

[account_b]
id = "{B_ID}"
region = "us-east-1"
profile = "consumer"
stack_name = "bench-b-{suffix}"
role_name = "bench-instance-{suffix}"
"""


def leftover_change_sets(emulator: object, account: str, stack: str) -> int:
    cfn = emulator.client("cloudformation", "us-east-1", emulator.mint(account))  # type: ignore[attr-defined]
    summaries = cfn.list_change_sets(StackName=stack)["Summaries"]  # an error is an error, never "0 left"
    # moto keeps executed change sets listed (AWS deletes them): count only the others
    # and it ignores the StackName filter: filter here
    return sum(1 for s in summaries if s.get("StackName") == stack and s.get("ExecutionStatus") != "EXECUTE_COMPLETE")


def bench_deploy() -> None:
    from xacct_infra import config, render
    from xacct_infra.local import Emulator

    emulator = Emulator().start()
    emulator.add_profile("owner", A_ID, "us-east-1")
    emulator.add_profile("consumer", B_ID, "us-east-1")
    # a fresh render cache: each create renders, the no-op after it finds the templates cached
    env = {**os.environ, **emulator.env(), "XACCT_CACHE_DIR": tempfile.mkdtemp(prefix="xacct-bench-cache-")}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    # warm the emulator's lazy CloudFormation load so neither tool pays it
    emulator.client("cloudformation", "us-east-1", emulator.mint(A_ID)).list_stacks()

    xacct = [sys.executable, "-m", "xacct_infra"]
    aws = awscli()
    work = Path(tempfile.mkdtemp(prefix="xacct-bench-"))
    rows: dict[str, list[float]] = {k: [] for k in ("x_create", "x_noop", "x_create_sides", "x_noop_sides", "a_create", "a_noop")}
    left = {"xacct": 0, "awscli": 0}
    for i in range(REPEATS):
        # `deploy --all`: both stacks, in order, in one process (how the README deploys both)
        cfg_path = work / f"x{i}.toml"
        cfg_path.write_text(config_text(f"x{i}"))
        for key, phase in (("x_create", "create"), ("x_noop", "noop")):
            elapsed, rc = timed([*xacct, "deploy", "--all", "--yes", "--config", str(cfg_path)], env)
            assert rc == 0, f"xacct-infra deploy --all ({phase}) exited {rc}"
            rows[key].append(elapsed)
        left["xacct"] += leftover_change_sets(emulator, A_ID, f"bench-a-x{i}") + leftover_change_sets(emulator, B_ID, f"bench-b-x{i}")
        # one process per stack, like awscli
        cfg_path = work / f"s{i}.toml"
        cfg_path.write_text(config_text(f"s{i}"))
        for key, phase in (("x_create_sides", "create"), ("x_noop_sides", "noop")):
            total = 0.0
            for side in ("--account-a", "--account-b"):
                elapsed, rc = timed([*xacct, "deploy", side, "--yes", "--config", str(cfg_path)], env)
                assert rc == 0, f"xacct-infra deploy {side} ({phase}) exited {rc}"
                total += elapsed
            rows[key].append(total)
        left["xacct"] += leftover_change_sets(emulator, A_ID, f"bench-a-s{i}") + leftover_change_sets(emulator, B_ID, f"bench-b-s{i}")

        if aws is None:
            continue
        cfg = config.loads(config_text(f"a{i}"))
        files = {}
        for item in render.render(cfg):
            files[item.side] = work / f"a{i}-{item.filename}"
            files[item.side].write_text(item.body)
        for key in ("a_create", "a_noop"):
            total = 0.0
            for side, profile, stack in (("a", "owner", f"bench-a-a{i}"), ("b", "consumer", f"bench-b-a{i}")):
                elapsed, rc = timed([str(aws), "cloudformation", "deploy", "--template-file", str(files[side]),  # type: ignore[index]
                                     "--stack-name", stack, "--capabilities", "CAPABILITY_NAMED_IAM", "--profile", profile,
                                     "--region", "us-east-1", "--endpoint-url", emulator.url], env)
                # awscli v1 exits 255 on "No changes to deploy"
                assert rc in (0, 255), f"aws cloudformation deploy exited {rc}"
                total += elapsed
            rows[key].append(total)
        left["awscli"] += leftover_change_sets(emulator, A_ID, f"bench-a-a{i}") + leftover_change_sets(emulator, B_ID, f"bench-b-a{i}")
    emulator.stop()

    med = {k: statistics.median(v) if v else float("nan") for k, v in rows.items()}
    print(f"\n## Deploy on the local emulator (both stacks, median of {REPEATS}; each command is a fresh process)")
    print(f"{'':28}{'xacct-infra':>14}{'awscli v1':>14}{'ratio':>10}{'target':>10}")
    for label, x, a, target in (("create, deploy --all", "x_create", "a_create", "<= 1.0x"),
                                ("create, one process/stack", "x_create_sides", "a_create", "<= 1.0x"),
                                ("no-op, deploy --all", "x_noop", "a_noop", "<= 0.5x"),
                                ("no-op, one process/stack", "x_noop_sides", "a_noop", "<= 0.6x")):
        ratio = med[x] / med[a] if rows[a] else float("nan")
        print(f"{label:28}{med[x]:>13.2f}s{med[a]:>13.2f}s{ratio:>9.2f}x{target:>10}")
    print(f"{'change sets left behind':28}{left['xacct']:>14}{left['awscli'] if aws else 'n/a':>14}")


def bench_detection() -> None:
    """Detection latency on a fake clock: ours vs botocore's stack_create_complete waiter."""
    import random
    from unittest import mock

    import botocore.waiter
    from botocore.loaders import Loader

    sys.path.insert(0, str(ROOT))
    from tests.fakes import FakeClock, FakeCloudFormation, Step
    from xacct_infra import config, render
    from xacct_infra.deploy import Deployer, StackSpec

    cfg = config.load(ROOT / "xacct.toml")
    spec = StackSpec("account_a", A_ID, "bench", render.template_body(cfg, "a"))
    ours, theirs = [], []
    rng = random.Random(42)
    finish_times = [rng.uniform(5, 300) for _ in range(200)]
    waiter_model = botocore.waiter.WaiterModel(Loader().load_service_model("cloudformation", "waiters-2"))
    for finish in finish_times:
        clock = FakeClock()
        cfn = FakeCloudFormation(clock)
        cfn.on_execute = [Step(finish, "CREATE_COMPLETE")]
        Deployer(cfn, clock=clock, rng=rng).deploy(spec)
        ours.append(clock.t - 1000.0 - finish)

        # botocore's waiter, the same script, its own sleeps redirected to a fake clock
        clock2 = FakeClock()
        cfn2 = FakeCloudFormation(clock2)
        cfn2.add_stack("bench", "CREATE_IN_PROGRESS")
        cfn2._start(cfn2.stacks["bench"], [Step(finish, "CREATE_COMPLETE")])
        waiter = botocore.waiter.Waiter("StackCreateComplete", waiter_model.get_waiter("StackCreateComplete"),
                                        cfn2.describe_stacks)
        with mock.patch.object(botocore.waiter.time, "sleep", clock2.sleep):
            waiter.wait(StackName="bench")
        theirs.append(clock2.t - 1000.0 - finish)
    print("\n## Detection latency after the stack reaches a terminal state (200 scripted stacks, 5..300 s, fake clock)")
    print(f"{'':28}{'median':>10}{'p95':>10}{'max':>10}")
    for label, values in (("xacct-infra (0.5 s -> 5 s)", ours), ("botocore waiter (30 s)", theirs)):
        values = sorted(values)
        print(f"{label:28}{statistics.median(values):>9.2f}s{values[int(len(values) * 0.95)]:>9.2f}s{values[-1]:>9.2f}s")
    print(f"{'ratio (median)':28}{statistics.median(ours) / statistics.median(theirs):>9.2f}x   target: median <= 3 s")


def bench_templates() -> None:
    """`templates` as a whole process against a bare troposphere script writing the same two
    templates: with the render cache off (every run renders) and warm (the config rendered before)."""
    runs: dict[str, list[float]] = {"off": [], "warm": [], "bare": []}
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        ours = [sys.executable, "-m", "xacct_infra", "templates", "--config", str(ROOT / "xacct.toml"), "--out", out]
        subprocess.run(ours, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "XACCT_CACHE_DIR": cache})  # prime
        for _ in range(7):
            for key, cmd, env in (("off", ours, {"XACCT_CACHE_DIR": "off"}), ("warm", ours, {"XACCT_CACHE_DIR": cache}),
                                  ("bare", [sys.executable, str(ROOT / "benchmarks" / "bare_troposphere.py"), out], {})):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **env})
                runs[key].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in runs.items()}
    print("\n## `xacct-infra templates` (whole process, both templates, median of 7)")
    print(f"{'bare troposphere script':34}{med['bare']:>9.3f} s")
    print(f"{'templates, render cache off':34}{med['off']:>9.3f} s   ratio {med['off'] / med['bare']:.2f}x   target <= 1.3x")
    print(f"{'templates, render cache warm':34}{med['warm']:>9.3f} s   ratio {med['warm'] / med['bare']:.2f}x   target <= 1.3x")
    print("(reference from RESEARCH.md: CDK synth of the same stacks ~5.6 s warm)")


def scale_config(tables: int, consumers: int) -> str:
    org = consumers > 10  # a list of more than a dozen or so consumers does not fit the trust quota
    text = f"""
[account_a]
id = "{A_ID}"
region = "us-east-1"
profile = "owner"
managed_policies_quota = 20
{'trust = "org"' if org else ''}
{'org_id = "o-a1b2c3d4e5"' if org else ''}
"""
    # read-only tables without index grants: each ARN appears in one statement, so 1,000 fit in
    # IAM's 20 managed policies per role (read-write and write-only tables list each ARN twice
    # and do not: templates says so, with the numbers).
    text += "".join(f'[[account_a.tables]]\nname = "keystore-shard-{i:04d}"\naccess = "read"\nindexes = false\n'
                    for i in range(tables))
    text += "".join(f'[[account_b]]\nname = "team{i}"\nid = "{400000000000 + i}"\nregion = "us-east-1"\nprofile = "team{i}"\n'
                    for i in range(consumers))
    return text


def bench_scale_templates() -> None:
    from xacct_infra import config, render

    print("\n## `templates` at scale (write tables; in process: load + validate + render every file; and the whole process)")
    print(f"{'tables':>8}{'consumers':>11}{'trust':>7}{'files':>7}{'A bytes':>10}{'in-process':>12}{'process':>10}{'growth':>8}")
    work = Path(tempfile.mkdtemp(prefix="xacct-scale-"))
    base = None
    for tables, consumers in ((1, 1), (10, 1), (100, 1), (1000, 1), (1, 10), (1, 100), (1, 500)):
        text = scale_config(tables, consumers)
        path = work / f"t{tables}-c{consumers}.toml"
        path.write_text(text)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            rendered = render.render(config.load(path))
            runs.append(time.perf_counter() - start)
        inproc = statistics.median(runs)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xacct_infra", "templates", "--config", str(path), "--out", str(work / path.stem)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        whole = time.perf_counter() - start
        base = base or inproc
        trust = "org" if consumers > 10 else "roles"
        print(f"{tables:>8}{consumers:>11}{trust:>7}{len(rendered):>7}{len(rendered[0].body.encode()):>10,}"
              f"{inproc * 1000:>10.1f}ms{whole:>9.2f}s{inproc / base:>7.1f}x")


def bench_consumers_deploy(counts: tuple[int, ...] = (1, 5, 10)) -> None:
    """Deploy of N consumer stacks with one command (4 at a time) and a StackSet over N accounts."""
    from xacct_infra.local import Emulator

    print("\n## Many consumers on the local emulator (each command a fresh process)")
    print(f"{'N':>4}{'deploy --account-b (N stacks)':>32}{'per stack':>11}{'StackSet over N accounts':>27}")
    emulator = Emulator().start()
    env = {**os.environ, **emulator.env()}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    emulator.client("cloudformation", "us-east-1", emulator.mint(A_ID)).list_stacks()  # warm the lazy load
    work = Path(tempfile.mkdtemp(prefix="xacct-consumers-"))
    for n in counts:
        emulator.reset()
        emulator.add_profile("owner", A_ID, "us-east-1")
        for i in range(n):
            emulator.add_profile(f"team{i}", str(400000000000 + i), "us-east-1")
        path = work / f"c{n}.toml"
        path.write_text(scale_config(1, n))
        elapsed, rc = timed([sys.executable, "-m", "xacct_infra", "deploy", "--account-b", "--yes", "--config", str(path)], env)
        assert rc == 0, f"deploy of {n} consumers exited {rc}"
        accounts = ",".join(str(500000000000 + i) for i in range(n))
        ss_elapsed, rc = timed([sys.executable, "-m", "xacct_infra", "deploy", "--account-b", "--stackset", "--consumer", "team0",
                                "--accounts", accounts, "--profile", "team0", "--config", str(path)], env)
        ss = f"{ss_elapsed:.2f}s" if rc == 0 else f"failed ({rc})"
        print(f"{n:>4}{elapsed:>31.2f}s{elapsed / n:>10.2f}s{ss:>27}")
    emulator.stop()


def bench_check() -> None:
    """`check` on the example config (whole process and in process, median of 5) and in process
    on the 1,000-table config (rules, parliament, the comparison with the generator, probes, sweep)."""
    from xacct_infra import check, config

    print("\n## `xacct-infra check` (target: under 1 s on the example config)")
    runs, cpu = [], []
    for _ in range(5):
        before, start = os.times(), time.perf_counter()
        subprocess.run([sys.executable, "-m", "xacct_infra", "check", "--config", str(ROOT / "xacct.toml")], check=True,
                       stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
        after = os.times()
        cpu.append(after.children_user + after.children_system - before.children_user - before.children_system)
    example = config.load(ROOT / "xacct.toml")
    inproc = []
    for _ in range(5):
        start = time.perf_counter()
        report = check.run_files(example, check.rendered_files(example))
        inproc.append(time.perf_counter() - start)
    whole = f"whole process {statistics.median(runs):.2f} s ({statistics.median(cpu):.2f} s CPU)"
    print(f"example config: {whole}, in process {statistics.median(inproc) * 1000:.0f} ms "
          f"({report.sweep.requests:,} requests, {len(report.findings)} findings)")
    big = config.loads(scale_config(1000, 1), source="1000 tables")
    files = check.rendered_files(big)
    start = time.perf_counter()
    report = check.run_files(big, files)
    print(f"1,000 tables: in process {time.perf_counter() - start:.2f} s ({report.sweep.requests:,} requests, "
          f"{len(report.findings)} findings)")


def main() -> None:
    import logging

    logging.disable(logging.WARNING)  # the size warnings of the 1,000-table config are expected here
    print("# xacct-infra benchmarks")
    bench_templates()
    bench_scale_templates()
    bench_check()
    from benchmarks.audit import bench_audit

    bench_audit()
    bench_detection()
    bench_deploy()
    bench_consumers_deploy()


if __name__ == "__main__":
    main()
