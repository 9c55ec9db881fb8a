"""`xacct-infra profile`: a config profile that assumes Account A's role by itself, written carefully."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from creds_support import A_ID, EXTERNAL_ID, Emulated

from xacct_infra import profiles

EXISTING = """# my AWS config: hand-written, with comments
[default]
region = eu-west-1
output = json

[profile work]   ; team account
role_arn = arn:aws:iam::333333333333:role/dev
source_profile = default
s3 =
    max_concurrent_requests = 20

# the next one is special
[profile other]
region=ap-south-1"""  # no final newline on purpose


def write(run, emulated: Emulated, config_file: Path, *extra: str):
    return run("profile", "--config", str(emulated.config), "--write", "--session-name", "host-1", *extra,
               env={"AWS_CONFIG_FILE": str(config_file)})


def expected_section(name: str = "xacct-account-a", source: str = "Ec2InstanceMetadata") -> str:
    return (f"[profile {name}]\nrole_arn = arn:aws:iam::{A_ID}:role/xacct-access\ncredential_source = {source}\n"
            f"region = us-east-1\nexternal_id = {EXTERNAL_ID}\nduration_seconds = 3600\nrole_session_name = host-1\n")


def test_profile_prints_role_arn_credential_source_region_external_id_duration(run, emulated: Emulated) -> None:
    result = run("profile", "--config", str(emulated.config), "--session-name", "host-1")
    assert result.exit_code == 0
    assert result.output == expected_section()


def test_profile_write_keeps_existing_profiles_and_backs_up(run, emulated: Emulated, tmp_path: Path) -> None:
    config_file = tmp_path / "aws" / "config"
    config_file.parent.mkdir()
    config_file.write_text(EXISTING)
    config_file.chmod(0o600)
    result = write(run, emulated, config_file)
    assert result.exit_code == 0, result.output
    assert config_file.read_text() == EXISTING + "\n\n" + expected_section()
    assert config_file.stat().st_mode & 0o777 == 0o600
    backups = list(config_file.parent.glob("config.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == EXISTING
    assert "added" in result.output and str(backups[0]) in result.output

    again = write(run, emulated, config_file)
    assert again.exit_code == 0 and "unchanged" in again.output
    assert len(list(config_file.parent.glob("config.*.bak"))) == 1  # nothing written, nothing backed up


def test_profile_write_creates_the_file_when_missing(run, emulated: Emulated, tmp_path: Path) -> None:
    config_file = tmp_path / "new" / "config"
    result = write(run, emulated, config_file)
    assert result.exit_code == 0, result.output
    assert config_file.read_text() == expected_section()
    assert config_file.stat().st_mode & 0o777 == 0o600
    assert not list(config_file.parent.glob("*.bak"))


def test_profile_write_defaults_to_home_aws_config(run, emulated: Emulated, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AWS_CONFIG_FILE")
    result = run("profile", "--config", str(emulated.config), "--write")
    assert result.exit_code == 0, result.output
    assert "[profile xacct-account-a]" in (tmp_path / "home" / ".aws" / "config").read_text()


def test_profile_write_refuses_a_different_profile_of_that_name(run, emulated: Emulated, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    original = EXISTING.replace("[profile work]", "[profile xacct-account-a]")
    config_file.write_text(original)
    result = write(run, emulated, config_file)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--force" in result.output
    assert config_file.read_text() == original
    assert not list(tmp_path.glob("config.*.bak"))


def test_profile_write_force_replaces_only_that_profile(run, emulated: Emulated, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text(EXISTING.replace("[profile work]   ; team account", "[profile xacct-account-a]"))
    result = write(run, emulated, config_file, "--force")
    assert result.exit_code == 0, result.output
    text = config_file.read_text()
    head, tail = EXISTING.split("[profile work]   ; team account\n")
    assert text == head + expected_section() + "\n# the next one is special\n" + tail.split("# the next one is special\n")[1]
    assert len(list(tmp_path.glob("config.*.bak"))) == 1


def test_written_profile_is_used_by_botocore_to_assume_the_role(run, emulated: Emulated, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With credential_source = Environment (an EC2 host would use Ec2InstanceMetadata), botocore
    itself assumes Account A's role from Account B's instance-role credentials."""
    config_file = tmp_path / "config"
    config_file.write_text(EXISTING)
    assert write(run, emulated, config_file, "--credential-source", "Environment").exit_code == 0
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", emulated.instance["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", emulated.instance["aws_secret_access_key"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", emulated.instance["aws_session_token"])
    identity = boto3.Session(profile_name="xacct-account-a").client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{A_ID}:assumed-role/xacct-access/host-1"


def test_backups_never_overwrite_each_other(tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text("[default]\n")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    profiles.write(config_file, "p", {"region": "us-east-1"}, now=now)
    profiles.write(config_file, "p", {"region": "us-west-2"}, force=True, now=now)
    backups = sorted(p.name for p in tmp_path.glob("config.*.bak"))
    assert backups == ["config.20300101T000000Z.1.bak", "config.20300101T000000Z.bak"]


def test_write_goes_through_a_symlinked_config(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles-config"
    real.write_text("[default]\nregion = eu-west-1\n")
    link = tmp_path / "config"
    link.symlink_to(real)
    profiles.write(link, "p", {"region": "us-east-1"})
    assert link.is_symlink()
    assert real.read_text() == "[default]\nregion = eu-west-1\n\n[profile p]\nregion = us-east-1\n"


@pytest.mark.parametrize("name", ["has space", "br[acket", "", "x" * 129])
def test_bad_profile_names_are_refused(run, emulated: Emulated, name: str) -> None:
    result = run("profile", "--config", str(emulated.config), "--name", name)
    assert result.exit_code == 2 and result.output.count("\n") == 1
