"""Temporary Account A credentials from Account B's identity: assume, format, exec.

The seed's shell snippet, done right: the role ARN and external ID come from the config,
the duration and session name are checked before any call, every value is shell-quoted,
both token variables are set (botocore reads the legacy ``AWS_SECURITY_TOKEN`` first, so a
stale one would otherwise win), and the expiration is exported so SDKs know when to stop.

The STS client is passed in (tests use the emulator or a Stubber); nothing here prints.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import re
import shlex
import socket
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NoReturn

from xacct_infra import aws, inputs
from xacct_infra.config import AccountA, ConsumerView
from xacct_infra.errors import ExitCode, UsageError, XacctError

log = logging.getLogger(__name__)

Format = Literal["env", "json", "process", "ini"]
FORMATS: tuple[str, ...] = ("env", "json", "process", "ini")

MIN_DURATION, MAX_DURATION = 900, 43200  # STS DurationSeconds bounds
CHAINING_LIMIT = 3600  # a role session assuming another role is capped at one hour
DEFAULT_DURATION = 3600

SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_NOT_SESSION_CHAR = re.compile(r"[^\w+=,.@-]", re.ASCII)

# What `env` sets (and `--unset` removes), in output order.
ENV_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION", "AWS_REGION", "AWS_DEFAULT_REGION")
# Removed from an `exec` child: each could make an SDK there pick other credentials than ours.
STALE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_ROLE_ARN",
              "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE")


class AssumeRoleError(UsageError):
    """STS refused AssumeRole; ``code`` is STS's error code (verify retries ``AccessDenied``)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class CommandError(XacctError):
    """`exec` could not start the command (exit 126 or 127, as a shell would)."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class TemporaryCredentials:
    """Credentials from AssumeRole. Secrets are kept out of ``repr`` so logs cannot leak them."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    assumed_role_arn: str
    region: str

    @property
    def expiration_rfc3339(self) -> str:
        return self.expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- checks before any call

# Set, for the child processes botocore starts, while this process resolves a profile's credentials:
# the profiles being resolved, outermost first (JSON). A credential_process that runs xacct-infra for
# a profile already in it would run itself again, and again (one process a few hundred ms, without end).
RESOLVING_VAR = "XACCT_INFRA_RESOLVING_PROFILES"


class CredentialLoopError(UsageError):
    """A profile's credential_process is xacct-infra asking for that same profile (exit 2)."""


@contextlib.contextmanager
def resolving(profile: str | None, environ: MutableMapping[str, str] | None = None) -> Iterator[str]:
    """While the block resolves ``profile``'s credentials, child processes (a credential_process)
    see it in ``XACCT_INFRA_RESOLVING_PROFILES``; a profile already there is refused at once.

    The profile is the one botocore will use: ``--profile``, else ``AWS_PROFILE``, else
    ``AWS_DEFAULT_PROFILE``, else ``default``. The variable is restored afterwards.
    """
    env = os.environ if environ is None else environ
    name = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    try:
        chain = [str(p) for p in json.loads(env.get(RESOLVING_VAR) or "[]")]
    except (ValueError, TypeError):
        chain = []
    if name in chain:
        raise CredentialLoopError(
            f"AWS profile {inputs.quote(name)} gets its credentials by running xacct-infra, which was asked for that same "
            f"profile's credentials{' (through ' + ' > '.join(chain) + ')' if len(chain) > 1 else ''}: it would run itself "
            f"without end. In that profile, start from Account B's own credentials: credential_process = xacct-infra "
            f"credentials --format process --profile SOURCE (SOURCE: another profile, not {inputs.quote(name)}; see README "
            "\"credential_process\")")
    before = env.get(RESOLVING_VAR)
    env[RESOLVING_VAR] = json.dumps([*chain, name])
    try:
        yield name
    finally:
        if before is None:
            env.pop(RESOLVING_VAR, None)
        else:
            env[RESOLVING_VAR] = before



def check_duration(seconds: int, account_a: AccountA) -> int:
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise UsageError(f"--duration {seconds} is out of range; STS allows {MIN_DURATION}..{MAX_DURATION} seconds")
    if seconds > account_a.max_session_duration:
        raise UsageError(f"--duration {seconds} exceeds account_a.max_session_duration = {account_a.max_session_duration} "
                         "(the role's MaxSessionDuration); ask for less, or raise it in the config and redeploy Account A")
    return seconds


def check_session_name(name: str) -> str:
    if not SESSION_NAME.fullmatch(name):
        raise UsageError(f"--session-name {name!r} is not valid; STS allows 2..64 characters of [A-Za-z0-9_+=,.@-]")
    return name


def sanitise_session_name(raw: str) -> str:
    """Map any text onto STS's ``[\\w+=,.@-]{2,64}`` (ASCII), keeping it readable."""
    name = _NOT_SESSION_CHAR.sub("-", raw)[:64]
    return name if len(name) >= 2 else f"xacct-{name}".rstrip("-")


def default_session_name(user: str | None = None, host: str | None = None) -> str:
    """``user@host``: traceable in Account A's CloudTrail to the host and account that asked."""
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            user = "xacct"
    if host is None:
        host = socket.gethostname().split(".")[0] or "host"
    return sanitise_session_name(f"{user}@{host}")


# --------------------------------------------------------------------------- assume


def assume(sts: Any, view: ConsumerView, *, duration: int, session_name: str) -> TemporaryCredentials:
    """Assume the consumer's Account A role with ``sts`` (a client holding the caller's credentials)."""
    account_a = view.owner
    params: dict[str, Any] = {"RoleArn": view.role.arn, "RoleSessionName": session_name, "DurationSeconds": duration}
    if account_a.external_id:
        params["ExternalId"] = account_a.external_id
    log.debug("AssumeRole %s as session %s for %d s (external id: %s)", view.role.arn, session_name, duration,
              "yes" if account_a.external_id else "no")
    try:
        response = sts.assume_role(**params)
    except aws.client_error() as exc:
        code = aws.error_code(exc)
        if code in aws.EXPIRED_CODES | aws.REJECTED_CODES or code.isdigit():
            raise  # the caller's own credentials, or an HTTP status and no AWS error: aws.translate_errors explains those
        raise explain_assume_error(exc, view, duration) from None
    return _checked(response, account_a.region)


# What AWS's credentials are made of: printable ASCII without spaces or brackets. Anything else (a
# newline, "[", a control character) can only come from a broken or hostile endpoint, and would let it
# add a line or a section to `--format ini`, or write escape sequences to a terminal: refused, never printed.
_CREDENTIAL_TEXT = re.compile(r"[!-Z\\^-~]{1,16384}", re.ASCII)
_ASSUMED_ROLE_ARN = re.compile(r"arn:[a-z-]{3,16}:sts::[0-9]{12}:assumed-role/[\w+=,.@/-]{1,1024}", re.ASCII)


class BadCredentialsResponse(aws.CredentialsError):
    """AssumeRole answered with something that is not a set of credentials (exit 2)."""


def _checked(response: Any, region: str) -> TemporaryCredentials:
    """The credentials of an AssumeRole response, each field checked before anything uses it."""
    creds = response.get("Credentials") if isinstance(response, dict) else None
    user = response.get("AssumedRoleUser") if isinstance(response, dict) else None
    fields = {name: (creds or {}).get(name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
    fields["AssumedRoleUser.Arn"] = (user or {}).get("Arn") if isinstance(user, dict) else None
    for name, value in fields.items():
        pattern = _ASSUMED_ROLE_ARN if name == "AssumedRoleUser.Arn" else _CREDENTIAL_TEXT
        if not isinstance(value, str) or not pattern.fullmatch(value):
            why = "no value" if not value else "characters no credential has (only printable ASCII without spaces or brackets)"
            raise BadCredentialsResponse(f"the endpoint's AssumeRole answer has {why} in {name}; refusing to print or use "
                                         "it: check --endpoint-url / AWS_ENDPOINT_URL")
    expiration = (creds or {}).get("Expiration")
    if not isinstance(expiration, datetime):
        raise BadCredentialsResponse("the endpoint's AssumeRole answer has no valid Expiration; check --endpoint-url / AWS_ENDPOINT_URL")
    return TemporaryCredentials(access_key_id=fields["AccessKeyId"], secret_access_key=fields["SecretAccessKey"],  # type: ignore[arg-type]
                                session_token=fields["SessionToken"], expiration=expiration,  # type: ignore[arg-type]
                                assumed_role_arn=fields["AssumedRoleUser.Arn"], region=region)  # type: ignore[arg-type]


def explain_assume_error(exc: Any, view: ConsumerView, duration: int) -> XacctError:
    """One line naming the likely cause. Only codes and ARNs are quoted, never AWS's free text."""
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    account_a, role = view.owner, view.role.arn
    if code == "AccessDenied":
        caller = re.search(r"User: (arn:\S+)", message)
        who = caller.group(1) if caller else "the caller"
        ext = ("the external ID in the config does not match the trust policy's sts:ExternalId" if account_a.external_id
               else "the trust policy requires an external ID (set account_a.external_id)")
        b = view.consumer
        by_kind = ""
        if b.vpc_ids:
            by_kind = f", the caller is not an instance launched in {', '.join(b.vpc_ids)} (aws:Ec2InstanceSourceVpc)"
        if b.spec.tag_session:
            by_kind = (", Pod Identity's transitive session tags need sts:TagSession in Account A's trust and the pod "
                       "role's policy (deploy both stacks from this config)")
        return AssumeRoleError(f"AccessDenied: {who} may not assume {role}; likely causes: the role does not exist "
                               "(deploy Account A), the trust policy admits another principal (it must name the consumer's "
                               f"{b.spec.label} {b.role_arn}), {ext}{by_kind}, or IAM is still propagating after a deploy "
                               "(wait a minute; `xacct-infra verify` retries)", code)
    if code == "ValidationError" and "role chaining" in message:
        return AssumeRoleError(f"STS refused --duration {duration}: the caller is itself a role session, and role "
                               f"chaining is capped at {CHAINING_LIMIT} s; use --duration {CHAINING_LIMIT} or less", code)
    if code == "ValidationError" and "MaxSessionDuration" in message:
        return AssumeRoleError(f"STS refused --duration {duration}: it exceeds the deployed role's MaxSessionDuration; "
                               f"the config says {account_a.max_session_duration}, so redeploy Account A or ask for less", code)
    if code == "RegionDisabledException":
        return AssumeRoleError(f"STS is not activated in {account_a.region} for the caller's account; activate the region "
                               "(IAM account settings) or use a region where STS is active", code)
    if code:
        return AssumeRoleError(f"AssumeRole {role} failed: {code}", code)
    return XacctError(f"AssumeRole {role} failed")


# --------------------------------------------------------------------------- output formats


def render(creds: TemporaryCredentials, fmt: Format, *, ini_name: str = "xacct-account-a") -> str:
    if fmt == "env":
        return format_env(creds)
    if fmt == "process":
        return format_process(creds)
    if fmt == "json":
        return format_json(creds)
    return format_ini(creds, ini_name)


def env_values(creds: TemporaryCredentials) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_SECURITY_TOKEN": creds.session_token,
        "AWS_CREDENTIAL_EXPIRATION": creds.expiration_rfc3339,
        "AWS_REGION": creds.region,
        "AWS_DEFAULT_REGION": creds.region,
    }


def format_env(creds: TemporaryCredentials) -> str:
    """POSIX-shell ``export`` lines; safe for ``eval "$(...)"`` whatever the values contain."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env_values(creds).items())


def format_unset() -> str:
    """Back to the host's own credential chain (and its own region settings)."""
    return f"unset {' '.join(ENV_VARS)}\n"


def format_process(creds: TemporaryCredentials) -> str:
    """``credential_process`` output (Version 1). With Expiration, SDKs refresh before it."""
    return json.dumps({"Version": 1, "AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key,
                       "SessionToken": creds.session_token, "Expiration": creds.expiration_rfc3339}) + "\n"


def format_json(creds: TemporaryCredentials) -> str:
    return json.dumps({"AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key,
                       "SessionToken": creds.session_token, "Expiration": creds.expiration_rfc3339,
                       "AssumedRoleArn": creds.assumed_role_arn, "Region": creds.region}, indent=2) + "\n"


def format_ini(creds: TemporaryCredentials, name: str) -> str:
    values = (name, creds.assumed_role_arn, creds.access_key_id, creds.secret_access_key, creds.session_token, creds.region)
    if any(inputs.has_control(v) or "[" in v or "]" in v for v in values):  # assume() refuses these; never write one anyway
        raise UsageError("refusing to write an ini profile: a value holds a control character or a bracket")
    return (f"# {creds.assumed_role_arn}; expires {creds.expiration_rfc3339} and is not refreshed\n"
            f"[{name}]\n"
            f"aws_access_key_id = {creds.access_key_id}\n"
            f"aws_secret_access_key = {creds.secret_access_key}\n"
            f"aws_session_token = {creds.session_token}\n"
            f"region = {creds.region}\n")


# --------------------------------------------------------------------------- exec


def child_env(creds: TemporaryCredentials, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without anything that could outrank the credentials, plus the credentials."""
    env = {k: v for k, v in base.items() if k not in STALE_VARS and k not in ENV_VARS and k != RESOLVING_VAR}
    env.update(env_values(creds))
    return env


def exec_command(argv: Sequence[str], env: Mapping[str, str],
                 execvpe: Callable[[str, list[str], dict[str, str]], object] | None = None) -> NoReturn:
    """Replace this process with ``argv``: its exit code and signals are the command's own, and the
    credentials exist only in its environment (never in argv, never on stdout/stderr)."""
    try:
        (execvpe or os.execvpe)(argv[0], list(argv), dict(env))
    except FileNotFoundError:
        raise CommandError(f"exec: command not found: {argv[0]}", ExitCode.COMMAND_NOT_FOUND) from None
    except PermissionError:
        raise CommandError(f"exec: cannot execute {argv[0]}: permission denied", ExitCode.CANNOT_EXECUTE) from None
    except OSError as exc:
        raise CommandError(f"exec: cannot execute {argv[0]}: {exc.strerror}", ExitCode.CANNOT_EXECUTE) from None
    raise AssertionError("execvpe returned")  # only an injected fake can get here
