"""The PostgreSQL test server: where it is, the backends a storage test runs on, and
the schemas each test gets (one of its own, chosen through ``search_path`` in the URL).

The fixtures built on these are in ``tests/storage/conftest.py``.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import Engine as SAEngine
from sqlalchemy.engine import make_url

from storage.tables import metadata

#: the test server unless BANGFU_TEST_PG_URL names another
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
#: this session's schemas start with it: parallel sessions on one database do not meet
SCHEMA_PREFIX = f"bangfu_test_{os.getpid()}_"


def schema_url(base: str, schema: str) -> str:
    """``base`` with ``schema`` first on the search path of every connection."""
    url = make_url(base)
    # kept: options the server URL already carries (BANGFU_TEST_PG_URL)
    given = url.query.get("options", "")
    options = " ".join([*([given] if isinstance(given, str) else given), f"-csearch_path={schema}"])
    return url.update_query_dict({"options": options.strip()}).render_as_string(
        hide_password=False)


def create_schema(admin: SAEngine, tables: bool = False) -> str:
    """A new empty schema (with Bangfu's empty tables if ``tables``); returns its name."""
    name = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        if tables:
            # SET LOCAL: the pooled connection forgets it at commit
            conn.exec_driver_sql(f'SET LOCAL search_path TO "{name}"')
            # Faster than running the revisions for every test; the migrated schema and
            # these tables are held equal by tests/storage/test_migrations.py. The
            # revision row itself comes with the copied rows (copy_schema).
            metadata.create_all(conn, checkfirst=False)
            conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) "
                                 "NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY "
                                 "(version_num))")
    return name


def drop_schema(admin: SAEngine, name: str) -> None:
    """Drop a schema and all in it."""
    with admin.begin() as conn:
        # A connection someone forgot inside a transaction must not hang the
        # session: the schema is then dropped with the others at the end.
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def drop_session_schemas(admin: SAEngine) -> None:
    """Drop whatever schemas of this session a failed teardown left behind."""
    with admin.begin() as conn:
        left = conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %(p)s)",
            {"p": SCHEMA_PREFIX}).scalars().all()
        for name in left:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def copy_schema(admin: SAEngine, source: str, target: str) -> None:
    """Copy every Bangfu table's rows (and the schema revision) from schema ``source``
    into ``target``."""
    with admin.begin() as conn:
        for name in [*(t.name for t in metadata.sorted_tables), "alembic_version"]:
            conn.exec_driver_sql(f'INSERT INTO "{target}"."{name}" '
                                 f'SELECT * FROM "{source}"."{name}"')
