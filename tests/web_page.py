"""An HTTP server that answers every request the same way, and never as AWS: an HTML page (a captive
portal, a proxy, a web server behind a wrong --endpoint-url), an empty body, another API's JSON."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PAGE = b"<html><head><title>Sign in</title></head><body><h1>Welcome to the guest Wi-Fi</h1></body></html>"
# name: (HTTP status, Content-Type, body)
ANSWERS = {
    "html-502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),  # a proxy in front of nothing
    "html-200": (200, "text/html", PAGE),  # a captive portal, a web server: well-formed, so botocore parses it as XML
    "html-500": (500, "text/html", PAGE),
    "html-200-not-xml": (200, "text/html", b"<html><body><p>unclosed<br></body></html>"),
    "empty-200": (200, "text/plain", b""),
    "json-200": (200, "application/json", b'{"status": "ok", "items": []}'),  # another API's JSON
    "xml-200": (200, "text/xml", b"<?xml version='1.0'?><feed><entry>1</entry></feed>"),
}


class WebPage(http.server.ThreadingHTTPServer):
    answer: tuple[int, str, bytes] = ANSWERS["html-502"]

    def answering(self, name: str) -> str:
        """Answer ``ANSWERS[name]`` from now on; returns the server's http:// URL."""
        self.answer = ANSWERS[name]
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: WebPage

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, content_type, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def web_page() -> Iterator[WebPage]:
    server = WebPage(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
