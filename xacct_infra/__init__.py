"""xacct-infra: cross-account access to DynamoDB and KMS through IAM roles and STS."""

__version__ = "0.1.0"
