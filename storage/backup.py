"""Backups and restores of a SQLite database file with SQLite's online backup API.
Shell (storage).

A plain ``cp`` of a database in WAL mode can miss the writes still in its
``-wal`` file. The backup API copies every page in one step inside one read
transaction, so the copy is the database as of one moment, complete, while
the scheduler and other commands go on writing (WAL readers block no writer).
The copy is made in a temporary file beside the target (mode 0600), checked
(``PRAGMA integrity_check``), set to a self-contained rollback journal and
only then linked into place: a target that exists is never overwritten, and a
failed backup leaves no file behind.

A restore checks the backup whole first (an SQLite file, intact, with Bangfu's
tables), then copies it into the target through the same API, so the target
is replaced inside one SQLite write transaction: processes that hold it open
see the old or the new database, never a mix.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from workflow.errors import FileError, StorageError
from workflow.privatefiles import create_private, make_private

__all__ = ["Copied", "backup", "inspect_copy", "restore"]

#: how long a backup or restore waits for a writer's lock (ms), as commands do
_BUSY_MS = 30000


@dataclass(frozen=True)
class Copied:
    """What a copied database holds."""

    bytes: int
    cases: int
    events: int
    #: the Alembic revision (None: made before migrations)
    revision: str | None
    #: legacy (before migrations) | revision
    status: str


def _connect(path: Path) -> sqlite3.Connection:
    # (not read-only: a read-only connection cannot open a WAL database whose
    # -shm file is missing; nothing here writes to a source)
    conn = sqlite3.connect(path, timeout=_BUSY_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
    return conn


def inspect_copy(conn: sqlite3.Connection, name: str) -> tuple[int, int, str | None, str]:
    """(cases, events, revision, status) of a database, after an integrity check.

    Raises:
        FileError: not a database, damaged, or not a Bangfu database.
    """
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise FileError(f"'{name}' is damaged: {problems[0]}",
                            f"'{name}' 已损坏：{problems[0]}")
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"bangfu_meta", "cases", "events"} <= tables:
            raise FileError(f"'{name}' is an SQLite file but not a Bangfu database",
                            f"'{name}' 是 SQLite 文件，但不是 Bangfu 数据库")
        cases = int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
        events = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise FileError(f"'{name}' is not a readable SQLite database: {exc}",
                        f"'{name}' 不是可读取的 SQLite 数据库：{exc}") from None
    return cases, events, revision, "revision" if revision else "legacy"


def backup(source: Path, target: Path) -> Copied:
    """Copy the database ``source`` to ``target`` (see the module docstring).

    Raises:
        FileError: the target exists, or its folder is missing or not writable.
        StorageError: the source cannot be read.
    """
    if target.exists():
        raise FileError(f"'{target}' already exists; a backup never overwrites a file, "
                        "give another name",
                        f"'{target}' 已存在；备份不会覆盖已有文件，请换一个文件名")
    if not target.parent.is_dir():
        raise FileError(f"folder '{target.parent}' does not exist",
                        f"目录 '{target.parent}' 不存在")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        create_private(partial, exclusive=True)
    except OSError as exc:
        raise FileError(f"cannot write in '{target.parent}': {exc.strerror}",
                        f"无法在 '{target.parent}' 中写入：{exc.strerror}") from None
    try:
        try:
            src = _connect(source)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open '{source}': {exc}",
                               f"无法打开 '{source}'：{exc}") from None
        try:
            dst = sqlite3.connect(partial, isolation_level=None)
            try:
                src.backup(dst)  # every page in one step: one consistent moment
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                cases, events, revision, status = inspect_copy(dst, str(target))
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise StorageError(f"the backup of '{source}' failed: {exc}",
                               f"备份 '{source}' 失败：{exc}") from None
        finally:
            src.close()
        _fsync(partial)
        try:
            os.link(partial, target)  # fails, rather than overwrite, if it appeared meanwhile
        except FileExistsError:
            raise FileError(f"'{target}' appeared while the backup was made; nothing "
                            "was overwritten", f"备份期间 '{target}' 已被创建；未覆盖") from None
        except OSError as exc:
            raise FileError(f"cannot write '{target}': {exc.strerror}",
                            f"无法写入 '{target}'：{exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Copied(target.stat().st_size, cases, events, revision, status)


def restore(source: Path, target: Path, *, force: bool = False) -> Copied:
    """Replace the database ``target`` by the backup ``source`` (see the module docstring).

    Raises:
        FileError: the backup is missing, damaged or not Bangfu's; the target
            exists and ``force`` is not given, or cannot be written.
    """
    if not source.is_file():
        raise FileError(f"no backup at '{source}'", f"'{source}' 处没有备份文件")
    if target.exists() and not force:
        raise FileError(
            f"'{target}' exists; restoring over it replaces all its records: back it up "
            "first, then give --force",
            f"'{target}' 已存在；恢复将替换其中全部记录：请先备份它，再加 --force")
    if not target.parent.is_dir():
        raise FileError(f"folder '{target.parent}' does not exist",
                        f"目录 '{target.parent}' 不存在")
    try:
        src = _connect(source)
    except sqlite3.Error as exc:
        raise FileError(f"cannot open the backup '{source}': {exc}",
                        f"无法打开备份 '{source}'：{exc}") from None
    try:
        cases, events, revision, status = inspect_copy(src, str(source))
        try:
            create_private(target)
            make_private(target)
            dst = _connect(target)
        except (OSError, sqlite3.Error) as exc:
            raise FileError(f"cannot write '{target}': {exc}",
                            f"无法写入 '{target}'：{exc}") from None
        try:
            src.backup(dst)  # one write transaction on the target: all or nothing
            dst.execute("PRAGMA journal_mode=WAL")
        except sqlite3.Error as exc:
            raise FileError(f"the restore into '{target}' failed and was rolled back: {exc}",
                            f"恢复到 '{target}' 失败，已回滚：{exc}") from None
        finally:
            dst.close()
    finally:
        src.close()
    return Copied(target.stat().st_size, cases, events, revision, status)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
