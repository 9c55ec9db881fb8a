"""Generic checks for untrusted text: what an error may quote, endpoint URLs, control characters.

Every message built from user input goes through :func:`quote`, so a 10 MB value, a NUL byte
or a newline can never turn an error into a 10 MB or a two-line message. Patterns here are
ASCII-only (explicit classes or ``re.ASCII``): Python's ``\\d`` and ``\\w`` match any Unicode
digit or letter, so ``"١١١١٢٢٢٢٣٣٣٣"`` would otherwise pass as an account id.
No heavy imports: ``templates`` and ``--help`` load this module.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from xacct_infra.errors import UsageError

QUOTE_LIMIT = 48  # characters of a value an error message may show

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators some tools split lines on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# AWS profile names: printable ASCII without spaces or brackets (they become `[profile NAME]` headers).
CONFIG_PROFILE = re.compile(r"[!-Z\\^-~]{1,128}", re.ASCII)
# Names we write into a config/credentials file ourselves: not `#` or `;` either (comment starters).
PROFILE_NAME = re.compile(r"[!\"$-:<-Z\\^-~]{1,128}", re.ASCII)


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of ``value`` capped at ``limit`` characters (with the full length when cut).

    ``repr`` escapes control and non-printable characters, so the result is always one line.
    Non-strings are described by kind and size, never dumped: a deeply nested array must not
    be walked (or printed) to report that it is the wrong type.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value)} characters)"
    if isinstance(value, bool | int | float):
        text = repr(value)
        return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} digits)"
    if isinstance(value, list | tuple):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return f"a table of {len(value)} keys"
    return type(value).__name__


def has_control(text: str) -> bool:
    """True if ``text`` holds a control character (NUL, newline, ESC, DEL, U+2028 ...)."""
    return _CONTROL.search(text) is not None


# --------------------------------------------------------------------------- endpoint URLs

_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)
ENDPOINT_ALLOWED = "an http:// or https:// URL with a host, such as http://localhost:4566"
_IGNORE_ENV = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"


def endpoint_problem(value: str) -> str | None:
    """Why ``value`` is not an endpoint URL botocore can use, or None if it is one."""
    from urllib.parse import urlsplit

    if not value.strip():
        return "is empty"
    if len(value) > 2048:
        return f"is {len(value)} characters long"
    if has_control(value) or any(ch.isspace() for ch in value):
        return "contains spaces or control characters"
    if not value.isascii():
        return "contains non-ASCII characters (use the punycode form of the host)"
    scheme, sep, _ = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "has no http:// or https:// scheme"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "has a malformed host or port (allowed ports: 1..65535)"
    if "@" in parts.netloc:
        return "holds user information (user@host); credentials never belong in an endpoint URL"
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal, written [::1]
        import ipaddress

        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return "has a malformed IPv6 host"
    elif not host or not all(_HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split(".")):
        return "has no valid host name"
    if port == 0 or parts.netloc.endswith(":"):
        return "has no valid port; allowed: 1..65535"
    return None


def configured_endpoint(flag: str | None, services: tuple[str, ...], environ: Mapping[str, str] | None = None) -> str | None:
    """The endpoint botocore calls instead of AWS's own for any of ``services``, as botocore
    picks it: ``--endpoint-url``, else ``AWS_ENDPOINT_URL_<SERVICE>``, else ``AWS_ENDPOINT_URL``, unless
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true. None: AWS's own endpoints."""
    if flag:
        return flag
    env = os.environ if environ is None else environ
    if env.get(_IGNORE_ENV, "").lower() == "true":
        return None
    for service in services:
        value = env.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_').replace(' ', '_')}") or env.get("AWS_ENDPOINT_URL")
        if value:
            return value
    return None


def shown_endpoint(value: str) -> str:
    """An endpoint URL as it may be printed: without a user:password@ or a query string (either may hold a secret)."""
    shown = re.sub(r"(?<=//)[^/?#]*@", "***@", value)
    return re.sub(r"[?#].*", "", shown, flags=re.DOTALL)


def check_endpoint_url(value: str | None, where: str = "--endpoint-url") -> str | None:
    """``value`` if it is a usable endpoint URL (or None); else UsageError naming ``where``."""
    if value is None:
        return None
    problem = endpoint_problem(value)
    if problem:
        raise UsageError(f"{where} {quote(shown_endpoint(value))} {problem}; allowed: {ENDPOINT_ALLOWED}")
    return value


def check_endpoint_env(environ: Mapping[str, str] | None = None) -> None:
    """``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``, as botocore would read them.

    An empty ``AWS_ENDPOINT_URL`` is refused too: botocore ignores it and calls AWS itself,
    which is never what someone who set the variable (say, from an unset shell variable) meant.
    """
    env = os.environ if environ is None else environ
    if env.get(_IGNORE_ENV, "").lower() == "true":
        return
    for name in sorted(env):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            check_endpoint_url(env[name], name)


def check_endpoint(value: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The ``--endpoint-url`` flag, then (when the flag does not override it) the environment."""
    if value is not None:
        return check_endpoint_url(value)
    check_endpoint_env(environ)  # botocore reads these only when no endpoint is passed
    return None
