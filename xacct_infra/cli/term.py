"""Fitting output to a terminal: widths, ellipses, wrapped detail columns. No click, no I/O
beyond asking a stream for its size, so it is cheap to import and easy to test."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Sequence
from typing import TextIO

ELLIPSIS = "…"
DEFAULT_WIDTH = 80


def isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False


def terminal_width(stream: TextIO, default: int = DEFAULT_WIDTH) -> int:
    """Columns of the terminal behind ``stream``, asked at each call (it may have been resized);
    else ``COLUMNS``, else ``default``."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or default
    except (AttributeError, OSError, ValueError):
        pass
    try:
        return max(1, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        return default


def terminal_height(stream: TextIO, default: int = 24) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).lines or default
    except (AttributeError, OSError, ValueError):
        return default


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the last one an ellipsis when something was cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""


def rows_taken(length: int, width: int) -> int:
    """Screen rows a line of ``length`` characters takes in a terminal ``width`` columns wide
    (terminals that reflow on resize, tmux among them, rewrap old lines at the new width)."""
    return max(1, -(-length // max(1, width)))


def elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds}s" if seconds < 60 else f"{seconds // 60}m{seconds % 60:02d}s"


def table(rows: Sequence[tuple[str, ...]], width: int | None = None, indent: str = "  ") -> list[str]:
    """Rows of columns; the last column is free text. Without ``width``, one line per row (for
    pipes and logs: everything kept). With it, a row whose last column does not fit has that
    column wrapped under the row, indented, so no line is wider than ``width``; nothing is lost."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out: list[str] = []
    for row in rows:
        head = "  ".join(f"{cell:<{w}}" for cell, w in zip(row[:-1], widths, strict=False))
        detail = row[-1]
        line = f"{head}  {detail}".rstrip()
        if width is None or len(line) <= width:
            out.append(line)
            continue
        out.append(fit(head.rstrip(), width))
        wrap = max(20, width - len(indent) * 2)
        for part in textwrap.wrap(detail, wrap, break_on_hyphens=False) or [""]:
            out.append(fit(indent * 2 + part, width))
    return out
