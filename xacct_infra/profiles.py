"""An AWS config profile that assumes Account A's role by itself, and a careful writer for it.

With ``role_arn`` + ``credential_source`` (``Ec2InstanceMetadata`` on EC2, ``EcsContainer`` in ECS
tasks, CodeBuild and EKS pods, ``Environment`` in Lambda) every AWS SDK and the AWS CLI assume the
role from the workload's own role and refresh the credentials before they expire, so
long-running programs need no wrapper at all.

The writer edits ``~/.aws/config`` (or ``$AWS_CONFIG_FILE``) as text, not through
configparser: every other line, comments included, stays byte for byte. It backs the file up
first (timestamped copy next to it) and replaces it atomically.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from xacct_infra import inputs, kinds
from xacct_infra.config import ConsumerView
from xacct_infra.errors import UsageError
from xacct_infra.files import atomic_write

DEFAULT_NAME = "xacct-account-a"
CREDENTIAL_SOURCES = kinds.CREDENTIAL_SOURCES
PROFILE_NAME = inputs.PROFILE_NAME  # printable ASCII without spaces, brackets, # or ;
_HEADER = re.compile(r"\s*\[([^\]]*)\]\s*(?:[#;].*)?")
_SETTING = re.compile(r"([^\s=:#;][^=:]*?)\s*[=:]\s*(.*?)\s*")

Outcome = Literal["added", "replaced", "unchanged"]


@dataclass(frozen=True)
class WriteResult:
    path: Path
    outcome: Outcome
    backup: Path | None


def settings(view: ConsumerView, *, duration: int, session_name: str, credential_source: str | None = None,
             source_profile: str = "default") -> dict[str, str]:
    """The profile's keys, in the order they are written.

    Where the SDK finds the consumer's own credentials follows its kind (kinds.py): the instance
    metadata on EC2, the container credentials endpoint for ECS tasks, CodeBuild and EKS Pod
    Identity, the environment in Lambda. An ``existing-role`` consumer uses its configured
    ``credential_source``, else ``source_profile`` (a profile holding that role's credentials).
    ``credential_source`` given here overrides all of them.
    """
    account_a, b = view.owner, view.consumer
    source = credential_source or b.credential_source or b.spec.credential_source
    out = {"role_arn": view.role.arn}
    if source:
        out["credential_source"] = source
    else:
        out["source_profile"] = source_profile
    out["region"] = account_a.region
    if account_a.external_id:
        out["external_id"] = account_a.external_id
    out["duration_seconds"] = str(duration)
    out["role_session_name"] = session_name
    return out


def check_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise UsageError(f"--name {inputs.quote(name)} is not a usable profile name; use 1..128 printable ASCII characters "
                         "without spaces, brackets, # or ;")
    return name


def section_name(name: str) -> str:
    return "default" if name == "default" else f"profile {name}"


def render(name: str, values: Mapping[str, str]) -> str:
    return f"[{section_name(name)}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the AWS CLI and SDKs read profiles: ``$AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    return Path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()


def write(path: Path, name: str, values: Mapping[str, str], *, force: bool = False,
          now: datetime | None = None) -> WriteResult:
    """Add (or with ``force`` replace) one profile, leaving every other line of the file as it was.

    An identical existing profile is left alone ("unchanged"); a different one is refused
    without ``force``, so a hand-made profile of that name is never lost by accident.
    """
    if path.is_symlink():
        path = path.resolve()  # write through the link (dotfile managers), do not replace it
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    lines = (text or "").splitlines(keepends=True)
    span = _find_section(lines, name)
    new_section = render(name, values)
    outcome: Outcome
    if span is None:
        body = "".join(lines)
        if body and not body.endswith("\n"):
            body += "\n"
        new_text, outcome = body + ("\n" if body.strip() else "") + new_section, "added"
    else:
        start, end = span
        if _parse_settings(lines[start + 1:end]) == dict(values):
            return WriteResult(path, "unchanged", None)
        if not force:
            raise UsageError(f"{path}: profile {name!r} already exists with other settings; choose another --name, "
                             "or pass --force to replace it (the file is backed up first)")
        keep = _trailing_comments(lines, start, end)  # they usually introduce the next section
        new_text, outcome = "".join(lines[:start]) + new_section + "".join(lines[keep:]), "replaced"
    backup = _backup(path, now or datetime.now(UTC)) if text is not None else None
    _atomic_write(path, new_text)
    return WriteResult(path, outcome, backup)


def _find_section(lines: list[str], name: str) -> tuple[int, int] | None:
    """(header index, end index) of the profile's section; botocore reads both spellings of default."""
    wanted = {"default", "profile default"} if name == "default" else {f"profile {name}"}
    start = None
    for i, line in enumerate(lines):
        match = _HEADER.fullmatch(line.rstrip("\r\n"))
        if not match:
            continue
        if start is not None:
            return start, i
        if " ".join(match.group(1).split()) in wanted:
            start = i
    return (start, len(lines)) if start is not None else None


def _trailing_comments(lines: list[str], start: int, end: int) -> int:
    """Index of the first of the blank and comment lines that end the section at ``start``."""
    keep = end
    while keep > start + 1 and (not lines[keep - 1].strip() or lines[keep - 1].lstrip()[:1] in ("#", ";")):
        keep -= 1
    return keep


def _parse_settings(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        if not line.strip() or line[0] in " \t#;":
            continue  # blank, comment, or a nested sub-setting (counted with its parent's text)
        match = _SETTING.fullmatch(line.rstrip("\r\n"))
        if match:
            out[match.group(1)] = match.group(2)
    return out


def _backup(path: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.{stamp}.{n}.bak")
        n += 1
    shutil.copy2(path, backup)  # keeps the mode: the config may hold secrets too
    return backup


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    atomic_write(path, text, mode=mode, newline="")
