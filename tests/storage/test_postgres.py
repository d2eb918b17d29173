"""PostgreSQL only: initialising and opening a database by URL, the column types,
rows claimed with ``FOR UPDATE SKIP LOCKED`` by two connections at once, case
numbers under a new prefix taken by two transactions, and times read back in
UTC whatever the session's time zone. The rest of the contract runs on both
backends (``test_backends.py`` and the other modules here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine as SAEngine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from cli import app
from storage import SqlStore
from storage.db import make_engine
from storage.outbox import OutboxStore
from tests.helpers.cases import LI_ID, PROCESS, START, application, move
from tests.helpers.postgres import schema_url
from workflow import Case, Engine, StorageError
from workflow.bootstrap import init_database, open_engine

BACKENDS = ("postgresql",)
pytestmark = pytest.mark.postgresql

Walk = Callable[..., Case]
NewCase = Callable[..., str]
CLEAN_ENV: dict[str, str | None] = {
    "BANGFU_DB": None, "BANGFU_DEFINITIONS": None, "BANGFU_CAMPAIGNS": None,
    "BANGFU_CALENDARS": None, "BANGFU_USER": None, "BANGFU_LANG": None, "COLUMNS": "200"}
#: how long a claim may wait for a row lock before the test calls it blocked
LOCK_TIMEOUT = "2s"


@contextmanager
def second_store(db_path: str) -> Iterator[SqlStore]:
    """Another store on the same database: other connections, as another worker has."""
    store = SqlStore(make_engine(db_path))
    try:
        yield store
    finally:
        store.close()


def no_waiting(conn: Any) -> None:
    """A claim that waits for a locked row fails instead of hanging the test."""
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))


# -- initialising and opening by URL ------------------------------------------------


def test_init_and_open_by_url(pg_url: str, pg_schema: str) -> None:
    """init_database and open_engine take a PostgreSQL URL; a case runs on it end to end."""
    url = schema_url(pg_url, pg_schema)
    assert init_database(url, simulated_start=START) == url
    engine = open_engine(url)
    try:
        assert engine.clock.simulated and engine.clock.now() == START
        assert "wang.fang" in engine.org.users
        number = engine.submit(PROCESS, "li.xiulan", application()).case_number
        assert move(engine, number, "publicity").version == 3
        with pytest.raises(StorageError) as ei:
            init_database(url)
        assert "already initialised" in str(ei.value)
    finally:
        engine.store.close()  # type: ignore[attr-defined]
    again = open_engine(url)
    try:
        assert again.get_case(number).state == "publicity"
    finally:
        again.store.close()  # type: ignore[attr-defined]


def test_open_an_empty_schema(pg_url: str, pg_schema: str) -> None:
    """A reachable database without Bangfu's tables is 'not initialised'."""
    with pytest.raises(StorageError) as ei:
        open_engine(schema_url(pg_url, pg_schema))
    assert "not initialised" in str(ei.value)


def test_unreachable_server_is_a_storage_error() -> None:
    """No server at the URL is StorageError naming the cause, password hidden."""
    with pytest.raises(StorageError) as ei:
        open_engine("postgresql+psycopg://bangfu:secret@127.0.0.1:1/nowhere")
    assert "cannot open the database" in str(ei.value)
    assert "secret" not in str(ei.value) and "secret" not in ei.value.localized("zh")


def test_cli_on_a_postgresql_url(pg_url: str, pg_schema: str) -> None:
    """`bangfu init --db postgresql+psycopg://...`, then the CLI works on it."""
    url = schema_url(pg_url, pg_schema)
    runner = CliRunner()

    def bangfu(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--db", url, "--json"], env=CLEAN_ENV)
        assert result.exit_code == 0, result.output
        return result

    bangfu("init", "--simulated", "--start", "2027-01-04T09:00+08:00")
    engine = open_engine(url)
    try:
        number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    finally:
        engine.store.close()  # type: ignore[attr-defined]
    assert number in bangfu("case", "list").output
    assert '"ok": true' in bangfu("audit", "verify").output


# -- the schema ------------------------------------------------------------------------


def column_info(engine: Engine, table: str, column: str) -> tuple[str, str | None]:
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        row = conn.execute(text(
            "SELECT data_type, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :t AND column_name = :c"),
            {"t": table, "c": column}).one()
    return row[0], row[1]


def test_column_types(engine: Engine) -> None:
    """Times are timestamptz, JSON is json (kept as written), case ids sort bytewise ("C")."""
    assert column_info(engine, "cases", "created_at")[0] == "timestamp with time zone"
    assert column_info(engine, "timers", "due_at")[0] == "timestamp with time zone"
    assert column_info(engine, "events", "data")[0] == "json"
    assert column_info(engine, "cases", "id") == ("character varying", "C")
    assert column_info(engine, "events", "case_id") == ("character varying", "C")


def test_times_are_utc_whatever_the_session_time_zone(engine: Engine, db_path: str,
                                                      new_case: NewCase) -> None:
    """A connection in Asia/Shanghai reads the same instants, as UTC."""
    number = new_case()
    url = make_url(db_path)
    options = f"{url.query['options']} -ctimezone=Asia/Shanghai"
    with second_store(url.update_query_dict({"options": options}).render_as_string(
            hide_password=False)) as other:
        with other.engine.connect() as conn:
            assert conn.execute(text("SHOW timezone")).scalar() == "Asia/Shanghai"
        case = other.get_case(number)
        assert case is not None and case == engine.get_case(number)
        for when in (case.created_at, other.history(case.id)[0].at):
            assert when.tzinfo is UTC and when == START


# -- claims by two connections ------------------------------------------------------------


def test_two_connections_claim_different_timers(engine: Engine, db_path: str,
                                                new_case: NewCase) -> None:
    """A timer claimed in one open transaction is skipped, not waited for, by another."""
    for _ in range(3):
        move(engine, new_case(), "publicity")
    engine.set_clock(when=engine.clock.now() + timedelta(days=3), fire=False)
    now = engine.clock.now()
    with second_store(db_path) as other, engine.store.unit_of_work() as first:
        (taken,) = first.claim_due(now, 1)
        with other.unit_of_work() as second:
            no_waiting(second.conn)
            rest = second.claim_due(now, 10)
            assert len(rest) == 2 and taken.id not in {t.id for t in rest}
    assert len(engine.fire_due()) == 3


def test_two_dispatchers_claim_different_outbox_rows(engine: Engine, walk: Walk) -> None:
    """Outbox rows one dispatcher holds are skipped by the other."""
    walk("publicity")
    written = {m["id"] for m in engine.store.messages()}  # type: ignore[attr-defined]
    assert len(written) >= 3
    sql: SAEngine = engine.store.engine  # type: ignore[attr-defined]
    one, two = OutboxStore(sql), OutboxStore(make_engine(sql.url.render_as_string(False)))
    try:
        with one.transaction() as tx1:
            held = {r["id"] for r in tx1.pending_messages(2)}
            with two.transaction() as tx2:
                no_waiting(tx2.conn)
                other = {r["id"] for r in tx2.pending_messages(100)}
        assert len(held) == 2 and held.isdisjoint(other) and held | other == written
    finally:
        two.engine.dispose()


def test_two_transactions_number_the_first_cases_of_a_prefix(engine: Engine,
                                                             db_path: str) -> None:
    """The first two numbers under a new prefix, taken at once: 1 and 2, no error."""
    got: list[int] = []
    errors: list[BaseException] = []
    with second_store(db_path) as other:
        with engine.store.unit_of_work() as first:
            got.append(first.next_number("ZZ99"))

            def take() -> None:
                try:
                    with other.unit_of_work() as second:
                        got.append(second.next_number("ZZ99"))
                except BaseException as exc:  # reported below
                    errors.append(exc)

            waiter = threading.Thread(target=take)
            waiter.start()
            wait_for_lock_wait(engine)
        waiter.join(timeout=30)
    assert not errors and got == [1, 2]


def test_household_checks_wait_for_each_other(engine: Engine, db_path: str) -> None:
    """Looking for a household's rivals holds it until commit: a second look waits, so a
    submit and a fire cannot both find no rival and both claim (as SQLite serialises)."""
    done = threading.Event()
    with second_store(db_path) as other:
        with engine.store.unit_of_work() as first:
            assert first.household_cases(LI_ID) == []

            def look() -> None:
                with other.unit_of_work() as second:
                    second.household_cases(LI_ID)
                done.set()

            waiter = threading.Thread(target=look)
            waiter.start()
            assert wait_for_lock_wait(engine, "advisory")
            assert not done.is_set()
        waiter.join(timeout=30)
        assert done.is_set()
        with other.unit_of_work() as third:
            assert third.household_cases("110101199003070011") == []


def wait_for_lock_wait(engine: Engine, event: str | None = None, limit: float = 10.0) -> bool:
    """Whether another session of this database waits for a lock (of kind ``event``)
    within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND wait_event = coalesce(:e, wait_event) "
                "AND pid <> pg_backend_pid()"), {"e": event}).scalar()
            conn.rollback()
            if waiting:
                return True
    return False


def test_sessions_wait_30s_for_a_lock_unless_the_url_says_otherwise(pg_url: str,
                                                                    pg_schema: str) -> None:
    """Every session gets a 30 s lock timeout (as SQLite's busy timeout); a URL that
    sets its own keeps it."""
    url = schema_url(pg_url, pg_schema)
    own = make_url(url)
    own = own.update_query_dict({"options": own.query["options"] + " -clock_timeout=250ms"})
    for given, expected in ((url, "30s"), (own.render_as_string(hide_password=False), "250ms")):
        with second_store(given) as store, store.engine.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar() == expected


def test_a_command_behind_a_held_lock_gives_up_with_a_storage_error(
        pg_url: str, pg_schema: str) -> None:
    """A case row locked by a stuck transaction: a command gives up after the lock
    timeout with a StorageError (a clear refusal, not a hang), and writes nothing."""
    base = make_url(schema_url(pg_url, pg_schema))
    url = base.update_query_dict({"options": base.query["options"] + " -clock_timeout=300ms"}
                                 ).render_as_string(hide_password=False)
    init_database(url, simulated_start=START)
    engine = open_engine(url)
    number = engine.submit(PROCESS, "li.xiulan", application()).case_number
    holder = make_engine(url)
    try:
        with holder.begin() as conn:
            conn.execute(text("SELECT 1 FROM cases WHERE number = :n FOR UPDATE"),
                         {"n": number})
            began = time.monotonic()
            with pytest.raises(StorageError):
                engine.fire(number, "accept", "wang.fang")
            assert time.monotonic() - began < 10
        assert engine.get_case(number).state == "application"
    finally:
        holder.dispose()
        engine.store.close()  # type: ignore[attr-defined]
