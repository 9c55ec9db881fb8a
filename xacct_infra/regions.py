"""The AWS partitions and regions botocore knows, read offline from its data file.

``botocore/data/partitions.json`` (7 KB) is read and parsed directly, without importing
botocore (whose import costs ~0.1 s that ``templates`` and ``--help`` must not pay): about
half a millisecond, once per process. The region list is therefore exactly that of the
installed botocore; a region newer than it is refused with a hint to upgrade.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from xacct_infra.arns import PARTITIONS

SUPPORTED: tuple[str, ...] = PARTITIONS  # the partitions whose ARNs xacct-infra builds (arns.py)

_SHAPE = re.compile(r"[a-z]{2,8}(-[a-z]+)+-[0-9]{1,2}", re.ASCII)


@dataclass(frozen=True)
class Partition:
    id: str
    pattern: re.Pattern[str]
    regions: frozenset[str]


@dataclass(frozen=True)
class Catalog:
    partitions: tuple[Partition, ...]
    botocore_version: str

    def partition_of(self, region: str) -> Partition | None:
        return next((p for p in self.partitions if region in p.regions), None)


def _data_file() -> Path | None:
    import importlib.util

    try:
        spec = importlib.util.find_spec("botocore")  # locates the package; does not import it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"


@lru_cache(maxsize=1)
def catalog() -> Catalog | None:
    """What the installed botocore knows, or None if its data cannot be read."""
    path = _data_file()
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        partitions = tuple(
            Partition(p["id"], re.compile(p.get("regionRegex") or "(?!)", re.ASCII),
                      frozenset(r for r in p.get("regions", {}) if not r.endswith("-global")))
            for p in data["partitions"])
    except (OSError, ValueError, KeyError, TypeError, re.error):
        return None
    return Catalog(partitions, _version(path.parent.parent / "__init__.py"))


def _version(init: Path) -> str:
    """botocore's ``__version__`` read from its source (importlib.metadata costs ~45 ms to import)."""
    try:
        found = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", init.read_text(encoding="utf-8"), re.M)
    except (OSError, ValueError):
        found = None
    return found.group(1) if found else "(unknown version)"


def partition_of(region: str) -> str | None:
    """The partition botocore places ``region`` in, or None if it does not know the region."""
    known = catalog()
    found = known.partition_of(region) if known else None
    return found.id if found else None


def region_problem(region: str) -> str | None:
    """Why ``region`` cannot be used (one clause), or None if it is a supported, known region."""
    if not _SHAPE.fullmatch(region):
        return "is not a region name"
    known = catalog()
    if known is None:  # botocore's data unreadable: the shape check is all we can do offline
        return None
    found = known.partition_of(region)
    if found is not None:
        if found.id not in SUPPORTED:
            return f"is in partition {found.id}, which xacct-infra does not support (supported: {', '.join(SUPPORTED)})"
        return None
    newer = any(p.pattern.match(region) for p in known.partitions)
    hint = f"; if it is newer than botocore {known.botocore_version}, upgrade botocore" if newer else ""
    return f"is not a region botocore {known.botocore_version} knows{hint}"
