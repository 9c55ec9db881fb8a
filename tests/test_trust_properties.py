"""Property-based: trust policies with random extra statements (principals and conditions drawn
from a vocabulary of the ways people widen trust) fail `check` exactly when some principal
gets in that the generated trust does not admit.

The oracle is this test's own list of concrete callers (roles and users of the consumer, a
third and a fourth account, in the organization, in another one or in none; services;
federated identities), asked through the evaluator against the edited and the generated
trust. `check` knows nothing of that list: it compares structurally and with probes it
takes from the templates. Actions and principal kinds the generated trust does not use
(sts:TagSession, services, federated identities) are refused whether or not anyone gets in.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from xacct_infra import check, config
from xacct_infra.access.evaluator import ContextValue, Policy, Principal, Request, authorize
from xacct_infra.access.probes import NO_IAM_PRINCIPAL

EXAMPLE = config.load(ROOT / "xacct.toml")
RENDERED = check.rendered_files(EXAMPLE)
A_ROLE = "arn:aws:iam::111111111111:role/xacct-access"
B_ROLE = "arn:aws:iam::222222222222:role/xacct-instance"
ORG = "o-a1b2c3d4e5"

AWS_PRINCIPALS = ["*", {"AWS": "arn:aws:iam::222222222222:root"}, {"AWS": "222222222222"}, {"AWS": "arn:aws:iam::999999999999:root"},
                  {"AWS": "arn:aws:iam::222222222222:role/ci"}, {"AWS": [B_ROLE]}, {"AWS": "arn:aws:iam::999999999999:role/xacct-instance"}]
AWS_CONDITIONS: list[tuple[str, str, Any]] = [
    ("ArnEquals", "aws:PrincipalArn", B_ROLE),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::222222222222:role/*"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/xacct-instance"),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::222222222222:role/xacct-instanc?"),
    ("StringEquals", "aws:PrincipalOrgID", ORG),
    ("StringLike", "aws:PrincipalOrgID", "o-*"),
    ("StringEquals", "aws:PrincipalAccount", "222222222222"),
    ("StringEquals", "sts:ExternalId", "shared-secret"),
]
OTHER_PRINCIPALS: list[tuple[dict[str, Any], str]] = [
    ({"Service": "ecs-tasks.amazonaws.com"}, "sts:AssumeRole"), ({"Service": "ec2.amazonaws.com"}, "sts:AssumeRole"),
    ({"Federated": "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity"),
]


@st.composite
def extra_statements(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 4)) == 0:  # services and federated identities, with no AWS principal keys to narrow them
        principal, action = draw(st.sampled_from(OTHER_PRINCIPALS))
        return {"Effect": "Allow", "Principal": principal, "Action": action}
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": draw(st.sampled_from(AWS_PRINCIPALS)),
                                 "Action": draw(st.sampled_from(["sts:AssumeRole", "sts:AssumeRole", "sts:TagSession"]))}
    conditions: dict[str, dict[str, Any]] = {}
    for operator, key, value in draw(st.lists(st.sampled_from(AWS_CONDITIONS), max_size=2, unique=True)):
        conditions.setdefault(operator, {})[key] = value
    if conditions:
        statement["Condition"] = conditions
    return statement


def callers() -> list[tuple[Principal, dict[str, ContextValue], tuple[str, ...]]]:
    """The oracle's callers: concrete principals, each with its own organization."""
    out: list[tuple[Principal, dict[str, ContextValue], tuple[str, ...]]] = []
    for account, name in itertools.product(("222222222222", "999999999999", "333333333333"), ("role/xacct-instance", "role/xacct-instancz", "role/team/xacct-instance",
                                                                                     "role/ci", "user/alice")):
        arn = f"arn:aws:iam::{account}:{name}"
        for org in (None, ORG, "o-zzzzzzzzzz"):
            for external in (None, "shared-secret"):
                out.append((Principal.of_arn(arn, arn), {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalOrgID": org,
                                                         "sts:ExternalId": external}, ("sts:AssumeRole", "sts:TagSession")))
    # A service or federated caller carries no aws:PrincipalArn / org keys (they are absent, not the caller's to choose).
    out += [(Principal.of_service(s), dict(NO_IAM_PRINCIPAL), ("sts:AssumeRole",)) for s in ("ecs-tasks.amazonaws.com", "ec2.amazonaws.com")]
    out.append((Principal.of_federated("cognito-identity.amazonaws.com"), dict(NO_IAM_PRINCIPAL), ("sts:AssumeRoleWithWebIdentity",)))
    return out


CALLERS = callers()


def someone_gets_in(edited: dict[str, Any], generated: dict[str, Any]) -> bool:
    admin = Policy("admin", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    new, old = Policy("edited", edited), Policy("generated", generated)
    for principal, context, actions in CALLERS:
        for action in actions:
            request = Request(principal, action, A_ROLE, context, adversarial=True)
            kwargs: dict[str, Any] = {"identity": (admin,), "resource_account": "111111111111", "trust": True}
            if authorize(request, resource=(new,), **kwargs).allowed and not authorize(request, resource=(old,), **kwargs).allowed:
                return True
    return False


def resolved_trust(files: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(files["account-a"]["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"])
    for statement in document["Statement"]:  # the generated trust is all Fn::Sub of the aws partition
        statement["Principal"] = {"AWS": statement["Principal"]["AWS"]["Fn::Sub"].replace("${AWS::Partition}", "aws")}
        statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] = B_ROLE
    return document


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(extra_statements(), min_size=1, max_size=2))
@example([{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",  # found by CI: admits only B's role
           "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/xacct-instance"}}}])
def test_check_fails_on_a_trust_edit_exactly_when_some_caller_gets_in(extra: list[dict[str, Any]]) -> None:
    files = copy.deepcopy(RENDERED)
    files["account-a"]["Resources"]["AccessRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] += extra
    generated = resolved_trust(RENDERED)
    edited = {**generated, "Statement": generated["Statement"] + extra}
    report = check.run_files(EXAMPLE, files, parliament=False)
    trust_findings = [f for f in report.findings if f.rule.startswith("access:trust")]
    refused = [x for x in extra if x["Action"] != "sts:AssumeRole" or not (x["Principal"] == "*" or "AWS" in x["Principal"])]
    if refused:  # actions and principal kinds the generated trust does not use are refused outright, admitting anyone or not
        assert any(f"Statement[{len(generated['Statement']) + extra.index(x)}]" in str(f) for x in refused for f in trust_findings)
    elif someone_gets_in(edited, generated):
        assert trust_findings, f"a caller gets in through {extra} but check found nothing"
        assert any(f"Statement[{i}]" in str(f) for f in trust_findings for i in range(1, 3)), [str(f) for f in trust_findings]
    else:
        assert not trust_findings, [str(f) for f in trust_findings]
