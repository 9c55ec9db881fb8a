"""`check` with a consumer of each kind: the generated templates pass, and kind mutants fail.

Each mutant is one hand edit of a freshly generated template, located by content (the
statement that allows a given action, the policy attached to a given role), never by position.
Every mutant must make `check` fail with a finding in the edited file.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from xacct_infra import check, config

KINDS = config.load(ROOT / "tests" / "golden" / "kinds" / "xacct.toml")
Files = dict[str, dict[str, Any]]


def resources(files: Files, stem: str, kind: str) -> Iterator[dict[str, Any]]:
    for res in files[stem]["Resources"].values():
        if res["Type"] == kind:
            yield res["Properties"]


def statement(files: Files, stem: str, action: str, trust: bool = True) -> dict[str, Any]:
    """The one statement of ``stem``'s roles (trust or identity) that allows ``action``."""
    found = []
    for props in resources(files, stem, "AWS::IAM::Role"):
        documents = [props["AssumeRolePolicyDocument"]] if trust else [p["PolicyDocument"] for p in props.get("Policies", [])]
        for document in documents:
            found += [s for s in document["Statement"] if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert found, f"{stem}: no statement allows {action}"
    return found[0]


def conditions(st: dict[str, Any]) -> dict[str, Any]:
    return st.setdefault("Condition", {})


def _also_trust_ecs(files: Files) -> None:
    st = statement(files, "account-b-functions", "sts:AssumeRole")
    st["Principal"]["Service"] = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]


def _lambda_without_source_account(files: Files) -> None:
    del statement(files, "account-b-functions", "sts:AssumeRole")["Condition"]


def _ecs_trusts_any_account(files: Files) -> None:
    st = statement(files, "account-b-tasks", "sts:AssumeRole")
    st["Condition"] = {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:*:*:*"}}


def _codebuild_second_statement_for_ec2(files: Files) -> None:
    for props in resources(files, "account-b-builds", "AWS::IAM::Role"):
        props["AssumeRolePolicyDocument"]["Statement"].append(
            {"Sid": "AlsoEc2", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def _pods_without_session_tag_condition(files: Files) -> None:
    equals = conditions(statement(files, "account-b-pods", "sts:TagSession"))["StringEquals"]
    for key in [k for k in equals if k.startswith("aws:RequestTag/")]:
        del equals[key]


def _pods_without_source_account(files: Files) -> None:
    equals = conditions(statement(files, "account-b-pods", "sts:TagSession"))["StringEquals"]
    del equals["aws:SourceAccount"], equals["aws:RequestTag/eks-cluster-arn"]  # (the cluster ARN alone pins the account)


def _pods_trust_lambda_too(files: Files) -> None:
    statement(files, "account-b-pods", "sts:TagSession")["Principal"]["Service"] = ["pods.eks.amazonaws.com", "lambda.amazonaws.com"]


def _lambda_role_may_tag_sessions(files: Files) -> None:
    statement(files, "account-b-functions", "sts:AssumeRole", trust=False)["Action"] = ["sts:AssumeRole", "sts:TagSession"]


def _existing_role_policy_attached_to_another_role(files: Files) -> None:
    for props in resources(files, "account-b-legacy", "AWS::IAM::ManagedPolicy"):
        props["Roles"] = ["admin"]


def _existing_role_policy_on_any_role(files: Files) -> None:
    for props in resources(files, "account-b-legacy", "AWS::IAM::ManagedPolicy"):
        props["PolicyDocument"]["Statement"][0]["Resource"] = ["arn:aws:iam::111111111111:role/*"]


def _vpc_condition_dropped(files: Files) -> None:
    for props in resources(files, "account-a", "AWS::IAM::Role"):
        for st in props["AssumeRolePolicyDocument"]["Statement"]:
            st.get("Condition", {}).get("StringEquals", {}).pop("aws:Ec2InstanceSourceVpc", None)


def _vpc_condition_if_exists(files: Files) -> None:
    for props in resources(files, "account-a", "AWS::IAM::Role"):
        for st in props["AssumeRolePolicyDocument"]["Statement"]:
            cond = st.get("Condition", {})
            if "aws:Ec2InstanceSourceVpc" in cond.get("StringEquals", {}):
                cond["StringEqualsIfExists"] = {"aws:Ec2InstanceSourceVpc": cond["StringEquals"].pop("aws:Ec2InstanceSourceVpc")}


def _tag_session_for_the_whole_pod_account(files: Files) -> None:
    st = statement(files, "account-a", "sts:TagSession")
    del st["Condition"]


# (case, mutation, the file whose finding proves it caught); the pass that must catch it is the
# consumer's whose template (or whose statement of Account A's trust) the mutation edits.
MUTANTS: list[tuple[str, Callable[[Files], None], str]] = [
    ("lambda-also-trusts-ecs-tasks", _also_trust_ecs, "account-b-functions.yaml"),
    ("lambda-without-source-account", _lambda_without_source_account, "account-b-functions.yaml"),
    ("ecs-trusts-tasks-of-any-account", _ecs_trusts_any_account, "account-b-tasks.yaml"),
    ("codebuild-role-also-trusts-ec2", _codebuild_second_statement_for_ec2, "account-b-builds.yaml"),
    ("eks-without-session-tag-condition", _pods_without_session_tag_condition, "account-b-pods.yaml"),
    ("eks-without-source-account-and-cluster", _pods_without_source_account, "account-b-pods.yaml"),
    ("eks-role-also-trusts-lambda", _pods_trust_lambda_too, "account-b-pods.yaml"),
    ("lambda-role-may-tag-sessions", _lambda_role_may_tag_sessions, "account-b-functions.yaml"),
    # The existing role then lacks its grant: Account A's trust is where that shows.
    ("existing-role-policy-attached-to-another-role", _existing_role_policy_attached_to_another_role, "account-a.yaml"),
    ("existing-role-policy-on-any-account-a-role", _existing_role_policy_on_any_role, "account-b-legacy.yaml"),
    ("ec2-vpc-condition-dropped", _vpc_condition_dropped, "account-a.yaml"),
    ("ec2-vpc-condition-if-exists", _vpc_condition_if_exists, "account-a.yaml"),
    ("tag-session-for-the-whole-pod-account", _tag_session_for_the_whole_pod_account, "account-a.yaml"),
]


OWNER = {"lambda": "functions", "ecs": "tasks", "codebuild": "builds", "eks": "pods", "existing": "legacy", "ec2": "hosts",
         "tag": "pods"}


def test_every_kind_passes_check_as_generated() -> None:
    report = check.run_files(KINDS, check.rendered_files(KINDS), parliament=False)
    assert report.ok, [str(f) for f in report.findings]
    matrix = report.sweep.matrix
    assert ("sts:AssumeRole", "arn:aws:iam::111111111111:role/xacct-access") in {
        (g.action, g.resource) for g in matrix["pods: Account B EKS Pod Identity role"]}
    assert not any(g.action == "sts:AssumeRole" for g in matrix["functions: ecs-tasks.amazonaws.com"]), "ECS may not assume the Lambda role"


@pytest.mark.parametrize(("case", "mutate", "where"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_kind_mutant_fails_check_naming_its_file(case: str, mutate: Callable[[Files], None], where: str) -> None:
    files = copy.deepcopy(check.rendered_files(KINDS))
    mutate(files)
    consumer = OWNER[case.split("-")[0]]
    stem = check.layout(KINDS)[consumer]
    report = check.run(KINDS.view(consumer), {"a": files["account-a"], "b": files[stem]}, parliament=False,
                       names={"a": "account-a.yaml", "b": f"{stem}.yaml"})
    assert not report.ok, case
    assert any(where in f.location for f in report.findings), [str(f) for f in report.findings]


def _tag_session_for_every_consumer(files: Files) -> None:
    for props in resources(files, "account-a", "AWS::IAM::Role"):
        for st in props["AssumeRolePolicyDocument"]["Statement"]:
            if st["Action"] == ["sts:AssumeRole"]:
                st["Action"] = ["sts:AssumeRole", "sts:TagSession"]


def _ecs_tasks_of_any_region(files: Files) -> None:
    conditions(statement(files, "account-b-tasks", "sts:AssumeRole"))["ArnLike"]["aws:SourceArn"] = {
        "Fn::Sub": "arn:${AWS::Partition}:ecs:*:${AWS::AccountId}:*"}


def _pods_without_namespace_only(files: Files) -> None:
    del conditions(statement(files, "account-b-pods", "sts:TagSession"))["StringEquals"]["aws:RequestTag/kubernetes-namespace"]


def _existing_role_policy_also_on_admin(files: Files) -> None:
    for props in resources(files, "account-b-legacy", "AWS::IAM::ManagedPolicy"):
        props["Roles"] = [*props["Roles"], "admin"]


def _lambda_trust_also_tags(files: Files) -> None:
    statement(files, "account-b-functions", "sts:AssumeRole")["Action"] = ["sts:AssumeRole", "sts:TagSession"]


# Widenings only the exact comparison with the generator's policies sees (the sweep's callers
# cannot use them): the whole `check`, every consumer's pass and every file compared.
EXACT: list[tuple[str, Callable[[Files], None], str]] = [
    ("tag-session-for-every-consumer", _tag_session_for_every_consumer, "account-a.yaml"),
    ("ecs-tasks-of-any-region", _ecs_tasks_of_any_region, "account-b-tasks.yaml"),
    ("eks-without-the-namespace-only", _pods_without_namespace_only, "account-b-pods.yaml"),
    ("existing-role-policy-also-on-another-role", _existing_role_policy_also_on_admin, "account-b-legacy.yaml"),
    ("lambda-trust-also-tags-sessions", _lambda_trust_also_tags, "account-b-functions.yaml"),
]


@pytest.mark.parametrize(("case", "mutate", "where"), EXACT, ids=[m[0] for m in EXACT])
def test_a_kind_mutant_fails_the_exact_comparison(case: str, mutate: Callable[[Files], None], where: str) -> None:
    files = copy.deepcopy(check.rendered_files(KINDS))
    mutate(files)
    report = check.run_files(KINDS, files, parliament=False)
    assert not report.ok, case
    assert any(where in f.location for f in report.findings), [str(f) for f in report.findings]
