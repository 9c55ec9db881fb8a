"""Templates held to what the generator writes for the config, file by file.

The expected roles, trust policies, permissions and attachments are the generator's own
output for the config (``templates`` renders it; policies.py and stacks/ decide it), so
every consumer kind the generator knows is covered without a line here. Each template role
is compared with the generator's role of the same logical id (:func:`compare.compare_role`:
name, path, session length, boundary, trust, permissions, managed policies) and its trust
is probed request by request (:func:`probes.compare`); a role the generator does not write
is a finding, and so is a policy attached to anything but the template's own roles unless
the generator attaches it there (an ``existing-role`` consumer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from xacct_infra.access import compare, probes
from xacct_infra.access.templates import FileModel, read
from xacct_infra.config import Side
from xacct_infra.findings import Finding


def compare_file(actual: FileModel, expected: FileModel, *, where: str, partition: str,
                 accounts: Sequence[str] = (), org: probes.Org | None = None) -> list[Finding]:
    out: list[Finding] = []
    # A role is the role IAM sees: matched by ARN first (a renamed logical id changes nothing),
    # then by logical id (a changed RoleName or Path is then a finding of that role).
    by_arn = {r.arn: r for r in expected.roles}
    pairs = {role.logical_id: by_arn[role.arn] for role in actual.roles if role.arn in by_arn}
    taken = {r.logical_id for r in pairs.values()}
    wanted = {r.logical_id: r for r in expected.roles if r.logical_id not in taken}
    for role in actual.roles:
        target = pairs.get(role.logical_id) or (wanted.pop(role.logical_id, None) if role.logical_id not in pairs else None)
        if target is None:
            out.append(Finding(compare.ROLE_RULE, f"{where} {role.logical_id}", f"role {role.name} is not one the config "
                               "defines: whatever it trusts and allows is beyond the config"))
            continue
        out += compare.compare_role(role.state, target.state, where=f"{where} {role.logical_id}", partition=partition)
        out += probes.compare(role.trust.document, target.trust.document, role_arn=role.arn, role_account=role.account,
                              where=role.trust.name, partition=partition, accounts=accounts, org=org)
    for logical_id in sorted(wanted):
        out.append(Finding(compare.ROLE_RULE, f"{where} {logical_id}", f"role {wanted[logical_id].name}, which the config "
                           "defines, is missing"))
    out += compare.compare_attachments(actual.attachments, expected.attachments)
    out += policy_variables(actual)
    return out


_VARIABLE = re.compile(r"\$\{[^}]*\}")


def policy_variables(model: FileModel) -> list[Finding]:
    """An Allow whose principal, resource or condition holds a policy variable (``${aws:PrincipalArn}``,
    left after the intrinsics are resolved) matches whatever the request fills in: the generator
    writes none, and the comparison cannot bound what one admits."""
    out = []
    for doc in model.policies:
        body = doc.document.get("Statement", []) if isinstance(doc.document, Mapping) else []
        for index, st in enumerate(body if isinstance(body, list) else [body]):
            if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
                continue
            found = sorted(set(_VARIABLE.findall(json.dumps(st))))
            if found:
                rule = compare.TRUST_RULE if doc.kind == "trust" else compare.POLICY_RULE
                out.append(Finding(rule, doc.name, f"uses the policy variable {', '.join(found)}: IAM fills it in from each "
                                                   "request, so what it admits is not bounded by the config", str(st.get("Sid") or f"Statement[{index}]")))
    return out


def compare_files(actual: Mapping[str, Mapping[str, Any]], expected: Mapping[str, Mapping[str, Any]], *,
                  owners: Mapping[str, tuple[str, str]], partition: str, accounts: Sequence[str] = (),
                  org: probes.Org | None = None) -> list[Finding]:
    """Every file the generator writes (``expected``, keyed by stem: ``account-a``,
    ``account-b``...) against the same file in ``actual``. ``owners``: stem -> (account id,
    region) that file is resolved in (a shared consumer file: its first consumer's)."""
    out: list[Finding] = []
    for stem, wanted in expected.items():
        if stem not in actual:
            continue  # reading the directory already refused a missing file
        side: Side = "a" if stem == "account-a" else "b"
        account, region = owners[stem]
        where = f"{stem}.yaml"
        got = read(side, actual[stem], partition, account, region, where)
        want = read(side, wanted, partition, account, region, where)
        out += compare_file(got, want, where=where, partition=partition, accounts=accounts, org=org)
    return out
