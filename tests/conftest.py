from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from xacct_infra.cli import cli

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """
[account_a]
id = "111111111111"
region = "us-east-1"

[[account_a.tables]]
name = "keystore"
access = "read"

[account_b]
id = "222222222222"
region = "us-east-1"
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "xacct.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def run() -> Callable[..., Result]:
    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return invoke
