"""The consumer-kind keys of the config contract: defaults per kind, and every bad value refused
with exit 2 and one line naming the key, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL
from xacct_infra import config


def consumer(body: str, a_extra: str = "") -> str:
    """The minimal config, ``a_extra`` added to [account_a] and ``body`` to its one consumer."""
    return MINIMAL.replace('region = "us-east-1"\n', f'region = "us-east-1"\n{a_extra}', 1) + body


@pytest.mark.parametrize(("kind", "role_name"), [("ec2", "xacct-instance"), ("lambda", "xacct-lambda"), ("ecs-task", "xacct-ecs-task"),
                                                 ("codebuild", "xacct-codebuild"), ("eks-pod-identity", "xacct-eks-pod")])
def test_each_kind_that_creates_its_role_has_a_default_role_name(kind: str, role_name: str) -> None:
    b = config.loads(consumer(f'kind = "{kind}"\n')).consumers[0]
    assert (b.kind, b.role_name, b.role_path) == (kind, role_name, "/")


def test_no_kind_means_ec2() -> None:
    assert config.loads(consumer("")).consumers[0].kind == "ec2"


def test_an_existing_role_takes_its_name_and_path_from_role_arn() -> None:
    b = config.loads(consumer('kind = "existing-role"\nrole_arn = "arn:aws:iam::222222222222:role/team/apps/reader"\n')).consumers[0]
    assert (b.role_name, b.role_path, b.role_arn) == ("reader", "/team/apps/", "arn:aws:iam::222222222222:role/team/apps/reader")


EXISTING = 'kind = "existing-role"\n'
# (case, consumer body, account_a extra, the key the line must name, a phrase it must contain)
BAD: list[tuple[str, str, str, str, str]] = [
    ("unknown-kind", 'kind = "fargate"\n', "", "account_b.kind", "'fargate' is not a consumer kind; allowed: ec2 | lambda"),
    ("kind-not-a-string", "kind = 3\n", "", "account_b.kind", "is not a consumer kind"),
    ("kind-in-other-case", 'kind = "Lambda"\n', "", "account_b.kind", "is not a consumer kind"),
    ("existing-role-without-role-arn", EXISTING, "", "account_b.role_arn", "is required"),
    ("role-arn-in-another-account", EXISTING + 'role_arn = "arn:aws:iam::333333333333:role/reader"\n', "", "account_b.role_arn",
     "is in account 333333333333, not this consumer's id 222222222222"),
    ("role-arn-in-another-partition", EXISTING + 'role_arn = "arn:aws-cn:iam::222222222222:role/reader"\n', "", "account_b.role_arn",
     "is in partition aws-cn"),
    ("role-arn-not-a-role", EXISTING + 'role_arn = "arn:aws:iam::222222222222:user/reader"\n', "", "account_b.role_arn", "is not an IAM role ARN"),
    ("role-arn-non-ascii", EXISTING + 'role_arn = "arn:aws:iam::222222222222:role/r\u00e9ader"\n', "", "account_b.role_arn", "is not an IAM role ARN"),
    ("role-arn-not-a-string", EXISTING + "role_arn = 7\n", "", "account_b.role_arn", "must be a string"),
    ("role-name-with-role-arn", EXISTING + 'role_arn = "arn:aws:iam::222222222222:role/reader"\nrole_name = "other"\n', "",
     "account_b.role_name", "role_arn names the role"),
    ("role-arn-on-lambda", 'kind = "lambda"\nrole_arn = "arn:aws:iam::222222222222:role/reader"\n', "", "account_b.role_arn",
     "this kind creates its role"),
    ("role-arn-on-default-ec2", 'role_arn = "arn:aws:iam::222222222222:role/reader"\n', "", "account_b.role_arn", "this kind creates its role"),
    ("vpc-ids-on-lambda", 'kind = "lambda"\nvpc_ids = ["vpc-0a1b2c3d"]\n', "", "account_b.vpc_ids", "only kind = 'ec2' takes it"),
    ("vpc-ids-on-existing-role", EXISTING + 'role_arn = "arn:aws:iam::222222222222:role/reader"\nvpc_ids = ["vpc-0a1b2c3d"]\n', "",
     "account_b.vpc_ids", "only kind = 'ec2'"),
    ("vpc-id-too-short", 'vpc_ids = ["vpc-123"]\n', "", "account_b.vpc_ids[0]", "is not a VPC id"),
    ("vpc-id-upper-case", 'vpc_ids = ["vpc-0A1B2C3D"]\n', "", "account_b.vpc_ids[0]", "is not a VPC id"),
    ("vpc-id-full-width-digits", 'vpc_ids = ["vpc-\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17"]\n', "", "account_b.vpc_ids[0]", "is not a VPC id"),
    ("vpc-id-subnet", 'vpc_ids = ["vpc-0a1b2c3d", "subnet-0a1b2c3d"]\n', "", "account_b.vpc_ids[1]", "is not a VPC id"),
    ("vpc-id-not-a-string", "vpc_ids = [1]\n", "", "account_b.vpc_ids[0]", "is not a VPC id"),
    ("vpc-ids-empty", "vpc_ids = []\n", "", "account_b.vpc_ids", "non-empty array"),
    ("vpc-ids-a-string", 'vpc_ids = "vpc-0a1b2c3d"\n', "", "account_b.vpc_ids", "non-empty array"),
    ("vpc-id-twice", 'vpc_ids = ["vpc-0a1b2c3d", "vpc-0a1b2c3d"]\n', "", "account_b.vpc_ids[1]", "listed twice"),
    ("vpc-ids-too-many", "vpc_ids = [" + ", ".join(f'"vpc-{i:08x}"' for i in range(51)) + "]\n", "", "account_b.vpc_ids", "at most 50"),
    ("vpc-ids-with-org-trust", 'vpc_ids = ["vpc-0a1b2c3d"]\n', 'trust = "org"\norg_id = "o-abcdefghij"\n', "account_b.vpc_ids",
     "needs account_a.trust = \"roles\""),
    ("cluster-on-lambda", 'kind = "lambda"\ncluster = "prod"\n', "", "account_b.cluster", "only kind = 'eks-pod-identity'"),
    ("namespace-upper-case", 'kind = "eks-pod-identity"\nnamespace = "Payments"\n', "", "account_b.namespace", "is not valid"),
    ("service-account-with-space", 'kind = "eks-pod-identity"\nservice_account = "key reader"\n', "", "account_b.service_account", "is not valid"),
    ("cluster-with-slash", 'kind = "eks-pod-identity"\ncluster = "prod/x"\n', "", "account_b.cluster", "is not valid"),
    ("credential-source-unknown", EXISTING + 'role_arn = "arn:aws:iam::222222222222:role/r"\ncredential_source = "InstanceMetadata"\n', "",
     "account_b.credential_source", "allowed: Ec2InstanceMetadata | EcsContainer | Environment"),
    ("credential-source-on-ecs-task", 'kind = "ecs-task"\ncredential_source = "EcsContainer"\n', "", "account_b.credential_source",
     "only kind = 'existing-role'"),
]


@pytest.mark.parametrize(("case", "body", "a_extra", "key", "phrase"), BAD, ids=[c[0] for c in BAD])
def test_bad_kind_input_exits_2_in_one_line_naming_the_key(case: str, body: str, a_extra: str, key: str, phrase: str,
                                                            run, write_config, tmp_path: Path) -> None:
    path = write_config(consumer(body, a_extra))
    out = tmp_path / "out"
    result = run("templates", "--config", str(path), "--out", str(out))
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{key}:" in lines[0] and phrase in lines[0], lines[0]
    assert not out.exists(), "nothing written"
