from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from xacct_infra.cli import cli

ROOT = Path(__file__).resolve().parent.parent

_OWN_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The render cache of this run, shared by its workers and subprocesses: never the user's ~/.cache."""
    if "XACCT_CACHE_DIR" not in os.environ:
        _OWN_CACHE.append(tempfile.mkdtemp(prefix="xacct-test-cache-"))
        os.environ["XACCT_CACHE_DIR"] = _OWN_CACHE[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _OWN_CACHE:
        shutil.rmtree(path, ignore_errors=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (botocore's models, hypothesis, the package) lives until the end:
    keep it out of the cyclic garbage collector's passes, and collect less often (the collector
    took about 8 % of the suite's CPU; half of that now). It still runs, over what tests allocate."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)  # the young generation is collected every 10,000 allocations, not 700
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: its results are sent before it exits
        import atexit

        # Registered first, so it runs after every other exit handler: what is left is tearing down the
        # interpreter (every module, moto's accounts), about a second for which the run waits.
        atexit.register(os._exit, 0)


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


@pytest.fixture(autouse=True)
def no_real_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing sleeps for real: botocore's standard retry mode still retries (tests count the
    attempts), it just does not wait between them."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)


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


# ---------------------------------------------------------------- the local emulator (moto server on 127.0.0.1)

A_ID, B_ID = "111111111111", "222222222222"


@pytest.fixture(scope="session")
def emulator_server():
    from xacct_infra.local import Emulator

    server = Emulator().start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server, monkeypatch: pytest.MonkeyPatch):
    """A clean emulator with profiles `owner` (Account A) and `consumer` (Account B), and the
    environment pointing every boto3 client at it. Nothing reaches real AWS."""
    emulator_server.reset()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for key, value in emulator_server.env().items():
        monkeypatch.setenv(key, value)
    emulator_server.add_profile("owner", A_ID, "us-east-1")
    emulator_server.add_profile("consumer", B_ID, "us-east-1")
    return emulator_server


EMU_CONFIG = """
[account_a]
id = "111111111111"
region = "us-east-1"
profile = "owner"

[[account_a.tables]]
name = "keystore"
access = "read-write"

[account_b]
id = "222222222222"
region = "us-east-1"
profile = "consumer"
"""
