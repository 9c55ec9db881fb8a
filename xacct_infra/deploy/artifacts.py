"""Templates too large to send inline (> 51,200 bytes) go to S3 first.

The bucket is the side's ``artifact_bucket``: created if missing with default encryption
and every public-access block on; keys are content-addressed (the template's SHA-256), so
identical content is never uploaded twice and an old deploy can never pick up a new body.
Every call names ``ExpectedBucketOwner``, so a bucket of the same name in someone else's
account is refused rather than written to.
"""

from __future__ import annotations

import hashlib
from typing import Any

from xacct_infra.errors import UsageError
from xacct_infra.limits import TEMPLATE_BODY_INLINE, TEMPLATE_BODY_S3

INLINE_LIMIT = TEMPLATE_BODY_INLINE  # bytes, TemplateBody in the API call
S3_LIMIT = TEMPLATE_BODY_S3  # bytes, TemplateURL


def needs_upload(body: str) -> bool:
    return len(body.encode()) > INLINE_LIMIT


def check_size(body: str, side: str, bucket: str | None) -> None:
    """Refuse before any change what CloudFormation would refuse later."""
    size = len(body.encode())
    if size > S3_LIMIT:
        raise UsageError(f"{side}: the template is {size:,} bytes; CloudFormation accepts at most {S3_LIMIT:,} "
                         "even from S3; split the grants across more roles")
    if size > INLINE_LIMIT and not bucket:
        raise UsageError(f"{side}: the template is {size:,} bytes, over the {INLINE_LIMIT:,}-byte limit for inline "
                         f"templates; set {side}.artifact_bucket in the config so it can be uploaded to S3 first")


class TemplateStore:
    def __init__(self, s3: Any, bucket: str, account_id: str, region: str, partition: str = "aws") -> None:
        self.s3 = s3
        self.bucket = bucket
        self.account_id = account_id
        self.region = region
        self.partition = partition

    def url(self, key: str) -> str:
        suffix = ".cn" if self.partition == "aws-cn" else ""
        return f"https://s3.{self.region}.amazonaws.com{suffix}/{self.bucket}/{key}"

    def put(self, stack_name: str, body: str) -> tuple[str, bool]:
        """Upload ``body`` unless already there; returns (TemplateURL, uploaded?)."""
        from botocore.exceptions import ClientError

        data = body.encode()
        key = f"xacct-infra/{stack_name}/{hashlib.sha256(data).hexdigest()}.template"
        self._ensure_bucket()
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.account_id)
            return self.url(key), False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ExpectedBucketOwner=self.account_id,
                           ServerSideEncryption="AES256", ContentType="application/x-yaml")
        return self.url(key), True

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_bucket(Bucket=self.bucket, ExpectedBucketOwner=self.account_id)
            return
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "403":
                raise UsageError(f"artifact bucket {self.bucket} exists but is not in account {self.account_id} "
                                 "or not accessible; choose another artifact_bucket") from None
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.s3.create_bucket(**kwargs)
        self.s3.put_public_access_block(Bucket=self.bucket, ExpectedBucketOwner=self.account_id, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        self.s3.put_bucket_encryption(Bucket=self.bucket, ExpectedBucketOwner=self.account_id, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})
