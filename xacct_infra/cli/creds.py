"""`credentials`, `exec`, `profile` and `verify`: use the access from a host in Account B.

The caller's credentials are Account B's: ``--profile``, else ``AWS_PROFILE``, else the default
chain (on EC2: the instance role). The config's ``account_b.profile`` is *not* used: it names
the credentials that deploy B's stack, which the trust policy does not admit.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from xacct_infra import aws, credentials, inputs, profiles, verify
from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option, consumer_option, endpoint_option, output_option
from xacct_infra.errors import ExitCode, UsageError


def caller_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = endpoint_option(f)
    f = click.option("--profile", metavar="NAME",
                     help="Account B credentials to assume the role with (default: AWS_PROFILE, then the default chain, "
                          "e.g. the instance role).")(f)
    return f


def session_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--session-name", metavar="NAME",
                     help="Role session name seen in Account A's CloudTrail (default: user@host, sanitised).")(f)
    f = click.option("--duration", type=int, default=credentials.DEFAULT_DURATION, show_default=True, metavar="SECONDS",
                     help="Lifetime: 900..43200 and at most account_a.max_session_duration.")(f)
    return f


def _session_name(name: str | None) -> str:
    return credentials.check_session_name(name) if name else credentials.default_session_name()


def _clients() -> aws.Clients:
    """The client factory the root command put on the context (tests pass a fake one)."""
    return click.get_current_context().find_object(aws.Clients) or aws.Clients()


def _obtain(config_path: str, consumer: str | None, profile: str | None, endpoint_url: str | None, duration: int,
            session_name: str | None) -> credentials.TemporaryCredentials:
    with credentials.resolving(profile):  # first: a credential_process loop is refused before anything else
        view = config_mod.load(config_path).view(consumer)
        a = view.owner
        credentials.check_duration(duration, a)
        name = _session_name(session_name)
        target = aws.Target(region=a.region, profile=profile, endpoint_url=endpoint_url)
        sts = _clients().client(target, "sts")
        with aws.translate_errors(target):
            return credentials.assume(sts, view, duration=duration, session_name=name)


@click.command("credentials")
@config_option
@consumer_option
@caller_options
@session_options
@click.option("--format", "fmt", type=click.Choice(credentials.FORMATS), default="env", show_default=True,
              help="env: shell export lines; process: credential_process JSON; json: raw; ini: a credentials-file profile.")
@click.option("--name", "ini_name", default=profiles.DEFAULT_NAME, show_default=True, help="Profile name for --format ini.")
@click.option("--unset", is_flag=True, help="Print the lines that go back to the host's own credentials (no AWS call).")
def credentials_cmd(*, config_path: str, consumer: str | None, profile: str | None, endpoint_url: str | None, duration: int, session_name: str | None,
                    fmt: credentials.Format, ini_name: str, unset: bool) -> None:
    """Print temporary Account A credentials obtained with Account B's identity.

    \b
      eval "$(xacct-infra credentials)"          # this shell now acts in Account A
      eval "$(xacct-infra credentials --unset)"  # back to the host's own credentials
    """
    if unset:
        click.echo(credentials.format_unset(), nl=False)
        return
    profiles.check_name(ini_name)
    creds = _obtain(config_path, consumer, profile, endpoint_url, duration, session_name)
    click.echo(credentials.render(creds, fmt, ini_name=ini_name), nl=False)


@click.command("exec", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@config_option
@consumer_option
@caller_options
@session_options
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- COMMAND [ARGS]...")
def exec_cmd(*, config_path: str, consumer: str | None, profile: str | None, endpoint_url: str | None, duration: int, session_name: str | None,
             command: tuple[str, ...]) -> None:
    """Run COMMAND with Account A credentials in its environment only; exit with its exit code.

    The credentials never appear in arguments or output. Stale AWS_PROFILE, AWS_SECURITY_TOKEN
    and similar variables are removed from COMMAND's environment so they cannot win. Exit 127
    if COMMAND is not found, 126 if it cannot be run.
    """
    creds = _obtain(config_path, consumer, profile, endpoint_url, duration, session_name)
    credentials.exec_command(command, credentials.child_env(creds, os.environ))


@click.command("profile")
@config_option
@consumer_option
@click.option("--name", default=profiles.DEFAULT_NAME, show_default=True, help="Profile name.")
@session_options
@click.option("--credential-source", type=click.Choice(profiles.CREDENTIAL_SOURCES), default=None,
              help="Where the SDK finds the consumer's own credentials (default: from its kind: Ec2InstanceMetadata for "
                   "ec2, EcsContainer for ecs-task, codebuild and eks-pod-identity, Environment for lambda; existing-role: "
                   "its credential_source, else --source-profile).")
@click.option("--source-profile", default="default", show_default=True, metavar="NAME",
              help="existing-role without credential_source: the profile holding that role's credentials.")
@click.option("--write", is_flag=True, help="Add the profile to $AWS_CONFIG_FILE or ~/.aws/config (backed up first).")
@click.option("--force", is_flag=True, help="With --write: replace an existing profile of that name that differs.")
def profile_cmd(*, config_path: str, consumer: str | None, name: str, duration: int, session_name: str | None,
                credential_source: str | None, source_profile: str, write: bool, force: bool) -> None:
    """Print (or --write) an AWS config profile that assumes Account A's role by itself.

    Every AWS SDK and the AWS CLI then obtain and refresh Account A credentials on their
    own: `aws --profile xacct-account-a dynamodb get-item ...`.
    """
    view = config_mod.load(config_path).view(consumer)
    credentials.check_duration(duration, view.owner)
    values = profiles.settings(view, duration=duration, session_name=_session_name(session_name),
                               credential_source=credential_source, source_profile=profiles.check_name(source_profile))
    profiles.check_name(name)
    if not write:
        click.echo(profiles.render(name, values), nl=False)
        return
    result = profiles.write(profiles.config_path(), name, values, force=force)
    backup = f" (backup: {result.backup})" if result.backup else ""
    click.echo(f"{result.path}\tprofile {name}\t{result.outcome}{backup}")


@click.command("verify")
@config_option
@consumer_option
@caller_options
@click.option("--roundtrip", is_flag=True,
              help="Also store, read back, decrypt and delete a probe secret in Keystore's item format.")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="Retry AssumeRole AccessDenied this long (IAM propagation after a deploy).")
@click.option("--deny-table", multiple=True, metavar="NAME", help="Another table in Account A that must be denied (repeatable).")
@click.option("--deny-key", multiple=True, metavar="ID", help="Another KMS key in Account A that must be denied (repeatable).")
@click.option("--emulator", is_flag=True,
              help="The endpoint is an emulator that does not enforce IAM: report denials as unproven instead of "
                   "failing. Needs --endpoint-url or AWS_ENDPOINT_URL.")
@output_option()
@click.pass_context
def verify_cmd(ctx: click.Context, *, config_path: str, consumer: str | None, profile: str | None, endpoint_url: str | None, roundtrip: bool,
               wait: float, deny_table: tuple[str, ...], deny_key: tuple[str, ...], emulator: bool, output: str) -> None:
    """Prove the access end to end: one row per check; exit 0 only if none fails.

    Assumes the role (retrying AccessDenied while IAM propagates), describes every table
    and key, reads from read tables, and checks that a table and a key outside the config,
    ListTables and ListKeys are denied. Each failure names its likely cause.
    """
    view = config_mod.load(config_path).view(consumer)
    custom = inputs.configured_endpoint(endpoint_url, ("sts", "dynamodb", "kms"))
    if emulator and not custom:
        raise UsageError("--emulator needs --endpoint-url or AWS_ENDPOINT_URL: AWS's own endpoints always enforce IAM")
    opts = verify.Options(session_name=f"{credentials.default_session_name()[:57]}-verify", roundtrip=roundtrip,
                          emulator=emulator, wait=wait, deny_tables=deny_table, deny_keys=deny_key,
                          endpoint=inputs.shown_endpoint(custom) if custom else None)
    verify.check_options(view, opts)
    target = aws.Target(region=view.owner.region, profile=profile, endpoint_url=endpoint_url)
    made = _clients()

    def clients_for(creds: credentials.TemporaryCredentials) -> verify.ClientFactory:
        assumed = made.from_keys(creds.access_key_id, creds.secret_access_key, creds.session_token, creds.region)
        cache: dict[tuple[str, str], Any] = {}

        def get(service: str, region: str) -> Any:
            if (service, region) not in cache:
                cache[service, region] = made.session_client(assumed, service, aws.Target(region=region, endpoint_url=endpoint_url))
            return cache[service, region]

        return get

    with credentials.resolving(profile), aws.translate_errors(target):
        verifier = verify.Verifier(view, made.client(target, "sts"), clients_for,
                                   on_progress=lambda message: click.echo(message, err=True))
        rows = verifier.run(opts)
    if output == "json":
        click.echo(json.dumps({"passed": not verify.failed(rows), "checks": [r.__dict__ for r in rows]}, indent=2))
    else:
        click.echo(_table(rows), nl=False)
        click.echo(verify.summary(rows))
    if verify.failed(rows):
        ctx.exit(int(ExitCode.FAILED))


def _table(rows: list[verify.Row]) -> str:
    """All of every row for pipes and logs; on a terminal, the detail wraps under its row."""
    from xacct_infra.cli import term

    stream = sys.stdout
    if not term.isatty(stream):
        return verify.format_table(rows)
    return "".join(line + "\n" for line in term.table([(r.status, r.check, r.detail) for r in rows], term.terminal_width(stream)))
