"""The reference for `templates` start-up: a bare troposphere + awacs script writing the same two
templates as `xacct-infra templates --config xacct.toml` (values written out by hand, no config,
no checks). `make bench` times it as a whole process next to ours."""

from __future__ import annotations

import sys
from pathlib import Path

from awacs import dynamodb, kms, sts
from awacs.aws import Allow, ArnEquals, Condition, PolicyDocument, Principal, Statement
from troposphere import GetAtt, Output, Ref, Sub, Tags, Template
from troposphere.iam import InstanceProfile, Policy, Role

A, B, REGION = "111111111111", "222222222222", "us-east-1"
READ = [dynamodb.DescribeTable, dynamodb.GetItem, dynamodb.BatchGetItem, dynamodb.Query, dynamodb.Scan]
WRITE = [dynamodb.PutItem, dynamodb.UpdateItem, dynamodb.DeleteItem, dynamodb.BatchWriteItem]


def arn(service: str, rest: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:{rest}")


def account_a() -> Template:
    t = Template(Description=f"xacct-infra Account A ({A}): role xacct-access")
    t.set_metadata({"XacctInfra": {"Generator": "bare troposphere"}})
    trust = PolicyDocument(Version="2012-10-17", Statement=[Statement(
        Sid="AssumeFromAccountBInstanceRole", Effect=Allow, Action=[sts.AssumeRole], Principal=Principal("AWS", arn("iam", f":{B}:root")),
        Condition=Condition(ArnEquals("aws:PrincipalArn", arn("iam", f":{B}:role/xacct-instance"))))])
    table = f"dynamodb:{REGION}:{A}:table"
    access = PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="DynamoDBRead", Effect=Allow, Action=READ, Resource=[arn("dynamodb", f"{REGION}:{A}:table/keystore-audit")]),
        Statement(Sid="DynamoDBReadWrite", Effect=Allow, Action=READ + WRITE, Resource=[Sub(f"arn:${{AWS::Partition}}:{table}/keystore")]),
        Statement(Sid="DynamoDBIndexRead", Effect=Allow, Action=[dynamodb.Query, dynamodb.Scan],
                  Resource=[Sub(f"arn:${{AWS::Partition}}:{table}/keystore/index/*")]),
        Statement(Sid="KMSEncryptDecrypt", Effect=Allow, Action=[kms.Decrypt, kms.DescribeKey, kms.Encrypt, kms.GenerateDataKey],
                  Resource=[arn("kms", f"{REGION}:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab")])])
    t.add_resource(Role("AccessRole", RoleName="xacct-access", Path="/", MaxSessionDuration=3600, AssumeRolePolicyDocument=trust,
                        Policies=[Policy(PolicyName="xacct-access", PolicyDocument=access)], Tags=Tags({"managed-by": "xacct-infra"})))
    t.add_output(Output("RoleArn", Description="ARN that Account B assumes", Value=GetAtt("AccessRole", "Arn")))
    return t


def account_b() -> Template:
    t = Template(Description=f"xacct-infra Account B ({B}): EC2 instance role xacct-instance")
    t.set_metadata({"XacctInfra": {"Generator": "bare troposphere"}})
    trust = PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="EC2InstancesAssume", Effect=Allow, Action=[sts.AssumeRole], Principal=Principal("Service", "ec2.amazonaws.com"))])
    assume = PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid="AssumeAccountARole", Effect=Allow, Action=[sts.AssumeRole], Resource=[arn("iam", f":{A}:role/xacct-access")])])
    t.add_resource(Role("InstanceRole", RoleName="xacct-instance", Path="/", AssumeRolePolicyDocument=trust,
                        Policies=[Policy(PolicyName="xacct-assume-account-a", PolicyDocument=assume)], Tags=Tags({"managed-by": "xacct-infra"})))
    t.add_resource(InstanceProfile("InstanceProfile", InstanceProfileName="xacct-instance", Path="/", Roles=[Ref("InstanceRole")]))
    t.add_output(Output("RoleArn", Description="The instance role", Value=GetAtt("InstanceRole", "Arn")))
    t.add_output(Output("InstanceProfileName", Description="Launch EC2 instances with this profile", Value=Ref("InstanceProfile")))
    t.add_output(Output("InstanceProfileArn", Value=GetAtt("InstanceProfile", "Arn")))
    return t


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "account-a.yaml").write_text(account_a().to_yaml(sort_keys=True))
    (out / "account-b.yaml").write_text(account_b().to_yaml(sort_keys=True))
