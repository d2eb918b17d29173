"""The schema's revision: what a database is at, and moving it to the code's head
with the Alembic revisions of ``storage/migrations``. Shell (storage).

The schema is created and changed only here: ``bangfu init`` and ``bangfu db
upgrade`` run ``upgrade``; every other command calls ``check_current`` first,
which reads one row and refuses a database that is behind (naming the command
to run) or ahead of the code (touching nothing). Alembic itself is imported
only when a database is not at the head, or by the ``db`` commands.

A whole upgrade runs in one transaction on both backends (SQLite's DDL is
transactional once the transaction is ours: ``storage.db`` begins it), so a
revision that fails, or a connection lost halfway, leaves the database as it
was. A database made by the release before migrations (``bangfu_meta``
``schema_version`` '1', no ``alembic_version``) is at the baseline: its tables
are compared with the baseline's and then stamped, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from workflow.errors import SchemaOutdated, SchemaTooNew, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

#: the newest revision of ``migrations/versions`` (a test holds it to the scripts)
HEAD = "0004"
#: the schema of release 9dd431c, the last one made without migrations
BASELINE = "0001"
#: what ``bangfu_meta.schema_version`` says in a database made before migrations
LEGACY_SCHEMA_VERSION = "1"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL: one upgrade at a time per database (an advisory lock's key)
_PG_LOCK = 0x62616E67


@dataclass(frozen=True)
class Revision:
    """One revision of the schema."""

    id: str
    down: str | None
    doc: str
    #: a one-line title, zh and en
    title: dict[str, str]


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands. ``current`` is None for an empty database and for
    one made before migrations (``legacy``)."""

    current: str | None
    legacy: bool
    head: str = HEAD

    @property
    def status(self) -> str:
        """empty | legacy | behind | current | ahead."""
        if self.legacy:
            return "legacy"
        if self.current is None:
            return "empty"
        if self.current == self.head:
            return "current"
        return "behind" if self.current in {r.id for r in history()} else "ahead"


def read_state(engine: Engine) -> SchemaState:
    """The revision the database is at, in one or two reads; nothing is written.

    Raises:
        StorageError: the database cannot be read.
    """
    try:
        with engine.connect() as conn:
            if _has_table(conn, "alembic_version"):
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                if len(rows) > 1:
                    raise StorageError(
                        f"the database records {len(rows)} schema revisions at once "
                        f"({', '.join(r[0] for r in rows)}); it was changed by hand",
                        f"数据库同时记录了 {len(rows)} 个结构版本"
                        f"（{'、'.join(r[0] for r in rows)}），曾被手工改动")
                return SchemaState(rows[0][0] if rows else None, False)
            legacy = _has_table(conn, "bangfu_meta") and conn.execute(text(
                "SELECT value FROM bangfu_meta WHERE key = 'schema_version'")).scalar() \
                == LEGACY_SCHEMA_VERSION
            return SchemaState(None, legacy)
    except DBAPIError as exc:
        raise StorageError(f"cannot read the database's schema revision: {exc.orig}",
                           f"无法读取数据库的结构版本：{exc.orig}") from None


def check_current(engine: Engine, shown: str) -> None:
    """Refuse a database that is not at the code's schema; ``shown`` names it in
    the messages (as given to ``--db``, password hidden).

    Raises:
        SchemaOutdated: an older schema: ``bangfu db upgrade`` brings it up.
        SchemaTooNew: a newer schema than this Bangfu knows.
    """
    state = read_state(engine)
    if state.current == HEAD or state.status == "empty":
        return  # (an empty database is refused as not initialised by the caller)
    if state.status == "ahead":
        raise SchemaTooNew(shown, str(state.current), HEAD)
    raise SchemaOutdated(shown, state.current or BASELINE, HEAD, legacy=state.legacy)


def history() -> list[Revision]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config())
    found = [Revision(s.revision, s.down_revision if isinstance(s.down_revision, str) else None,
                      (s.module.__doc__ or "").strip(),
                      dict(getattr(s.module, "title", None) or {"en": s.doc, "zh": s.doc}))
             for s in scripts.walk_revisions()]
    return found[::-1]


def upgrade(engine: Engine, now: datetime, target: str = "head") -> tuple[SchemaState, list[str]]:
    """Bring the database to ``target``; returns the state before and the
    revisions applied (none when it was already there). ``now`` (the database's
    business time, from its clock) is what data revisions record.

    Raises:
        SchemaTooNew: the database is ahead of the code; nothing is touched.
        StorageError: the upgrade failed; nothing of it was applied.
    """
    from alembic import command

    before = read_state(engine)
    if before.status == "ahead":
        raise SchemaTooNew(_shown(engine), str(before.current), HEAD)
    if before.status == "current":
        return before, []
    ids = [r.id for r in history()]
    start = ids.index(before.current) + 1 if before.current else 0
    applied = ids[start:] if target == "head" else ids[start:ids.index(target) + 1]
    try:
        with _migration_connection(engine) as conn:
            cfg = _config(conn, now)
            if before.legacy:
                _check_legacy_layout(conn)
                command.stamp(cfg, BASELINE)
                applied = [i for i in applied if i != BASELINE]
            command.upgrade(cfg, target)
    except StorageError:
        raise
    except SQLAlchemyError as exc:
        detail = getattr(exc, "orig", None) or exc
        raise StorageError(
            f"the schema upgrade of '{_shown(engine)}' failed and was rolled back, nothing "
            f"of it is applied: {detail}",
            f"数据库 '{_shown(engine)}' 的结构升级失败并已回滚，未做任何改动：{detail}") from None
    return before, applied


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the whole upgrade, committed only if
    every revision ran (and, on SQLite, the foreign keys still hold)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # on the driver, outside any transaction: only there does SQLite change it
            _driver(conn).execute("PRAGMA foreign_keys=OFF")
            conn.execution_options(sqlite_begin="IMMEDIATE")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise StorageError(
                            f"the upgrade would leave {len(broken)} rows pointing at rows "
                            f"that do not exist (first: table '{broken[0][0]}'); rolled back",
                            f"升级后将有 {len(broken)} 行引用不存在的记录（首个在表 "
                            f"'{broken[0][0]}'），已回滚")
        finally:
            if sqlite:
                _driver(conn).execute("PRAGMA foreign_keys=ON")


def _driver(conn: Connection) -> Any:
    return conn.connection.dbapi_connection


def _config(conn: Connection | None = None, now: datetime | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["now"] = now
    return cfg


def _has_table(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "sqlite":
        return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = :n"), {"n": name}).first() is not None
    if conn.dialect.name == "postgresql":
        return conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None
    return bool(inspect(conn).has_table(name))


def _layout(conn: Connection) -> dict[str, set[str]]:
    found = inspect(conn)
    return {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names()
            if t != "alembic_version"}


def _check_legacy_layout(conn: Connection) -> None:
    """A database without revisions is stamped at the baseline only if its tables
    are the baseline's: development builds before the release wrote other layouts.

    Raises:
        StorageError: naming what differs.
    """
    from alembic import command
    from sqlalchemy import create_engine

    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as other:
            command.upgrade(_config(other), BASELINE)
            want = _layout(other)
    finally:
        scratch.dispose()
    have = _layout(conn)
    missing = [f"table '{t}'" for t in sorted(want) if t not in have]
    missing += [f"column '{t}.{c}'" for t in sorted(want) if t in have
                for c in sorted(want[t] - have[t])]
    extra = [f"column '{t}.{c}'" for t in sorted(want) if t in have
             for c in sorted(have[t] - want[t])]
    if missing or extra:
        what = "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "",
                                      f"unknown {', '.join(extra)}" if extra else "") if x)
        raise StorageError(
            f"the database has no schema revision and its tables are not those of release "
            f"9dd431c ({what}): it was made by an earlier development build and cannot be "
            "upgraded in place; nothing was changed",
            f"数据库没有结构版本，其表结构也不是 9dd431c 版本的（{what}）：它由更早的开发版本"
            "创建，无法原地升级；未做任何改动")


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def migration_now(attributes: dict[str, Any]) -> datetime | None:
    """The business time a data revision records (None when run without one)."""
    now = attributes.get("now")
    return now if isinstance(now, datetime) else None


def new_revision(message: str) -> Path:
    """Write the next revision file, autogenerated from the difference between the
    models (``storage/tables.py``) and a scratch database at the head; returns its
    path. For developers: review the file, fill in its zh title, move HEAD to it.
    """
    import tempfile

    from alembic import command
    from sqlalchemy import create_engine

    rev_id = f"{int(HEAD) + 1:04d}"
    slug = "_".join("".join(c if c.isalnum() else " " for c in message.lower()).split())[:40]
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.db")
        try:
            with engine.begin() as conn:
                command.upgrade(_config(conn), "head")
                command.revision(_config(conn), message=message, autogenerate=True,
                                 rev_id=rev_id)
        finally:
            engine.dispose()
    (made,) = (MIGRATIONS / "versions").glob(f"{rev_id}_*.py")
    return made.rename(made.with_name(f"{rev_id}_{slug}.py"))


if __name__ == "__main__":  # python -m storage.schema revision "add page sessions"
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m storage.schema revision "what the revision does"')
    print(new_revision(sys.argv[2]))

