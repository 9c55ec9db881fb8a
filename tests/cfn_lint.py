"""cfn-lint from tests, with its rules loaded once per process.

``cfnlint.api.lint`` builds a new Runner, and so loads every rule, on each call (about 0.5 s);
the rules do not depend on the template, so the tests share one set and build the per-region
configuration they lint with (informational checks included, as in ``make lint``)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _config(region: str) -> Any:
    from cfnlint.api import ManualArgs
    from cfnlint.config import ConfigMixIn

    return ConfigMixIn(**ManualArgs(include_checks=["I"], regions=[region]))


@cache
def _rules() -> Any:
    from cfnlint.runner import Runner

    return Runner(_config("us-east-1")).rules


def cfn_lint(body: str, region: str = "us-east-1") -> list[str]:
    """cfn-lint's matches for a template body, as strings (empty when it passes)."""
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    template, errors = decode_str(body)
    if errors:
        return [str(m) for m in errors]
    return [str(m) for m in run_template_by_data(template, _config(region), _rules())]
