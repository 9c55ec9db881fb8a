"""Templates over 51,200 bytes go through S3 (`artifact_bucket`); without a bucket, or over 1 MB, exit 2
before any change. Against the emulator as a real HTTP server."""

from __future__ import annotations

from tests.conftest import A_ID, EMU_CONFIG
from xacct_infra.deploy.artifacts import TemplateStore


def many_tables(n: int, bucket: str | None = None) -> str:
    extra = "".join(f'[[account_a.tables]]\nname = "keystore-shard-{i:04d}"\naccess = "read-write"\n' for i in range(n))
    text = EMU_CONFIG.replace("[account_b]", extra + "[account_b]")
    if bucket:
        text = text.replace('profile = "owner"\n', f'profile = "owner"\nartifact_bucket = "{bucket}"\n', 1)
    return text


def stacks_in_a(emulator) -> list[str]:
    cfn = emulator.client("cloudformation", credentials=emulator.mint(A_ID))
    return [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]


def test_large_template_without_bucket_exits_2_before_any_change(emulator, run, write_config) -> None:
    result = run("deploy", "--account-a", "--config", str(write_config(many_tables(300))))
    assert result.exit_code == 2
    assert "over the 51,200-byte limit" in result.stderr and "account_a.artifact_bucket" in result.stderr
    assert stacks_in_a(emulator) == []


def test_grants_beyond_iam_limits_exit_2_before_any_change(emulator, run, write_config) -> None:
    result = run("deploy", "--account-a", "--config", str(write_config(many_tables(5000, "xacct-artifacts"))))
    assert result.exit_code == 2
    assert "managed_policies_quota" in result.stderr
    assert stacks_in_a(emulator) == []


def test_template_over_one_megabyte_is_refused_even_with_a_bucket() -> None:
    import pytest

    from xacct_infra.errors import UsageError
    from xacct_infra.quotas import check_template

    def check(body: str) -> bool:
        return check_template(body, "account_a: the template", bucket="bucket", bucket_key="account_a.artifact_bucket",
                              need_bucket=True).needs_upload

    assert check("x" * 1_048_576)  # at the limit (1 MB, as `templates` counts it): fine, through S3
    with pytest.raises(UsageError, match="at most 1,048,576"):
        check("x" * 1_048_577)


def test_large_template_is_uploaded_to_a_private_encrypted_bucket_and_deployed(emulator, run, write_config) -> None:
    result = run("deploy", "--account-a", "--config", str(write_config(many_tables(300, "xacct-artifacts"))))
    assert result.exit_code == 0, result.stderr
    assert "uploaded to https://s3.us-east-1.amazonaws.com/xacct-artifacts/xacct-infra/xacct-account-a/" in result.stderr
    s3 = emulator.client("s3", credentials=emulator.mint(A_ID))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="xacct-artifacts")["Contents"]]
    assert len(keys) == 1 and keys[0].endswith(".template")
    block = s3.get_public_access_block(Bucket="xacct-artifacts")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rule = s3.get_bucket_encryption(Bucket="xacct-artifacts")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert stacks_in_a(emulator) == ["xacct-account-a"]
    again = run("deploy", "--account-a", "--config", str(write_config(many_tables(300, "xacct-artifacts"))))
    assert again.exit_code == 0 and "xacct-account-a: no changes" in again.stderr


def test_identical_content_is_not_uploaded_twice(emulator) -> None:
    s3 = emulator.client("s3", credentials=emulator.mint(A_ID))
    store = TemplateStore(s3, "xacct-artifacts", A_ID, "us-east-1")
    url1, first = store.put("stack", "body" * 20000)
    url2, second = store.put("stack", "body" * 20000)
    url3, third = store.put("stack", "other" * 20000)
    assert (first, second, third) == (True, False, True)
    assert url1 == url2 != url3
