"""The only place that builds boto3 sessions and clients.

Conventions follow the AWS CLI: ``--profile`` and ``--endpoint-url`` flags, the standard
``AWS_*`` environment variables and shared config/credentials files (botocore reads
``AWS_PROFILE``, ``AWS_ENDPOINT_URL[_<SERVICE>]``, ``AWS_CONFIG_FILE`` and
``AWS_SHARED_CREDENTIALS_FILE`` itself). boto3 is imported lazily, so commands that never
call AWS (``templates``, ``check``, ``--help``) do not pay for it.

Precedence for the profile of one side: ``--profile`` > that side's ``profile`` in the
config > ``AWS_PROFILE`` > the default credential chain. Region: ``--region`` > the side's
``region`` in the config (the config says where the stack lives, so a stray
``AWS_REGION`` in the shell never moves a deployment).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xacct_infra import __version__
from xacct_infra.errors import UsageError, XacctError

if TYPE_CHECKING:
    import boto3

log = logging.getLogger(__name__)

# Bounded everywhere: a closed port or a dead endpoint fails in seconds, not minutes.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
MAX_ATTEMPTS = 5

# Error codes that are about the caller's own credentials, whatever the call.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REJECTED_CODES = frozenset({"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure"})


class CredentialsError(UsageError):
    """No credentials, expired credentials, an unknown profile: exit 2."""


class EndpointError(UsageError):
    """The endpoint cannot be reached (connection refused, DNS, timeout): exit 2."""


@dataclass(frozen=True)
class Target:
    """Where and as whom to call AWS for one side of the config."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None

    def endpoint(self, service: str) -> str:
        """Where ``service``'s calls go, as botocore picks it (--endpoint-url, AWS_ENDPOINT_URL_<SERVICE>,
        AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), printable; else AWS's own in the region."""
        from xacct_infra.inputs import configured_endpoint, shown_endpoint

        custom = configured_endpoint(self.endpoint_url, (service,))
        return shown_endpoint(custom) if custom else f"AWS {service} in {self.region}"

    def describe(self) -> str:
        import os

        who = f"profile {self.profile!r}" if self.profile else (
            f"profile {os.environ['AWS_PROFILE']!r} (AWS_PROFILE)" if os.environ.get("AWS_PROFILE")
            else "the default credential chain (environment, shared files, instance metadata)")
        return who


_LOADER: Any = None


def _shared_loader() -> Any:
    """One botocore data loader for every session of the process.

    Service models and endpoint rules are large JSON files; each session would otherwise
    load and parse its own copy (about 30 ms per client on a 2-core machine).
    """
    global _LOADER
    if _LOADER is None:
        import os

        _LOADER = make_loader(os.environ)
    return _LOADER


def make_loader(environ: Mapping[str, str]) -> Any:
    """A botocore data loader searching ``AWS_DATA_PATH`` first, as botocore's ``create_loader``."""
    import os

    paths = [os.path.expanduser(os.path.expandvars(path)) for path in environ.get("AWS_DATA_PATH", "").split(os.pathsep) if path]
    return _quick_loader_class()(paths)


def _quick_loader_class() -> Any:
    import os
    import re

    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader, instance_cache

    class QuickLoader(Loader):  # type: ignore[misc]
        """botocore's loader, except that loading a service's model looks in that service's
        directory only: botocore first lists every service directory (about 400 listdirs and
        1,800 stats, 15 ms per model type and process) just to check that the one asked for exists."""

        def __init__(self, extra_search_paths: list[str]) -> None:
            super().__init__(extra_search_paths=extra_search_paths or None)

        @instance_cache  # type: ignore[untyped-decorator]
        def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
            try:
                if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", service_name):
                    raise DataNotFoundError(data_path=service_name)
                versions = self.list_api_versions(service_name, type_name)
            except DataNotFoundError:  # botocore's own answer: UnknownServiceError naming the known services
                return super().load_service_model(service_name, type_name, api_version)
            version = api_version or max(versions)  # botocore's determine_latest_version
            model = self.load_data(os.path.join(service_name, version, type_name))
            self._extras_processor.process(model, self._find_extras(service_name, type_name, version))
            return model

    return QuickLoader


def _core_session(profile: str | None) -> Any:
    """A botocore session sharing the data loader, whose parsers refuse what is not an AWS answer."""
    import botocore.session

    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", _shared_loader())
    core.register_component("response_parser_factory", _strict_parser_factory())
    return core


def _strict_parser_factory() -> Any:
    """botocore's parsers, except that an answer they cannot read raises ``ResponseParserError``.

    A web page answered with HTTP 200 (a captive portal, an --endpoint-url pointing at a web
    server) is well-formed enough for the XML parser to look for ``AssumeRoleResult`` in it and
    fail with a bare ``KeyError``; ``translate_errors`` turns ``ResponseParserError`` into one line.
    """
    from botocore.parsers import ResponseParserError, ResponseParserFactory

    class StrictParserFactory(ResponseParserFactory):  # type: ignore[misc]
        def create_parser(self, protocol_name: str) -> Any:
            parser = super().create_parser(protocol_name)
            parse = parser.parse

            def checked(response: Any, shape: Any) -> Any:
                if protocol_name in _JSON_PROTOCOLS and response.get("status_code", 500) < 300 and not _aws_json(response, shape):
                    raise ResponseParserError("not an AWS API response (a JSON protocol answer that is not AWS's JSON)")
                try:
                    return parse(response, shape)
                except ResponseParserError:
                    raise
                except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
                    raise ResponseParserError(f"not an AWS API response ({type(exc).__name__})") from None

            parser.parse = checked
            return parser

    return StrictParserFactory()


_JSON_PROTOCOLS = frozenset({"json", "rest-json"})


def _aws_json(response: Any, shape: Any) -> bool:
    """A successful answer of a JSON protocol (DynamoDB, KMS): empty, or a JSON object with at least one
    member the operation can return. botocore's JSON parser reads an HTML page as ``{"message": page}``
    and another API's JSON as an empty result, which would look like an allowed call."""
    import json

    body = response.get("body") or b""
    if not body.strip() or shape is None or shape.type_name != "structure" or shape.serialization.get("payload"):
        return True
    try:
        parsed = json.loads(body)
    except ValueError:
        return False
    if not isinstance(parsed, dict):
        return False
    members = {member.serialization.get("name", name) for name, member in shape.members.items()}
    return not parsed or not members or bool(members & parsed.keys())


def session(target: Target) -> boto3.Session:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(botocore_session=_core_session(target.profile), region_name=target.region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise _profile_not_found(exc.kwargs.get("profile") or target.profile) from None


def _profile_not_found(profile: str | None) -> CredentialsError:
    return CredentialsError(f"AWS profile {profile!r} not found in the shared config/credentials files "
                            "(AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE); check the profile name or pass --profile")


def client(sess: boto3.Session, service: str, target: Target, *, retry_mode: str = "standard",
           max_attempts: int | None = None) -> Any:
    """A client with bounded timeouts and botocore's standard retry mode (throttling, 5xx)."""
    from botocore.config import Config

    config = Config(
        retries={"mode": retry_mode, "max_attempts": max_attempts or MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra=f"xacct-infra/{__version__}",
    )
    make = getattr(sess, "create_client", None) or sess.client  # a botocore or a boto3 session
    return make(service, region_name=target.region, endpoint_url=target.endpoint_url, config=config)


@contextlib.contextmanager
def translate_errors(target: Target) -> Iterator[None]:
    """Turn botocore's credential and connection failures into one-line errors (exit 2)."""
    import botocore.exceptions as bex
    import botocore.parsers

    try:
        yield
    except XacctError:
        raise
    except bex.NoCredentialsError:
        raise CredentialsError(f"no AWS credentials found using {target.describe()}; "
                               "configure a profile (--profile), environment variables or an instance role") from None
    except bex.ProfileNotFound as exc:
        raise _profile_not_found(exc.kwargs.get("profile") or target.profile) from None
    except bex.CredentialRetrievalError as exc:  # e.g. a credential_process that failed: its own one line, not botocore's wrapper
        said = str(exc.kwargs.get("error_msg") or exc).strip().splitlines()
        reason = (said[-1] if said else "").removeprefix("xacct-infra: error: ")[:600]
        raise CredentialsError(f"the credentials of {target.describe()} could not be obtained "
                               f"({exc.kwargs.get('provider', 'provider')}): {reason}") from None
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError) as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or target.endpoint_url or "the AWS endpoint"
        raise EndpointError(f"cannot reach {endpoint} (region {target.region}): {type(exc).__name__}; "
                            "check network, --endpoint-url / AWS_ENDPOINT_URL and --region") from None
    except bex.SSLError as exc:
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url") or target.endpoint_url or "the AWS endpoint"
        raise EndpointError(f"TLS with {endpoint} failed ({str(exc.kwargs.get('error', exc))[:120]}); check --endpoint-url / "
                            "AWS_ENDPOINT_URL (http:// for a local emulator) and AWS_CA_BUNDLE") from None
    except botocore.parsers.ResponseParserError:
        endpoint = target.endpoint_url or "the AWS endpoint"
        raise EndpointError(f"{endpoint} answered with something that is not an AWS API response (an HTML page?); "
                            "check --endpoint-url / AWS_ENDPOINT_URL") from None
    except bex.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in EXPIRED_CODES:
            raise CredentialsError(f"the AWS credentials from {target.describe()} have expired; refresh them and retry") from None
        if code in REJECTED_CODES:
            raise CredentialsError(f"the AWS credentials from {target.describe()} were rejected ({code}); "
                                   "check the access key, secret and session token") from None
        if code.isdigit() and not is_unsupported(exc):  # an HTTP status and no AWS error: a proxy or web page answered
            raise EndpointError(f"{target.endpoint_url or 'the AWS endpoint'} answered HTTP {code} without an AWS error "
                                "(not an AWS API endpoint?); check --endpoint-url / AWS_ENDPOINT_URL") from None
        raise


class WrongAccountError(UsageError):
    pass


def _same_account(account: str, arn: str, target: Target, expected: str, side: str) -> str:
    if account != expected:
        raise WrongAccountError(f"{side}: credentials from {target.describe()} are for account {account} ({arn}), "
                                f"but the config says {side}.id = {expected}; use the right --profile")
    return arn


def session_from_keys(access_key_id: str, secret_access_key: str, session_token: str, region: str) -> boto3.Session:
    """A session with explicit (temporary) credentials, e.g. the ones obtained by assuming a role."""
    import boto3

    core = _core_session(None)
    core.set_credentials(access_key_id, secret_access_key, session_token)
    return boto3.Session(botocore_session=core, region_name=region)


# ---------------------------------------------------------------- reading botocore errors

UNSUPPORTED_CODES = frozenset({"NotImplemented", "InternalFailure", "InvalidAction", "UnsupportedOperation"})


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError (``ValidationError``, ``ThrottlingException``...); "" for other exceptions."""
    response = getattr(exc, "response", None)
    return str((response.get("Error") or {}).get("Code") or "") if isinstance(response, dict) else ""


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str((response.get("Error") or {}).get("Message") or "") if isinstance(response, dict) else ""


def client_error() -> type[Exception]:
    """botocore's ClientError (an AWS error answer), for ``except``: imported on first use."""
    import botocore.exceptions

    error: type[Exception] = botocore.exceptions.ClientError
    return error


def is_aws_error(exc: BaseException) -> bool:
    """Raised by botocore: an AWS error answer, a connection failure, an unparsable response."""
    return type(exc).__module__.startswith("botocore")


def is_unsupported(exc: BaseException) -> bool:
    """The endpoint does not implement the call: the emulator answers HTTP 500 with an HTML page
    that botocore cannot parse (``ResponseParserError``); others answer ``NotImplemented``."""
    if type(exc).__name__ == "ResponseParserError" and is_aws_error(exc):
        return True
    if error_code(exc) in UNSUPPORTED_CODES:
        return True
    response = getattr(exc, "response", None)
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") if isinstance(response, dict) else None
    return status in (500, 501) and not error_code(exc)


# ---------------------------------------------------------------- the client factory (the one injection point)


class Clients:
    """Makes every AWS client a command uses. The root command puts one on the click context
    (``ctx.obj``); tests hand the CLI a fake with the same methods instead of patching.

    Clients come from botocore sessions (one per profile, sharing one data loader): boto3 is
    only loaded by code that asks for a boto3 :meth:`session`.
    """

    def __init__(self, *, max_attempts: int | None = None) -> None:
        """``max_attempts``: every client's budget of attempts (default ``MAX_ATTEMPTS``; a test that
        talks to a closed port or a web page passes 1: no retry, no backoff sleep)."""
        self._cores: dict[str | None, Any] = {}
        self.max_attempts = max_attempts

    def _core(self, target: Target) -> Any:
        if target.profile not in self._cores:
            self._cores[target.profile] = _core_session(target.profile)
        return self._cores[target.profile]

    def client(self, target: Target, service: str, *, max_attempts: int | None = None) -> Any:
        with translate_errors(target):
            return client(self._core(target), service, target, max_attempts=max_attempts or self.max_attempts)

    def session_client(self, sess: boto3.Session, service: str, target: Target) -> Any:
        """A client of ``sess`` (e.g. an assumed role's, from :meth:`from_keys`) with this factory's settings."""
        return client(sess, service, target, max_attempts=self.max_attempts)

    def session(self, target: Target) -> boto3.Session:
        return session(target)

    def from_keys(self, access_key_id: str, secret_access_key: str, session_token: str, region: str) -> boto3.Session:
        return session_from_keys(access_key_id, secret_access_key, session_token, region)

    def clock(self, interrupts: Any) -> Any:
        """The deployer's clock: real time, a sleep ends early on Ctrl-C (tests hand a fake one)."""
        from xacct_infra.deploy.interrupts import InterruptibleClock

        return InterruptibleClock(interrupts)

    def caller(self, target: Target) -> tuple[str, str]:
        """(account id, caller ARN) of the credentials ``target`` names."""
        with translate_errors(target):
            identity = self.client(target, "sts").get_caller_identity()
        return str(identity["Account"]), str(identity["Arn"])

    def guard(self, target: Target, expected: str, side: str) -> str:
        """Refuse to touch anything unless the credentials belong to the configured account."""
        return _same_account(*self.caller(target), target, expected, side)
