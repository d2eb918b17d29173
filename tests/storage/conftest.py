"""One storage contract, every backend: tests here that use ``db_path`` (or the
``engine`` built on it) run on SQLite and on PostgreSQL, as apscheduler's
``tests/conftest.py`` parametrises its data store over backends.

PostgreSQL is the server at ``BANGFU_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). When it cannot be
reached its tests are skipped with the reason, unless ``BANGFU_REQUIRE_PG`` is
set (to anything; CI sets it): then they fail. Each test gets a schema of its
own, chosen through ``search_path`` in the URL and dropped after the test; it
is filled from a template schema initialised once per session, as the SQLite
tests copy a template file (``init_database`` reads every YAML file, too slow
per test).

``@pytest.mark.sqlite_only`` keeps a test on SQLite (pragmas, the file itself),
a module's own ``BACKENDS`` narrows its tests' backends, and ``-m postgresql``
selects the PostgreSQL runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine as SAEngine
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES
from tests.helpers.cases import START
from tests.helpers.postgres import (
    BACKENDS,
    PG_URL,
    copy_schema,
    create_schema,
    drop_schema,
    drop_session_schemas,
    schema_url,
)
from workflow.bootstrap import init_database


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite itself")
    config.addinivalue_line("markers", "postgresql: runs on the PostgreSQL test server")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    # a module may narrow the backends (test_postgres.py: BACKENDS = ("postgresql",))
    names = getattr(metafunc.module, "BACKENDS", BACKENDS)
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        names = [n for n in names if n == "sqlite"]
    metafunc.parametrize("backend", [
        pytest.param(name, id=name, marks=[pytest.mark.postgresql] if name == "postgresql"
                     else []) for name in names])


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test (parametrised by pytest_generate_tests)."""
    return str(request.param)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[SAEngine]:
    """An engine on the test server's database (schemas are made and dropped through it).

    Skips (or fails, with BANGFU_REQUIRE_PG) when the server cannot be reached.
    """
    url = os.environ.get("BANGFU_TEST_PG_URL") or PG_URL
    shown = make_url(url).render_as_string(hide_password=True)
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, ImportError) as exc:
        engine.dispose()
        reason = (f"PostgreSQL test server not reachable at {shown} "
                  f"({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                  "BANGFU_TEST_PG_URL names another server")
        if "BANGFU_REQUIRE_PG" in os.environ:
            pytest.fail(f"{reason}; failing because BANGFU_REQUIRE_PG is set", pytrace=False)
        pytest.skip(f"{reason}; set BANGFU_REQUIRE_PG=1 to fail instead of skipping")
    try:
        yield engine
        drop_session_schemas(engine)  # whatever a failed teardown left behind
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_url(pg_admin: SAEngine) -> str:
    """The test server's URL (the test skips if it is unreachable)."""
    return pg_admin.url.render_as_string(hide_password=False)


@pytest.fixture
def pg_schema(pg_admin: SAEngine) -> Iterator[str]:
    """A fresh empty schema of this test's own, dropped afterwards."""
    name = create_schema(pg_admin)
    yield name
    try:
        drop_schema(pg_admin, name)
    except SQLAlchemyError:
        pass


@pytest.fixture(scope="session")
def pg_template(pg_admin: SAEngine, pg_url: str) -> str:
    """A schema initialised once (simulated clock at START), copied by each test."""
    name = create_schema(pg_admin)
    init_database(schema_url(pg_url, name), org=SHIPPED_ORG, definitions=SHIPPED_PROCESSES,
                  simulated_start=START)
    return name


@pytest.fixture
def pg_db(pg_admin: SAEngine, pg_url: str, pg_template: str) -> Iterator[str]:
    """The URL of a fresh initialised schema of this test's own."""
    name = create_schema(pg_admin, tables=True)
    copy_schema(pg_admin, pg_template, name)
    yield schema_url(pg_url, name)
    try:
        drop_schema(pg_admin, name)
    except SQLAlchemyError:
        pass


@pytest.fixture
def db_path(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
            template_db: Path) -> Any:
    """A fresh initialised database of this test's own: a SQLite file's path, or
    the URL of a PostgreSQL schema (both are what ``--db`` takes)."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_db")
    target = tmp_path / "bangfu.db"
    shutil.copyfile(template_db, target)
    return str(target)
