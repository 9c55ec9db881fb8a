"""Consumer kinds: what runs in the consumer account and assumes the Account A role.

One table, one row per kind: the service that assumes the consumer's role (its trust policy is
built in :mod:`xacct_infra.policies`, one function per kind), the role name used when the config
names none, where an SDK running as that workload finds its own credentials (the profile's
``credential_source``), and what the consumer's template creates. Sources for every fact are in
the README ("Consumer kinds").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from xacct_infra import arns

Kind = Literal["ec2", "lambda", "ecs-task", "codebuild", "eks-pod-identity", "existing-role"]
# botocore's credential_source values (the only ones the SDKs accept in a profile).
CREDENTIAL_SOURCES: tuple[str, ...] = ("Ec2InstanceMetadata", "EcsContainer", "Environment")


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    label: str  # how templates and messages name the consumer's role
    service: str | None  # the service principal trusted by the consumer's role (None: not our role)
    default_role_name: str | None  # None: the role is named by role_arn
    credential_source: str | None  # profile credential_source; None: from the config (existing-role)
    source_arn: Callable[[str, str, str], str] | None  # (partition, region, account) -> aws:SourceArn pattern; None where AWS documents none
    source_account: bool  # aws:SourceAccount = the consumer's own account in the role's trust
    tag_session: bool  # the service tags the session (sts:TagSession) and the tags are transitive

    @property
    def creates_role(self) -> bool:
        return self.service is not None


KINDS: dict[str, KindSpec] = {
    spec.kind: spec for spec in (
        # EC2 sends no confused-deputy keys for instance roles: the trust stays as it always was.
        KindSpec("ec2", "EC2 instance role", "ec2.amazonaws.com", "xacct-instance", "Ec2InstanceMetadata",
                 None, False, False),
        # Lambda's guide documents no aws:SourceArn for the execution role (that key names the
        # invoker in a function's resource policy); aws:SourceAccount pins the account.
        KindSpec("lambda", "Lambda execution role", "lambda.amazonaws.com", "xacct-lambda", "Environment",
                 None, True, False),
        # ECS documents ArnLike aws:SourceArn arn:<p>:ecs:<region>:<account>:* and says a
        # specific cluster is not supported.
        KindSpec("ecs-task", "ECS task role", "ecs-tasks.amazonaws.com", "xacct-ecs-task", "EcsContainer",
                 arns.ecs_arn, True, False),
        # CodeBuild documents aws:SourceArn = the project ARN; builds get their credentials from
        # the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).
        KindSpec("codebuild", "CodeBuild service role", "codebuild.amazonaws.com", "xacct-codebuild", "EcsContainer",
                 arns.codebuild_project_arn, True, False),
        # Pod Identity assumes with sts:AssumeRole + sts:TagSession; its session tags are transitive.
        KindSpec("eks-pod-identity", "EKS Pod Identity role", "pods.eks.amazonaws.com", "xacct-eks-pod", "EcsContainer",
                 None, True, True),
        KindSpec("existing-role", "existing role", None, None, None, None, False, False),
    )
}
KIND_NAMES: tuple[str, ...] = tuple(KINDS)
DEFAULT_KIND: Kind = "ec2"


def spec(kind: str) -> KindSpec:
    return KINDS[kind]


def service_request_context(kind: str, partition: str, region: str, account: str, *, cluster: str | None = None,
                            namespace: str | None = None, service_account: str | None = None) -> dict[str, str]:
    """The keys a kind's service sends when it assumes the consumer's role for a workload of
    ``account`` (what its trust policy is written against): used by ``check`` to ask the trust
    as the service would, for the consumer's own account and for a stranger's."""
    if kind in ("ec2", "existing-role"):
        return {}
    context = {"aws:SourceAccount": account}
    if kind == "lambda":
        context["aws:SourceArn"] = arns.lambda_function_arn(partition, region, account, "xacct-probe")
    elif kind == "ecs-task":
        context["aws:SourceArn"] = arns.ecs_arn(partition, region, account, "task/xacct-probe/0123456789abcdef")
    elif kind == "codebuild":
        context["aws:SourceArn"] = arns.codebuild_project_arn(partition, region, account, "xacct-probe")
    elif kind == "eks-pod-identity":
        context.update({
            "aws:RequestTag/eks-cluster-arn": arns.eks_cluster_arn(partition, region, account, cluster or "xacct-probe"),
            "aws:RequestTag/eks-cluster-name": cluster or "xacct-probe",
            "aws:RequestTag/kubernetes-namespace": namespace or "xacct-probe",
            "aws:RequestTag/kubernetes-service-account": service_account or "xacct-probe"})
    return context


SERVICES: tuple[str, ...] = tuple(s.service for s in KINDS.values() if s.service)
