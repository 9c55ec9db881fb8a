"""`xacct-infra templates`: golden output, determinism, atomic writes, --check, cfn-lint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from xacct_infra import config, render
from xacct_infra.stacks.inputs import digest

GOLDEN = ROOT / "tests" / "golden"
CASES = {"example": (ROOT / "xacct.toml", ROOT / "templates"), "full": (GOLDEN / "full" / "xacct.toml", GOLDEN / "full"),
         "consumers": (GOLDEN / "consumers" / "xacct.toml", GOLDEN / "consumers"), "org": (GOLDEN / "org" / "xacct.toml", GOLDEN / "org"),
         "kinds": (GOLDEN / "kinds" / "xacct.toml", GOLDEN / "kinds")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_templates_regenerate_byte_for_byte(case: str) -> None:
    cfg_path, out_dir = CASES[case]
    rendered = render.render(config.load(cfg_path))
    if os.environ.get("UPDATE_GOLDEN") and case != "example":
        render.write(out_dir, rendered)
    for item in rendered:
        assert (out_dir / item.filename).read_text() == item.body, f"{item.filename}: run make templates / UPDATE_GOLDEN=1"


def test_rendering_is_deterministic_across_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    outs = []
    for i in range(2):
        out = tmp_path / str(i)
        subprocess.run([sys.executable, "-m", "xacct_infra", "templates", "--config", str(ROOT / "xacct.toml"), "--out", str(out)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": str(i + 1)})
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outs[0] == outs[1]


def test_templates_writes_both_files_and_reports_unchanged_on_rerun(run, tmp_path: Path) -> None:
    out = tmp_path / "t"
    first = run("templates", "--config", str(ROOT / "xacct.toml"), "--out", str(out))
    assert first.exit_code == 0
    assert first.stdout.splitlines() == [f"{out}/account-a.yaml\twritten", f"{out}/account-b.yaml\twritten"]
    mtime = (out / "account-a.yaml").stat().st_mtime_ns
    second = run("templates", "--config", str(ROOT / "xacct.toml"), "--out", str(out))
    assert second.stdout.splitlines() == [f"{out}/account-a.yaml\tunchanged", f"{out}/account-b.yaml\tunchanged"]
    assert (out / "account-a.yaml").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in out.iterdir()) == ["account-a.yaml", "account-b.yaml"], "no temp files left behind"


def test_json_format_writes_json_files(run, tmp_path: Path) -> None:
    import json

    result = run("templates", "--config", str(ROOT / "xacct.toml"), "--out", str(tmp_path), "--format", "json")
    assert result.exit_code == 0
    assert json.loads((tmp_path / "account-a.json").read_text())["Resources"]["AccessRole"]["Type"] == "AWS::IAM::Role"


def test_check_passes_when_up_to_date_and_fails_when_stale_without_writing(run, tmp_path: Path) -> None:
    out = tmp_path / "t"
    shutil.copytree(ROOT / "templates", out)
    ok = run("templates", "--config", str(ROOT / "xacct.toml"), "--out", str(out), "--check")
    assert ok.exit_code == 0
    (out / "account-b.yaml").write_text("stale\n")
    bad = run("templates", "--config", str(ROOT / "xacct.toml"), "--out", str(out), "--check")
    assert bad.exit_code == 1
    assert "account-b.yaml: differs" in bad.stderr and "account-a.yaml" not in bad.stderr
    assert (out / "account-b.yaml").read_text() == "stale\n"


def test_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "account-a.yaml").write_text("old\n")

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(render.OutputError, match="No space left on device"):
        render.write(tmp_path, render.render(config.load(ROOT / "xacct.toml")))
    assert (tmp_path / "account-a.yaml").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["account-a.yaml"]


def test_metadata_carries_generator_and_config_digest() -> None:
    import json

    from xacct_infra import __version__

    cfg = config.load(ROOT / "xacct.toml")
    meta = json.loads(render.template_body(cfg, "a", "json"))["Metadata"]["XacctInfra"]
    assert meta == {"Generator": f"xacct-infra {__version__}", "ConfigDigest": digest(cfg, "a")}


# cfn-lint (with informational checks) runs on every golden directory and templates/ in `make lint`,
# in one place; test_properties lints randomly generated configs.


def test_help_and_templates_start_without_loading_aws_or_checker_libraries(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = ("import sys; from click.testing import CliRunner; from xacct_infra.cli import cli; "
             "r = CliRunner().invoke(cli, sys.argv[1:]); assert r.exit_code == 0, r.output; "
             "print(sorted(m for m in ('boto3', 'botocore', 'cfnlint', 'moto', 'troposphere', 'parliament') if m in sys.modules))")
    help_mods = subprocess.run([sys.executable, "-c", probe, "--help"], capture_output=True, text=True, check=True).stdout.strip()
    assert help_mods == "[]"
    args = ["templates", "--check", "--config", str(ROOT / "xacct.toml"), "--out", str(ROOT / "templates")]
    def loaded(cache: str) -> str:
        env = {**os.environ, "XACCT_CACHE_DIR": cache}
        return subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True, env=env).stdout.strip()

    assert loaded("off") == "['troposphere']"
    assert [loaded(str(tmp_path)), loaded(str(tmp_path))] == ["['troposphere']", "[]"]  # rendered once, then from the cache
