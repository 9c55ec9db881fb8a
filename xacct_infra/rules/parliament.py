"""The parliament gate: identity policies, resolved to plain ARNs, must raise no finding.

parliament reads identity policies well (unknown actions, resource/action mismatches,
``Resource: *``) but reports every trust policy as malformed, so trust policies are left to
the template rules. Each statement is analysed on its own so a finding names its Sid.
parliament is imported here only, when the gate runs: ``templates`` never pays for it.
"""

from __future__ import annotations

import json

from xacct_infra.access.templates import TemplateSet
from xacct_infra.findings import Finding
from xacct_infra.rules.base import statements


def analyze(ts: TemplateSet) -> list[Finding]:
    import parliament

    out = []
    for st in statements(ts, trust=False):
        policy = parliament.analyze_policy_string(json.dumps({"Version": "2012-10-17", "Statement": [st.body]}))
        out += [Finding(f"parliament:{f.issue}", st.doc.name, f"{f.title or f.issue}: {f.detail}", st.sid) for f in policy.findings]
    return out


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("parliament")
