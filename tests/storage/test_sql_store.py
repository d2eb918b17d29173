"""The SQL store: opening and initialising databases, SQLite settings, UTC datetimes,
case numbers, the append-only event table and the definition registry."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from definitions import (
    SHIPPED_PROCESSES,
    DefinitionVersionConflict,
    definition_from_json,
    definition_from_text,
)
from storage import resolve_url
from storage.db import make_engine
from storage.sql import SqlStore
from storage.tables import events
from tests.helpers.cases import PREFIX, PROCESS, START, application, count_rows
from tests.helpers.engines import NEEDS_PROC_FD, handles_on, no_collector, opened
from workflow import Case, ConcurrencyConflict, Engine, InvalidData, StorageError
from workflow.bootstrap import init_database, open_engine
from workflow.core.decide import decide_fire
from workflow.core.machine import machine_for
from workflow.core.model import Fire

Walk = Callable[..., Case]
NewCase = Callable[..., str]


def pragma(engine: Engine, name: str) -> object:
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


# -- opening and initialising ------------------------------------------------------


def test_open_engine_on_a_missing_file(tmp_path: Path) -> None:
    """A path with no database is StorageError, and no file is created there."""
    missing = tmp_path / "missing.db"
    with pytest.raises(StorageError) as ei:
        open_engine(str(missing))
    assert not missing.exists()
    assert "bangfu init" in str(ei.value) and ei.value.localized("zh")


def test_open_engine_in_a_missing_folder(tmp_path: Path) -> None:
    """A path in a folder that does not exist is StorageError, and nothing is created."""
    with pytest.raises(StorageError):
        open_engine(str(tmp_path / "no" / "such" / "x.db"))
    assert not (tmp_path / "no").exists()


def test_open_engine_on_an_empty_file(tmp_path: Path) -> None:
    """An empty file is not an initialised database."""
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StorageError) as ei:
        open_engine(str(empty))
    assert "not initialised" in str(ei.value) and "尚未初始化" in ei.value.localized("zh")


def test_open_engine_on_someone_elses_database(tmp_path: Path) -> None:
    """A SQLite file of another application is not initialised for Bangfu."""
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (id INTEGER)")
    conn.close()
    with pytest.raises(StorageError):
        open_engine(str(other))


def test_open_engine_on_a_file_that_is_no_database(tmp_path: Path) -> None:
    """A text file where the database should be is StorageError, not a driver error."""
    text = tmp_path / "notes.db"
    text.write_text("这不是数据库 this is not a database, just some notes\n" * 20)
    with pytest.raises(StorageError) as ei:
        open_engine(str(text))
    assert "not a database" in str(ei.value)


@NEEDS_PROC_FD
def test_a_refused_open_leaves_no_file_open(tmp_path: Path) -> None:
    """open_engine refusing a database without Bangfu's tables closes the connection it
    opened on the file."""
    path = tmp_path / "refused.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE things (id INTEGER)")
    with no_collector():
        with pytest.raises(StorageError):
            open_engine(str(path))
        assert handles_on(path) == 0


def test_init_twice_is_refused(db_path: str, engine: Engine, new_case: NewCase) -> None:
    """Initialising an initialised database is StorageError and keeps its cases."""
    number = new_case()
    with pytest.raises(StorageError) as ei:
        init_database(db_path)
    assert "already initialised" in str(ei.value) and ei.value.localized("zh")
    with opened(db_path) as again:
        assert again.get_case(number).number == number


def test_init_in_a_missing_folder(tmp_path: Path) -> None:
    """Initialising in a folder that does not exist is refused, creating nothing."""
    with pytest.raises(StorageError):
        init_database(str(tmp_path / "nowhere" / "x.db"))
    assert not (tmp_path / "nowhere").exists()


def test_init_records_the_clock_and_the_org(tmp_path: Path) -> None:
    """A new database remembers its simulated start and opens with the sample org."""
    db = str(tmp_path / "new.db")
    assert init_database(db, simulated_start=START) == resolve_url(db)
    with opened(db) as engine:
        assert engine.clock.simulated and engine.clock.now() == START
        assert "wang.fang" in engine.org.users
        assert engine.definitions.get(PROCESS).version == 1


@pytest.mark.parametrize("url", ["nonsense://", "postgres://u:secret@h/db"])
def test_unusable_url_is_a_storage_error(url: str) -> None:
    """An unknown database kind (e.g. 'postgres://') is StorageError, password hidden."""
    with pytest.raises(StorageError) as ei:
        make_engine(url)
    assert "secret" not in str(ei.value) and ei.value.localized("zh")


def test_plain_path_becomes_an_absolute_sqlite_url(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A path is a SQLite file, resolved; a URL is kept; BANGFU_DB is the default."""
    monkeypatch.chdir(tmp_path)
    assert resolve_url("x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_url("postgresql://u@h/db") == "postgresql://u@h/db"
    monkeypatch.setenv("BANGFU_DB", "y.db")
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'y.db'}"


# -- SQLite settings -------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_sqlite_uses_wal(engine: Engine) -> None:
    """Connections run in write-ahead-log mode."""
    assert pragma(engine, "journal_mode") == "wal"


@pytest.mark.sqlite_only
def test_sqlite_enforces_foreign_keys(engine: Engine) -> None:
    """Foreign keys are on for every connection."""
    assert pragma(engine, "foreign_keys") == 1


@pytest.mark.sqlite_only
def test_sqlite_waits_for_a_busy_database(engine: Engine) -> None:
    """A busy timeout lets a writer wait for another instead of failing at once."""
    assert int(pragma(engine, "busy_timeout")) > 0  # type: ignore[call-overload]


@pytest.mark.sqlite_only
def test_sqlite_synchronous_normal(engine: Engine) -> None:
    """WAL with synchronous=NORMAL (1): durable at checkpoints, fast on commit."""
    assert pragma(engine, "synchronous") == 1


def test_event_for_an_unknown_case_is_refused(engine: Engine, new_case: NewCase) -> None:
    """The foreign key from events to cases holds."""
    event = engine.history(new_case())[0]
    row = {"case_id": "no-such-case", "seq": 1, "at": event.at, "kind": "submitted",
           "actor": "x", "trigger": "submit", "dest": "application", "data": {},
           "definition_version": 1, "meta": {}}
    with pytest.raises(IntegrityError), engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(events).values(**row))


# -- values ----------------------------------------------------------------------------


def test_datetimes_come_back_aware_in_utc(engine: Engine, new_case: NewCase) -> None:
    """Case and event times are timezone-aware UTC, equal to the simulated time."""
    case = engine.get_case(new_case())
    event = engine.history(case.number)[0]
    for when in (case.created_at, case.updated_at, case.state_entered_at, event.at):
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
        assert when.tzinfo == UTC
        assert when == START


def test_listed_cases_have_aware_datetimes(engine: Engine, new_case: NewCase) -> None:
    """Times read through list_cases and iter_cases are aware UTC too."""
    new_case()
    listed = engine.list_cases()[0]
    streamed = next(engine.store.iter_cases())  # type: ignore[attr-defined]
    assert listed.created_at.tzinfo == UTC and streamed.created_at.tzinfo == UTC


def test_data_round_trips_with_chinese_text(engine: Engine, new_case: NewCase) -> None:
    """Case data is stored as JSON and read back equal, Chinese text included."""
    number = new_case(hardship_reason="丈夫重病，儿子在读大学")
    assert dict(engine.get_case(number).data) == application(hardship_reason="丈夫重病，儿子在读大学")


def test_case_numbers_are_sequential(engine: Engine, new_case: NewCase) -> None:
    """Numbers are the campaign prefix and a six-digit sequence: CF27-000001, CF27-000002, ..."""
    assert [new_case(), new_case("wang.fang"), new_case()] == [
        f"{PREFIX}-000001", f"{PREFIX}-000002", f"{PREFIX}-000003"]


def test_a_refused_submit_uses_no_number(engine: Engine, new_case: NewCase) -> None:
    """A refused application does not burn a case number."""
    assert new_case() == f"{PREFIX}-000001"
    with pytest.raises(InvalidData):
        engine.submit(PROCESS, "li.xiulan", application(category="nonsense"))
    assert new_case() == f"{PREFIX}-000002"


def test_history_is_in_order(engine: Engine, walk: Walk) -> None:
    """Events come back in sequence, one per version."""
    case = walk("second_review")
    assert [e.seq for e in engine.history(case.number)] == list(range(1, case.version + 1))


def test_iter_cases_streams_every_case(engine: Engine, new_case: NewCase) -> None:
    """iter_cases yields each case once across batches."""
    numbers = {new_case() for _ in range(5)}
    store = engine.store
    assert {c.number for c in store.iter_cases(batch=2)} == numbers  # type: ignore[attr-defined]
    assert store.count_cases() == 5  # type: ignore[attr-defined]


def test_list_cases_offset(engine: Engine, new_case: NewCase) -> None:
    """offset skips the oldest cases."""
    for _ in range(3):
        new_case()
    assert [c.number for c in engine.store.list_cases(offset=1, limit=1)] == [f"{PREFIX}-000002"]


def test_meta_values(engine: Engine) -> None:
    """Meta values are written, overwritten and read back."""
    store = engine.store
    assert store.get_meta("nothing") is None
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2"
    assert store.get_meta("clock_mode") == "simulated"


# -- the append-only event table -------------------------------------------------------


def test_a_stale_decision_is_not_appended(engine: Engine, new_case: NewCase) -> None:
    """A decision made on a case that changed since is ConcurrencyConflict; nothing written."""
    number = new_case()
    stale = engine.get_case(number)
    engine.fire(number, "accept", "wang.fang")
    defn = engine.definition_for(stale)
    decision = decide_fire(defn, machine_for(defn), engine.org, stale, engine.actor("wang.fang"),
                           Fire(number, "request_evidence", "wang.fang", comment="x"),
                           engine.clock.now())
    rows = count_rows(engine)
    with pytest.raises(ConcurrencyConflict), engine.store.unit_of_work() as uow:
        uow.append(decision)
    assert count_rows(engine) == rows
    assert engine.get_case(number).state == "deliberation"


def test_events_are_unique_per_case_and_seq(engine: Engine, new_case: NewCase) -> None:
    """The second line of defence: the same (case, seq) cannot be stored twice."""
    number = new_case()
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        row = dict(conn.execute(select(events).where(events.c.seq == 1)).one()._mapping)
    row.pop("id")
    row["idempotency_key"] = None
    with pytest.raises(IntegrityError), engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(events).values(**row))
    assert len(engine.history(number)) == 1


@pytest.mark.sqlite_only
def test_a_locked_database_is_a_storage_error(engine: Engine, db_path: str,
                                              new_case: NewCase) -> None:
    """A write that cannot get the lock is StorageError (not a driver error); then it recovers."""
    number = new_case()
    # Wait 50 ms instead of the configured 30 s for the lock held below.
    engine.store._command_connection().connection.cursor().execute(  # type: ignore[attr-defined]
        "PRAGMA busy_timeout=50")
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError) as ei:
            engine.fire(number, "accept", "wang.fang")
        assert "locked" in str(ei.value) and ei.value.localized("zh")
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    assert engine.get_case(number).version == 1
    assert engine.fire(number, "accept", "wang.fang").version == 2


# -- the definition registry -------------------------------------------------------------


def test_registering_the_same_definition_again_is_harmless(engine: Engine) -> None:
    """Registering an unchanged definition twice keeps one row."""
    defn = engine.definitions.get(PROCESS)
    engine.store.register_definition(defn, START)
    engine.store.register_definition(defn, START)
    assert [r["process"] for r in engine.store.stored_definitions()].count(PROCESS) == 1


def test_registering_a_changed_definition_under_its_version(engine: Engine) -> None:
    """Changed content under a registered version is DefinitionVersionConflict."""
    text = (SHIPPED_PROCESSES / "relief_application.yaml").read_text(encoding="utf-8")
    changed = definition_from_text(text.replace("after: 3d", "after: 4d"))
    with pytest.raises(DefinitionVersionConflict):
        engine.store.register_definition(changed, START)


def test_stored_body_rebuilds_the_same_definition(engine: Engine) -> None:
    """A definition kept in the database rebuilds with the same content hash."""
    (row,) = [r for r in engine.store.stored_definitions() if r["process"] == PROCESS]
    rebuilt = definition_from_json(row["body"])
    assert rebuilt.content_hash == row["content_hash"] == engine.definitions.get(
        PROCESS).content_hash


def test_second_store_on_the_same_file_sees_the_writes(engine: Engine, db_path: str,
                                                       new_case: NewCase) -> None:
    """Another store on the same file reads what this one committed."""
    number = new_case()
    other = SqlStore(make_engine(resolve_url(db_path)))
    try:
        assert other.get_case(number) == engine.get_case(number)
    finally:
        other.close()
