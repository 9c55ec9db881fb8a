"""Exactly the settings that shape one template, and their digest (the template's ConfigDigest).

Nothing about how a stack is deployed (profiles, stack names, buckets) counts, so changing
those never changes a template.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from xacct_infra.config import Config, Consumer, Side


def template_inputs(config: Config, side: Side, consumer: Consumer | None = None) -> dict[str, Any]:
    a = config.account_a
    if side == "a":
        inputs: dict[str, Any] = {
            "account_a": {
                "id": a.id,
                "region": a.region,
                "role_name": a.role_name,
                "role_path": a.role_path,
                "max_session_duration": a.max_session_duration,
                "external_id": a.external_id,
                "permissions_boundary": a.permissions_boundary,
                "tables": [t.__dict__ for t in a.tables],
                "keys": [k.__dict__ for k in a.keys],
            },
            "account_b": _principal(config.consumers[0]),
        }
        # Kept out of the single-consumer digest so existing templates do not change.
        if len(config.consumers) > 1 or config.consumers[0].narrowed or config.consumers[0].group:
            inputs["consumers"] = [_principal(b, narrowing=True) for b in config.consumers]
        if a.trust != "roles":
            inputs["trust"] = {"mode": a.trust, "org_id": a.org_id, "org_paths": list(a.org_paths)}
        return inputs
    b = consumer or config.consumers[0]
    target = config.access_role_for(b)
    principal = _principal(b)
    if len(config.consumers) > 1:  # account-agnostic, so consumers (and StackSet instances) share one template
        del principal["id"]
    return {
        "account_a": {"id": a.id, "region": a.region, "role_path": a.role_path, "role_name": target.name},
        "account_b": principal,
    }


def digest(config: Config, side: Side, consumer: Consumer | None = None) -> str:
    """A short, stable digest of :func:`template_inputs` (comments and order do not count)."""
    canonical = json.dumps(template_inputs(config, side, consumer), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _principal(b: Consumer, narrowing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": b.id, "role_path": b.role_path, "role_name": b.role_name}
    # Only what a kind adds, and only when set: a consumer without kind keeps its digest.
    if b.kind != "ec2":
        out["kind"] = b.kind
    for name in ("vpc_ids", "cluster", "namespace", "service_account"):
        if getattr(b, name):
            out[name] = list(getattr(b, name)) if name == "vpc_ids" else getattr(b, name)
    if narrowing:
        out["group"] = b.group
        out["tables"] = None if b.tables is None else [t.__dict__ for t in b.tables]
        out["keys"] = None if b.keys is None else [k.__dict__ for k in b.keys]
    return out
