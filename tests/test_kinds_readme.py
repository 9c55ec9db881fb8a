"""The README's boto3 lines for a Lambda consumer, run as that consumer's execution role on the
emulator: they assume the Account A role and read Keystore there."""

from __future__ import annotations

import re

import pytest

from tests.conftest import A_ID, ROOT
from xacct_infra import local


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- kinds-boto3 -->\n```python\n(.*?)```", text, flags=re.S)
    assert match, "README lost its kinds-boto3 block"
    return match.group(1)


def test_the_readme_lambda_lines_reach_account_a_as_the_execution_role(emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    local.create_sample_data(emulator, A_ID, "us-east-1", ["keystore"])
    lambda_role = emulator.mint("202020202020", "xacct-lambda")  # what Lambda puts in the function's environment
    for name, value in (("AWS_ACCESS_KEY_ID", lambda_role["aws_access_key_id"]), ("AWS_SECRET_ACCESS_KEY", lambda_role["aws_secret_access_key"]),
                        ("AWS_SESSION_TOKEN", lambda_role["aws_session_token"]), ("AWS_REGION", "us-east-1"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a fresh process, as in a Lambda sandbox
    namespace: dict[str, object] = {}
    exec(compile(readme_snippet(), "README.md", "exec"), namespace)
    assert namespace["item"]["ResponseMetadata"]["HTTPStatusCode"] == 200  # type: ignore[index]
    keystore = namespace["keystore"]
    assert keystore.list_tables()["TableNames"] == ["keystore"], "the client acts in Account A"  # type: ignore[attr-defined]
