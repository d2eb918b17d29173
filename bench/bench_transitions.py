"""Benchmark: transitions per second through the Engine API against a raw
sqlite3 loop doing the same writes, in the same run. Target ratio >= 0.5.

    python bench/bench_transitions.py [--n 5000] [--repeats 3]

Both sides use a fresh SQLite file with the same schema and pragmas (WAL,
synchronous=NORMAL). Per transition the raw loop does what the engine's
command path does: BEGIN IMMEDIATE, read the case row, UPDATE it with a
version check, INSERT the hash-chained event, cancel or INSERT the notice's
timer, INSERT the outbox rows of the people told, COMMIT. Cases cycle between 公示 and
异议核查 (object / dismiss_objection), two real transitions of the shipped
definition.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow.bootstrap import init_database, open_engine  # noqa: E402
from workflow.demo import checklist_papers  # noqa: E402
from workflow.logs import configure  # noqa: E402
from workflow.rules.idcard import check_digit  # noqa: E402

START = datetime.fromisoformat("2027-01-04T09:00+08:00")


def household_id(n: int) -> str:
    """A valid ID number (check digit included) per household: one case per household."""
    body = f"33112219700101{n:03d}"[:17]
    return body + check_digit(body)
CASES = 50


def _prepare(folder: Path, name: str) -> tuple[str, list[str]]:
    db = str(folder / name)
    init_database(db)  # the real clock: the 2027 campaign is open for applications
    engine = open_engine(db)
    numbers = []
    for i in range(CASES):
        data = {"applicant_name": f"测试{i}", "id_number": household_id(i),
                "household_size": 3, "category": "general", "hardship_reason": "基准测试"}
        data.update(checklist_papers(engine, "spring_festival_2027", data, date(2027, 1, 4),
                                     f"bench-{i}"))
        res = engine.submit("relief_application", "wang.fang", data)
        engine.fire(res.case_number, "accept", "wang.fang")
        engine.fire(res.case_number, "pass_deliberation", "liu.qiang")
        numbers.append(res.case_number)
    engine.store.engine.dispose()  # type: ignore[attr-defined]
    return db, numbers


def run_engine(folder: Path, n: int) -> float:
    db, numbers = _prepare(folder, "engine.db")
    engine = open_engine(db)
    plan = []
    for i in range(n):
        number = numbers[i % CASES]
        rnd = i // CASES
        if rnd % 2 == 0:
            plan.append((number, "object", "qunzhong", "群众来电反映情况"))
        else:
            plan.append((number, "dismiss_objection", "yang.jing", "经核实异议不成立"))
    began = time.perf_counter()
    for number, trigger, user, comment in plan:
        engine.fire(number, trigger, user, comment=comment)
    elapsed = time.perf_counter() - began
    engine.store.engine.dispose()  # type: ignore[attr-defined]
    return n / elapsed


def run_raw(folder: Path, n: int) -> float:
    db, numbers = _prepare(folder, "raw.db")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    ids = [conn.execute("SELECT id FROM cases WHERE number=?", (num,)).fetchone()[0]
           for num in numbers]
    now = START + timedelta(days=1)
    began = time.perf_counter()
    for i in range(n):
        case_id = ids[i % CASES]
        rnd = i // CASES
        source, dest, trigger = (("publicity", "objection_review", "object") if rnd % 2 == 0
                                 else ("objection_review", "publicity", "dismiss_objection"))
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT id, number, state, data, version, duties, first_entered, "
                           "head_hash FROM cases WHERE id=? OR number=?",
                           (case_id, case_id)).fetchone()
        version = row[4]
        at = now.isoformat(sep=" ")
        first = json.loads(row[6])
        first.setdefault(dest, at)
        cur = conn.execute(
            "UPDATE cases SET state=?, data=?, version=?, updated_at=?, state_entered_at=?, "
            "duties=?, first_entered=? WHERE id=? AND version=?",
            (dest, row[3], version + 1, at, at, row[5], json.dumps(first), case_id, version))
        assert cur.rowcount == 1
        # The event is chained like the engine's: SHA-256 over the previous hash
        # and a canonical JSON of the event; the case row keeps the new head.
        body = {"case_id": case_id, "seq": version + 1, "at": at, "kind": "transition",
                "actor": "qunzhong", "role": "public", "trigger": trigger, "source": source,
                "dest": dest, "data": {}, "comment": "群众来电反映情况",
                "definition_version": 1, "idempotency_key": None, "meta": {}}
        digest = hashlib.sha256(row[7].encode() + b"\n" + json.dumps(
            body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
        head = digest.hexdigest()
        conn.execute(
            "INSERT INTO events (case_id, seq, at, kind, actor, role, trigger, source, dest, "
            "data, comment, definition_version, idempotency_key, request_hash, meta, "
            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (case_id, version + 1, at, "transition", "qunzhong", "public", trigger, source, dest,
             "{}", "群众来电反映情况", 1, None, None, "{}", row[7], head))
        conn.execute("UPDATE cases SET head_hash=? WHERE id=?", (head, case_id))
        # Who is told, as the engine does: the township office on an objection,
        # the village staff when the notice is back up.
        told = ("yang.jing", "wu.gang") if dest == "objection_review" else ("wang.fang",)
        for user in told:
            conn.execute(
                "INSERT INTO outbox (message_id, case_id, event_seq, kind, recipient, context, "
                "status, attempts, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (f"{case_id}:{version + 1}:{dest}:{user}", case_id, version + 1, "waiting", user,
                 json.dumps({"case": row[1], "state": dest}, ensure_ascii=False), "pending", 0,
                 at))
        # Leaving the notice cancels its window; entering it writes the window's timer.
        if source == "publicity":
            conn.execute("UPDATE timers SET status='cancelled', fired_at=? WHERE case_id=? "
                         "AND status='pending' AND scope='state'", (at, case_id))
        else:
            conn.execute(
                "INSERT INTO timers (case_id, spec_id, scope, state, kind, due_at, deadline_at, "
                "trigger, seq, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (case_id, "notice_window", "state", "publicity", "fire", at, at, "close_notice",
                 0, "pending", at))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="transitions per run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure(level="WARNING")
    engine_rates, raw_rates, ratios = [], [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            e = run_engine(Path(tmp), args.n)
            r = run_raw(Path(tmp), args.n)
        engine_rates.append(e)
        raw_rates.append(r)
        ratios.append(e / r)
    e_med, r_med, ratio = (statistics.median(engine_rates), statistics.median(raw_rates),
                           statistics.median(ratios))
    print(f"engine API : {e_med:8.0f} transitions/s (median of {args.repeats})")
    print(f"raw sqlite3: {r_med:8.0f} transitions/s (median of {args.repeats})")
    print(f"ratio      : {ratio:.2f} (target >= 0.50) {'PASS' if ratio >= 0.5 else 'FAIL'}")
    sys.exit(0 if ratio >= 0.5 else 1)


if __name__ == "__main__":
    main()
