"""A proxy in front of the emulator that delivers Ctrl-C while a chosen request is in flight,
or holds an action's requests until the test releases them (to order two racing deploys).

Every request is numbered (1, 2, ...). When request ``interrupt_at`` arrives, the proxy sends
SIGINT to the main thread (where the in-process CLI runs and waits for this very answer) and
only then forwards the request and answers. The signal therefore always lands while that call
is in flight: deterministic, no sleeps. Requests are recorded so a clean run can be counted first.
"""

from __future__ import annotations

import signal
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class InterruptingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.actions: list[str] = []
        self.interrupt_at: int | None = None  # 1-based request number; None: just forward
        self.interrupted: str | None = None  # the action that was in flight when SIGINT was sent
        self.hold: dict[str, threading.Event] = {}  # action -> its requests wait for this event before going upstream
        self.answered: dict[str, threading.Event] = {}  # action -> set once a request of it has been answered
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = urllib.parse.parse_qs(body.decode()).get("Action", [""])[0]
                with proxy._lock:
                    proxy.actions.append(action)
                    number = len(proxy.actions)
                if number == proxy.interrupt_at:
                    proxy.interrupted = action
                    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
                if action in proxy.hold:
                    assert proxy.hold[action].wait(20), f"{action} was held for 20 s"
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
                proxy.answered.setdefault(action, threading.Event()).set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arm(self, k: int | None) -> None:
        """Count requests from zero again; interrupt at request ``k``."""
        with self._lock:
            self.actions, self.interrupt_at, self.interrupted = [], k, None

    def stop(self) -> None:
        self.server.shutdown()
