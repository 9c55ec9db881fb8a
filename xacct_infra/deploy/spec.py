"""What a deploy is asked to do and what it answers, as plain data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from xacct_infra import quotas
from xacct_infra.deploy import plan as plan_mod
from xacct_infra.deploy import status as st

OWNER_TAG = "xacct-infra:stack"
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]  # role and instance profile names are set in the templates


@dataclass(frozen=True)
class StackSpec:
    """What should be deployed: one side's stack, fully rendered in memory."""

    side: str  # "account_a" | "account_b": used in messages and the ownership tag
    account_id: str
    stack_name: str
    template_body: str
    tags: tuple[tuple[str, str], ...] = ()
    termination_protection: bool = True
    consumer: str = ""  # set when the config has several consumers: commands in messages name it
    artifact_bucket: str | None = None  # templates over 51,200 bytes go through this bucket

    @property
    def selector(self) -> str:
        """The flags that pick this stack on the command line (for the commands messages suggest)."""
        flag = f"--{self.side.replace('_', '-')}"
        return f"{flag} --consumer {self.consumer}" if self.consumer else flag

    @property
    def owner_tag(self) -> tuple[str, str]:
        return OWNER_TAG, f"{self.side}:{self.account_id}:{self.stack_name}"

    @property
    def all_tags(self) -> list[dict[str, str]]:
        tags = dict(self.tags)
        key, value = self.owner_tag
        tags[key] = value
        return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]

    def check_size(self) -> bool:
        """Refuse before any change what CloudFormation would refuse; True when it must go through S3."""
        return quotas.check_template(self.template_body, f"{self.side}: the template", bucket=self.artifact_bucket,
                                     bucket_key=f"{self.side}.artifact_bucket", need_bucket=True).needs_upload


@dataclass(frozen=True)
class DeployOptions:
    plan_only: bool = False
    confirm: Callable[[str], bool] | None = None  # None: never prompt (non-interactive or --yes)
    timeout: float | None = None
    continue_rollback: bool = False
    adopt: bool = False  # take over a stack of that name that xacct-infra did not create


@dataclass
class DeployResult:
    stack_name: str
    outcome: Literal["created", "updated", "no-changes", "planned"]
    outputs: dict[str, str] | None = None
    stack_status: str | None = None
    changes: list[plan_mod.ResourceChange] = field(default_factory=list)
    note: str | None = None  # e.g. the change completed before an interrupt could take effect
    unsupported: tuple[str, ...] = ()  # what the endpoint lacks, e.g. "termination protection (ResponseParserError)"


@dataclass
class StackReport:
    """What `status` shows for one stack, as data."""

    stack_name: str
    status: str | None  # None: not deployed
    matches: bool = False  # the deployed template is the one rendered from the config
    termination_protection: bool = False
    reason: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.status in st.HEALTHY and self.matches

    def to_dict(self, **where: str) -> dict[str, Any]:
        """As `status --output json` shows it (``where``: side, account)."""
        entry: dict[str, Any] = {"stack": self.stack_name, **where, "status": self.status or "NOT DEPLOYED", "healthy": self.healthy}
        if self.status is not None:
            entry.update(template_matches=self.matches, reason=self.reason, termination_protection=self.termination_protection,
                         events=[{"time": ev["Timestamp"].isoformat(), "resource": ev["LogicalResourceId"], "status": ev["ResourceStatus"],
                                  "reason": ev.get("ResourceStatusReason") or ""} for ev in self.events])
        return entry


def outputs(stack: dict[str, Any]) -> dict[str, str] | None:
    """A stack's outputs by key; None when CloudFormation returned none (the emulator, for change-set stacks)."""
    if "Outputs" not in stack or stack["Outputs"] is None:
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
