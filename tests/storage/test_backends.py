"""The storage contract on every backend (see ``conftest.py``): a relief case from
submission to payment with its ledger, timers and outbox; households; timers
fired by two workers at once; bulk imports; the streamed audit and checkpoints."""

from __future__ import annotations

import copy
import csv
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.bulk_writer import BulkWriter
from storage.db import make_engine, resolve_url
from storage.outbox import OutboxStore
from storage.sql import SqlStore
from tests.helpers.cases import (
    ALL_PAPERS,
    LI_ID,
    NOTICE_DAYS,
    PREFIX,
    PROCESS,
    application,
    household_id,
    move,
    standard_fen,
)
from workflow import Case, Engine, SimulatedClock
from workflow.errors import DoubleRelief
from workflow.importing import run_import
from workflow.services.inspection import make_checkpoint, verify

Walk = Callable[..., Case]
NewCase = Callable[..., str]
CAMPAIGN = "spring_festival_2027"
#: past the deliberation deadline: its reminders and daily escalations are due
LATE = timedelta(days=20)


def aware_utc(*values: datetime | None) -> bool:
    return all(v is None or (v.tzinfo is UTC) for v in values)


def other_engine(engine: Engine, db_path: str) -> Engine:
    """A second engine on the same database, with its own connections (another worker)."""
    store = SqlStore(make_engine(resolve_url(db_path)))
    twin = copy.copy(engine)
    twin.store = store
    twin.clock = SimulatedClock(engine.clock.now())
    return twin


# -- a case from submission to payment ---------------------------------------------


def test_a_relief_case_runs_to_payment(engine: Engine, walk: Walk) -> None:
    """Submit, deliberate, notice, reviews and payment: events, ledger and outbox agree."""
    case = walk("disbursement")
    fen = standard_fen(engine, case)
    assert engine.store.budget_report(CAMPAIGN)["moderate_severe"] == {"reserve": fen}  # type: ignore[attr-defined]
    done = engine.fire(case.number, "disburse", "xu.lei", data={
        "amount_fen": fen, "photo_ref": "P-1", "recipient_signed": True, "cadre_signed": True,
        "collected_by_recipient": True})
    assert done.state == "completed"
    report = engine.store.budget_report(CAMPAIGN)  # type: ignore[attr-defined]
    assert report["moderate_severe"] == {"reserve": fen, "spend": fen}
    history = engine.history(case.number)
    assert [e.seq for e in history] == list(range(1, done.version + 1))
    assert [e.dest for e in history][-1] == "completed"
    assert dict(history[0].data) == application()
    messages = engine.store.messages()  # type: ignore[attr-defined]
    assert messages and {m["case_id"] for m in messages} == {case.id}
    assert len({m["message_id"] for m in messages}) == len(messages)
    assert all(aware_utc(m["created_at"]) for m in messages)
    timers = engine.store.timers(case.id)  # type: ignore[attr-defined]
    assert timers and all(aware_utc(t.due_at, t.deadline_at, t.created_at, t.fired_at)
                          for t in timers)
    assert verify(engine).ok


def test_the_notice_closes_itself(engine: Engine, walk: Walk) -> None:
    """A due timer is claimed and fired once; then nothing is due."""
    case = walk("publicity")
    engine.set_clock(when=engine.clock.now() + NOTICE_DAYS, fire=False)
    fired = engine.fire_due()
    assert [f.case_number for f in fired] == [case.number]
    assert engine.get_case(case.number).state == "preliminary_review"
    assert engine.fire_due() == []
    next_due = engine.store.next_due()  # type: ignore[attr-defined]
    assert next_due is not None and aware_utc(next_due) and next_due > engine.clock.now()


def test_outbox_rows_are_claimed_by_the_dispatcher(engine: Engine, walk: Walk) -> None:
    """Rows written by commands come out of the dispatcher's claim, oldest first, once."""
    walk("publicity")
    written = engine.store.messages()  # type: ignore[attr-defined]
    store = OutboxStore(engine.store.engine)  # type: ignore[attr-defined]
    with store.transaction() as tx:
        claimed = tx.pending_messages(100)
        tx.mark_messages([r["id"] for r in claimed], "expanded")
    assert [r["message_id"] for r in claimed] == [m["message_id"] for m in written]
    assert all(isinstance(r["context"], dict) for r in claimed)
    assert store.outbox_counts() == {"expanded": len(written)}
    with store.transaction() as tx:
        assert tx.pending_messages(100) == []


# -- households ---------------------------------------------------------------------


def test_household_cases(engine: Engine, new_case: NewCase) -> None:
    """One household, one claim per campaign: found by ID number, narrowed, excluded."""
    first = engine.get_case(new_case())
    new_case()  # another household
    with engine.store.unit_of_work() as uow:
        found = uow.household_cases(LI_ID, campaign=CAMPAIGN)
        assert [c.number for c in found] == [first.number]
        assert [c.number for c in uow.household_cases(LI_ID, process=PROCESS)] == [first.number]
        assert uow.household_cases(LI_ID, exclude=first.id) == []
        assert uow.household_cases(LI_ID, campaign="no_such_campaign") == []
    with pytest.raises(DoubleRelief):
        engine.submit(PROCESS, "wang.fang", application())


# -- timers and two workers -----------------------------------------------------------


def test_two_workers_fire_each_due_timer_once(engine: Engine, db_path: str,
                                              new_case: NewCase) -> None:
    """Two engines firing due timers at the same moment fire each exactly once, also
    when one case has several timers due (reminders, then daily escalations)."""
    numbers = [move(engine, new_case(), "deliberation").number for _ in range(4)]
    engine.set_clock(when=engine.clock.now() + LATE, fire=False)
    store: Any = engine.store
    now = engine.clock.now()
    assert len([t for t in store.timers(status=["pending"]) if t.due_at <= now]) >= 3 * 4
    events_before = store.counts()[1]
    twin = other_engine(engine, db_path)
    start = threading.Barrier(2)
    fired: list[list[Any]] = [[], []]
    errors: list[BaseException] = []

    def work(i: int, eng: Engine) -> None:
        try:
            start.wait(timeout=30)
            fired[i] = eng.fire_due()
        except BaseException as exc:  # reported below, so the test fails instead of hanging
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, e)) for i, e in enumerate((engine, twin))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    twin.store.close()  # type: ignore[attr-defined]
    assert not errors, errors
    ids = [f.timer.id for f in fired[0] + fired[1]]
    assert len(ids) == len(set(ids))
    assert {t.id for t in store.timers(status=["fired"])} == set(ids)
    assert [t for t in store.timers(status=["pending"]) if t.due_at <= now] == []
    assert store.counts()[1] == events_before + len(ids)
    for number in numbers:
        seqs = [e.seq for e in engine.history(number)]
        assert seqs == list(range(1, len(seqs) + 1))
    assert verify(engine).ok


# -- bulk imports ---------------------------------------------------------------------


def write_sheet(path: Path, rows: int) -> Path:
    papers = "; ".join(f"{d['type']}={d['ref']}@{d['date']}" for d in ALL_PAPERS)
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["姓名", "身份证号码", "家庭人口数", "困难类别", "困难原因", "申请材料"])
        for n in range(1, rows + 1):
            out.writerow([f"张{n}", household_id(100 + n), "3", "一般困难户", "独居老人，无固定收入",
                           papers])
    return path


def test_bulk_import_writes_every_row_once(engine: Engine, tmp_path: Path,
                                           new_case: NewCase) -> None:
    """An import takes the next case numbers in one transaction; importing again adds nothing."""
    first = new_case()
    sheet = write_sheet(tmp_path / "import.csv", 25)
    writer = BulkWriter(engine.store)  # type: ignore[arg-type]
    report = run_import(engine, sheet, PROCESS, "wang.fang", writer=writer)
    assert (len(report.imported), report.errors, report.refused) == (25, [], False)
    numbers = sorted(c.number for c in engine.list_cases())
    assert numbers == [first] + [f"{PREFIX}-{n:06d}" for n in range(2, 27)]
    assert writer.counter(PREFIX) == 26
    imported = engine.get_case(f"{PREFIX}-000002")
    assert aware_utc(imported.created_at, imported.updated_at, imported.state_entered_at)
    assert imported.data["documents"] == [dict(d) for d in ALL_PAPERS]
    assert engine.history(imported.number)[0].data == imported.data
    again = run_import(engine, sheet, PROCESS, "wang.fang", writer=writer)
    assert (len(again.imported), len(again.skipped)) == (0, 25)
    assert new_case() == f"{PREFIX}-000027"
    assert verify(engine).ok


# -- the audit stream and checkpoints ------------------------------------------------------


def test_histories_stream_in_case_id_order(engine: Engine, walk: Walk,
                                           new_case: NewCase) -> None:
    """iter_histories yields every case once, in id order, with the events history loads."""
    walk("publicity")
    for _ in range(4):
        new_case()
    store: Any = engine.store
    streamed = list(store.iter_histories(batch=2))
    ids = [case_id for case_id, _, _ in streamed]
    assert ids == sorted(ids) and len(ids) == 5
    for case_id, stored, events in streamed:
        assert stored == engine.get_case(case_id)
        assert events == store.history(case_id)
        assert all(aware_utc(e.at) for e in events)
    assert Counter(len(e) for _, _, e in streamed)[1] == 4


def test_checkpoint_then_verify(engine: Engine, walk: Walk, new_case: NewCase) -> None:
    """A checkpoint lists every case head in id order and verifies; a later one chains to it."""
    walk("deliberation")
    new_case()
    first = make_checkpoint(engine, "jiang.duban")
    assert [h[0] for h in first["heads"]] == sorted(h[0] for h in first["heads"])
    stored = engine.store.checkpoints()  # type: ignore[attr-defined]
    assert len(stored) == 1 and stored[0]["hash"] == first["hash"]
    assert stored[0]["heads"] == first["heads"] and aware_utc(stored[0]["at"])
    assert stored[0]["at"] == engine.clock.now().astimezone(UTC)
    second = make_checkpoint(engine, "jiang.duban")
    assert second["prev_hash"] == first["hash"]
    report = verify(engine)
    assert report.ok and report.checkpoints == 2 and report.cases == 2


#: hand edits of rows beside the chain, each with words of the finding it must produce
EDITS: list[tuple[str, str, str]] = [
    ("cancelled timers", "UPDATE timers SET status = 'cancelled' WHERE status = 'pending'",
     "is stored as cancelled"),
    ("deleted messages", "DELETE FROM outbox", "outbox messages of event"),
    ("ledger times ten", "UPDATE ledger SET amount_fen = amount_fen * 10 WHERE kind = 'spend'",
     "the ledger rows of event"),
    ("household moved", "UPDATE cases SET household = '110101199001011234'",
     "stored household is"),
    ("definition edited", "UPDATE definitions SET content_hash = 'x' || substr(content_hash, 2) "
     "WHERE process = 'relief_application'", "stored body was altered"),
    ("checkpoint time", "UPDATE checkpoints SET events = events - 1", "were altered"),
]


@pytest.mark.parametrize(("what", "sql", "words"), EDITS, ids=[e[0] for e in EDITS])
def test_verify_catches_edits_beside_the_chain(engine: Engine, walk: Walk, what: str,
                                              sql: str, words: str) -> None:
    """On SQLite and PostgreSQL: timers, outbox, ledger, the household column, a stored
    definition and a checkpoint's fields, each edited by hand, are named by verify."""
    case = walk("disbursement")
    engine.fire(case.number, "disburse", "xu.lei", data={
        "amount_fen": standard_fen(engine, case), "photo_ref": "P-1", "recipient_signed": True,
        "cadre_signed": True, "collected_by_recipient": True})
    walk("publicity", "wang.fang", id_number=household_id(3))  # a case with pending timers
    make_checkpoint(engine, "jiang.duban")
    assert verify(engine).ok
    with engine.store.engine.begin() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql(sql).rowcount >= 1
    report = verify(engine)
    assert any(words in f.en for f in report.findings), [f.en for f in report.findings]
