"""IAM and CloudFormation numbers, and the one template-size check (a leaf: imports nothing heavy).

Both ``templates`` (which warns) and ``deploy`` (which needs an S3 bucket) ask
:func:`check_template`, so the two can never disagree on a limit or its wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from xacct_infra.errors import TemplateLimitError

INLINE_POLICIES_PER_ROLE = 10_240  # characters, all inline policies of one role together (not adjustable)
MANAGED_POLICY = 6_144  # characters, one customer-managed policy (not adjustable)
TEMPLATE_BODY_INLINE = 51_200  # bytes of TemplateBody in the API call
TEMPLATE_BODY_S3 = 1_048_576  # bytes of a template read from S3 (1 MB)


@dataclass(frozen=True)
class TemplateSize:
    size: int  # bytes, UTF-8
    needs_upload: bool  # over the inline limit: deploy sends it through S3 (artifact_bucket)

    def upload_note(self, what: str, bucket: str | None, bucket_key: str) -> str | None:
        """The warning for a template that must go through S3, or None when it fits inline."""
        if not self.needs_upload:
            return None
        where = f"s3://{bucket}" if bucket else f"an S3 bucket: set {bucket_key} in the config"
        return (f"{what} is {self.size:,} bytes, over the {TEMPLATE_BODY_INLINE:,}-byte limit for a template sent inline; "
                f"deploy must upload it to {where}")


def check_template(body: str, what: str, *, bucket: str | None, bucket_key: str, need_bucket: bool) -> TemplateSize:
    """Refuse what CloudFormation would refuse later: over 1 MB always; over 51,200 bytes
    without an ``artifact_bucket`` when the template is about to be deployed (``need_bucket``).

    ``what`` names the template in messages (a file, or the config's side); ``bucket_key``
    is the config key that sets the bucket (``account_a.artifact_bucket``).
    """
    size = len(body.encode("utf-8"))
    if size > TEMPLATE_BODY_S3:
        raise TemplateLimitError(f"{what} is {size:,} bytes; CloudFormation accepts at most {TEMPLATE_BODY_S3:,} "
                                 "even from S3; grant fewer tables per role")
    verdict = TemplateSize(size, size > TEMPLATE_BODY_INLINE)
    if verdict.needs_upload and need_bucket and not bucket:
        raise TemplateLimitError(f"{what} is {size:,} bytes, over the {TEMPLATE_BODY_INLINE:,}-byte limit for inline "
                                 f"templates; set {bucket_key} in the config so it can be uploaded to S3 first")
    return verdict
