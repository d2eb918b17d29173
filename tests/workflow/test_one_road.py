"""The command path as the CLI runs it: one read of the case, one write transaction,
and a reviewer's command that changes only its own case."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import Pool
from typer.testing import CliRunner

from cli import app
from workflow import Case, Engine


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement SQLite runs on connections opened in the block, as SQLite traces
    them (the hot path runs prepared statements on the driver's cursor, which
    SQLAlchemy's execute events do not see; BEGIN and COMMIT are traced too)."""
    log: list[str] = []

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(lambda sql: log.append(" ".join(sql.split())))

    event.listen(Pool, "connect", on_connect)
    try:
        yield log
    finally:
        event.remove(Pool, "connect", on_connect)


def _verb(statement: str) -> str:
    return statement.split(" ", 1)[0].upper()


def _writes(log: list[str]) -> list[int]:
    return [i for i, s in enumerate(log) if _verb(s) in {"INSERT", "UPDATE", "DELETE"}]


def _case_reads(log: list[str], case: Case) -> list[str]:
    """Reads of this case's row: by id or number from the cases table."""
    return [s for s in log if s.upper().startswith("SELECT") and " FROM CASES" in s.upper()
            and "HOUSEHOLD" not in s.upper().split(" WHERE ", 1)[-1]]


def test_case_advance_reads_the_case_once_and_writes_in_one_transaction(
        db_path: str, engine: Engine, walk: Callable[..., Case]) -> None:
    """`bangfu case advance` reads the case row once and writes everything in one transaction."""
    case = walk("deliberation")
    with statements() as log:
        result = CliRunner().invoke(app, ["case", "advance", case.number, "pass_deliberation",
                                          "--as", "liu.qiang", "--db", db_path])
    assert result.exit_code == 0, result.output
    assert len(_case_reads(log, case)) == 1, _case_reads(log, case)
    writes = _writes(log)
    assert writes, log
    begin = max(i for i, s in enumerate(log[:writes[0]]) if _verb(s) == "BEGIN")
    commit = next(i for i, s in enumerate(log) if _verb(s) == "COMMIT" and i > writes[-1])
    inside = [_verb(s) for s in log[begin + 1:commit]]
    assert "BEGIN" not in inside and "COMMIT" not in inside and "ROLLBACK" not in inside
    assert engine.get_case(case.number).state == "publicity"


def test_a_reviewers_command_does_not_fire_other_cases_due_timers(
        engine: Engine, walk: Callable[..., Case]) -> None:
    """A timer of another case that fell due is left to the scheduler, not fired by a command."""
    waiting = walk("publicity", id_number="33112219700101001X")
    other = walk("deliberation")
    engine.set_clock(advance=timedelta(days=3, hours=1), fire=False)
    engine.fire(other.number, "pass_deliberation", "liu.qiang")
    assert engine.get_case(waiting.number).state == "publicity"
    engine.fire_due()
    assert engine.get_case(waiting.number).state == "preliminary_review"



def test_opening_an_engine_reads_its_settings_once_and_registers_in_one_transaction(
        db_path: str) -> None:
    """Opening reads every setting in one statement, the schema revision in one read
    (``storage.schema.check_current``) and registers the definitions in one transaction:
    three transactions in all."""
    from workflow.bootstrap import open_engine

    with statements() as log:
        engine = open_engine(db_path)
    engine.store.close()  # type: ignore[attr-defined]
    begins = [s for s in log if _verb(s) == "BEGIN"]
    assert len(begins) == 3, "\n".join(log)
    assert sum(1 for s in log if "FROM alembic_version" in s) == 1
    assert sum(1 for s in log if "FROM bangfu_meta" in s) == 1
    assert sum(1 for s in log if "FROM definitions" in s) == 1


def test_opening_an_engine_does_not_parse_the_org_yaml_again(
        db_path: str, monkeypatch: Any) -> None:
    """The org is read back from its stored JSON (5,000 users took 0.55 s of YAML per
    command), and built once per process for the same registered org."""
    import definitions.org as org_module
    from workflow import bootstrap

    def no_yaml(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the org YAML was parsed on open")

    monkeypatch.setattr(org_module, "load_yaml_text", no_yaml)
    monkeypatch.setattr(bootstrap, "org_from_text", no_yaml)
    bootstrap._registered_org.cache_clear()
    first = bootstrap.open_engine(db_path)
    second = bootstrap.open_engine(db_path)
    assert first.org is second.org and "wang.fang" in first.org.users
    assert bootstrap._registered_org.cache_info().hits >= 1
    for engine in (first, second):
        engine.store.close()  # type: ignore[attr-defined]
