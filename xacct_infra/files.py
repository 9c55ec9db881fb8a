"""Atomic file writes, shared by `templates` and `profile --write` (no heavy imports here)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, text: str, *, mode: int = 0o644, newline: str = "\n") -> None:
    """Write ``text`` to a temporary sibling, flush it to disk, then rename it over ``path``:
    a crash leaves either the old file or the new one, never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(directory: Path, files: dict[str, str], *, mode: int = 0o644) -> None:
    """Write several files into ``directory`` (created if missing) all or nothing.

    Every file is first staged as a flushed temporary sibling; only when all of them are on
    disk are they renamed into place. A failure while staging (no space, read-only file
    system, a directory where a file should go) removes the staged files and the
    directories this call created, and re-raises: the directory is as it was.
    """
    created = _make_dirs(directory)
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            staged.append((tmp, directory / name))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            if (directory / name).is_dir():
                raise IsADirectoryError(21, "Is a directory", str(directory / name))
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


def _make_dirs(directory: Path) -> list[Path]:
    """``mkdir -p``; returns the directories it created, outermost first."""
    missing: list[Path] = []
    probe = directory
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    created: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
    except BaseException:
        for path in reversed(created):
            path.rmdir()
        raise
    return created
