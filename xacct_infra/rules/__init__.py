"""xacct-infra's own template rules (cfn-lint style: one class per rule, ``validate()``
returns findings) and the parliament gate. Both read a resolved :class:`TemplateSet`."""

from __future__ import annotations

from xacct_infra.rules.base import Rule, run
from xacct_infra.rules.statements import RULES

__all__ = ["RULES", "Rule", "run"]
