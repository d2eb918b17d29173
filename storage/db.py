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
import re
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from workflow.errors import StorageError
from workflow.privatefiles import create_private
from workflow.secrets import read_secret

DEFAULT_DB = "bangfu.db"


def resolve_url(db: str | None) -> str:
    """``--db``/``BANGFU_DB`` to an SQLAlchemy URL; a plain path means a SQLite file."""
    # A URL with a password may come from a file: BANGFU_DB_FILE (workflow.secrets),
    # which refuses BANGFU_DB beside it (the CLI passes BANGFU_DB's value as ``db``).
    from_env = read_secret("BANGFU_DB")
    value = (from_env or DEFAULT_DB) if db is None else db
    if not value.strip():
        raise StorageError("--db is empty; give a file path or a database URL",
                           "--db 为空；请给出文件路径或数据库地址")
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _dumps(obj: Any) -> str:
    """JSON text of a column value. orjson writes the same compact UTF-8 JSON several
    times faster (every command writes a few JSON columns); what it refuses (keys
    that are not text, integers beyond 64 bits, other types) goes to json."""
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


#: deeper values go to json.loads (orjson reads up to 1,024 levels; Python recurses less)
_FLOAT_SEARCH_DEPTH = 64


_NUMBER_SHAPES = re.compile(r"[0-9][.eE]|[0-9]{19}")


def _has_float(value: Any, depth: int = 0) -> bool:
    """Whether a decoded JSON value holds a float (or is too deep to tell)."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return kind is float
    if depth > _FLOAT_SEARCH_DEPTH:
        return True
    for item in items:
        kind = type(item)
        # (no call for scalars and empty containers: most values are those)
        if kind is float or ((kind is dict or kind is list) and item and
                             _has_float(item, depth + 1)):
            return True
    return False


def json_loads(text: Any) -> Any:
    """``json.loads``, through orjson (several times faster) whenever that reads
    the same value. orjson reads an integer beyond 64 bits as a float where json
    keeps it exact, so a value with any float in it is read again by json.loads, as
    is what orjson refuses (lone surrogates, NaN; and what both refuse, for
    json.loads to raise as before). Events hold no floats: money is integer fen."""
    if type(text) is str:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return json.loads(text)
        # A float (or an integer orjson reads as one: beyond 64 bits, so over 19
        # digits) needs a digit then '.', 'e' or 'E', or a long run of digits: text
        # without them holds none, and no walk is needed (most rows).
        if not _NUMBER_SHAPES.search(text):
            return value
        # (most data and meta are {}: no call for those)
        if (not value and type(value) is dict) or not _has_float(value):
            return value
    return json.loads(text)


#: how long a command waits for a row another transaction holds before it gives
#: up with a StorageError (SQLite's busy_timeout below waits as long)
LOCK_TIMEOUT = "30s"


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    """A lock timeout on every PostgreSQL session, unless the URL set one
    (``?options=-c lock_timeout=...``): without one a command would wait forever
    behind a stuck transaction."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True  # a SET outside any transaction, kept for the session
    try:
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT setting FROM pg_settings WHERE name = 'lock_timeout'")
            row = cur.fetchone()
            if row is not None and row[0] == "0":
                cur.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    finally:
        dbapi_conn.autocommit = autocommit


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
            other = create_engine(url, json_serializer=_dumps, pool_pre_ping=True)
        except ImportError as exc:
            raise StorageError(
                f"cannot use database URL '{parsed.render_as_string()}': its driver is not "
                f"installed ({exc}); for PostgreSQL install Bangfu with "
                "\"pip install 'bangfu[postgres]'\"",
                f"无法使用数据库地址 '{parsed.render_as_string()}'：未安装其驱动（{exc}）；"
                "PostgreSQL 请用 \"pip install 'bangfu[postgres]'\" 安装") from None
        except NoSuchModuleError as exc:
            # e.g. 'postgres://' (SQLAlchemy wants 'postgresql://')
            raise StorageError(f"cannot use database URL '{parsed.render_as_string()}': {exc}",
                               f"无法使用数据库地址 '{parsed.render_as_string()}'：{exc}") from None
        if other.dialect.name == "postgresql":
            event.listen(other, "connect", _postgres_session)
        return other
    _create_private_file(parsed.database)
    engine = create_engine(url, json_serializer=_dumps, json_deserializer=json_loads)

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


def _create_private_file(database: str | None) -> None:
    """A SQLite file that does not exist yet is created here with mode 0600 (SQLite
    would make it by the umask, usually 0644): it holds personal data. Its ``-wal``
    and ``-shm`` files take the same mode from it.

    Raises:
        StorageError: the file cannot be created.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return  # (a missing folder is reported by the caller, with the path)
    try:
        create_private(path)
    except OSError as exc:
        raise StorageError(f"cannot create the database file '{path}': {exc.strerror}",
                           f"无法创建数据库文件 '{path}'：{exc.strerror}") from None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
