"""The parliament gate: identity policies, resolved to plain ARNs, must raise no finding.

parliament reads identity policies well (unknown actions, resource/action mismatches,
``Resource: *``) but reports every trust policy as malformed, so trust policies are left to
the template rules. Each statement is analysed on its own so a finding names its Sid.
parliament is imported here only, when the gate runs: ``templates`` never pays for it.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

from xacct_infra.access.templates import TemplateSet
from xacct_infra.findings import Finding
from xacct_infra.rules.base import statements


def _parliament() -> Any:
    """``import parliament``, without paying for ``pkg_resources`` (~0.35 s of a 0.6 s check):
    parliament uses it only for ``resource_filename`` of its own data files, so a stand-in
    that answers that one question is installed for the import and removed after it."""
    if "parliament" in sys.modules or "pkg_resources" in sys.modules:
        import parliament

        return parliament
    shim = types.ModuleType("pkg_resources")
    spec = __import__("importlib.util").util.find_spec("parliament")
    base = Path(spec.origin).parent if spec and spec.origin else Path()
    shim.resource_filename = lambda _package, name: str(base / name)  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim
    try:
        import parliament
    finally:
        del sys.modules["pkg_resources"]
    return parliament


def analyze(ts: TemplateSet) -> list[Finding]:
    parliament = _parliament()
    out = []
    for st in statements(ts, trust=False):
        policy = parliament.analyze_policy_string(json.dumps({"Version": "2012-10-17", "Statement": [st.body]}))
        out += [Finding(f"parliament:{f.issue}", st.doc.name, f"{f.title or f.issue}: {f.detail}", st.sid) for f in policy.findings]
    return out


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("parliament")
