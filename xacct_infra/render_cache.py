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
import re
import sys
from collections.abc import Callable, Iterable
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
    h = hashlib.sha256(f"schema {SCHEMA}\n".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    versions = installed_versions(RENDERERS)
    for name in RENDERERS:
        h.update(f"{name}=={versions[name]}\n".encode() if name in versions else f"{name} missing\n".encode())
    return h.hexdigest()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def installed_versions(names: Iterable[str]) -> dict[str, str]:
    """name -> version of each distribution installed on ``sys.path``, as ``importlib.metadata.version``
    finds it, without importing importlib.metadata (about 30 ms: a tenth of a no-op deploy).

    Path entries are read in order and the first one holding metadata for a name (a ``.dist-info``
    or ``.egg-info``, any case) decides: a ``NAME-VERSION.dist-info`` gives the version; anything else
    there (an egg-info, an unversioned directory), a zipped path entry, or no match anywhere is
    asked of importlib.metadata itself."""
    wanted = {_normal(name): name for name in names}
    found: dict[str, str] = {}
    ask: list[str] = []
    for entry in sys.path:
        if len(found) + len(ask) == len(wanted):
            break
        try:
            listing = os.listdir(entry or ".")
        except NotADirectoryError:  # a zip on the path: importlib.metadata reads those
            ask += [name for name in wanted.values() if name not in found and name not in ask]
            break
        except OSError:
            continue
        here: dict[str, list[str | None]] = {}  # name -> the versions its metadata directories here name
        for item in listing:
            stem, dot, suffix = item.rpartition(".")
            if not dot or suffix.lower() not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            name = wanted.get(_normal(dist))
            if name is not None and name not in found and name not in ask:
                versioned = suffix.lower() == "dist-info" and version and "-" not in version
                here.setdefault(name, []).append(version if versioned else None)
        for name, versions in here.items():
            if len(versions) == 1 and versions[0]:
                found[name] = versions[0]
            else:  # an egg-info, an unversioned or a second directory for it: importlib.metadata decides
                ask.append(name)
    ask += [name for name in wanted.values() if name not in found and name not in ask]
    if ask:
        import contextlib
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as dist_version

        for name in ask:
            with contextlib.suppress(PackageNotFoundError):
                found[name] = dist_version(name)
    return found


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
    import secrets

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
