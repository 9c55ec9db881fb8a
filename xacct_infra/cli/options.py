"""Options shared by the commands, and the conventions every command follows.

- Global options (``--debug``, ``--color``, ``--config``) work before or after the command
  name: the group declares them, and :func:`add_global_options` gives every command (and
  every subcommand of a group) the same options, which write to the shared ``ctx.meta``.
- ``--output`` is how every command that prints data chooses text or a machine format
  (:func:`output_option`); an old spelling may stay as a hidden alias.
- Colour: ``--color auto|always|never``; ``auto`` colours only a terminal and honours
  ``NO_COLOR`` (https://no-color.org); ``always`` overrides it, ``never`` always wins.
- Shell completion: ``--consumer`` completes the config's consumer names and ``--profile``
  the AWS profile names (see README "Shell completion").
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from xacct_infra.cli.term import isatty
from xacct_infra.config import DEFAULT_CONFIG

COLOR_MODES = ("auto", "always", "never")
_DEBUG, _COLOR, _CONFIG = "xacct.debug", "xacct.color", "xacct.config"
log = logging.getLogger("xacct_infra")


class AliasedOption(click.Option):
    """An option whose old spellings still work but are not shown by ``--help``."""

    def __init__(self, *args: Any, hidden_aliases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = tuple(hidden_aliases)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.hidden_aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def output_option(*choices: str, default: str = "text", aliases: Sequence[str] = (), help: str | None = None) -> Callable[..., Any]:
    """``--output text|json`` (or the given choices); the value arrives as ``output``.
    ``aliases``: old spellings (``--format``) that keep working, hidden from ``--help``."""
    choices = choices or ("text", "json")
    return click.option("--output", *aliases, "output", cls=AliasedOption, hidden_aliases=aliases, type=click.Choice(choices),
                        default=default, show_default=True, help=help or "Format of the results on stdout.")


# ------------------------------------------------------------------ global options

def _set_debug(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG] = True
        # Only our own logger goes to DEBUG: botocore's debug log prints whole responses, and an
        # AssumeRole response holds the secret key and session token.
        log.setLevel(logging.DEBUG)


def _set_color(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    ctx.meta[_COLOR] = value
    ctx.color = {"always": True, "never": False}.get(value, False if os.environ.get("NO_COLOR") else None)


def _group_config(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_CONFIG] = value


def _command_config(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The command's own ``--config`` wins, then the one before the command, then XACCT_CONFIG."""
    if ctx.get_parameter_source(param.name or "") == ParameterSource.COMMANDLINE:
        return value
    return str(ctx.meta.get(_CONFIG) or value)


def debug_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--debug", is_flag=True, expose_value=False, callback=_set_debug,
                        help="Show debug logs and tracebacks.")(f)


def color_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--color", type=click.Choice(COLOR_MODES), default=None, expose_value=False, callback=_set_color,
                        help="Colour: auto (a terminal, unless NO_COLOR is set), always, never.  [default: auto]")(f)


def group_config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", metavar="PATH", default=None, expose_value=False, callback=_group_config,
                        help="Config file for the command (env: XACCT_CONFIG; default: xacct.toml).")(f)


def _completion_config(ctx: click.Context) -> str:
    root = ctx
    while root is not None:
        if root.params.get("config_path"):
            return str(root.params["config_path"])
        root = root.parent  # type: ignore[assignment]
    return str(ctx.meta.get(_CONFIG) or os.environ.get("XACCT_CONFIG") or DEFAULT_CONFIG)


def complete_consumers(ctx: click.Context, _: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The config's consumer names (and account ids); nothing when the config cannot be read."""
    from xacct_infra import config as config_mod

    try:
        cfg = config_mod.load(_completion_config(ctx))
    except Exception:  # completion must never print a traceback into the user's shell
        return []
    items = [CompletionItem(c.name, help=f"account {c.id}") for c in cfg.consumers]
    return [i for i in items if i.value.startswith(incomplete)]


def profile_names() -> list[str]:
    """Profile names from the AWS config and credentials files, as botocore finds them."""
    names: list[str] = []
    files = ((os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config", True),
             (os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", False))
    for path, prefixed in files:
        parser = configparser.RawConfigParser()
        try:
            parser.read(Path(path).expanduser())
        except configparser.Error:
            continue
        for section in parser.sections():
            name = section.removeprefix("profile ").strip() if prefixed else section.strip()
            if (not prefixed or section.startswith("profile ") or section == "default") and name not in names:
                names.append(name)
    return names


def complete_profiles(ctx: click.Context, _: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in profile_names() if n.startswith(incomplete)]


def add_global_options(command: click.Command) -> click.Command:
    """Give ``command`` (and a group's subcommands) the global options and the completions.
    Idempotent; called for every command the group hands out, so new commands get them too."""
    if getattr(command, "_xacct_globals", False):
        return command
    names = {p.name for p in command.params}
    extra = [debug_option, color_option]
    for decorate in extra:
        probe = decorate(lambda: None)
        for param in probe.__click_params__:  # type: ignore[attr-defined]
            if param.name not in names:
                command.params.append(param)
    for param in command.params:
        if param.name == "config_path" and param.callback is None:
            param.callback = _command_config
        if param.name == "consumer" and param._custom_shell_complete is None:
            param._custom_shell_complete = complete_consumers
        if param.name == "profile" and param._custom_shell_complete is None:
            param._custom_shell_complete = complete_profiles
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)
    command._xacct_globals = True  # type: ignore[attr-defined]
    return command


# ------------------------------------------------------------------ colour

def forwarded_options() -> list[str]:
    """The global options given to this command, for the xacct-infra processes it starts (`local demo`'s steps)."""
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx else {}
    mode = meta.get(_COLOR, "auto")
    return (["--color", mode] if mode != "auto" else []) + (["--debug"] if meta.get(_DEBUG) else [])


def colour_enabled(stream: TextIO) -> bool:
    """Whether to colour ``stream``: ``--color``, then NO_COLOR, then whether it is a terminal."""
    ctx = click.get_current_context(silent=True)
    mode = ctx.meta.get(_COLOR, "auto") if ctx else "auto"
    if mode != "auto":
        return bool(mode == "always")
    return not os.environ.get("NO_COLOR") and isatty(stream)


config_option = click.option(
    "--config", "config_path", default=DEFAULT_CONFIG, show_default=True, metavar="PATH",
    envvar="XACCT_CONFIG", callback=_command_config, help="Config file (env: XACCT_CONFIG).")

consumer_option = click.option(
    "--consumer", metavar="NAME", envvar="XACCT_CONSUMER", shell_complete=complete_consumers,
    help="Which [[account_b]] consumer (name or account id); needed when the config has several (env: XACCT_CONSUMER).")


# ------------------------------------------------------------------ AWS endpoint and region flags

def _check_endpoint(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    """``--endpoint-url``, or when it is not given ``AWS_ENDPOINT_URL[_<SERVICE>]``: one line, exit 2,
    before any AWS call (botocore would raise a bare ValueError, or silently ignore an empty one)."""
    from xacct_infra import inputs

    return inputs.check_endpoint(value)


def check_region(ctx: click.Context, _: click.Parameter, value: str | None) -> str | None:
    from xacct_infra import inputs, regions
    from xacct_infra.errors import UsageError

    if value is None:
        return None
    problem = regions.region_problem(value) if value.isascii() and value.isprintable() else "is not a region name"
    if problem:
        raise UsageError(f"--region {inputs.quote(value)} {problem}; allowed: an AWS region name such as us-east-1 "
                         f"(partition {', '.join(regions.SUPPORTED)})")
    return value


endpoint_option = click.option(
    "--endpoint-url", metavar="URL", callback=_check_endpoint,
    help="Override the AWS endpoint, an http(s):// URL (env: AWS_ENDPOINT_URL).")

region_option = click.option("--region", metavar="REGION", callback=check_region, help="Override the config's region for this side.")
