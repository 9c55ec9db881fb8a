"""Property-based: hostile and broken configs exit 2 with one short line and write nothing.

Generated inputs: random bytes, a valid config in other encodings, deep nesting, Unicode
digits and lookalike letters in every string value, control characters, huge values and
keys, regions botocore does not know, and ARNs of another partition or account. Each is run
through a command that writes (``templates --out DIR``) or reads (``check``, ``profile``),
and the output directory, already holding templates, must be byte for byte as it was.

Example counts are bounded so the whole file runs in a few seconds; ``EXAMPLES`` below is
the number of inputs generated (reported in the issue's closing note).
"""

from __future__ import annotations

import copy
import json
import string
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xacct_infra.cli import cli

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
BASE: dict[str, Any] = {
    "account_a": {
        "id": "111111111111", "region": "us-east-1", "profile": "owner-admin", "stack_name": "xacct-account-a",
        "role_name": "xacct-access", "role_path": "/team/xacct/", "external_id": "ext-id_1",
        "permissions_boundary": "arn:aws:iam::111111111111:policy/Boundary", "artifact_bucket": "xacct-artifacts-1",
        "tables": [{"name": "keystore", "access": "read-write"}, {"name": "audit.log-1", "access": "read"}],
        "keys": [{"id": KEY, "access": "decrypt"},
                 {"id": "arn:aws:kms:eu-west-1:111111111111:key/mrk-0123456789abcdef0123456789abcdef", "access": "encrypt"}],
    },
    "account_b": [
        {"name": "payments", "id": "222222222222", "region": "us-east-1", "profile": "payments-admin",
         "stack_name": "xacct-account-b", "role_name": "xacct-instance", "role_path": "/", "artifact_bucket": "b-bucket-2"},
        {"name": "reporting", "id": "444444444444", "region": "eu-west-1", "group": "ops"},
        {"name": "pods", "id": "555555555555", "region": "us-east-1", "kind": "eks-pod-identity", "cluster": "prod-1",
         "namespace": "payments", "service_account": "api-server"},
        {"name": "legacy", "id": "666666666666", "region": "us-east-1", "kind": "existing-role",
         "role_arn": "arn:aws:iam::666666666666:role/app/legacy-role"},
    ],
}


def string_fields(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every string value of a config (the values the validator must check)."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in string_fields(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in string_fields(v, (*path, i))]
    return [path] if isinstance(data, str) else []




def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


FIELDS = [p for p in string_fields(BASE) if p[-1] not in ("access", "kind")]  # fixed vocabularies, tested elsewhere
DIGIT_FIELDS = [p for p in FIELDS if any(c in string.digits for c in _get(BASE, p))]
LETTER_FIELDS = [p for p in FIELDS if any(c in string.ascii_letters for c in _get(BASE, p))]


def toml_string(value: str) -> str:
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")  # TOML forbids raw control characters: the escape is how they arrive
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return toml_string(value)


def to_toml(data: dict[str, Any]) -> str:
    lines: list[str] = []

    def table(header: str, body: dict[str, Any], array: bool) -> None:
        lines.append(f"[[{header}]]" if array else f"[{header}]")
        nested = {k: v for k, v in body.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
        lines.extend(f"{toml_string(k)} = {toml_value(v)}" for k, v in body.items() if k not in nested)
        for name, items in nested.items():
            for item in items:
                table(f"{header}.{toml_string(name)}", item, True)

    for name, body in data.items():
        if isinstance(body, list) and all(isinstance(x, dict) for x in body):
            for item in body:
                table(toml_string(name), item, True)
        elif isinstance(body, dict):
            table(toml_string(name), body, False)
        else:
            lines.insert(0, f"{toml_string(name)} = {toml_value(body)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- generators

NON_ASCII_DIGITS = st.characters(categories=["Nd", "No", "Nl"]).filter(lambda c: not c.isascii())
# Letters and dashes that look like ASCII ones: Cyrillic, Greek, fullwidth, Kelvin sign, long s, dotless i, Unicode dashes.
LOOKALIKES = st.one_of(
    st.sampled_from("аеорсхуіѕјԁһКΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαυνКſıｅａｓｔ‐‑‒–—―−⁃﹣－．＿"),
    st.characters(categories=["Lu", "Ll", "Lo", "Pd", "Mn"]).filter(lambda c: not c.isascii()))
CONTROLS = st.one_of(st.characters(max_codepoint=0x1F), st.sampled_from("\x7f\x85\x9b\u2028\u2029\u200b\u202e\ufeff"))


def _text_config(data: dict[str, Any]) -> bytes:
    return to_toml(data).encode("utf-8")


@st.composite
def unicode_digit_configs(draw: st.DrawFn) -> bytes:
    """One ASCII digit of one field replaced by a digit of another script (١, ５, ߁, ², 𝟏, Ⅻ ...)."""
    data = copy.deepcopy(BASE)
    path = draw(st.sampled_from(DIGIT_FIELDS))
    value = _get(data, path)
    positions = [i for i, c in enumerate(value) if c in string.digits]
    i = draw(st.sampled_from(positions))
    digit = draw(NON_ASCII_DIGITS.filter(lambda c: unicodedata.digit(c, None) is not None or c.isnumeric()))
    _set(data, path, value[:i] + digit + value[i + 1:])
    return _text_config(data)


@st.composite
def lookalike_configs(draw: st.DrawFn) -> bytes:
    """One ASCII letter or dash of one field replaced by a lookalike, or a lookalike inserted."""
    data = copy.deepcopy(BASE)
    path = draw(st.sampled_from(LETTER_FIELDS))
    value = _get(data, path)
    i = draw(st.integers(0, len(value) - 1))
    char = draw(LOOKALIKES)
    _set(data, path, value[:i] + char + value[i + (1 if draw(st.booleans()) else 0):])
    return _text_config(data)


@st.composite
def control_configs(draw: st.DrawFn) -> bytes:
    """A NUL, newline, ESC, DEL, C1, line separator, zero-width or bidi character in one field."""
    data = copy.deepcopy(BASE)
    path = draw(st.sampled_from(FIELDS))
    value = _get(data, path)
    i = draw(st.integers(0, len(value)))
    _set(data, path, value[:i] + draw(CONTROLS) + value[i:])
    return _text_config(data)


@st.composite
def huge_configs(draw: st.DrawFn) -> bytes:
    """A value, a key name or an integer far beyond any limit (up to ~300 KB; 10 MB is tested once below)."""
    data = copy.deepcopy(BASE)
    size = draw(st.integers(3000, 300_000))
    kind = draw(st.sampled_from(["value", "repeat", "key", "int"]))
    if kind == "value":
        _set(data, draw(st.sampled_from(FIELDS)), draw(st.sampled_from(["a", "1", "/", "-", "é"])) * size)
    elif kind == "repeat":  # the value itself, repeated: every character allowed, only the length is wrong
        path = draw(st.sampled_from(FIELDS))
        _set(data, path, _get(data, path) * (size // len(_get(data, path)) + 1))
    elif kind == "key":
        section = draw(st.sampled_from([data["account_a"], data["account_b"][0], data["account_a"]["tables"][0]]))
        section["k" * size] = "x"
    else:
        data["account_a"][draw(st.sampled_from(["max_session_duration", "managed_policies_quota", "trust_policy_quota"]))] = \
            int("9" * draw(st.integers(20, 4000)))
    return _text_config(data)


@st.composite
def nested_configs(draw: st.DrawFn) -> bytes:
    """Arrays or inline tables nested 20..5000 deep, at the top or in place of a value."""
    depth = draw(st.integers(20, 5000))
    inner = draw(st.sampled_from([("[" * depth, "]" * depth), ("{a=" * depth, "1" + "}" * depth),
                                  ("[{a=" * (depth // 2), "1" + "}]" * (depth // 2))]))
    nested = inner[0] + inner[1]
    where = draw(st.sampled_from(["top", "value", "dotted"]))
    text = to_toml(BASE)
    if where == "top":
        return f"x = {nested}\n{text}".encode()
    if where == "dotted":
        return (text + f"[account_a.{'.'.join(['t'] * depth)}]\n").encode()
    path = draw(st.sampled_from(FIELDS))
    data = copy.deepcopy(BASE)
    marker = "@@NESTED@@"
    _set(data, path, marker)
    return to_toml(data).replace(toml_string(marker), nested).encode()


ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "cp1252", "latin-1", "cp437", "cp037", "mac-roman"]


@st.composite
def encoded_configs(draw: st.DrawFn) -> bytes:
    """The valid config (with a non-ASCII comment, so single-byte encodings differ from UTF-8) in another encoding."""
    encoding = draw(st.sampled_from(ENCODINGS))
    text = "# Konfiguration für Schlüssel: ü\n" + to_toml(BASE)
    data = text.encode(encoding)
    if draw(st.booleans()) and encoding.startswith("utf-16"):
        data = data.lstrip(b"\xff\xfe").lstrip(b"\xfe\xff")  # UTF-16 without its BOM
    return data


@st.composite
def region_configs(draw: st.DrawFn) -> bytes:
    """A region of the right shape that botocore does not know, or of a partition xacct-infra does not support."""
    data = copy.deepcopy(BASE)
    region = draw(st.one_of(
        st.builds(lambda a, b, n: f"{a}-{b}-{n}", st.text(string.ascii_lowercase, min_size=2, max_size=2).filter(lambda p: p not in {"us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"}),
                  st.sampled_from(["east", "west", "nowhere", "central"]), st.integers(1, 99)),
        st.builds(lambda p, n: f"{p}-{n}", st.sampled_from(["us-east", "eu-west", "ap-south", "cn-north", "us-gov-west"]), st.integers(8, 99)),
        st.sampled_from(["us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "eusc-de-east-1", "aws-global"])))
    section = draw(st.sampled_from([("account_a", "region"), ("account_b", 0, "region"), ("account_b", 1, "region")]))
    _set(data, section, region)
    return _text_config(data)


@st.composite
def foreign_arn_configs(draw: st.DrawFn) -> bytes:
    """A key ARN or permissions boundary in another partition than account_a's region, or in another account."""
    data = copy.deepcopy(BASE)
    a = data["account_a"]
    other_partition = draw(st.sampled_from([("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")]))
    other_account = draw(st.text(string.digits, min_size=12, max_size=12).filter(lambda x: x != a["id"]))
    kind = draw(st.sampled_from(["key-partition", "key-account", "boundary-partition", "boundary-account"]))
    if kind == "key-partition":
        a["keys"][1]["id"] = f"arn:{other_partition[0]}:kms:{other_partition[1]}:{a['id']}:key/{KEY}"
    elif kind == "key-account":
        a["keys"][1]["id"] = f"arn:aws:kms:us-east-1:{other_account}:key/{KEY}"
    elif kind == "boundary-partition":
        a["permissions_boundary"] = f"arn:{other_partition[0]}:iam::{draw(st.sampled_from([a['id'], 'aws']))}:policy/Boundary"
    else:
        a["permissions_boundary"] = f"arn:aws:iam::{other_account}:policy/Boundary"
    return _text_config(data)


# --------------------------------------------------------------------------- the property

EXAMPLES = {"random bytes": 150, "encodings": 40, "nesting": 40, "unicode digits": 120, "lookalikes": 120,
            "control characters": 100, "huge values": 25, "unknown regions": 50, "foreign ARNs": 40}
COMMANDS = (["templates"], ["check"], ["profile", "--consumer", "payments"])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(directory.rglob("*"))}


def assert_refused(workspace: Path, raw: bytes, command: list[str]) -> None:
    path = workspace / "xacct.toml"
    path.write_bytes(raw)
    out = workspace / "out"
    out.mkdir(exist_ok=True)
    (out / "account-a.yaml").write_text("# an older template that a write would replace\n")
    before = snapshot(workspace)
    args = [*command, "--config", str(path)] + (["--out", str(out)] if command[0] == "templates" else [])
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.stderr[:500])
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    line = lines[0]
    assert line.startswith(f"xacct-infra: error: {path}"), line[:300]
    assert len(line) - len(str(path)) <= 400, f"{len(line)} characters: {line[:400]}"
    assert "Traceback" not in result.stderr
    assert snapshot(workspace) == before  # nothing written, nothing half-written, nothing removed


def _property(name: str, strategy: st.SearchStrategy[bytes]) -> Any:
    @settings(max_examples=EXAMPLES[name], deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                                 HealthCheck.function_scoped_fixture])
    @given(raw=strategy, command=st.sampled_from(COMMANDS))
    def test(workspace: Path, raw: bytes, command: list[str]) -> None:
        assert_refused(workspace, raw, command)

    test.__name__ = f"test_{name.replace(' ', '_')}_exit_2_in_one_short_line_and_write_nothing"
    return test


test_random_bytes = _property("random bytes", st.binary(max_size=400).filter(lambda b: b"account_a" not in b))
test_encodings = _property("encodings", encoded_configs())
test_nesting = _property("nesting", nested_configs())
test_unicode_digits = _property("unicode digits", unicode_digit_configs())
test_lookalikes = _property("lookalikes", lookalike_configs())
test_control_characters = _property("control characters", control_configs())
test_huge_values = _property("huge values", huge_configs())
test_unknown_regions = _property("unknown regions", region_configs())
test_foreign_arns = _property("foreign ARNs", foreign_arn_configs())


def test_the_base_config_is_valid(workspace: Path) -> None:
    """The mutations above start from a config that passes: each refusal is the mutation's doing."""
    path = workspace / "base.toml"
    path.write_text(to_toml(BASE))
    result = CliRunner().invoke(cli, ["templates", "--config", str(path), "--out", str(workspace / "base-out")])
    assert result.exit_code == 0, result.stderr
    assert json.dumps(BASE)  # plain data


@pytest.mark.parametrize("raw", [
    pytest.param(to_toml(BASE).encode("utf-16"), id="utf-16 with BOM"),
    pytest.param(to_toml(BASE).encode("utf-16-le"), id="utf-16 without BOM"),
    pytest.param(bytes(range(256)) * 4, id="binary"),
    pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(200), id="an executable"),
    pytest.param(b"x = " + b"[" * 100_000 + b"]" * 100_000, id="nested 100000 deep"),
    pytest.param(to_toml(BASE).replace("xacct-access", "x" * 10_000_000).encode(), id="a 10 MB value"),
    pytest.param(to_toml(BASE).replace('"us-east-1"', '"us-east-١"', 1).encode(), id="us-east-١"),
    pytest.param(to_toml(BASE).replace('"111111111111"', '"١١١١٢٢٢٢٣٣٣٣"', 1).encode(), id="arabic-indic account id"),
    pytest.param(to_toml(BASE).replace('"111111111111"', '"１１１１２２２２３３３３"', 1).encode(), id="fullwidth account id"),
    pytest.param(to_toml(BASE).replace('"us-east-1"', '"zz-nowhere-9"', 1).encode(), id="zz-nowhere-9"),
    pytest.param(to_toml(BASE).replace('"keystore"', '"key\\u0000store"', 1).encode(), id="NUL in a table name"),
])
def test_named_hostile_inputs(workspace: Path, raw: bytes) -> None:
    assert_refused(workspace, raw, ["templates"])


def test_a_config_beyond_16_mib_is_refused_by_size_before_it_is_parsed(workspace: Path) -> None:
    limit = 16 * 1024 * 1024
    padded = to_toml(BASE) + "\n" + "#" * limit + "\n"  # valid TOML: only the size is wrong
    assert_refused(workspace, padded.encode(), ["templates"])
    result = CliRunner().invoke(cli, ["templates", "--config", "/dev/zero", "--out", str(workspace / "out")])
    assert result.exit_code == 2 and result.stderr == "xacct-infra: error: /dev/zero: is larger than 16 MiB; a config is a small TOML file\n"
    just_under = to_toml(BASE) + "\n" + "#" * (limit - len(to_toml(BASE)) - 3) + "\n"
    assert len(just_under.encode()) <= limit
    path = workspace / "just-under.toml"
    path.write_text(just_under)
    assert CliRunner().invoke(cli, ["templates", "--config", str(path), "--out", str(workspace / "under")]).exit_code == 0
