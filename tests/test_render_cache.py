"""The render cache: a hit is byte-identical to a fresh render and loads no troposphere; any
change to the config is a miss; a broken, foreign or unwritable cache only costs a render."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL
from xacct_infra import config, render, render_cache

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("XACCT_CACHE_DIR", str(where))
    return where


def fresh(cfg: config.Config, monkeypatch: pytest.MonkeyPatch) -> list[render.Rendered]:
    with monkeypatch.context() as m:
        m.setenv("XACCT_CACHE_DIR", "off")
        return render.render(cfg)


def test_a_hit_is_the_fresh_render_byte_for_byte_and_loads_no_troposphere(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "xacct.toml"
    path.write_text((ROOT / "xacct.toml").read_text())
    script = ("import json, sys\nfrom xacct_infra import config, render\n"
              f"items = render.render(config.load({str(path)!r}))\n"
              "print(json.dumps({'troposphere': 'troposphere' in sys.modules, 'awacs': 'awacs' in sys.modules,"
              " 'bodies': [[i.filename, i.body] for i in items]}))")
    env = {**os.environ, "XACCT_CACHE_DIR": str(cache_dir)}
    cold, warm = (json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout)
                  for _ in range(2))
    assert cold["troposphere"] and not warm["troposphere"] and not warm["awacs"]
    env["XACCT_CACHE_DIR"] = "off"
    uncached = json.loads(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout)
    assert warm["bodies"] == cold["bodies"] == uncached["bodies"]
    assert len(list(cache_dir.glob("*.json"))) == 2  # one entry per template, nothing else left (no staging files)


EDITS = [
    ("a table added", 'access = "read"\n', 'access = "read"\n\n[[account_a.tables]]\nname = "other"\naccess = "write"\n'),
    ("access widened", 'access = "read"', 'access = "read-write"'),
    ("B's account", 'id = "222222222222"', 'id = "333333333333"'),
    ("A's region", 'region = "us-east-1"\n\n[[account_a', 'region = "eu-west-1"\n\n[[account_a'),
    ("a role name", '[account_b]\n', '[account_b]\nrole_name = "renamed"\n'),
]


@pytest.mark.parametrize(("what", "old", "new"), EDITS, ids=[e[0] for e in EDITS])
def test_any_config_change_is_a_miss_that_renders_the_new_config(cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  what: str, old: str, new: str) -> None:
    assert old in MINIMAL, what
    before = render.render(config.loads(MINIMAL))
    edited = config.loads(MINIMAL.replace(old, new, 1))
    after = render.render(edited)
    assert [i.body for i in after] == [i.body for i in fresh(edited, monkeypatch)]
    assert [i.body for i in after] != [i.body for i in before]


def test_a_corrupt_or_foreign_entry_is_ignored_and_replaced(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config.loads(MINIMAL)
    want = [i.body for i in fresh(cfg, monkeypatch)]
    render.render(cfg)
    entries = sorted(cache_dir.glob("*.json"))
    assert len(entries) == 2
    entries[0].write_text("{not json")
    # another key's entry copied over this one: the stored key does not match, so it is not used
    entries[1].write_text(json.dumps({"key": "0" * 64, "body": "Resources: {}\n"}))
    assert [i.body for i in render.render(cfg)] == want
    assert all(json.loads(p.read_text())["key"] == p.stem for p in entries)


def test_an_unwritable_cache_only_costs_the_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("XACCT_CACHE_DIR", str(blocked / "cache"))
    cfg = config.loads(MINIMAL)
    assert [i.body for i in render.render(cfg)] == [i.body for i in fresh(cfg, monkeypatch)]


def test_off_writes_nothing_and_the_default_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XACCT_CACHE_DIR", "off")
    assert render_cache.directory() is None
    monkeypatch.delenv("XACCT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert render_cache.directory() == tmp_path / "xdg" / "xacct-infra"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert render_cache.directory() == tmp_path / "home" / ".cache" / "xacct-infra"


def test_editing_any_module_of_the_package_changes_the_generator_digest(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "pkg" / "xacct_infra"
    shutil.copytree(render_cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    script = "from xacct_infra import render_cache as c; print(c.PACKAGE, c.generator())"
    env = {**os.environ, "PYTHONPATH": str(copy.parent)}

    def digest() -> str:
        where, value = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                                      check=True).stdout.split()
        assert Path(where) == copy  # the copy, not the installed package
        return value

    seen = {digest()}
    for module in ("stacks/account_a.py", "policies.py", "kinds.py"):
        with (copy / module).open("a") as handle:
            handle.write("# an edit\n")
        seen.add(digest())
    assert len(seen) == 4


def test_the_renderers_versions_are_the_ones_importlib_metadata_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import version

    names = (*render_cache.RENDERERS, "click", "cfn-lint", "pytest-xdist")
    assert render_cache.installed_versions(names) == {name: version(name) for name in names}
    # another version of a renderer earlier on the path is the one that would be imported: a new key
    shadow = tmp_path / "shadow"
    (shadow / "troposphere-0.0.1.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(shadow))
    assert render_cache.installed_versions(["troposphere", "awacs"]) == {"troposphere": "0.0.1", "awacs": version("awacs")}
    assert render_cache.installed_versions(["no-such-distribution"]) == {}


@pytest.mark.parametrize("layout", ["egg-info", "unversioned dist-info", "two directories", "upper case"])
def test_metadata_earlier_on_the_path_wins_whatever_its_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    from importlib.metadata import version

    shadow = tmp_path / "shadow"
    shadow.mkdir()
    if layout == "egg-info":
        (shadow / "troposphere.egg-info").mkdir()
        (shadow / "troposphere.egg-info" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: troposphere\nVersion: 0.0.1\n")
    elif layout == "unversioned dist-info":
        (shadow / "troposphere.dist-info").mkdir()
        (shadow / "troposphere.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: troposphere\nVersion: 0.0.2\n")
    elif layout == "two directories":
        for v in ("0.0.3", "0.0.4"):
            (shadow / f"troposphere-{v}.dist-info").mkdir()
            (shadow / f"troposphere-{v}.dist-info" / "METADATA").write_text(f"Metadata-Version: 2.1\nName: troposphere\nVersion: {v}\n")
    else:
        (shadow / "TropoSphere-0.0.5.dist-info").mkdir()
        (shadow / "TropoSphere-0.0.5.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: TropoSphere\nVersion: 0.0.5\n")
    monkeypatch.syspath_prepend(str(shadow))
    assert render_cache.installed_versions(["troposphere", "awacs"]) == {"troposphere": version("troposphere"), "awacs": version("awacs")}
    assert version("troposphere").startswith("0.0.")  # the shadow, not the installed one, is what is found
