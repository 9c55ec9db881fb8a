"""`xacct-infra local demo|serve`: the whole job on the embedded AWS emulator, no account needed."""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
import time
from pathlib import Path

import click

from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option
from xacct_infra.errors import ExitCode, UsageError

INSTANCE_PROFILE = "xacct-demo-instance"  # Account B identity as seen by an EC2 host with the instance role


@click.group()
def local() -> None:
    """Run xacct-infra against a local AWS emulator (moto server on 127.0.0.1)."""


def instance_profile(cfg: config_mod.Config, b: config_mod.Consumer) -> str:
    """The emulated profile that acts as ``b``'s own role (an EC2 host's instance role, a Lambda
    function's execution role, ...)."""
    return INSTANCE_PROFILE if len(cfg.consumers) == 1 else f"{INSTANCE_PROFILE}-{b.name}"


def _prepare(cfg_path: str, emulator: object = None) -> tuple[object, config_mod.Config, Path]:
    """Start an emulator (or use ``emulator``, reset by the caller) and set it up for the config."""
    import importlib.util

    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("moto.server") is None:
        raise UsageError("xacct-infra local needs the emulator (moto), which a plain install does not include: "
                         "pip install 'xacct-infra[local]'")
    from xacct_infra import local as emu

    cfg = config_mod.load(cfg_path)
    if emulator is None:
        started = emu.Emulator().start()
        try:
            return _setup(started, cfg, cfg_path)
        except BaseException:
            started.stop()  # a failed or interrupted setup leaves no server and no /tmp/xacct-local-* behind
            raise
    return _setup(emulator, cfg, cfg_path)


def _setup(emulator: object, cfg: config_mod.Config, cfg_path: str) -> tuple[object, config_mod.Config, Path]:
    from xacct_infra import local as emu

    assert isinstance(emulator, emu.Emulator)
    text, cfg = _with_profiles(Path(cfg_path).read_text(encoding="utf-8"), cfg)
    a = cfg.account_a
    emulator.add_profile(a.profile or "default", a.id, a.region)
    for b in cfg.consumers:
        emulator.add_profile(b.profile or "default", b.id, b.region)
        emulator.add_profile(instance_profile(cfg, b), b.id, b.region, role_name=b.role_name, role_path=b.role_path)
        if b.kind == "existing-role":  # the role the config names exists before its consumer's stack
            emu.create_existing_role(emulator, b.id, b.role_path, b.role_name)
    emu.create_sample_data(emulator, a.id, a.region, [t.name for t in a.tables])
    # KMS key ids cannot be chosen: create one per configured key and point a copy of the config at them.
    original_ids = re.findall(r'^\s*id\s*=\s*"([^"]+)"', text, flags=re.M)
    for key in a.keys:
        new_id = emu.create_sample_key(emulator, a.id, key.region)
        for value in original_ids:
            if value.endswith(key.key_id):
                text = text.replace(f'"{value}"', f'"{new_id}"', 1)
    demo_cfg = emulator.workdir / "xacct.toml"
    demo_cfg.write_text(text)
    return emulator, config_mod.load(demo_cfg), demo_cfg  # still valid: the copy is what every step uses


_A_HEADER = re.compile(r"^[ \t]*\[[ \t]*account_a[ \t]*\][ \t]*(#.*)?$", re.M)
_B_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*account_b[ \t]*\]\]?[ \t]*(#.*)?$", re.M)


def _with_profiles(text: str, cfg: config_mod.Config) -> tuple[str, config_mod.Config]:
    """The config text with a ``profile`` for each side that has none (the README's quick start has
    none): otherwise both accounts would share the emulator's "default" profile and the second
    would overwrite the first. Headers written unusually (quoted keys) leave the text as it is."""
    a_headers, b_headers = list(_A_HEADER.finditer(text)), list(_B_HEADER.finditer(text))
    if len(a_headers) != 1 or len(b_headers) != len(cfg.consumers):
        return text, cfg
    inserts = [] if cfg.account_a.profile else [(a_headers[0].end(), "xacct-demo-account-a")]
    inserts += [(m.end(), f"xacct-demo-{b.name}") for m, b in zip(b_headers, cfg.consumers, strict=True) if not b.profile]
    for at, name in sorted(inserts, reverse=True):
        text = f'{text[:at]}\nprofile = "{name}"{text[at:]}'
    return text, config_mod.loads(text, source=cfg.source) if inserts else cfg



@local.command()
@config_option
@click.pass_context
def demo(ctx: click.Context, *, config_path: str) -> None:
    """Deploy both stacks into two emulated accounts, show the no-op, obtain and verify access, audit the accounts."""
    from xacct_infra.local import Stopped, StopSignals

    try:  # Ctrl-C, SIGTERM, SIGHUP: the running step stops as on Ctrl-C, then the emulator; said once
        with StopSignals() as signals:
            _demo(signals, config_path)
    except Stopped as stop:
        if not stop.reported:  # the step that was running said how it stopped
            what = "interrupted" if stop.signum == signal.SIGINT else f"stopped by {signal.Signals(stop.signum).name}"
            click.echo(f"xacct-infra: {what}; the demo's emulator has been stopped", err=True)
        ctx.exit(128 + stop.signum)


def _demo(signals: object, config_path: str) -> None:
    from xacct_infra.cli.options import forwarded_options
    from xacct_infra.local import StopSignals

    assert isinstance(signals, StopSignals)
    emulator, cfg, demo_cfg = _prepare(config_path)
    env = {**os.environ, **emulator.env()}  # type: ignore[attr-defined]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    a, b = cfg.account_a, cfg.consumers[0]
    click.secho(f"Local AWS emulator at {emulator.url}; Account A = {a.id}, Account B = {b.id}", bold=True, err=True)  # type: ignore[attr-defined]
    click.echo(f"Created in Account A with the API: tables {', '.join(t.name for t in a.tables)}"
               f"{'; ' + str(len(a.keys)) + ' KMS key(s)' if a.keys else ''} (config copy: {demo_cfg})", err=True)
    xacct = [sys.executable, "-m", "xacct_infra"]
    host = ["--profile", instance_profile(cfg, b)] + (["--consumer", b.name] if len(cfg.consumers) > 1 else [])
    steps: list[tuple[str, list[str], dict[str, str]]] = [
        ("Deploy both stacks (A first: B's role may only assume A's role)", ["deploy", "--all", "--yes"], {}),
        ("Deploy again: nothing changed, so no change set is created", ["deploy", "--all", "--yes"], {}),
        ("Status and drift", ["status", "--all"], {}),
        ("On a host in Account B: temporary Account A credentials from the instance role (secrets redacted here)",
         ["credentials", *host, "--format", "json"], {}),
        ("Run a command with them: only its environment holds the credentials",
         ["exec", *host, "--", sys.executable, "-c", _WHOAMI], {}),
        ("Prove the access end to end (the emulator does not enforce IAM: denials are reported as unproven)",
         ["verify", *host, "--roundtrip", "--emulator"], {}),
        ("Audit the live accounts against the config: every policy layer, read-only", ["audit"], {}),
    ]
    started = time.monotonic()
    try:
        for title, args, extra in steps:
            click.secho(f"\n== {title}", bold=True, err=True)
            click.echo(f"$ xacct-infra {shlex.join(args)}", err=True)
            redact = args[0] == "credentials"  # never show secrets on a terminal, even the emulator's
            code, out = signals.run([*xacct, args[0], "--config", str(demo_cfg), *forwarded_options(), *args[1:]],
                                    {**env, **extra}, capture=redact)
            if redact:
                click.echo(_redacted(out), nl=False)
            if code != 0:
                raise UsageError(f"demo step failed with exit {code}: xacct-infra {shlex.join(args)}")
    finally:
        emulator.stop()  # type: ignore[attr-defined]
    click.secho(f"\nDemo finished in {time.monotonic() - started:.1f} s; the emulator has been stopped.", bold=True, err=True)


_WHOAMI = 'import boto3; print("acting as", boto3.client("sts").get_caller_identity()["Arn"])'


def _redacted(credentials_json: str) -> str:
    """`credentials --format json` output with the secret parts replaced by their length."""
    import json

    try:
        values = json.loads(credentials_json)
    except ValueError:
        return "(output hidden: not the expected JSON)\n"
    for name in ("SecretAccessKey", "SessionToken"):
        values[name] = f"<redacted: {len(values.get(name, ''))} characters>"
    values["AccessKeyId"] = str(values.get("AccessKeyId", ""))[:4] + "..."
    return json.dumps(values, indent=2) + "\n"


@local.command()
@config_option
@click.pass_context
def serve(ctx: click.Context, *, config_path: str) -> None:
    """Start the emulator with the config's accounts and print the environment to use it; Ctrl-C stops it."""
    from xacct_infra.local import Stopped, StopSignals

    code = int(ExitCode.INTERRUPTED)
    # SIGTERM (and SIGHUP, unless nohup ignores it) stop it as cleanly as Ctrl-C, which a job started
    # with `&` does not even receive: the emulator's credentials directory must not outlive it.
    # Installed before the first line is printed, so a signal sent on seeing "serving" is handled here.
    with StopSignals():
        try:
            emulator, cfg, demo_cfg = _prepare(config_path)
            try:
                for line in serve_lines(emulator, cfg, demo_cfg):
                    click.echo(line)
                click.echo("# serving; press Ctrl-C to stop", err=True)
                while True:
                    time.sleep(3600)
            finally:
                emulator.stop()  # type: ignore[attr-defined]
        except Stopped as stop:
            code = 128 + stop.signum
    click.echo("# emulator stopped", err=True)
    ctx.exit(code)


def serve_lines(emulator: object, cfg: config_mod.Config, demo_cfg: Path) -> list[str]:
    """What `serve` prints on stdout: the environment that points every command at the emulator
    (tests/test_readme.py runs the README's examples with exactly these lines)."""
    lines = [f"export {key}={shlex.quote(value)}" for key, value in emulator.env().items()]  # type: ignore[attr-defined]
    lines.append(f"export XACCT_CONFIG={shlex.quote(str(demo_cfg))}")
    consumers = ", ".join(f"{b.profile or 'default'} and {instance_profile(cfg, b)} (consumer {b.name}: admin and instance role)"
                          for b in cfg.consumers)
    lines.append(f"# profiles: {cfg.account_a.profile or 'default'} (Account A); {consumers}")
    lines.append("# then: xacct-infra deploy --all --yes && xacct-infra audit   (audit reads what deploy made)")
    return lines
