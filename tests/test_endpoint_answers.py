"""Endpoints that answer, but not as AWS: TLS failures, HTML pages (a captive portal, a proxy, a wrong
--endpoint-url pointing at a web server), empty bodies and JSON of another API exit 2 with one line
naming the endpoint (README, exit codes), from every command that calls AWS, never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result

from tests.conftest import MINIMAL
from tests.web_page import ANSWERS, WebPage, web_page
from xacct_infra import aws
from xacct_infra.cli import cli


@pytest.fixture(scope="module")
def server() -> Iterator[WebPage]:
    with web_page() as page:
        yield page


@pytest.fixture
def run() -> Callable[..., Result]:
    """The CLI with the real client factory, each client trying once: no retry (and no backoff sleep) on a 5xx page."""
    def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, obj=aws.Clients(max_attempts=1), catch_exceptions=False)

    return invoke


ENV = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "x", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
       "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_ENDPOINT_URL": None,
       "XACCT_CONFIG": None}

# Every command that calls AWS (`profile` writes a profile offline and takes no endpoint).
COMMANDS = {
    "credentials": ("credentials",),
    "verify": ("verify",),
    "exec": ("exec", "--", "true"),
    "status": ("status", "--account-a"),
    "deploy": ("deploy", "--account-a", "--yes"),
    "deploy-plan": ("deploy", "--account-b", "--plan"),
    "destroy": ("destroy", "--account-a", "--yes"),
    "audit": ("audit",),
}


def run_against(run, config: str, url: str, command: tuple[str, ...]):
    name, *rest = command
    return run(name, "--config", config, "--endpoint-url", url, *rest, env=ENV)


def assert_one_line_exit_2(result, url: str, says: str) -> None:
    assert "Traceback" not in result.output and "KeyError" not in result.output, result.output
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("xacct-infra: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert url in result.stderr and says in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("scheme", "says"), [("http", "answered HTTP 502 without an AWS error"), ("https", "TLS with https://")],
                         ids=["html-page", "tls-to-plain-http"])
def test_an_endpoint_that_is_not_aws_exits_2_with_one_line(run, write_config, server: WebPage, scheme: str, says: str) -> None:
    url = server.answering("html-502").replace("http", scheme, 1)
    result = run_against(run, str(write_config(MINIMAL)), url, COMMANDS["status"])
    assert_one_line_exit_2(result, url, says)


@pytest.mark.parametrize("answer", [a for a in ANSWERS if a != "html-502"])
@pytest.mark.parametrize("command", ["credentials", "verify"])
def test_credentials_and_verify_against_any_answer_that_is_not_aws(run, write_config, server: WebPage, command: str,
                                                                  answer: str) -> None:
    url = server.answering(answer)
    result = run_against(run, str(write_config(MINIMAL)), url, COMMANDS[command])
    assert_one_line_exit_2(result, url, "not an AWS")


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("credentials", "verify")])
def test_every_aws_command_against_a_web_page_answered_with_200(run, write_config, server: WebPage, command: str) -> None:
    url = server.answering("html-200")
    result = run_against(run, str(write_config(MINIMAL)), url, COMMANDS[command])
    assert_one_line_exit_2(result, url, "not an AWS")
