"""The botocore data loader every session shares (aws.make_loader): the models botocore's own loader
loads, found faster, with AWS_DATA_PATH searched first as botocore does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.loaders import create_loader

from xacct_infra import aws

ASKED = [(service, kind) for service in ("cloudformation", "sts", "iam", "dynamodb", "kms", "s3", "organizations")
         for kind in ("service-2", "paginators-1", "endpoint-rule-set-1")] + [("cloudformation", "waiters-2"), ("dynamodb", "waiters-2")]


@pytest.mark.parametrize(("service", "kind"), ASKED)
def test_each_model_is_the_one_botocore_loads(service: str, kind: str) -> None:
    assert aws.make_loader({}).load_service_model(service, kind) == create_loader().load_service_model(service, kind)


def test_an_explicit_version_an_unknown_service_and_a_missing_version_answer_as_botocore_does() -> None:
    ours, theirs = aws.make_loader({}), create_loader()
    assert ours.load_service_model("sts", "service-2", "2011-06-15") == theirs.load_service_model("sts", "service-2", "2011-06-15")
    for name in ("no-such-service", "../sts", "STS", ""):
        with pytest.raises(UnknownServiceError):
            ours.load_service_model(name, "service-2")
    with pytest.raises(DataNotFoundError):
        ours.load_service_model("sts", "service-2", "1999-01-01")


def test_aws_data_path_is_searched_first(tmp_path: Path) -> None:
    version = tmp_path / "sts" / "2011-06-15"
    version.mkdir(parents=True)
    own = create_loader().load_service_model("sts", "service-2")
    own["metadata"]["serviceFullName"] = "a model from AWS_DATA_PATH"
    (version / "service-2.json").write_text(json.dumps(own))
    (tmp_path / "xacctfake" / "2020-01-01").mkdir(parents=True)
    (tmp_path / "xacctfake" / "2020-01-01" / "service-2.json").write_text(json.dumps({"metadata": {}, "operations": {}, "shapes": {}}))
    loader = aws.make_loader({"AWS_DATA_PATH": str(tmp_path)})
    assert loader.load_service_model("sts", "service-2")["metadata"]["serviceFullName"] == "a model from AWS_DATA_PATH"
    assert loader.load_service_model("xacctfake", "service-2") == {"metadata": {}, "operations": {}, "shapes": {}}
    assert aws.make_loader({}).load_service_model("sts", "service-2")["metadata"]["serviceFullName"] != "a model from AWS_DATA_PATH"
