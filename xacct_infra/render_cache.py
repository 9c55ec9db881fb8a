"""A cache of rendered template bodies, so a command whose config has not changed (a no-op
``deploy``, ``templates`` in a loop) does not load troposphere and awacs or render again.

An entry is found only by a key over everything a body can depend on: the whole config as
loaded (every field, not just the template inputs), the side, the consumer, the format, the
source of every module of this package and the versions of the libraries that render (and of botocore,
whose partitions.json places regions). Any
change to any of them is a different key, so a stale entry is never found; an entry that
cannot be read, or whose stored key differs, is ignored and rendered again. Nothing is ever
required of the cache: failing to read or write it only costs the render it would have saved.

Where: ``$XACCT_CACHE_DIR``, else ``$XDG_CACHE_HOME/xacct-infra``, else ``~/.cache/xacct-infra``.
``XACCT_CACHE_DIR=off`` turns it off. Entries hold templates, never credentials.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
RENDERERS = ("troposphere", "awacs", "cfn-flip", "PyYAML", "botocore")  # botocore: its partitions.json places regions
SCHEMA = 1


def directory() -> Path | None:
    configured = os.environ.get("XACCT_CACHE_DIR")
    if configured:
        return None if configured == "off" else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xacct-infra"


@lru_cache(maxsize=1)
def generator() -> str:
    """A digest of the code that renders: this package's source and the renderers' versions."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"schema {SCHEMA}\n".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in RENDERERS:
        try:
            h.update(f"{name}=={version(name)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{name} missing\n".encode())
    return h.hexdigest()


def key(config: object, *parts: str) -> str:
    """The key of one body: ``repr`` of the frozen config dataclasses holds every field."""
    return hashlib.sha256("\0".join((generator(), repr(config), *parts)).encode()).hexdigest()


def cached(entry_key: str, make: Callable[[], str]) -> str:
    """The body stored under ``entry_key``, else ``make()`` (stored for next time)."""
    where = directory()
    if where is None:
        return make()
    path = where / f"{entry_key}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(stored, dict) and stored.get("key") == entry_key and isinstance(stored.get("body"), str):
            return str(stored["body"])
    except (OSError, ValueError):
        pass
    body = make()
    _store(where, path, {"key": entry_key, "body": body})
    return body


def _store(where: Path, path: Path, entry: dict[str, str]) -> None:
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        staged = where / f".entry-{secrets.token_hex(8)}.tmp"  # not tempfile: its faults are the templates' own
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
            os.replace(staged, path)  # readers see the old entry or the new one, never half of it
        except BaseException:
            os.unlink(staged)
            raise
    except OSError as exc:
        log.debug("render cache not written (%s): %s", where, exc)
