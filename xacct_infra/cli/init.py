"""`xacct-infra init`: write a commented xacct.toml from flags, or by asking on a terminal."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from xacct_infra import config as config_mod
from xacct_infra.cli.options import config_option
from xacct_infra.errors import ConfigError, UsageError

TABLE_ACCESS, KEY_ACCESS = config_mod.TABLE_ACCESS, config_mod.KEY_ACCESS


@dataclass(frozen=True)
class Answers:
    account_a: str
    account_b: str
    region: str
    tables: tuple[tuple[str, str], ...]  # (name, access)
    keys: tuple[tuple[str, str], ...]  # (id or ARN, access)


def split_access(value: str, levels: tuple[str, ...], default: str, flag: str) -> tuple[str, str]:
    """``NAME[:ACCESS]``. Key ARNs contain colons, so only a known level after the last one counts."""
    name, sep, access = value.rpartition(":")
    if sep and access in levels:
        return name, access
    if sep and not name.startswith("arn:") and ":" not in name:
        raise UsageError(f"{flag} {value!r}: unknown access {access!r}; allowed: {', '.join(levels)}")
    return value, default


def render(answers: Answers) -> str:
    """The commented config. Values are quoted as TOML basic strings (JSON's escapes are TOML's)."""
    q = json.dumps
    out = [
        "# xacct-infra config, written by `xacct-infra init`. Every key is documented in README.md",
        '# ("Config reference"). Next: `xacct-infra templates` writes the two CloudFormation templates,',
        "# `xacct-infra check` proves offline that they grant exactly this.",
        "",
        "[account_a]                      # owns the tables and keys",
        f"id = {q(answers.account_a)}",
        f"region = {q(answers.region)}",
        '# profile = "owner"              # AWS profile used by `xacct-infra deploy --account-a`',
        '# external_id = "..."            # also require sts:ExternalId when assuming the role',
        "",
    ]
    for name, access in answers.tables:
        out += ["[[account_a.tables]]", f"name = {q(name)}", f"access = {q(access):<24}# {' | '.join(TABLE_ACCESS)}", ""]
    for key_id, access in answers.keys:
        out += ["[[account_a.keys]]", f"id = {q(key_id)}", f"access = {q(access):<24}# {' | '.join(KEY_ACCESS)}", ""]
    out += [
        "[account_b]                      # the consumer whose EC2 hosts assume the role",
        f"id = {q(answers.account_b)}",
        f"region = {q(answers.region)}",
        '# profile = "consumer"           # AWS profile used by `xacct-infra deploy --account-b`',
    ]
    return "\n".join(out) + "\n"


_KEY_FLAGS = (("account_a.tables", "--table"), ("account_a.keys", "--key"), ("account_a.region", "--region"),
              ("account_b.region", "--region"), ("account_a.id", "--account-a"), ("account_b.id", "--account-b"))


def validate(answers: Answers, source: str) -> config_mod.Config:
    """The config the text parses to; a problem is reported against the flag that caused it."""
    try:
        return config_mod.loads(render(answers), source=source)
    except ConfigError as exc:
        key = exc.key or ""
        flag = next((f for prefix, f in _KEY_FLAGS if key.startswith(prefix)), None)
        if flag is None:
            raise
        index = re.search(r"\[(\d+)\]", key)
        values = {"--table": [t[0] for t in answers.tables], "--key": [k[0] for k in answers.keys]}.get(flag)
        value = values[int(index.group(1))] if values and index else {
            "--account-a": answers.account_a, "--account-b": answers.account_b, "--region": answers.region}.get(flag, "")
        raise UsageError(f"{flag} {value!r}: {exc.problem}") from None


def write_new(path: Path, text: str) -> None:
    """Write ``path`` only if it does not exist, atomically: a crash or a race leaves no half file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)  # fails if path exists, unlike rename
        except FileExistsError:
            raise UsageError(f"{path}: already exists; init never overwrites a config (pass --config NEW.toml)") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _ask(text: str, default: str | None = None) -> str:
    return str(click.prompt(text, default=default, err=True)).strip()  # prompts go to stderr


@click.command()
@config_option
@click.option("--account-a", metavar="ID", help="Account A's id: it owns the tables and keys.")
@click.option("--account-b", metavar="ID", help="Account B's id: its EC2 hosts assume the role.")
@click.option("--region", metavar="REGION", help="Region of both accounts' stacks, tables and keys.")
@click.option("--table", "tables", multiple=True, metavar="NAME[:ACCESS]",
              help="A DynamoDB table in Account A; access read (default), write or read-write. Repeatable.")
@click.option("--key", "keys", multiple=True, metavar="ID[:ACCESS]",
              help="A KMS key id or ARN in Account A; access decrypt (default), encrypt or encrypt-decrypt. Repeatable.")
def init(*, config_path: str, account_a: str | None, account_b: str | None, region: str | None,
         tables: tuple[str, ...], keys: tuple[str, ...]) -> None:
    """Write a commented config (--config, default xacct.toml); never overwrites one.

    \b
      xacct-infra init --account-a 111111111111 --account-b 222222222222 \\
          --region us-east-1 --table keystore:read-write --key 1234abcd-...:encrypt-decrypt

    On a terminal, what the flags leave out is asked for; a non-interactive run needs them.
    """
    path = Path(config_path)
    if path.exists():
        raise UsageError(f"{path}: already exists; init never overwrites a config (pass --config NEW.toml)")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: directory {path.parent} does not exist")
    missing = [flag for flag, value in (("--account-a", account_a), ("--account-b", account_b), ("--region", region),
                                        ("--table", tables)) if not value]
    if missing:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError(f"init: missing {', '.join(missing)} (a non-interactive run takes them as flags; see --help)")
        account_a = account_a or _ask("Account A id (owns the tables and keys)")
        account_b = account_b or _ask("Account B id (its EC2 hosts get access)")
        region = region or _ask("Region", os.environ.get("AWS_REGION") or "us-east-1")
        tables = tables or tuple(_ask("Tables, as NAME[:ACCESS] separated by spaces (access: read, write, read-write)").split())
        keys = keys or tuple(_ask("KMS keys, as ID[:ACCESS] separated by spaces, or nothing (access: decrypt, encrypt, "
                                  "encrypt-decrypt)", "").split())
    answers = Answers(account_a or "", account_b or "", region or "", tuple(split_access(t, TABLE_ACCESS, "read", "--table") for t in tables),
                      tuple(split_access(k, KEY_ACCESS, "decrypt", "--key") for k in keys))
    if not answers.tables:
        raise UsageError("init: --table: at least one table is needed")
    validate(answers, str(path))
    write_new(path, render(answers))
    click.echo(f"{path}\twritten")
    hint = "" if config_path == config_mod.DEFAULT_CONFIG else f" --config {path}"
    click.echo(f"next: xacct-infra templates{hint} && xacct-infra check{hint}", err=True)
