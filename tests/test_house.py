"""The house rules of issue 13, checked on the source so they cannot quietly regress.

- no module over 400 lines, no CLI module over 250;
- boto3/botocore imported at run time only in ``aws.py`` and the emulator module ``local.py``
  (imports under ``if TYPE_CHECKING:`` are type-only and allowed);
- every ARN is built in ``arns.py``: elsewhere no f-string, ``str.format`` template, ``+`` or ``%``
  puts values into an ``arn:...`` string, and no concrete ARN is written out (regular
  expressions that *parse* ARNs, docstrings and placeholder examples such as
  ``arn:<partition>:iam::<12 digits>:role/...`` in a message are fine);
- ``Config`` has no ``account_b`` (a consumer is reached by name, through a view);
- no test swaps an attribute of an xacct_infra module (``monkeypatch.setattr``/``delattr``,
  ``mock.patch``): tests inject fakes through the parameters the code has (``aws.Clients``).

Pure file reads: a regular expression finds the few files with a suspect line, and only those
are parsed with ``ast``, which decides (so the whole file takes well under 0.2 s). Each checker
(prefilter and ``ast`` together) is also run on a corpus of snippets that must be flagged and
snippets that must not, so a checker that can no longer fail is caught.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "xacct_infra"
MAX_LINES, MAX_CLI_LINES = 400, 250
BOTO_HOMES = {"xacct_infra/aws.py", "xacct_infra/local.py"}
ARN_HOME = "xacct_infra/arns.py"
_RE_CALLS = {"compile", "fullmatch", "match", "search", "sub", "subn", "findall", "finditer", "split"}
_FORMAT_TEMPLATE = re.compile(r"arn:[^\s\"']*\{[A-Za-z_][\w:.]*\}")  # "arn:{partition}:..." (str.format) or "arn:${AWS::Partition}:..." (Fn::Sub)
_CONCRETE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:")
# Lines worth parsing for: a boto import; an ARN string with a placeholder, continued on the next line,
# joined with + or %, an "arn" part of a join, a concrete ARN; a patch or setattr call.
_BOTO_SUSPECT = re.compile(r"^\s*(?:import|from)\s[^#\n]*\b(?:boto3|botocore)\b|import_module\(|__import__\(", re.M)
_ARN_SUSPECT = re.compile("|".join([
    r"""arn:[^"'\n]*\{(?![0-9{])""", r"""arn:[^"'\n]*["']\s*$""", r"""[+%]\s*[rRbBuUfF]{0,2}["'][^"'\n]*arn:""",
    r"""arn:[^"'\n]*["']\s*[+%]""", r"""["']arn["']""", _CONCRETE_ARN.pattern]), re.M)
_PATCH_SUSPECT = re.compile(r"\b(?:setattr|delattr|patch(?:\.object|\.dict)?)\(")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def _parse(text: str) -> ast.Module:
    return ast.parse(text)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _tests() -> list[Path]:
    return sorted(p for p in (ROOT / "tests").rglob("*.py") if p.name != "test_house.py")


# --------------------------------------------------------------------------- checkers (source in, findings out)


def too_long(rel: str, text: str) -> str | None:
    limit = MAX_CLI_LINES if rel.startswith("xacct_infra/cli/") else MAX_LINES
    lines = text.count("\n") + (not text.endswith("\n") and bool(text))
    return f"{rel}: {lines} lines (at most {limit})" if lines > limit else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (its ``else:`` runs, so it counts)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def _is_boto(name: str) -> bool:
    return name.split(".")[0] in ("boto3", "botocore")


def boto_imports(text: str) -> list[int]:
    """Lines importing boto3/botocore at run time (``import``, ``from``, ``importlib.import_module``, ``__import__``)."""
    if not any(word in text for word in ("boto", "import_module", "__import__")) or not _BOTO_SUSPECT.search(text):
        return []
    found = []
    for node in _runtime_nodes(_parse(text)):
        imported = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        if any(_is_boto(name) for name in imported):
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and _is_boto(node.args[0].value):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__"):
                found.append(node.lineno)
    return found


def arns_built(text: str) -> list[int]:
    """Lines that build an ARN (or write a concrete one) outside ``arns.py``."""
    if "arn" not in text or not _ARN_SUSPECT.search(text):
        return []
    tree = _parse(text)
    parsing: set[int] = set()  # nodes inside re.compile(...) and friends: patterns that read ARNs
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RE_CALLS \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re":
            parsing.update(id(n) for arg in node.args for n in ast.walk(arg))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docstrings.add(id(node.value))

    def arn_text(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and "arn:" in node.value

    found = []
    for node in ast.walk(tree):
        if id(node) in parsing or id(node) in docstrings:
            continue
        if isinstance(node, ast.JoinedStr):
            seen_arn = False
            for part in node.values:
                seen_arn = seen_arn or arn_text(part)
                if seen_arn and isinstance(part, ast.FormattedValue):
                    found.append(node.lineno)
                    break
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _FORMAT_TEMPLATE.search(node.value) or _CONCRETE_ARN.search(node.value):
                found.append(node.lineno)
        elif isinstance(node, ast.BinOp | ast.Call) and (_glued(node, arn_text) or _joined(node)):
            found.append(node.lineno)
    return sorted(set(found))


def _glued(node: ast.AST, arn_text: Callable[[ast.AST], bool]) -> bool:
    """``"arn:" + partition + ...`` or ``"arn:%s:..." % (...)``."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod) and (arn_text(node.left) or arn_text(node.right))


def _joined(node: ast.AST) -> bool:
    """``":".join(["arn", partition, ...])``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" and node.args):
        return False
    parts = node.args[0]
    return isinstance(parts, ast.List | ast.Tuple) and bool(parts.elts) and isinstance(parts.elts[0], ast.Constant) \
        and parts.elts[0].value == "arn"


def config_members(text: str) -> set[str]:
    """The names class ``Config`` defines (fields, properties, methods, class attributes)."""
    names: set[str] = set()
    for cls in (n for n in ast.walk(_parse(text)) if isinstance(n, ast.ClassDef) and n.name == "Config"):
        for node in cls.body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


def _xacct_names(tree: ast.Module) -> set[str]:
    """Local names bound to xacct_infra modules or to anything imported from them."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "xacct_infra":
                    names.add(alias.asname or "xacct_infra")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "xacct_infra":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


_IMPORTED = re.compile(r"^[ \t]*from[ \t]+xacct_infra[\w.]*[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)|^[ \t]*import[ \t]+(xacct_infra[\w.]*)(?:[ \t]+as[ \t]+(\w+))?", re.M)


_ATTRIBUTE_WRITE = re.compile(r"^[ \t]*(?:del[ \t]+([A-Za-z_]\w*)\.|([A-Za-z_]\w*)\.[\w.]+[ \t]*[-+*/|&]?=(?!=))", re.M)


def _assigns_to_ours(text: str) -> bool:
    """Whether a line assigns to (or deletes) an attribute of a name imported from xacct_infra (``aws.MAX_ATTEMPTS = 1``)."""
    if "xacct_infra" not in text:
        return False
    names: set[str] = set()
    for found in _IMPORTED.finditer(text):
        if found[1]:
            names.update(part.split(" as ")[-1].strip() for part in found[1].strip("()").replace("\n", ",").split(","))
        else:
            names.add(found[3] or "xacct_infra")
    return any((hit[1] or hit[2]) in names for hit in _ATTRIBUTE_WRITE.finditer(text))


def patches(text: str) -> list[int]:
    """Lines where a test swaps an attribute of xacct_infra: ``monkeypatch.setattr``/``delattr`` (object
    or dotted string), ``mock.patch("xacct_infra...")``, ``mock.patch.object(<xacct_infra thing>, ...)``,
    ``setattr``, or a plain assignment or ``del`` (``aws.MAX_ATTEMPTS = 1``: not even undone afterwards)."""
    called = any(word in text for word in ("setattr(", "delattr(", "patch")) and _PATCH_SUSPECT.search(text)
    if not called and not _assigns_to_ours(text):
        return []
    tree = _parse(text)
    ours = _xacct_names(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target] \
            if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        if any(isinstance(t, ast.Attribute) and _root(t) in ours for t in targets):
            found.append(node.lineno)
            continue
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func, first = node.func, node.args[0]
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name not in ("setattr", "delattr", "patch", "object", "dict"):
            continue
        if name in ("object", "dict") and not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute | ast.Name)
                                              and (func.value.attr if isinstance(func.value, ast.Attribute) else func.value.id) == "patch"):
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if first.value.split(".")[0] == "xacct_infra":
                found.append(node.lineno)
        elif _root(first) in ours:
            found.append(node.lineno)
    return found


# --------------------------------------------------------------------------- the rules, on the code base


def test_no_module_over_400_lines_and_no_cli_module_over_250() -> None:
    long = [f for f in (too_long(_rel(p), _source(p)) for p in _modules()) if f]
    assert not long, "split these along a real seam: " + "; ".join(long)


def test_boto3_and_botocore_are_imported_at_run_time_only_in_aws_and_the_emulator() -> None:
    found = [f"{_rel(p)}:{line}" for p in _modules() if _rel(p) not in BOTO_HOMES for line in boto_imports(_source(p))]
    assert not found, f"runtime boto3/botocore imports outside {sorted(BOTO_HOMES)} (use the helpers in aws.py): {found}"


def test_every_arn_is_built_in_arns_py() -> None:
    found = [f"{_rel(p)}:{line}" for p in _modules() if _rel(p) != ARN_HOME for line in arns_built(_source(p))]
    assert not found, f"ARNs built outside {ARN_HOME} (add a builder there): {found}"


def test_config_has_no_account_b() -> None:
    from xacct_infra.config import Config

    assert "account_b" not in config_members(_source(PACKAGE / "config" / "model.py"))
    assert "account_b" not in {f.name for f in fields(Config)} and not hasattr(Config, "account_b")


def test_no_test_patches_an_xacct_infra_attribute() -> None:
    found = [f"{_rel(p)}:{line}" for p in _tests() for line in patches(_source(p))]
    assert not found, f"tests swapping xacct_infra attributes (pass a fake through aws.Clients or a parameter): {found}"


def test_the_rules_see_the_whole_code_base() -> None:
    """A glob gone wrong must not make every rule pass on nothing."""
    rels = {_rel(p) for p in _modules()}
    assert {"xacct_infra/aws.py", "xacct_infra/arns.py", "xacct_infra/policies.py", "xacct_infra/cli/deploy.py"} <= rels
    assert len(rels) > 50 and len(_tests()) > 40


# --------------------------------------------------------------------------- the checkers can fail

def _lines(checker: Callable[[str], list[int]], code: str) -> list[int]:
    return checker(code)


@pytest.mark.parametrize(("code", "flagged"), [
    ("import boto3\n", True),
    ("import botocore.session as s\n", True),
    ("def f():\n    from botocore.exceptions import ClientError\n", True),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n    import boto3\n", True),
    ("import importlib\nimportlib.import_module('botocore.session')\n", True),
    ("__import__('boto3')\n", True),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import boto3\n", False),
    ("import typing\nif typing.TYPE_CHECKING:\n    from botocore.client import BaseClient\n", False),
    ("import importlib.util\nimportlib.util.find_spec('botocore')\n", False),  # locates, does not import
    ("import botocorefake\nx = 'import boto3'\n", False),
])
def test_boto_import_checker(code: str, flagged: bool) -> None:
    assert bool(_lines(boto_imports, code)) == flagged


@pytest.mark.parametrize(("code", "flagged"), [
    ('p, a = "aws", "1"\nx = f"arn:{p}:iam::{a}:role/x"\n', True),
    ('a = "1"\nx = f"arn:aws:iam::{a}:root"\n', True),
    ('x = "arn:{partition}:iam::{account}:root".format(partition="aws", account="1")\n', True),
    ('p = "aws"\nx = "arn:" + p + ":iam::111111111111:root"\n', True),
    ('x = "arn:%s:iam::%s:root" % ("aws", "1")\n', True),
    ('x = ":".join(["arn", "aws", "iam", "", "1", "root"])\n', True),
    ('x = "arn:aws:iam::111111111111:role/xacct-access"\n', True),
    ('x = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n', True),
    ('x = {"Fn::Sub": "arn:${AWS::Partition}:iam::{account}:root"}\n', True),
    ('x = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}\n', True),
    ('p = "aws"\nx = (f"arn:"\n     f"{p}:iam::111111111111:root")\n', True),
    ('import re\nR = re.compile(r"arn:[a-z-]+:iam::(\\d{12}):root")\n', False),
    ('import re\nP = "aws"\nR = re.compile(rf"arn:(?P<p>{P}):iam::[0-9]{{12}}:policy/.+")\n', False),
    ('def f():\n    """Reads ``arn:aws:iam::111111111111:root``."""\n', False),
    ('x = "s".startswith("arn:")\n', False),
    ('w = "k"\nx = f"{w}: not an IAM role ARN; allowed: arn:<partition>:iam::<12 digits>:role/<path/>name"\n', False),
    ('x = "required: arn:aws:iam::<this consumer\'s id>:role/<path/name>"\n', False),
])
def test_arn_checker(code: str, flagged: bool) -> None:
    assert bool(_lines(arns_built, code)) == flagged


@pytest.mark.parametrize(("code", "flagged"), [
    ("from xacct_infra import aws\ndef t(monkeypatch):\n    monkeypatch.setattr(aws, 'client', None)\n", True),
    ("from xacct_infra.cli import deploy as deploy_cli\ndef t(mp):\n    mp.setattr(deploy_cli, '_deployer', None)\n", True),
    ("import xacct_infra.files as files\ndef t(monkeypatch):\n    monkeypatch.setattr(files.tempfile, 'mkstemp', None)\n", True),
    ("from xacct_infra.aws import Clients\ndef t(monkeypatch):\n    monkeypatch.setattr(Clients, 'client', None)\n", True),
    ("def t(monkeypatch):\n    monkeypatch.setattr('xacct_infra.aws.MAX_ATTEMPTS', 1)\n", True),
    ("from xacct_infra import check\ndef t(monkeypatch):\n    monkeypatch.delattr(check, 'rendered_files')\n", True),
    ("from unittest import mock\nwith mock.patch('xacct_infra.aws.client'):\n    pass\n", True),
    ("from unittest import mock\nfrom xacct_infra import aws\nwith mock.patch.object(aws, 'client'):\n    pass\n", True),
    ("import xacct_infra.aws\nsetattr(xacct_infra.aws, 'MAX_ATTEMPTS', 1)\n", True),
    ("import os\ndef t(monkeypatch):\n    monkeypatch.setattr(os, 'fsync', None)\n", False),
    ("def t(monkeypatch):\n    monkeypatch.setattr('botocore.retries.standard.ExponentialBackoff.delay_amount', None)\n", False),
    ("from xacct_infra import aws\nclass F(aws.Clients):\n    def client(self, *a): return None\n", False),
    ("from xacct_infra import aws\ndef t(monkeypatch):\n    monkeypatch.setenv('AWS_REGION', 'x')\n", False),
    ("from xacct_infra import aws\ndef t():\n    aws.MAX_ATTEMPTS = 1\n", True),
    ("from xacct_infra import (\n    arns,\n    aws as a,\n)\ndef t():\n    a.MAX_ATTEMPTS += 1\n", True),
    ("import xacct_infra.aws as aws\ndef t():\n    aws.Clients.client = None\n", True),
    ("from xacct_infra.aws import Clients\ndef t():\n    del Clients.client\n", True),
    ("from xacct_infra.aws import Clients\ndef t():\n    made = Clients()\n    made.max_attempts = 1\n", False),  # an object of its own
    ("from xacct_infra import aws\ndef t():\n    x = aws.MAX_ATTEMPTS == 1\n", False),
])
def test_patch_checker(code: str, flagged: bool) -> None:
    assert bool(_lines(patches, code)) == flagged


@pytest.mark.parametrize(("code", "flagged"), [
    ("class Config:\n    account_b: int\n", True),
    ("class Config:\n    @property\n    def account_b(self): return 1\n", True),
    ("class Config:\n    account_b = None\n", True),
    ("class Config:\n    consumers: tuple\n    def view(self): return 1\n", False),
    ("class Other:\n    account_b: int\n", False),
])
def test_config_member_checker(code: str, flagged: bool) -> None:
    assert ("account_b" in config_members(code)) == flagged


@pytest.mark.parametrize(("rel", "lines", "flagged"), [
    ("xacct_infra/verify.py", 400, False), ("xacct_infra/verify.py", 401, True),
    ("xacct_infra/cli/deploy.py", 250, False), ("xacct_infra/cli/deploy.py", 251, True),
])
def test_line_limit_checker(rel: str, lines: int, flagged: bool) -> None:
    assert bool(too_long(rel, "x = 1\n" * lines)) == flagged
