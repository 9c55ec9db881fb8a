"""Which stacks a command acts on, where to reach each, and what each should contain."""

from __future__ import annotations

from dataclasses import dataclass, field

from xacct_infra import aws, render
from xacct_infra.config import Config, Consumer, Side
from xacct_infra.deploy.artifacts import TemplateStore
from xacct_infra.deploy.deployer import Deployer, StackSpec
from xacct_infra.deploy.interrupts import Interrupts
from xacct_infra.deploy.poll import Clock
from xacct_infra.deploy.report import Reporter
from xacct_infra.errors import UsageError

SIDE_NAMES: dict[Side, str] = {"a": "account_a", "b": "account_b"}


@dataclass(frozen=True)
class StackTarget:
    """One stack to act on: Account A's or one consumer's, with where to reach it."""

    key: Side
    name: str  # account_a | account_b
    account_id: str
    stack_name: str
    target: aws.Target
    artifact_bucket: str | None = None
    partition: str = "aws"
    consumer: Consumer | None = None
    label: str = ""  # account_a, account_b, or account_b:<consumer> when there are several
    known_outputs: dict[str, str] = field(default_factory=dict, compare=False)  # what the config says the outputs are
    several: bool = False  # the config has several consumers: messages name this one

    @property
    def short(self) -> str:
        """How a row of parallel deploys names it."""
        return self.consumer.name if self.consumer else self.label

    def spec(self, body: str, termination_protection: bool = True) -> StackSpec:
        return StackSpec(side=self.name, account_id=self.account_id, stack_name=self.stack_name, template_body=body,
                         termination_protection=termination_protection, artifact_bucket=self.artifact_bucket,
                         consumer=self.consumer.name if self.consumer and self.several else "")


def select(cfg: Config, *, a: bool, b: bool, all_: bool, profile: str | None = None, region: str | None = None,
           endpoint_url: str | None = None, order: tuple[Side, ...] = ("a", "b"), consumers: tuple[str, ...] = ()) -> list[StackTarget]:
    """The stacks the flags pick, in ``order``; every consumer unless ``consumers`` names some."""
    chosen = [k for k in order if all_ or (k == "a" and a) or (k == "b" and b)]
    if not chosen:
        raise UsageError("choose what to act on: --account-a, --account-b or --all")
    if consumers and "b" not in chosen:
        raise UsageError("--consumer selects Account B consumers: use it with --account-b or --all")
    selected = [cfg.consumer(n) for n in dict.fromkeys(consumers)] if consumers else list(cfg.consumers)
    several = len(cfg.consumers) > 1
    out = []
    for k in chosen:
        for side in ([cfg.account_a] if k == "a" else selected):
            target = aws.Target(region=region or side.region, profile=profile or side.profile, endpoint_url=endpoint_url)
            consumer = side if isinstance(side, Consumer) else None
            label = SIDE_NAMES[k] + (f":{consumer.name}" if consumer and several else "")
            known = ({"RoleArn": consumer.role_arn} if consumer else {role.output: role.arn for role in cfg.access_roles()})
            if consumer and consumer.kind == "ec2":
                known["InstanceProfileName"] = consumer.role_name
            out.append(StackTarget(k, SIDE_NAMES[k], side.id, side.stack_name, target, side.artifact_bucket, side.partition,
                                   consumer, label, known, several))
    if profile and len(out) > 1:
        raise UsageError("--profile names one account's credentials; for several stacks set each side's profile in the config")
    return out


def bodies(cfg: Config, chosen: list[StackTarget] | None = None) -> dict[str, str]:
    """Template body for Account A ("") and each consumer (by name), each distinct template rendered once.
    When ``chosen`` holds only Account A, only its template is rendered."""
    if chosen is not None and all(t.key == "a" for t in chosen):
        return {"": render.template_body(cfg, "a")}
    out: dict[str, str] = {}
    for item in render.render(cfg):
        for name in item.consumers if item.side == "b" else ("",):
            out[name] = item.body
    return out


def body_for(target: StackTarget, rendered: dict[str, str]) -> str:
    return rendered[target.consumer.name if target.consumer else ""]


def deployer_for(clients: aws.Clients, target: StackTarget, *, reporter: Reporter | None = None,
                 interrupts: Interrupts | None = None, clock: Clock | None = None) -> Deployer:
    """A deployer for one stack, every client from ``clients`` (the one injection point)."""
    interrupts = Interrupts() if interrupts is None else interrupts
    store = None
    if target.artifact_bucket:
        bucket = target.artifact_bucket

        def store() -> TemplateStore:
            return TemplateStore(clients.client(target.target, "s3"), bucket, target.account_id, target.target.region, target.partition)

    # Termination protection and CancelUpdateStack go through a client without retries: an
    # endpoint that does not implement them answers HTTP 500, which must cost a line, not a backoff.
    return Deployer(clients.client(target.target, "cloudformation"), reporter=reporter, clock=clock or clients.clock(interrupts),
                    interrupts=interrupts, template_store=store,
                    optional_cfn=lambda: clients.client(target.target, "cloudformation", max_attempts=1),
                    account_check=lambda: clients.guard(target.target, target.account_id, target.name))
