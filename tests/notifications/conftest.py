"""Fixtures of the channel and dispatcher tests: local SMTP and HTTP servers (from
``tests.helpers.servers``), checked notification files, and dispatchers with a seeded
random source printing to a buffer."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator

import pytest

from notifications import Dispatcher, NotifyConfig, config_from_text
from tests.helpers.servers import HttpServer, SmtpServer, serve_http, serve_smtp
from workflow import Engine
from workflow.bootstrap import open_outbox


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    """An HTTP server that records every request and answers as told."""
    with serve_http() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server that keeps every message."""
    with serve_smtp() as server:
        yield server


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    """An SMTP server that requires a login and records it."""
    with serve_smtp(auth=True) as server:
        yield server


@pytest.fixture
def make_config(engine: Engine) -> Callable[[str], NotifyConfig]:
    """``make_config(yaml_text)``: a checked notifications file against the sample org."""

    def build(text: str) -> NotifyConfig:
        return config_from_text(text, "test.yaml", engine.org)

    return build


@pytest.fixture
def console() -> io.StringIO:
    """Where console channels print."""
    return io.StringIO()


@pytest.fixture
def make_dispatcher(engine: Engine, console: io.StringIO
                    ) -> Iterator[Callable[[NotifyConfig], Dispatcher]]:
    """``make_dispatcher(config)``: a dispatcher with a seeded random source."""
    made: list[Dispatcher] = []

    def build(config: NotifyConfig) -> Dispatcher:
        d = Dispatcher(engine, config, outbox=open_outbox(engine), rng=random.Random(7),
                       stream=console)
        made.append(d)
        return d

    yield build
    for d in made:
        d.close()
