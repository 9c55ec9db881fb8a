"""Read the live policy layers of one account, read-only, for ``audit``.

What is read (and nothing is ever written):

* each named role: ``GetRole`` (trust policy, path, max session, boundary), its inline
  policies (``ListRolePolicies`` + ``GetRolePolicy``), its attached managed policies
  (``ListAttachedRolePolicies`` + ``GetPolicy`` + ``GetPolicyVersion`` of the default version)
  and the permissions boundary's document the same way;
* each named instance profile: ``GetInstanceProfile`` (which roles it holds);
* each KMS key: ``GetKeyPolicy`` (policy name ``default``) and ``ListGrants``;
* each DynamoDB table: ``DescribeTable`` (is it there, its stream) and ``GetResourcePolicy``
  on the table and on its stream (none is fine);
* each named stack: ``DescribeStacks`` (is it there, its status).

Every list call goes through botocore's paginators; throttling is retried by the clients'
standard retry mode (see ``aws.client``); the items are read concurrently. An AccessDenied on
any read raises :class:`ReadDenied`, naming the IAM action the reader is missing.

Clients are injected: ``clients(service, region)`` returns a boto3 client acting in the account.
"""

from __future__ import annotations

import ast
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from xacct_infra.errors import UsageError

ClientFactory = Callable[[str, str], Any]  # (service, region) -> client
T = TypeVar("T")

DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"})
JOBS = 8

# botocore operation name -> the IAM action that allows it (for the one-line "missing permission" error)
ACTIONS = {
    "get_role": "iam:GetRole", "list_role_policies": "iam:ListRolePolicies", "get_role_policy": "iam:GetRolePolicy",
    "list_attached_role_policies": "iam:ListAttachedRolePolicies", "get_policy": "iam:GetPolicy",
    "get_policy_version": "iam:GetPolicyVersion", "get_instance_profile": "iam:GetInstanceProfile",
    "get_key_policy": "kms:GetKeyPolicy", "list_grants": "kms:ListGrants",
    "describe_table": "dynamodb:DescribeTable", "get_resource_policy": "dynamodb:GetResourcePolicy",
    "describe_stacks": "cloudformation:DescribeStacks",
}


class ReadDenied(UsageError):
    """A read was refused: audit cannot see that layer, so it cannot vouch for anything (exit 2)."""

    def __init__(self, account: str, action: str, resource: str, code: str) -> None:
        self.action = action
        super().__init__(f"audit cannot read account {account}: {action} on {resource} was refused ({code}); "
                         "grant the read-only policy printed by `xacct-infra audit --print-policy`")


class ReadError(UsageError):
    """A read failed in a way that is neither absence nor a denial (exit 2)."""


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str
    name: str
    version: str
    document: Mapping[str, Any]

    @property
    def aws_managed(self) -> bool:
        return self.arn.split(":")[4] == "aws"


@dataclass(frozen=True)
class LiveRole:
    name: str
    arn: str
    path: str
    max_session: int
    trust: Mapping[str, Any]
    inline: tuple[tuple[str, Mapping[str, Any]], ...]  # (policy name, document)
    attached: tuple[ManagedPolicy, ...]
    boundary: ManagedPolicy | None = None
    boundary_arn: str | None = None


@dataclass(frozen=True)
class LiveKey:
    arn: str
    exists: bool
    policy: Mapping[str, Any] | None = None
    grants: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class LiveTable:
    name: str
    arn: str
    exists: bool
    policy: Mapping[str, Any] | None = None
    stream_arn: str | None = None
    stream_policy: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LiveProfile:
    name: str
    exists: bool
    roles: tuple[str, ...] = ()  # role ARNs it holds


@dataclass(frozen=True)
class LiveStack:
    name: str
    exists: bool
    status: str = ""


@dataclass(frozen=True)
class ReadPlan:
    """What to read in one account: role names, instance profile names, key ARNs, table names, stack names."""

    account: str
    region: str
    roles: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    stacks: tuple[str, ...] = ()


@dataclass
class Snapshot:
    """One account as read: ``None`` for a role that does not exist."""

    account: str
    roles: dict[str, LiveRole | None] = field(default_factory=dict)
    profiles: dict[str, LiveProfile] = field(default_factory=dict)
    keys: dict[str, LiveKey] = field(default_factory=dict)
    tables: dict[str, LiveTable] = field(default_factory=dict)
    stacks: dict[str, LiveStack] = field(default_factory=dict)
    calls: int = 0


class Reader:
    """Reads one account. Thread-safe: clients are shared across threads, counts are locked."""

    def __init__(self, clients: ClientFactory, plan: ReadPlan, *, jobs: int = JOBS) -> None:
        self.clients = clients
        self.plan = plan
        self.jobs = jobs
        self.calls = 0
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- plumbing

    def _count(self, n: int = 1) -> None:
        with self._lock:
            self.calls += n

    def _call(self, service: str, op: str, resource: str, region: str | None = None, **kwargs: Any) -> Any:
        self._count()
        client = self.clients(service, region or self.plan.region)
        try:
            return getattr(client, op)(**kwargs)
        except Exception as exc:
            raise self._translate(exc, op, resource) from None

    def _pages(self, service: str, op: str, key: str, resource: str, region: str | None = None, **kwargs: Any) -> list[Any]:
        client = self.clients(service, region or self.plan.region)
        out: list[Any] = []
        try:
            for page in client.get_paginator(op).paginate(**kwargs):
                self._count()
                out += page.get(key, [])
        except Exception as exc:
            raise self._translate(exc, op, resource) from None
        return out

    def _translate(self, exc: Exception, op: str, resource: str) -> Exception:
        code = error_code(exc)
        if code in DENIED:
            return ReadDenied(self.plan.account, ACTIONS.get(op, op), resource, code)
        return exc  # absence is handled by the callers; anything else goes to the CLI boundary

    # ---------------------------------------------------------------- the account

    def read(self) -> Snapshot:
        p = self.plan
        snap = Snapshot(p.account)
        tasks: list[tuple[str, str, Callable[[], Any]]] = [
            *(("roles", n, partial(self.role, n)) for n in p.roles),
            *(("profiles", n, partial(self.profile, n)) for n in p.profiles),
            *(("keys", k, partial(self.key, k)) for k in p.keys),
            *(("tables", t, partial(self.table, t)) for t in p.tables),
            *(("stacks", s, partial(self.stack, s)) for s in p.stacks)]
        for (kind, name, _), value in zip(tasks, run_all([t[2] for t in tasks], self.jobs), strict=True):
            getattr(snap, kind)[name] = value
        snap.calls = self.calls
        return snap

    # ---------------------------------------------------------------- IAM

    def role(self, name: str) -> LiveRole | None:
        try:
            role = self._call("iam", "get_role", f"role {name}", RoleName=name)["Role"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        names = self._pages("iam", "list_role_policies", "PolicyNames", role["Arn"], RoleName=name)
        inline = tuple((n, document(self._call("iam", "get_role_policy", role["Arn"], RoleName=name, PolicyName=n)["PolicyDocument"]))
                       for n in sorted(names))
        attached = self._pages("iam", "list_attached_role_policies", "AttachedPolicies", role["Arn"], RoleName=name)
        policies = tuple(self.managed(item["PolicyArn"]) for item in sorted(attached, key=lambda i: i["PolicyArn"]))
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return LiveRole(name=role["RoleName"], arn=role["Arn"], path=role.get("Path", "/"),
                        max_session=int(role.get("MaxSessionDuration", 3600)), trust=document(role["AssumeRolePolicyDocument"]),
                        inline=inline, attached=policies, boundary=self.managed(boundary_arn) if boundary_arn else None,
                        boundary_arn=boundary_arn)

    def managed(self, arn: str) -> ManagedPolicy:
        policy = self._call("iam", "get_policy", arn, PolicyArn=arn)["Policy"]
        version = policy["DefaultVersionId"]
        doc = self._call("iam", "get_policy_version", arn, PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        return ManagedPolicy(arn, policy["PolicyName"], version, document(doc))

    def profile(self, name: str) -> LiveProfile:
        try:
            got = self._call("iam", "get_instance_profile", f"instance profile {name}", InstanceProfileName=name)["InstanceProfile"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return LiveProfile(name, False)
            raise
        return LiveProfile(name, True, tuple(r["Arn"] for r in got.get("Roles", [])))

    # ---------------------------------------------------------------- KMS

    def key(self, arn: str) -> LiveKey:
        region = arn.split(":")[3]
        try:
            text = self._call("kms", "get_key_policy", arn, region, KeyId=arn, PolicyName="default")["Policy"]
        except Exception as exc:
            if error_code(exc) == "NotFoundException":
                return LiveKey(arn, False)
            raise
        grants = self._pages("kms", "list_grants", "Grants", arn, region, KeyId=arn)
        return LiveKey(arn, True, document(text), tuple(grants))

    # ---------------------------------------------------------------- DynamoDB

    def table(self, name: str) -> LiveTable:
        try:
            desc = self._call("dynamodb", "describe_table", f"table {name}", TableName=name)["Table"]
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return LiveTable(name, "", False)
            raise
        arn = str(desc["TableArn"])
        stream = desc.get("LatestStreamArn") if (desc.get("StreamSpecification") or {}).get("StreamEnabled") else None
        notes: list[str] = []
        stream_policy = None
        if stream:
            try:
                stream_policy = self.resource_policy(str(stream))
            except Exception as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
                # moto 5.2.5 cannot look a stream up by its ARN; AWS answers PolicyNotFound or the policy
                notes.append(f"the resource policy of {name}'s stream could not be read ({error_code(exc)}), so it is not considered")
        return LiveTable(name, arn, True, self.resource_policy(arn), stream, stream_policy, tuple(notes))

    def resource_policy(self, arn: str) -> Mapping[str, Any] | None:
        try:
            return document(self._call("dynamodb", "get_resource_policy", arn, ResourceArn=arn)["Policy"])
        except Exception as exc:
            if error_code(exc) == "PolicyNotFoundException":
                return None
            raise

    # ---------------------------------------------------------------- CloudFormation

    def stack(self, name: str) -> LiveStack:
        try:
            stacks = self._call("cloudformation", "describe_stacks", f"stack {name}", StackName=name)["Stacks"]
        except Exception as exc:
            if error_code(exc) == "ValidationError":  # "Stack with id NAME does not exist"
                return LiveStack(name, False)
            raise
        status = str(stacks[0].get("StackStatus", "")) if stacks else ""
        return LiveStack(name, bool(stacks) and status != "DELETE_COMPLETE", status)


def run_all(tasks: Iterable[Callable[[], T]], jobs: int = JOBS) -> list[T]:
    """Run independent reads concurrently; results in task order; the first error is raised."""
    items = list(tasks)
    if len(items) <= 1 or jobs <= 1:
        return [task() for task in items]
    with ThreadPoolExecutor(max_workers=min(jobs, len(items)), thread_name_prefix="xacct-audit") as pool:
        futures = [pool.submit(task) for task in items]
        return [f.result() for f in futures]


def document(value: Any) -> Mapping[str, Any]:
    """A policy document as a dict: IAM answers URL-encoded JSON text on the wire (botocore decodes it
    for some calls and not others), KMS and DynamoDB plain JSON text."""
    if isinstance(value, Mapping):
        return value
    text = str(value)
    parsed: Any = None
    for parse in (json.loads, lambda t: json.loads(urllib.parse.unquote(t)), ast.literal_eval):
        try:
            parsed = parse(text)  # moto 5.2.5 answers a CloudFormation-made inline policy as a Python literal
            break
        except (ValueError, SyntaxError):
            continue
    if not isinstance(parsed, dict):
        raise ReadError(f"a policy document read from AWS is not a JSON object: {text[:80]!r}")
    return parsed


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
