"""The scheduler in real OS processes: killed with SIGKILL in the middle of a catch-up and
restarted, it fires every due timer exactly once and in due order; it notices a clock
moved by another process; on a real clock with nothing due it fires nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import select

from storage.tables import events
from tests.helpers.cases import ALL_PAPERS, household_id
from workflow import Engine
from workflow.bootstrap import init_database, open_engine

ROOT = Path(__file__).resolve().parent.parent
START = datetime.fromisoformat("2027-01-04T09:00+08:00")
STOP_AT = datetime.fromisoformat("2027-01-18T12:00+08:00")
STAFF = ("wang.fang", "zhang.min", "ma.hui", "luo.yan")  # one per village
CASES = 150
#: the catch-up is killed once this many of its 450 timers have fired
KILL_AFTER = 10
#: how long a subprocess may take to reach a state before the test gives up
PATIENCE = 20.0

pytestmark = pytest.mark.slow


def application(i: int) -> dict[str, Any]:
    return {"applicant_name": f"申请人{i}", "id_number": household_id(i),
            "household_size": 2, "category": "general", "hardship_reason": "年老体弱",
            "documents": ALL_PAPERS}


def bangfu(db: Path, *args: str, log: IO[bytes], errors: IO[bytes] | int = subprocess.STDOUT,
           level: str = "WARNING") -> subprocess.Popen[bytes]:
    """``python -m cli <args> --db <db>`` as a real process, its output in ``log``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BANGFU_DB", "BANGFU_DEFINITIONS", "BANGFU_CAMPAIGNS",
                        "BANGFU_CALENDARS")}
    env["BANGFU_LOG_LEVEL"] = level
    return subprocess.Popen([sys.executable, "-m", "cli", *args, "--db", str(db)], cwd=ROOT,
                            env=env, stdout=log, stderr=errors)


def poll(check: Callable[[], bool], proc: subprocess.Popen[bytes], what: str,
         log: Path) -> None:
    """Wait until ``check()`` holds, as long as ``proc`` runs and patience lasts."""
    deadline = time.monotonic() + PATIENCE
    while not check():
        if proc.poll() is not None:
            pytest.fail(f"the scheduler exited ({proc.returncode}) before {what}:\n"
                        + log.read_text(encoding="utf-8")[-2000:])
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.001)


def count(db: sqlite3.Connection, status: str) -> int:
    return int(db.execute("SELECT count(*) FROM timers WHERE status = ?", (status,))
               .fetchone()[0])


@pytest.fixture
def deliberating(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    """A simulated database with 150 cases in deliberation in four villages, its clock
    moved to 18 Jan 12:00 without firing: the lists reminders of 15 and 16 Jan and the
    escalation of 17 Jan are due for every case."""
    db = tmp_path / "crash.db"
    init_database(str(db), simulated_start=START)
    engine = open_engine(str(db))
    for i in range(CASES):
        staff = STAFF[i % len(STAFF)]
        number = engine.submit("relief_application", staff, application(i)).case_number
        engine.fire(number, "accept", staff)
    engine.set_clock(when=STOP_AT, fire=False)
    yield db, engine
    engine.store.close()  # type: ignore[attr-defined]


def test_killed_scheduler_fires_every_due_timer_once_in_order(
        deliberating: tuple[Path, Engine], tmp_path: Path) -> None:
    """SIGKILL in the middle of the catch-up, then a restart: each timer due at the stored
    clock is fired exactly once, with exactly one event, in due order."""
    db, engine = deliberating
    due = {t.id: t for t in engine.store.timers(status=["pending"])  # type: ignore[attr-defined]
           if t.due_at <= STOP_AT}
    assert len(due) == 3 * CASES
    reader = sqlite3.connect(db, timeout=30)
    run_log = tmp_path / "run.log"
    with open(run_log, "wb") as log:
        proc = bangfu(db, "scheduler", "run", "--refresh", "0.2", log=log)
        try:
            poll(lambda: count(reader, "fired") >= KILL_AFTER, proc,
                 f"{KILL_AFTER} timers fired", run_log)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=PATIENCE)
    assert proc.returncode == -signal.SIGKILL
    fired_before = count(reader, "fired")
    reader.close()
    assert KILL_AFTER <= fired_before < len(due), "the kill missed the middle of the catch-up"

    with open(tmp_path / "restart.log", "wb") as log:
        restart = bangfu(db, "scheduler", "run", "--once", "--lang", "en", log=log)
        code = restart.wait(timeout=PATIENCE)
    output = (tmp_path / "restart.log").read_text(encoding="utf-8")
    assert code == 0, output[-2000:]
    assert f"Fired {len(due) - fired_before} due timer(s)" in output

    after = {t.id: t for t in engine.store.timers()}  # type: ignore[attr-defined]
    assert {after[i].status for i in due} == {"fired"}
    assert all(t.due_at > STOP_AT for t in after.values() if t.status == "pending")
    with engine.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(select(events.c.id, events.c.case_id, events.c.seq, events.c.kind,
                                   events.c.meta).order_by(events.c.id)).all()
    by_timer = [r for r in rows if "timer_id" in r.meta]
    ids = [r.meta["timer_id"] for r in by_timer]
    assert len(ids) == len(set(ids)) == len(due)
    assert set(ids) == set(due)
    dues = [due[i].due_at for i in ids]
    assert dues == sorted(dues)
    last_seq: dict[str, int] = {}
    for r in rows:
        last_seq[r.case_id] = max(last_seq.get(r.case_id, 0), r.seq)
    assert {c.id: c.version for c in engine.store.list_cases()} == last_seq  # type: ignore[attr-defined]
    caused = {(r.case_id, r.seq) for r in by_timer}
    sent = sorted((m["case_id"], m["event_seq"], m["recipient"])
                  for m in engine.store.messages()  # type: ignore[attr-defined]
                  if (m["case_id"], m["event_seq"]) in caused)
    assert sent == sorted((r.case_id, r.seq, user) for r in by_timer
                          for user in r.meta["recipients"])


def test_running_scheduler_follows_a_clock_moved_elsewhere(
        deliberating: tuple[Path, Engine], tmp_path: Path) -> None:
    """A scheduler running on a simulated database fires what falls due when another
    process moves the stored clock, and stops cleanly on SIGTERM."""
    db, engine = deliberating
    with open(tmp_path / "run.log", "wb") as log:
        first = bangfu(db, "scheduler", "run", "--once", log=log)
        assert first.wait(timeout=PATIENCE) == 0
    later = datetime.fromisoformat("2027-01-20T09:00+08:00")
    successors = [t.id for t in engine.store.timers(status=["pending"])  # type: ignore[attr-defined]
                  if t.due_at <= later]
    assert len(successors) == CASES
    reader = sqlite3.connect(db, timeout=30)
    fired_so_far = count(reader, "fired")
    follow = tmp_path / "follow.log"
    with open(follow, "wb") as log:
        proc = bangfu(db, "scheduler", "run", "--refresh", "0.1", log=log, level="INFO")
        try:
            poll(lambda: "scheduler.started" in follow.read_text(encoding="utf-8"), proc,
                 "the scheduler started", follow)
            assert count(reader, "fired") == fired_so_far
            engine.set_clock(when=later, fire=False)
            poll(lambda: count(reader, "fired") == fired_so_far + CASES, proc,
                 "the escalations of 19 Jan fired", follow)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=PATIENCE)
    reader.close()
    assert code == 0
    after = {t.id: t for t in engine.store.timers()}  # type: ignore[attr-defined]
    assert {after[i].status for i in successors} == {"fired"}


def test_once_on_a_real_clock_with_nothing_due(tmp_path: Path) -> None:
    """`scheduler run --once` on a fresh real-clock database fires 0 timers and exits 0."""
    db = tmp_path / "real.db"
    init_database(str(db))
    with open(tmp_path / "once.log", "wb") as log:
        proc = bangfu(db, "scheduler", "run", "--once", "--lang", "en", log=log)
        assert proc.wait(timeout=PATIENCE) == 0
    assert "Fired 0 due timer(s)" in (tmp_path / "once.log").read_text(encoding="utf-8")
    with open(tmp_path / "once.json", "wb") as log, open(tmp_path / "once.err", "wb") as err:
        proc = bangfu(db, "scheduler", "run", "--once", "--json", log=log, errors=err)
        assert proc.wait(timeout=PATIENCE) == 0
    assert json.loads((tmp_path / "once.json").read_text(encoding="utf-8")) == {"fired": []}
