"""Endpoints that answer, but not as AWS: TLS failures and HTML pages exit 2 with one line (README, exit codes)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import MINIMAL


class HTMLHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)  # a proxy or load balancer in front of nothing
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HTMLHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


ENV = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "x", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
       "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_MAX_ATTEMPTS": "1"}


@pytest.mark.parametrize(("scheme", "says"), [("http", "answered HTTP 502 without an AWS error"), ("https", "TLS with https://")],
                         ids=["html-page", "tls-to-plain-http"])
def test_an_endpoint_that_is_not_aws_exits_2_with_one_line(run, write_config, html_server: str, scheme: str, says: str) -> None:
    config = str(write_config(MINIMAL))
    result = run("status", "--account-a", "--config", config, "--endpoint-url", f"{scheme}://{html_server}", env=ENV)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("xacct-infra: error: ") and result.stderr.count("\n") == 1 and says in result.stderr
    assert "Traceback" not in result.output
