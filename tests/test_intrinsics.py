"""Intrinsic resolution: what IAM sees after CloudFormation substitutes the template's values."""

from __future__ import annotations

from typing import Any

import pytest

from xacct_infra.intrinsics import Context, UnresolvableError, resolve

CTX = Context(partition="aws-us-gov", region="us-gov-west-1", account_id="111111111111",
              refs={"Policy": "arn:aws-us-gov:iam::111111111111:policy/p"}, attrs={("Role", "Arn"): "arn:aws-us-gov:iam::111111111111:role/r"})

CASES: list[tuple[str, Any, Any]] = [
    ("plain-values-unchanged", {"a": ["x", 1, True]}, {"a": ["x", 1, True]}),
    ("sub-partition", {"Fn::Sub": "arn:${AWS::Partition}:iam::1:root"}, "arn:aws-us-gov:iam::1:root"),
    ("sub-pseudo-parameters", {"Fn::Sub": "${AWS::Region}/${AWS::AccountId}/${AWS::URLSuffix}"}, "us-gov-west-1/111111111111/amazonaws.com"),
    ("sub-escape-stays-literal", {"Fn::Sub": "${!aws:username}"}, "${aws:username}"),
    ("sub-with-variables", {"Fn::Sub": ["${Name}-${AWS::Region}", {"Name": {"Ref": "AWS::Partition"}}]}, "aws-us-gov-us-gov-west-1"),
    ("sub-get-att", {"Fn::Sub": "${Role.Arn}"}, "arn:aws-us-gov:iam::111111111111:role/r"),
    ("ref-resource", {"Ref": "Policy"}, "arn:aws-us-gov:iam::111111111111:policy/p"),
    ("get-att-list", {"Fn::GetAtt": ["Role", "Arn"]}, "arn:aws-us-gov:iam::111111111111:role/r"),
    ("get-att-dotted", {"Fn::GetAtt": "Role.Arn"}, "arn:aws-us-gov:iam::111111111111:role/r"),
    ("join", {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}]]}, "arn:aws-us-gov"),
    ("nested", [{"Resource": [{"Fn::Sub": "${AWS::Partition}"}]}], [{"Resource": ["aws-us-gov"]}]),
]


@pytest.mark.parametrize(("node", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolves(node: Any, expected: Any) -> None:
    assert resolve(node, CTX) == expected


@pytest.mark.parametrize("node", [
    {"Ref": "Unknown"}, {"Fn::GetAtt": ["Role", "RoleId"]}, {"Fn::Sub": "${Nope}"}, {"Fn::If": ["c", "a", "b"]},
    {"Fn::ImportValue": "export"}, {"Fn::Sub": 3},
])
def test_unknown_intrinsics_and_references_are_refused(node: Any) -> None:
    with pytest.raises(UnresolvableError):
        resolve(node, CTX)
