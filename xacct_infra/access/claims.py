"""What ``xacct-infra check`` proves and what it does not, in the words its --help and the
README use (tests hold both to these strings). Each claim is enforced by the module named in
its comment; change the claim and the code together."""

from __future__ import annotations

import textwrap

PROVES: tuple[str, ...] = (
    # access/expected.py + access/compare.py
    "Every role, trust policy, permissions policy and policy attachment in the templates is no wider than what the "
    "generator writes for the config: the same principals (canonical ARNs), actions (case-insensitive) and conditions "
    "(operator, key and values). Statements may be split, merged, reordered or renamed and explicit Denies added. An "
    "Allow holding a policy variable (${aws:...}), a Transform, or a value check cannot resolve is a finding.",
    # access/compare.py (compare_trust)
    "Trust policies admit no Federated, CanonicalUser or other service principal, use no NotPrincipal or NotAction, and "
    "allow no trust action the config does not use (sts:TagSession, sts:SetSourceIdentity, sts:AssumeRoleWithWebIdentity, "
    "sts:AssumeRoleWithSAML...).",
    # access/probes.py
    "No probe gets through a trust policy that the generated trust refuses: every principal, account, ARN pattern and "
    "organization value the templates name, path and name variants of every role, other accounts, the configured OU, a "
    "sibling and the parent OU, another organization and none (each principal carries its own organization), services "
    "and federated identities.",
    # access/compare.py (compare_role, compare_attachments)
    "Each role's RoleName, Path, MaxSessionDuration, PermissionsBoundary (exactly the configured one, or none) and "
    "managed policies are the config's, and no policy is attached to a user, group or role outside the template unless "
    "the config attaches it there.",
    # access/matrix.py
    "The access matrix, from the config's access levels: each Account A role allows exactly the configured actions on the "
    "configured tables, indexes and keys (every DynamoDB and KMS action against them, their neighbours and \"*\"), "
    "write-only tables only without dynamodb:ReturnValues or with NONE, and each consumer role only sts:AssumeRole on its "
    "own Account A role.",
    # rules/
    "The template rules XI1001..XI1006 and parliament report nothing.",
)

DOES_NOT_PROVE: tuple[str, ...] = (
    "Anything outside the templates: KMS key policies and grants, DynamoDB resource policies, SCPs, RCPs and session "
    "policies.",
    "What a permissions boundary or a managed policy not defined in the template allows.",
    "Who in a consumer account can create or use its role, launch workloads with it or read its credentials.",
    "That AWS behaves as documented: the evaluator implements the documentation, and probes are representative names, not "
    "every possible one.",
    "What a write-only consumer learns through a ConditionExpression (one bit per call) or through "
    "ReturnValuesOnConditionCheckFailure=ALL_OLD, for which we found no IAM condition key.",
)


def help_text() -> str:
    """The claims as click help paragraphs (``\\b`` keeps each line as written)."""
    def items(claims: tuple[str, ...]) -> list[str]:
        return [line for claim in claims for line in textwrap.wrap(claim, 96, initial_indent="- ", subsequent_indent="  ")]

    lines = ["\b", "Proves (exit 0 only when all hold; otherwise one FAIL line per finding, naming the", "statement, and exit 1):"]
    lines += [*items(PROVES), "", "\b", "Does not prove:", *items(DOES_NOT_PROVE)]
    return "\n".join(lines)
