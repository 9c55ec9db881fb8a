"""The ``xacct-infra`` command line: a thin shell that parses flags, calls the core and maps
errors to the documented exit codes. No AWS or template logic lives here."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from xacct_infra import __version__
from xacct_infra.cli.options import add_global_options, color_option, debug_option, group_config_option
from xacct_infra.errors import ExitCode, XacctError

log = logging.getLogger("xacct_infra")

# Commands are imported when used, so `xacct-infra templates` never loads the deployer, the
# checker or boto3, and `deploy` does not load the checker (start-up time is most of a no-op).
_COMMANDS = {  # name: (module:attribute, the one line `--help` shows without importing the module)
    "init": ("init:init", "Write a commented xacct.toml from flags, or by asking on a terminal."),
    "graph": ("graph:graph", "Draw the access (accounts, roles, trust, tables, keys) as Mermaid or DOT."),
    "templates": ("templates:templates", "Generate the Account A and Account B CloudFormation templates from the config."),
    "check": ("check:check", "Prove, offline, that the templates allow exactly what the config grants."),
    "deploy": ("deploy:deploy", "Deploy the stacks through change sets (no-op when nothing changed)."),
    "status": ("deploy:status", "Show each stack's status, recent events and drift against the config."),
    "destroy": ("deploy:destroy", "Delete a stack (asks first; refuses while termination protection is on)."),
    "credentials": ("creds:credentials_cmd", "Print temporary Account A credentials obtained with Account B's identity."),
    "exec": ("creds:exec_cmd", "Run a command with Account A credentials in its environment only."),
    "profile": ("creds:profile_cmd", "Print (or --write) an AWS config profile that assumes Account A's role by itself."),
    "verify": ("creds:verify_cmd", "Prove the access end to end: one row per check."),
    "audit": ("audit:audit", "Hold the live accounts against the config across every policy layer (reads only)."),
    "diff": ("audit:diff", "Show the access a new config or template set adds and removes compared with an old one."),
    "local": ("local:local", "Run xacct-infra against a local AWS emulator (make demo)."),
}


class _Group(click.Group):
    """Loads commands lazily; catches the one exception root once, prints one line, exits with its code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in _COMMANDS.items()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        import importlib

        module, attr = _COMMANDS[cmd_name][0].split(":")
        command = getattr(importlib.import_module(f"xacct_infra.cli.{module}"), attr)
        # Global options (--debug, --color, --config) work after the command name too.
        return add_global_options(command) if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XacctError as exc:
            if ctx.meta.get("xacct.debug"):
                raise
            click.echo(f"xacct-infra: error: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
        except click.exceptions.Exit:
            raise
        except Exception as exc:
            # AWS errors we did not anticipate still get one line, not a traceback.
            if ctx.meta.get("xacct.debug") or not type(exc).__module__.startswith("botocore"):
                raise
            click.echo(f"xacct-infra: error: AWS: {exc} (rerun with --debug for details)", err=True)
            ctx.exit(int(ExitCode.FAILED))
        except KeyboardInterrupt:
            if ctx.meta.get("xacct.debug"):
                raise
            click.echo("xacct-infra: interrupted", err=True)
            ctx.exit(int(ExitCode.INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="xacct-infra")
@debug_option
@color_option
@group_config_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Set up and prove cross-account access to DynamoDB and KMS through IAM roles and STS.

    \b
    Account A owns the tables and keys; EC2 hosts in Account B assume a scoped role in A.
    Exit codes: 0 ok, 1 failed, 2 usage/config/credentials error, 130 interrupted.
    --debug, --color and --config work before or after the command name.
    """
    if ctx.obj is None:  # the one client factory every command takes its AWS clients from (tests pass a fake)
        from xacct_infra.aws import Clients

        ctx.obj = Clients()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if not ctx.meta.get("xacct.debug"):
        log.setLevel(logging.WARNING)




def main() -> None:
    cli(prog_name="xacct-infra")
