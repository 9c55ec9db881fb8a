"""Reading one TOML value at a time, the way every config section does: a table with known keys
only, a string matching a pattern (ASCII only, length-capped), a choice, an integer in range, an
array of tables, no duplicates. Each failure is a :class:`ConfigError` of one line naming the key
path and what is allowed. The sections themselves (what ``account_a`` and a consumer hold) are in
:mod:`.validate` and :mod:`.consumer_kind`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from xacct_infra import inputs
from xacct_infra.errors import ConfigError
from xacct_infra.inputs import quote

MAX_STRING = 2048  # longer than any value a config key allows; longer values are refused before a pattern runs

T = TypeVar("T")


class Fields:
    """The value checks of one config file (``source`` names it in every message)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError(self.source, key, problem)

    def table(self, data: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Mapping[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"must be a table, got {kind(data)}")
        for name in data:
            if name not in allowed:
                hint = _did_you_mean(name, allowed)
                raise self.fail(_join(key, name), f"unknown key{hint}; allowed: {', '.join(allowed)}")
        for name in required:
            if name not in data:
                raise self.fail(_join(key, name), "is required")
        return cast(Mapping[str, Any], data)

    def text(self, where: str, value: Any, pattern: re.Pattern[str], allowed: str, max_len: int = MAX_STRING) -> str:
        """A string value matching ``pattern``. Refused first, with a precise reason, when it is not a
        string, is longer than any allowed value, or holds a non-ASCII or control character (a
        lookalike such as a Cyrillic "а" or an Arabic-Indic digit must not pass for ASCII)."""
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, got {kind(value)}")
        if len(value) > max_len:
            raise self.fail(where, f"is {len(value)} characters long; allowed: {allowed}")
        odd = next((i for i, ch in enumerate(value) if not " " <= ch <= "~"), None)
        if odd is not None:
            ch = value[odd]
            what = "control character" if inputs.has_control(ch) else "non-ASCII character"
            raise self.fail(where, f"{quote(value)} holds the {what} {_describe(ch)} at position {odd}; allowed: {allowed}")
        if not pattern.fullmatch(value):
            raise self.fail(where, f"{quote(value)} is not valid; allowed: {allowed}")
        return value

    def string(self, data: Mapping[str, Any], key: str, name: str, default: T, pattern: re.Pattern[str], allowed: str) -> str | T:
        if name not in data:
            return default
        return self.text(f"{key}.{name}", data[name], pattern, allowed)

    def choice(self, data: Mapping[str, Any], key: str, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        where = f"{key}.{name}"
        if name not in data:
            if default is None:
                raise self.fail(where, f"is required; allowed: {' | '.join(choices)}")
            return default
        value = data[name]
        if not isinstance(value, str) or value not in choices:
            raise self.fail(where, f"{quote(value)} is not an access level; allowed: {' | '.join(choices)}")
        return value

    def integer(self, data: Mapping[str, Any], key: str, name: str, default: int, low: int, high: int, unit: str) -> int:
        value = data.get(name, default)
        where = f"{key}.{name}"
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"must be an integer, got {kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"{quote(value)} is out of range; allowed: {low}..{high} {unit}")
        return value

    def array_of_tables(self, data: Mapping[str, Any], key: str, name: str) -> list[Any]:
        if name not in data:
            return []
        value = data[name]
        if not isinstance(value, list):
            raise self.fail(f"{key}.{name}", f"must be an array of tables ([[{key}.{name}]]), got {kind(value)}")
        return value


def no_duplicates(v: Fields, items: tuple[T, ...], ident: Callable[[T], object], key: str, name: str) -> None:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        k = ident(item)
        if k in seen:
            raise v.fail(f"{key}[{i}].{name}", f"duplicates {key}[{seen[k]}]; list each one once with the widest access it needs")
        seen[k] = i


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def _join(key: str, name: str) -> str:
    """``key.name``; a name that is not a short bare key is quoted (and capped), so a key path
    is always one short line whatever the file's keys hold."""
    shown = name if _BARE_KEY.fullmatch(name) else quote(name, 32)
    return f"{key}.{shown}" if key else shown


def _describe(ch: str) -> str:
    import unicodedata

    return f"U+{ord(ch):04X}" + (f" ({unicodedata.name(ch)})" if unicodedata.name(ch, "") else "")


def kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


def _did_you_mean(name: str, allowed: tuple[str, ...]) -> str:
    import difflib

    if len(name) > 64:
        return ""

    close = difflib.get_close_matches(name, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
