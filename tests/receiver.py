"""A real HTTP server on the loopback that records what it receives and answers as told.

    with Receiver() as receiver:
        receiver.answers = [500, 500]      # the first two requests fail, then 200
        ... receiver.url("/hook") ...
        receiver.wait_for(3)               # three requests arrived
        receiver.requests[0].headers["webhook-id"], receiver.requests[0].body

`answers` items are a status code or a callable taking the handler (to sleep,
drip, redirect, send garbage); once they run out, every request gets 200.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.time() when it arrived


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = Received(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
        )
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(received)
            answer = owner.answers.pop(0) if owner.answers else owner.default
            owner.arrived.notify_all()
        if callable(answer):
            answer(self)
            return
        payload = b"ok"
        self.send_response(answer)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: Receiver


class Receiver:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.requests: list[Received] = []
        self.answers: list[int | Callable[[BaseHTTPRequestHandler], None]] = []
        self.default: int | Callable = 200
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = _Server((host, 0), _Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.host = host
        self.scheme = "https" if tls else "http"
        self.server_names: list[str | None] = []  # the SNI of each TLS handshake
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the receiver got {len(self.requests)} requests, expected {count}"
                    )
                self.arrived.wait(left)
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
