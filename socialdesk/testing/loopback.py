"""A tiny HTTP server on 127.0.0.1 that replays a network's API for connector tests.

Routes map (method, path) to a handler that receives the request and returns a `Reply` (or any
JSON-able value for a 200). `fail_next` makes the next requests fail the way networks do (429 with
their headers, 5xx, 401, a dropped connection, a slow answer), whatever their path.

    with Loopback() as server:
        server.route("GET", "/api/v1/notifications", lambda req: [...])
        client = httpx.Client(base_url=server.url, timeout=2)
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec


class Request(msgspec.Struct):
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body or b"null")


class Reply(msgspec.Struct):
    """What to answer.

    Attributes:
        status: HTTP status.
        body: bytes or str sent as is; anything else is sent as JSON.
        headers: extra headers.
        drop: close the connection without answering (after reading the request).
        delay: seconds to wait before answering (to provoke client timeouts).
    """

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0


Handler = Callable[[Request], Any]


class Loopback:
    """A threaded HTTP server on 127.0.0.1 with a free port; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.prefixes: dict[tuple[str, str], Handler] = {}
        self._running = threading.Event()  # cleared while the server is paused
        self._running.set()
        self.requests: list[Request] = []
        self._failures: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL (http://127.0.0.1:PORT)."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` with `handler(request)`."""
        self.routes[(method.upper(), path)] = handler

    def pause(self) -> None:
        """Stop answering (a stalled or SIGSTOPped server): requests wait until `resume`."""
        self._running.clear()

    def resume(self) -> None:
        """Answer again, the waiting requests first."""
        self._running.set()

    def wait_running(self, timeout: float = 120.0) -> None:
        """Block while the server is paused (a handler that stalls mid-request calls this)."""
        self._running.wait(timeout)

    def route_prefix(self, method: str, prefix: str, handler: Handler) -> None:
        """Answer `method` on any path under `prefix` that has no route of its own (`/statuses/:id`)."""
        self.prefixes[(method.upper(), prefix.rstrip("/") + "/")] = handler

    def fail_next(self, reply: Reply, count: int = 1) -> None:
        """Answer the next `count` requests (any path) with `reply`."""
        with self._lock:
            self._failures.extend([reply] * count)

    def calls(self, method: str, path: str) -> list[Request]:
        """The requests received for `method path`."""
        return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def _dispatch(self, request: Request) -> Reply:
        self._running.wait(120)
        with self._lock:
            self.requests.append(request)
            if self._failures:
                return self._failures.popleft()
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            handler = next(
                (
                    h
                    for (m, p), h in self.prefixes.items()
                    if m == request.method and request.path.startswith(p)
                ),
                None,
            )
        if handler is None:
            return Reply(404, {"error": f"no route {request.method} {request.path}"})
        result = handler(request)
        return result if isinstance(result, Reply) else Reply(200, result)

    def start(self) -> Loopback:
        """Start serving in a daemon thread."""
        loopback = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = Request(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = loopback._dispatch(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                payload = reply.body
                content_type = "application/json"
                if isinstance(payload, str):
                    payload = payload.encode("utf-8")
                    content_type = "text/plain; charset=utf-8"
                elif not isinstance(payload, bytes):
                    payload = json.dumps(payload).encode("utf-8")
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # The client may have given up already (a timeout test): nothing to report then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
