"""Fixtures of the API tests: for the generated suites one database per module seeded
with cases of two villages (``tests.helpers.api.seed``) and the app on it; for the
others the app on the test's engine and tokens of the sample org."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import create_app
from tests.helpers.api import World, seed, tokens_for
from tests.helpers.engines import close_store, engine_on
from workflow import Engine
from workflow.bootstrap import open_tokens


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, template_db: Path,
          prototype: Engine) -> Iterator[World]:
    path = tmp_path_factory.mktemp("api") / "api.db"
    shutil.copyfile(template_db, path)
    engine = engine_on(path, prototype)
    try:
        yield seed(engine)
    finally:
        close_store(engine.store)


@pytest.fixture(scope="module")
def api_app(world: World) -> FastAPI:
    return create_app(world.engine, open_tokens(world.engine))


@pytest.fixture
def http(engine: Engine) -> Iterator[TestClient]:
    """The HTTP API on the test's engine, in-process."""
    with TestClient(create_app(engine, open_tokens(engine))) as c:
        yield c


@pytest.fixture
def bearer(engine: Engine) -> dict[str, str]:
    """A token per user of ``tests.helpers.api.API_USERS``."""
    return tokens_for(engine)
