"""The database as a county's IT person runs it: its schema revision (where it
stands, the revisions, the upgrade), and backups and restores of a SQLite file.
Composition root (shell): wires ``storage.schema`` and ``storage.backup``.

An upgrade records the database's business time (its own clock: simulated or
real, as stored in it). PostgreSQL databases are backed up with ``pg_dump``
(README, "Running it for real"); ``db backup``/``db restore`` refuse them,
saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storage import backup as sqlite_backup
from storage.db import make_engine, resolve_url
from storage.schema import BASELINE, HEAD, Revision, SchemaState, history, read_state, upgrade
from workflow.bootstrap import db_argument
from workflow.clock import Clock, SimulatedClock, SystemClock
from workflow.errors import StorageError, UsageError
from workflow.privatefiles import make_private

__all__ = ["BackupReport", "SchemaReport", "backup_database", "restore_database",
           "schema_history", "schema_state", "upgrade_database"]


@dataclass(frozen=True)
class SchemaReport:
    """Where a database stands, and what an upgrade applied to it."""

    db: str
    before: SchemaState
    after: SchemaState
    applied: list[Revision] = field(default_factory=list)
    #: the SQLite file (and its -wal, -shm) was readable by others and made 0600
    made_private: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"db": self.db, "current": self.after.current, "head": HEAD,
                "status": self.after.status, "before": self.before.current,
                "before_status": self.before.status, "made_private": self.made_private,
                "applied": [{"revision": r.id, "title": r.title} for r in self.applied]}


@dataclass(frozen=True)
class BackupReport:
    """A backup made, or one restored: what the copy holds."""

    source: str
    target: str
    bytes: int
    cases: int
    events: int
    revision: str | None
    status: str

    @property
    def current(self) -> bool:
        """Whether the copy is at this code's schema (else: ``bangfu db upgrade`` first)."""
        return self.revision == HEAD

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "bytes": self.bytes,
                "cases": self.cases, "events": self.events, "revision": self.revision,
                "status": self.status, "current": self.current}


def _clock(settings: dict[str, str]) -> Clock:
    if settings.get("clock_mode") == "simulated" and settings.get("clock_now"):
        return SimulatedClock(datetime.fromisoformat(settings["clock_now"]))
    return SystemClock()


def _sqlite_file(db: str | None, what: str) -> tuple[str, Path]:
    url = resolve_url(db)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is None:
        raise UsageError(
            f"'bangfu db {what}' works on SQLite files; back up a PostgreSQL database with "
            "pg_dump and restore it with pg_restore (README: Running it for real)",
            f"'bangfu db {what}' 只用于 SQLite 数据库文件；PostgreSQL 请用 pg_dump 备份、"
            "pg_restore 恢复（见 README「正式运行」一节）")
    return url, path


def schema_state(db: str | None) -> SchemaReport:
    """Where the database stands against this code's revisions; writes nothing.

    Raises:
        StorageError: no database there, or unreadable.
    """
    url = resolve_url(db)
    engine = _existing(url)
    try:
        state = read_state(engine)
    finally:
        engine.dispose()
    return SchemaReport(db_argument(url), state, state)


def upgrade_database(db: str | None) -> SchemaReport:
    """Bring the database to this code's schema, in one transaction; a database
    already there is left alone (``applied`` is empty).

    Raises:
        StorageError: no Bangfu database there, or the upgrade failed (nothing applied).
        SchemaTooNew: a newer schema than this code's; nothing touched.
    """
    url = resolve_url(db)
    engine = _existing(url)
    try:
        state = read_state(engine)
        if state.status == "empty":
            raise StorageError(
                f"'{db_argument(url)}' holds no Bangfu database; create one with 'bangfu init'",
                f"'{db_argument(url)}' 不是 Bangfu 数据库；请用 'bangfu init' 创建")
        from sqlalchemy import text

        with engine.connect() as conn:
            settings = {r[0]: r[1] for r in conn.execute(
                text("SELECT key, value FROM bangfu_meta"))}
        before, applied = upgrade(engine, _clock(settings).now())
        after = read_state(engine)
    finally:
        engine.dispose()
    docs = {r.id: r for r in history()}
    return SchemaReport(db_argument(url), before, after, [docs[i] for i in applied],
                        _tighten(url))


def _tighten(url: str) -> bool:
    """A SQLite file made before files were created 0600 (release 9dd431c made them by
    the umask) is made 0600, with its -wal and -shm files; True if it was needed."""
    if not url.startswith("sqlite:///"):
        return False
    path = Path(url.removeprefix("sqlite:///"))
    found = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
             if p.exists() and p.stat().st_mode & 0o077]
    for p in found:
        make_private(p)
    return bool(found)


def schema_history(db: str | None = None) -> tuple[list[Revision], str | None]:
    """Every revision, oldest first, and the one the database is at (with ``db``).

    Raises:
        StorageError: ``db`` given and unreadable.
    """
    if db is None:
        return history(), None
    state = schema_state(db).after
    return history(), BASELINE if state.legacy else state.current


def _existing(url: str) -> Any:
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        raise StorageError(f"no database at '{path}'; create one with 'bangfu init'",
                           f"'{path}' 处没有数据库；请先运行 'bangfu init' 创建")
    return make_engine(url)


def backup_database(db: str | None, target: str | Path) -> BackupReport:
    """A consistent copy of the SQLite database at ``target`` (mode 0600), taken with
    SQLite's online backup API while other processes go on writing.

    Raises:
        UsageError: a PostgreSQL database (use pg_dump).
        FileError: the target exists, or its folder is missing or not writable.
        StorageError: no database there, or it cannot be read.
    """
    url, path = _sqlite_file(db, "backup")
    _existing(url).dispose()
    done = sqlite_backup.backup(path, Path(target))
    return BackupReport(str(path), str(target), done.bytes, done.cases, done.events,
                        done.revision, done.status)


def restore_database(backup: str | Path, db: str | None, force: bool = False) -> BackupReport:
    """Put the backup ``backup`` in place of the SQLite database ``db`` (which must
    not exist unless ``force``), checked whole before anything is written.

    Raises:
        UsageError: a PostgreSQL database (use pg_restore).
        FileError: the backup is missing, corrupt or not a Bangfu database; the
            target exists and ``force`` was not given.
    """
    _, path = _sqlite_file(db, "restore")
    done = sqlite_backup.restore(Path(backup), path, force=force)
    return BackupReport(str(backup), str(path), done.bytes, done.cases, done.events,
                        done.revision, done.status)
