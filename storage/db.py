"""Database engines: URL handling and per-connection settings.

SQLite connections get WAL, synchronous=NORMAL, foreign keys and a busy
timeout in a connect listener, and write units of work start with ``BEGIN
IMMEDIATE`` so two writers of the same database serialise instead of failing
late on a stale snapshot. Other URLs are used as given: PostgreSQL
(``postgresql+psycopg://user@host/db``, psycopg 3) runs at its default READ
COMMITTED, and ``sql.py`` takes the row locks there that SQLite's write lock
gives for free.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from workflow.errors import StorageError

DEFAULT_DB = "bangfu.db"


def resolve_url(db: str | None) -> str:
    """``--db``/``BANGFU_DB`` to an SQLAlchemy URL; a plain path means a SQLite file."""
    value = db or os.environ.get("BANGFU_DB") or DEFAULT_DB
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with Bangfu's connection settings.

    Raises:
        StorageError: the URL cannot be understood.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"'{url}' is not a database URL",
                           f"'{url}' 不是有效的数据库地址") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, json_serializer=_dumps, pool_pre_ping=True)
        except (NoSuchModuleError, ImportError) as exc:
            # e.g. 'postgres://' (SQLAlchemy wants 'postgresql://') or no driver installed
            raise StorageError(f"cannot use database URL '{parsed.render_as_string()}': {exc}",
                               f"无法使用数据库地址 '{parsed.render_as_string()}'：{exc}") from None
    engine = create_engine(url, json_serializer=_dumps)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's begin event below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # Straight to the driver: a statement through SQLAlchemy's execution
        # context costs more than the whole BEGIN.
        conn.connection.cursor().execute(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
