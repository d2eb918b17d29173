"""Local servers: for the channel tests an SMTP server (aiosmtpd) and an HTTP server
that records every request and answers as told (fixtures in
``tests/notifications/conftest.py``); for the CLI over the network a real ``bangfu
serve`` in a subprocess. All listen on 127.0.0.1 on a free port; no traffic leaves
the machine.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpServer:
    """Records requests; answers with ``answers`` in turn (the last one repeats)."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=lambda: [(200, {"errcode": 0,
                                                                          "errmsg": "ok"})])
    #: while set, requests wait (up to 5 s) before being answered: a server that hangs
    hang: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> tuple[int, Any]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@contextmanager
def serve_http() -> Iterator[HttpServer]:
    """An HTTP server on a free port for the block, answering POSTs as its state says."""
    state = HttpServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            state.requests.append(Request(parts.path, parse_qs(parts.query),
                                          {k.lower(): v for k, v in self.headers.items()}, body))
            if state.hang.is_set():
                state.release.wait(5)
            status, payload = state.answer()
            raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


class _Collect:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(  # type: ignore[arg-type]
            envelope.original_content or envelope.content, policy=default_policy))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _Collect
    logins: list[tuple[str, str]]

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


@contextmanager
def serve_smtp(*, auth: bool = False, **kwargs: Any) -> Iterator[SmtpServer]:
    """An SMTP server on a free port for the block, keeping every message; with
    ``auth`` it requires a login (any password) and records the logins."""
    handler = _Collect()
    logins: list[tuple[str, str]] = []
    port = free_port()
    if auth:
        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                          data: Any) -> AuthResult:
            if isinstance(data, LoginPassword):
                logins.append((data.login.decode(), data.password.decode()))
                return AuthResult(success=True)
            return AuthResult(success=False)

        kwargs.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler, logins)
    finally:
        controller.stop()


ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def bangfu_serve(db: Path, log: Path) -> Iterator[str]:
    """``bangfu serve`` on ``db`` in a subprocess for the block, on a free port of
    127.0.0.1; yields its URL. The server binds its address before it prints it, so
    the URL answers once read (no waiting). Its stderr goes to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--db", str(db), "--port", "0",
             "--lang", "en"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode("utf-8")
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found, f"bangfu serve did not start: {line!r} {log.read_text()}"
            yield found.group(0)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
