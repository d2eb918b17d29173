"""The pages as the tests use them: an app with page logins on a test's engine, a
password per user who takes part, logging in through the form, reading a page's CSRF
token, and a real uvicorn server on a free port of 127.0.0.1 for the browser tests."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import create_app
from api.pages.web import PageSettings
from workflow import Engine
from workflow.bootstrap import open_logins, open_tokens
from workflow.services.logins import set_password

#: every test user's password (set by the administrator, as ``users password set`` does)
PASSWORD = "correct horse battery"
#: a fixed signing key, so that tests do not depend on the environment
SECRET = b"k" * 32


def page_app(engine: Engine, base_url: str = "http://127.0.0.1:8000",
             users: tuple[str, ...] = ("wang.fang", "zhang.min", "liu.qiang", "yang.jing",
                                       "jiang.duban", "sun.li", "xu.lei")) -> FastAPI:
    """The app with page logins, the given users with ``PASSWORD``."""
    logins = open_logins(engine)
    for user in users:
        set_password(engine, logins, "admin", user, PASSWORD)
    return create_app(engine, open_tokens(engine), logins,
                      PageSettings(base_url, secure_cookies=False, secret=SECRET))


def csrf_of(html: str) -> str:
    """The first form's CSRF token on a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def alerts(html: str) -> list[str]:
    """The texts of a page's error messages (role=alert)."""
    return re.findall(r'role="alert">([^<]*)<', html)


def log_in(client: TestClient, user: str, password: str = PASSWORD) -> int:
    """Log ``client`` in through the login form; the status of the form's answer."""
    token = csrf_of(client.get("/login").text)
    res = client.post("/login", data={"csrf": token, "user": user, "password": password,
                                      "next": "/desk"}, follow_redirects=False)
    return res.status_code


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free port of 127.0.0.1 for the block; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before uvicorn runs: early requests wait in the backlog
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
