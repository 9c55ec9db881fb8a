"""Who each kind's trust admits, and who it does not: table-driven, on the rendered templates.

Every case evaluates the generated policy (resolved as CloudFormation would for the consumer's
account) with the offline evaluator: the consumer's role trust for the service that runs the
workload, and Account A's trust for the consumer's role. The config is the golden one with a
consumer of each kind (tests/golden/kinds/xacct.toml). Statements are found by what they allow,
never by their position.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from xacct_infra import config, render
from xacct_infra.access.evaluator import Policy, Principal, Request, authorize
from xacct_infra.intrinsics import Context, resolve

CFG = config.load(ROOT / "tests" / "golden" / "kinds" / "xacct.toml")
A = CFG.account_a
A_ROLE = "arn:aws:iam::111111111111:role/xacct-access"
STRANGER = "999999999999"


def _template(side: str, name: str | None = None) -> dict[str, Any]:
    b = CFG.consumer(name) if name else None
    account, region = (b.id, b.region) if b else (A.id, A.region)
    raw = json.loads(render.template_body(CFG, side, "json", b))  # type: ignore[arg-type]
    names = {lid: res["Properties"].get("RoleName", lid) for lid, res in raw["Resources"].items()}
    return resolve(raw["Resources"], Context("aws", region, account, refs=names))


def _role(resources: dict[str, Any]) -> dict[str, Any]:
    (role,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::IAM::Role"]
    return role


def consumer_trust(name: str) -> list[Policy]:
    return [Policy(f"{name} trust", _role(_template("b", name))["AssumeRolePolicyDocument"])]


def a_trust() -> list[Policy]:
    return [Policy("account-a trust", _role(_template("a"))["AssumeRolePolicyDocument"])]


def role_arn(name: str) -> str:
    return CFG.consumer(name).role_arn


def service_request(service: str, name: str, action: str = "sts:AssumeRole", **context: Any) -> Request:
    return Request(Principal.of_service(service), action, role_arn(name), context)


# (case, consumer, service, action, context, admitted)
SERVICE_CASES: list[tuple[str, str, str, str, dict[str, Any], bool]] = [
    ("ec2-admits-ec2", "hosts", "ec2.amazonaws.com", "sts:AssumeRole", {}, True),
    ("ec2-refuses-lambda", "hosts", "lambda.amazonaws.com", "sts:AssumeRole", {}, False),
    ("lambda-admits-lambda-of-its-account", "functions", "lambda.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "202020202020"}, True),
    ("lambda-refuses-lambda-for-another-account", "functions", "lambda.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": STRANGER}, False),
    ("lambda-refuses-a-request-without-source-account", "functions", "lambda.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": None}, False),
    ("lambda-refuses-ecs-tasks", "functions", "ecs-tasks.amazonaws.com", "sts:AssumeRole", {"aws:SourceAccount": "202020202020"}, False),
    ("lambda-refuses-ec2", "functions", "ec2.amazonaws.com", "sts:AssumeRole", {"aws:SourceAccount": "202020202020"}, False),
    ("ecs-admits-a-task-of-its-account-and-region", "tasks", "ecs-tasks.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "303030303030", "aws:SourceArn": "arn:aws:ecs:us-east-1:303030303030:task/prod/0123456789abcdef"}, True),
    ("ecs-refuses-a-task-of-another-account", "tasks", "ecs-tasks.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": STRANGER, "aws:SourceArn": f"arn:aws:ecs:us-east-1:{STRANGER}:task/prod/0123"}, False),
    ("ecs-refuses-a-source-arn-of-another-account", "tasks", "ecs-tasks.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "303030303030", "aws:SourceArn": f"arn:aws:ecs:us-east-1:{STRANGER}:task/prod/0123"}, False),
    ("ecs-refuses-another-region", "tasks", "ecs-tasks.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "303030303030", "aws:SourceArn": "arn:aws:ecs:eu-west-1:303030303030:task/prod/0123"}, False),
    ("ecs-refuses-codebuild", "tasks", "codebuild.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "303030303030", "aws:SourceArn": "arn:aws:ecs:us-east-1:303030303030:task/prod/0123"}, False),
    ("codebuild-admits-a-project-of-its-account", "builds", "codebuild.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "404040404040", "aws:SourceArn": "arn:aws:codebuild:us-east-1:404040404040:project/release"}, True),
    ("codebuild-refuses-a-build-arn-that-is-no-project", "builds", "codebuild.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "404040404040", "aws:SourceArn": "arn:aws:codebuild:us-east-1:404040404040:report-group/x"}, False),
    ("codebuild-refuses-a-project-of-another-account", "builds", "codebuild.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": STRANGER, "aws:SourceArn": f"arn:aws:codebuild:us-east-1:{STRANGER}:project/release"}, False),
    ("codebuild-refuses-lambda", "builds", "lambda.amazonaws.com", "sts:AssumeRole", {"aws:SourceAccount": "404040404040"}, False),
]

POD_TAGS = {"aws:SourceAccount": "505050505050", "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:505050505050:cluster/prod",
            "aws:RequestTag/kubernetes-namespace": "payments", "aws:RequestTag/kubernetes-service-account": "keystore-reader"}
SERVICE_CASES += [
    ("pods-admit-the-configured-service-account", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole", POD_TAGS, True),
    ("pods-may-tag-the-session", "pods", "pods.eks.amazonaws.com", "sts:TagSession", POD_TAGS, True),
    ("pods-refuse-another-namespace", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole",
     {**POD_TAGS, "aws:RequestTag/kubernetes-namespace": "default"}, False),
    ("pods-refuse-another-service-account", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole",
     {**POD_TAGS, "aws:RequestTag/kubernetes-service-account": "default"}, False),
    ("pods-refuse-another-cluster", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole",
     {**POD_TAGS, "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:505050505050:cluster/dev"}, False),
    ("pods-refuse-an-untagged-session", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole",
     {"aws:SourceAccount": "505050505050", "aws:RequestTag/kubernetes-namespace": None,
      "aws:RequestTag/kubernetes-service-account": None, "aws:RequestTag/eks-cluster-arn": None}, False),
    ("pods-refuse-another-account", "pods", "pods.eks.amazonaws.com", "sts:AssumeRole", {**POD_TAGS, "aws:SourceAccount": STRANGER}, False),
    ("pods-refuse-ecs-tasks", "pods", "ecs-tasks.amazonaws.com", "sts:AssumeRole", POD_TAGS, False),
]


@pytest.mark.parametrize(("case", "name", "service", "action", "context", "admitted"), SERVICE_CASES, ids=[c[0] for c in SERVICE_CASES])
def test_a_consumer_role_trusts_exactly_its_kinds_service(case: str, name: str, service: str, action: str,
                                                         context: dict[str, Any], admitted: bool) -> None:
    decision = authorize(service_request(service, name, action, **context), resource=consumer_trust(name), trust=True)
    assert decision.allowed is admitted, case


def caller(arn: str) -> Principal:
    return Principal.of_arn(arn.rsplit("/", 1)[-1], arn)


ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}

# (case, principal ARN, action, context, admitted): every caller holds sts:* in its own account,
# so the answer is Account A's trust policy alone.
A_CASES: list[tuple[str, str, str, dict[str, Any], bool]] = [
    *[(f"admits-{name}", role_arn(name), "sts:AssumeRole", {}, True) for name in ("functions", "tasks", "builds", "pods", "legacy")],
    ("admits-the-ec2-role-from-a-listed-vpc", role_arn("hosts"), "sts:AssumeRole", {"aws:Ec2InstanceSourceVpc": "vpc-1a2b3c4d"}, True),
    ("refuses-the-ec2-role-from-another-vpc", role_arn("hosts"), "sts:AssumeRole", {"aws:Ec2InstanceSourceVpc": "vpc-99999999"}, False),
    ("refuses-the-ec2-role-outside-any-instance", role_arn("hosts"), "sts:AssumeRole", {"aws:Ec2InstanceSourceVpc": None}, False),
    ("admits-pod-identity-tags", role_arn("pods"), "sts:TagSession", {}, True),
    *[(f"refuses-tags-from-{name}", role_arn(name), "sts:TagSession", {}, False) for name in ("hosts", "functions", "tasks", "builds", "legacy")],
    ("refuses-another-role-of-the-existing-roles-account", "arn:aws:iam::606060606060:role/legacy-app", "sts:AssumeRole", {}, False),
    ("refuses-the-existing-role-name-in-another-account", f"arn:aws:iam::{STRANGER}:role/apps/legacy-app", "sts:AssumeRole", {}, False),
    ("refuses-another-role-of-a-lambda-consumer", "arn:aws:iam::202020202020:role/xacct-lambda-admin", "sts:AssumeRole", {}, False),
    ("refuses-source-identity", role_arn("functions"), "sts:SetSourceIdentity", {}, False),
]


@pytest.mark.parametrize(("case", "arn", "action", "context", "admitted"), A_CASES, ids=[c[0] for c in A_CASES])
def test_account_a_trusts_exactly_each_consumers_role(case: str, arn: str, action: str, context: dict[str, Any], admitted: bool) -> None:
    who = caller(arn)
    request = Request(who, action, A_ROLE, {"aws:PrincipalArn": arn, **context})
    decision = authorize(request, identity=[Policy("admin", ADMIN)], resource=a_trust(), resource_account=A.id, trust=True)
    assert decision.allowed is admitted, case


def test_each_consumer_may_only_assume_its_own_account_a_role() -> None:
    for b in CFG.consumers:
        resources = _template("b", b.name)
        policies = [r["Properties"]["PolicyDocument"] for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
        policies += [p["PolicyDocument"] for r in resources.values() if r["Type"] == "AWS::IAM::Role" for p in r["Properties"]["Policies"]]
        (document,) = policies
        (statement,) = document["Statement"]
        wanted = ["sts:AssumeRole", "sts:TagSession"] if b.kind == "eks-pod-identity" else ["sts:AssumeRole"]
        assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Allow", wanted, [A_ROLE]), b.name


def test_existing_role_template_only_attaches_one_policy_to_the_named_role() -> None:
    resources = _template("b", "legacy")
    assert [r["Type"] for r in resources.values()] == ["AWS::IAM::ManagedPolicy"]
    (policy,) = resources.values()
    assert policy["Properties"]["Roles"] == ["legacy-app"]
