"""The README is true by test: every ```console block runs on the emulator, in README order,
with the environment `xacct-infra local serve` prints, and the output it shows must appear.
The convention is in tests/console_blocks.py and README "Development"."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import console_blocks
from tests.conftest import ROOT
from xacct_infra.cli import cli

BLOCKS = console_blocks.parse((ROOT / "README.md").read_text())
_SHELL = re.compile(r"[|&;<>$`*?(){}]|^\w+=")
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "XACCT_CONFIG", "XACCT_CONSUMER", "NO_COLOR")


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("readme")


@pytest.fixture
def served(emulator_server, shared_dir: Path) -> tuple[dict[str, str], Path]:
    """The emulator prepared as `local serve` prepares it, and the environment it prints.
    Prepared for each block (the suite runs in parallel, other tests reset the emulator), so
    every block must stand on its own; they share a working directory."""
    from xacct_infra.cli.local import _prepare, serve_lines

    emulator_server.reset()
    _, cfg, demo_cfg = _prepare(str(ROOT / "xacct.toml"), emulator_server)
    env: dict[str, str] = {}
    for line in serve_lines(emulator_server, cfg, demo_cfg):
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = shlex.split(value)[0]
    return env, shared_dir


def run_block(block: console_blocks.Block, env: dict[str, str | None], cwd: Path) -> list[tuple[console_blocks.Command, int, str]]:
    if not any(_SHELL.search(c.text) or not c.text.startswith("xacct-infra ") for c in block.commands):
        out = []
        for command in block.commands:  # in process: fast
            old = Path.cwd()
            os.chdir(cwd)
            try:
                result = CliRunner().invoke(cli, shlex.split(command.text)[1:], env=env, prog_name="xacct-infra")
            finally:
                os.chdir(old)
            out.append((command, result.exit_code, result.output + (f"\n{result.exception!r}" if result.exception and
                                                                    not isinstance(result.exception, SystemExit) else "")))
        return out
    mark = "\x1e-- xacct readme --"
    script = "".join(f"printf '%s\\n' {shlex.quote(mark + ' ' + str(i))}\n{{ {c.text}\n}} 2>&1\nprintf '\\n{mark} rc %s\\n' $?\n"
                     for i, c in enumerate(block.commands))
    shell_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    shell_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=shell_env, capture_output=True, text=True, timeout=120, check=False)
    parts = proc.stdout.split(mark + " ")[1:]
    results = []
    for command, (text, status) in zip(block.commands, zip(parts[0::2], parts[1::2], strict=False), strict=False):
        results.append((command, int(status.split()[1]), text.split("\n", 1)[1] if "\n" in text else ""))
    assert len(results) == len(block.commands), proc.stdout + proc.stderr
    return results


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_console_block(block: console_blocks.Block, served, tmp_path: Path) -> None:
    served_env, shared = served
    env: dict[str, str | None] = dict.fromkeys(_CLEARED)
    if "offline" in block.directives:  # no emulator, no config from the environment, a directory of its own
        env.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
                   AWS_CONFIG_FILE=str(tmp_path / "none"))
        cwd = tmp_path
    else:
        env.update(served_env)
        cwd = shared
    for command, code, output in run_block(block, env, cwd):
        where = f"README.md:{command.line}: $ {command.text}"
        assert code == 0, f"{where}\nexited {code}:\n{output}"
        missing = console_blocks.unmatched(command.expected, output)
        assert missing is None, f"{where}\nthe README shows {missing!r}, which it did not print:\n{output}"


def test_the_runner_catches_a_readme_line_the_tool_does_not_print(served, tmp_path: Path) -> None:
    env: dict[str, str | None] = {**dict.fromkeys(_CLEARED), **served[0]}
    block = console_blocks.parse("```console\n$ xacct-infra templates --out t\nt/account-a.yaml\tunchanged\n```\n")[0]
    ((command, code, output),) = run_block(block, env, tmp_path)
    assert code == 0 and console_blocks.unmatched(command.expected, output) == "t/account-a.yaml\tunchanged"
    assert console_blocks.unmatched(["t/account-a.yaml written", "..."], output) is None


def test_every_block_has_commands_and_no_console_block_is_skipped() -> None:
    assert BLOCKS and all(block.commands for block in BLOCKS)
    text = (ROOT / "README.md").read_text()
    assert len(re.findall(r"^\s*```console\s*$", text, re.M)) == len(BLOCKS)
