"""``bangfu db backup`` and ``bangfu db restore`` on SQLite: a backup taken while a
writer runs restores to a database that verifies; nothing is overwritten unless
asked; a damaged backup is refused before anything is written."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.cases import PROCESS, application, household_id
from tests.helpers.cli import bangfu
from tests.helpers.engines import close_store, engine_on, opened
from workflow import Engine
from workflow.errors import FileError, UsageError
from workflow.maintenance import backup_database, restore_database
from workflow.services.inspection import verify

#: backups and restores are of SQLite files (PostgreSQL: pg_dump, pg_restore)
BACKENDS = ("sqlite",)
#: how many applications the writer files at most while a backup is taken
WRITES = 150


def _cases(path: Path | str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
    finally:
        conn.close()


def test_a_backup_taken_while_a_writer_runs_restores_and_verifies(
        db_path: str, prototype: Engine, tmp_path: Path) -> None:
    """Applications keep being filed during the backup; the restored copy verifies whole."""
    started, stop = threading.Event(), threading.Event()
    written: list[str] = []
    failures: list[BaseException] = []

    def writer() -> None:
        eng = engine_on(db_path, prototype)
        try:
            for n in range(1, WRITES + 1):
                if stop.is_set():
                    break
                written.append(eng.submit(PROCESS, "wang.fang", application(
                    id_number=household_id(n), applicant_name=f"住户{n}"),
                    unit="shangcun").case_number)
                started.set()
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
            started.set()
        finally:
            close_store(eng.store)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(60)
        before = len(written)
        report = backup_database(db_path, tmp_path / "backup.db")
        during = len(written)
    finally:
        stop.set()
        thread.join(120)
    assert not failures and not thread.is_alive()
    assert before <= report.cases <= during + 1
    restored = tmp_path / "restored.db"
    restore_database(tmp_path / "backup.db", str(restored))
    with opened(restored) as engine:
        result = verify(engine)
    assert result.ok and result.cases == report.cases == _cases(restored)


def test_a_backup_never_overwrites_a_file(db_path: str, tmp_path: Path) -> None:
    """A target that exists is refused, and left as it was."""
    target = tmp_path / "taken.db"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(FileError, match="already exists"):
        backup_database(db_path, target)
    assert target.read_text(encoding="utf-8") == "mine"


def test_a_backup_into_a_missing_folder_is_refused(db_path: str, tmp_path: Path) -> None:
    """A folder that does not exist is named; no file is left behind."""
    with pytest.raises(FileError, match="does not exist"):
        backup_database(db_path, tmp_path / "nowhere" / "b.db")
    assert not (tmp_path / "nowhere").exists()


def test_a_backup_is_readable_by_its_owner_only(db_path: str, tmp_path: Path,
                                                 open_umask: None) -> None:
    """The backup holds personal data: mode 0600 even under a umask of 0."""
    (tmp_path / "backups").mkdir()
    report = backup_database(db_path, tmp_path / "backups" / "b.db")
    assert stat.S_IMODE((tmp_path / "backups" / "b.db").stat().st_mode) == 0o600
    assert report.cases == _cases(db_path)
    assert [p.name for p in (tmp_path / "backups").iterdir()] == ["b.db"]  # no partial file


def test_restore_refuses_to_overwrite_without_force(db_path: str, tmp_path: Path) -> None:
    """An existing database is replaced only with --force, and says how."""
    backup_database(db_path, tmp_path / "b.db")
    other = tmp_path / "other.db"
    other.write_bytes(b"keep")
    result = bangfu("db", "restore", str(tmp_path / "b.db"), "--db", str(other), "--lang", "en")
    assert result.exit_code == 1 and "--force" in result.stderr
    assert other.read_bytes() == b"keep"


def test_restore_with_force_replaces_the_database_and_verifies(
        db_path: str, new_case: Callable[..., str], tmp_path: Path) -> None:
    """--force puts the backup in place of a database that moved on, then verifies it."""
    backup_database(db_path, tmp_path / "b.db")
    new_case()
    assert _cases(db_path) == 1
    result = bangfu("db", "restore", str(tmp_path / "b.db"), "--db", db_path, "--force")
    assert result.exit_code == 0, result.stderr
    assert "已从" in result.stdout and "校验通过" in result.stdout
    assert _cases(db_path) == 0


def test_a_damaged_backup_is_refused_and_the_target_untouched(db_path: str,
                                                              tmp_path: Path) -> None:
    """A truncated backup fails its check before anything is written."""
    backup_database(db_path, tmp_path / "b.db")
    whole = (tmp_path / "b.db").read_bytes()
    (tmp_path / "cut.db").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(FileError) as caught:
        restore_database(tmp_path / "cut.db", str(tmp_path / "target.db"))
    assert "cut.db" in str(caught.value)
    assert not (tmp_path / "target.db").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """A text file given as a backup is named as not a database, in Chinese too."""
    (tmp_path / "notes.db").write_text("not a database\n" * 100, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        restore_database(tmp_path / "notes.db", str(tmp_path / "target.db"))
    assert "not a readable SQLite database" in str(caught.value)
    assert "不是可读取的 SQLite 数据库" in caught.value.localized("zh")


def test_backing_up_postgresql_points_at_pg_dump() -> None:
    """A PostgreSQL URL is refused with the tool to use instead."""
    with pytest.raises(UsageError, match="pg_dump"):
        backup_database("postgresql+psycopg://u@127.0.0.1:5432/bangfu", "b.dump")
