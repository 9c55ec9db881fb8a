"""What every gate (template rules, parliament, the access sweep) reports: one finding each."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Finding:
    rule: str  # "XI1001", "parliament:RESOURCE_STAR", "access:unexpected-allow", ...
    location: str  # "account-a.yaml AccessRole inline policy xacct-access"
    message: str
    statement: str = ""  # the Sid (or Statement[i]) at fault, when there is one

    def __str__(self) -> str:
        where = f"{self.location} statement {self.statement}" if self.statement else self.location
        return f"{self.rule} {where}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
