"""A small fault-injecting HTTP proxy in front of the test wiki's ``php -S``.

``FaultProxy(upstream)`` listens on 127.0.0.1 (a free port) and forwards every request to
``upstream`` (``http://127.0.0.1:PORT`` of a :class:`tests.wiki.server.LocalWiki`), one
thread per connection. Faults are programmed per request with :meth:`FaultProxy.add`: a
fault matches requests by their API parameters (query string and form body), may let the
first ``after`` matching requests through, then hits the next ``times`` of them.

Kinds:

* ``cut``: forward, then send the status line, the headers (with the full Content-Length)
  and only the first ``cut_at`` bytes of the body, and close: a response cut mid-body.
* ``delay``: wait ``delay`` seconds, then forward normally.
* ``502``: answer ``502 Bad Gateway`` (an HTML page) without forwarding.
* ``drop``: forward, let the wiki finish (the edit is done), then close the connection
  without a byte of answer: the client never learns what happened.
* ``nocookies``: forward without the ``Cookie`` header (the wiki sees an anonymous client).
* ``hook``: call ``hook()`` (e.g. drop the wiki's sessions), then forward normally.
* ``html``: answer ``200 OK`` with an HTML page (a portal or a wrong address), no forwarding.

``proxy.seen`` lists ``(params, kind or None)`` for every request, in arrival order.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

KINDS = frozenset({"cut", "delay", "502", "drop", "nocookies", "hook", "html"})
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"
HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
)


@dataclass
class Fault:
    """One programmed fault: which requests, how many, and what happens to them."""

    kind: str
    when: Mapping[str, str]
    times: int = 1
    after: int = 0
    delay: float = 0.0
    cut_at: int = 10
    hook: Callable[[], None] | None = None
    matched: int = 0
    fired: int = 0

    def matches(self, params: Mapping[str, str]) -> bool:
        """True when every ``when`` parameter has the given value in ``params``."""
        return all(params.get(key) == value for key, value in self.when.items())

    def take(self, params: Mapping[str, str]) -> bool:
        """Count a matching request; True when this one is to be hit."""
        if self.fired >= self.times or not self.matches(params):
            return False
        self.matched += 1
        if self.matched <= self.after:
            return False
        self.fired += 1
        return True


@dataclass
class FaultProxy:
    """A threaded reverse proxy on 127.0.0.1 with programmable faults (see module)."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[tuple[dict[str, str], str | None]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def port(self) -> int:
        """The port the proxy listens on (after :meth:`start`)."""
        assert self._server is not None, "proxy not started"
        return int(self._server.server_address[1])

    @property
    def api_url(self) -> str:
        """The proxied api.php address."""
        return f"http://127.0.0.1:{self.port}/api.php"

    def add(
        self,
        kind: str,
        when: Mapping[str, str] | None = None,
        *,
        times: int = 1,
        after: int = 0,
        delay: float = 0.0,
        cut_at: int = 10,
        hook: Callable[[], None] | None = None,
    ) -> Fault:
        """Program a fault (see the module docstring) and return it (``fired`` counts hits)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(kind, dict(when or {}), times, after, delay, cut_at, hook)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Forget every programmed fault."""
        with self._lock:
            self.faults.clear()

    def _pick(self, params: dict[str, str]) -> Fault | None:
        with self._lock:
            chosen = None
            for fault in self.faults:
                if fault.take(params):
                    chosen = fault
                    break
            self.seen.append((params, chosen.kind if chosen else None))
            return chosen

    def start(self) -> FaultProxy:
        """Listen on a free port and serve in a background thread."""
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hits(self, kind: str) -> int:
        """How many requests a fault of ``kind`` has hit so far."""
        return sum(1 for _params, k in self.seen if k == kind)


def _params(path: str, body: bytes, content_type: str) -> dict[str, str]:
    params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    if "application/x-www-form-urlencoded" in content_type:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params = _params(self.path, body, self.headers.get("Content-Type", ""))
        fault = self.owner._pick(params)
        kind = fault.kind if fault else None
        if kind == "502":
            self._send(502, [("Content-Type", "text/html")], b"<html>502 Bad Gateway</html>")
            return
        if kind == "html":
            self._send(200, [("Content-Type", "text/html; charset=utf-8")], HTML_PAGE)
            return
        if fault is not None and kind == "delay":
            time.sleep(fault.delay)
        if fault is not None and kind == "hook" and fault.hook is not None:
            fault.hook()
        status, headers, data = self._forward(body, drop_cookies=kind == "nocookies")
        if kind == "drop":
            self.close_connection = True
            return  # the wiki acted; the client gets nothing
        if fault is not None and kind == "cut":
            self._send(status, headers, data, cut_at=fault.cut_at)
            return
        self._send(status, headers, data)

    def _forward(self, body: bytes, drop_cookies: bool) -> tuple[int, list[tuple[str, str]], bytes]:
        target = urlsplit(self.owner.upstream)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in HOP_HEADERS and not (drop_cookies and k.lower() == "cookie")
        }
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            kept = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS]
            return resp.status, kept, data
        finally:
            conn.close()

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        data: bytes,
        cut_at: int | None = None,
    ) -> None:
        self.send_response_only(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.close_connection = True
        try:
            self.end_headers()
            self.wfile.write(data if cut_at is None else data[:cut_at])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a retry loop): the fault still happened
