"""The ``xacct-infra`` command line: a thin shell that parses flags, calls the core and maps
errors to the documented exit codes. No AWS or template logic lives here."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
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
    "status": ("stacks:status", "Show each stack's status, recent events and drift against the config."),
    "destroy": ("stacks:destroy", "Delete a stack (asks first; refuses while termination protection is on)."),
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

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Click's own usage errors (an unknown option, a bad choice) as one line too, exit 2."""
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # no command at all: the help, as click shows it
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "xacct-infra"
            click.echo(f"xacct-infra: error: {_one_line(exc.format_message())} (see: {command} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"xacct-infra: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:  # Ctrl-C or end of input at a prompt
            click.echo("xacct-infra: interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XacctError as exc:
            _fail(ctx, f"error: {exc}", exc.exit_code)
        except click.exceptions.Exit:
            raise
        except Exception as exc:
            # AWS errors we did not anticipate still get one line, not a traceback.
            from xacct_infra.aws import is_aws_error

            if not is_aws_error(exc):
                raise
            _fail(ctx, f"error: AWS: {exc} (rerun with --debug for details)", ExitCode.FAILED)
        except KeyboardInterrupt:
            _fail(ctx, "interrupted", ExitCode.INTERRUPTED)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    """One line on stderr and the documented exit code. ``--debug`` adds the traceback before
    the line; it never changes the code (a script must not see 1 where it tests for 2)."""
    if ctx.meta.get("xacct.debug"):
        import traceback

        traceback.print_exc(file=sys.stderr)
    click.echo(f"xacct-infra: {_one_line(message)}", err=True)
    ctx.exit(int(code))


def _one_line(message: str, limit: int = 1000) -> str:
    """Whatever a message holds (an HTML error page, a newline from an endpoint), it prints as one line."""
    import re

    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", message).strip()
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


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
