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

from xacct_infra import aws
from xacct_infra.errors import UsageError


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
        data = body.encode()
        key = f"xacct-infra/{stack_name}/{hashlib.sha256(data).hexdigest()}.template"
        self._ensure_bucket()
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key, ExpectedBucketOwner=self.account_id)
            return self.url(key), False
        except Exception as exc:
            if aws.error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
                raise
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ExpectedBucketOwner=self.account_id,
                           ServerSideEncryption="AES256", ContentType="application/x-yaml")
        return self.url(key), True

    def _ensure_bucket(self) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket, ExpectedBucketOwner=self.account_id)
            return
        except Exception as exc:
            code = aws.error_code(exc)
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
