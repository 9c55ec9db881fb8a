"""A scripted HTTP proxy in front of the emulator: fails chosen API actions a set number of
times (throttling, 503) before forwarding them, and records every request's parameters.

It lets tests show what only a misbehaving network or AWS can show: botocore's retry mode
absorbing `Throttling`, and mutating calls retried with the *same* idempotency token.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

THROTTLE = (400, b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
                 b"<RequestId>x</RequestId></ErrorResponse>")
UNAVAILABLE = (503, b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>try again</Message></Error></ErrorResponse>")


class FlakyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.failures: dict[str, list[tuple[int, bytes]]] = {}  # action -> responses to give before forwarding
        self.requests: list[dict[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
                proxy.requests.append(params)
                queue = proxy.failures.get(params.get("Action", ""), [])
                if queue:
                    status, payload = queue.pop(0)
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method="POST",
                                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, payload, headers = response.status, response.read(), response.headers
                except urllib.error.HTTPError as err:
                    status, payload, headers = err.code, err.read(), err.headers
                self.send_response(status)
                for key in ("Content-Type", "x-amzn-requestid"):
                    if headers.get(key):
                        self.send_header(key, headers[key])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def actions(self) -> list[str]:
        return [r.get("Action", "") for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
