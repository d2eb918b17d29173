"""Fixtures of the API tests: the app on the test's engine, tokens of the sample org."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.helpers.api import tokens_for
from workflow import Engine
from workflow.bootstrap import open_tokens


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    """The HTTP API on the test's engine, in-process."""
    with TestClient(create_app(engine, open_tokens(engine))) as c:
        yield c


@pytest.fixture
def bearer(engine: Engine) -> dict[str, str]:
    """A token per user of ``tests.helpers.api.API_USERS``."""
    return tokens_for(engine)
