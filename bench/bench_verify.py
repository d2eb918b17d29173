"""Benchmark: how fast ``workflow.services.inspection.verify`` checks the audit trail, in events
per second, over a database of at least 100,000 events. Target: 20,000 events/s on
one core.

    python bench/bench_verify.py [--db FILE] [--cases 10000] [--seed 1000] [--repeats 3]

Without ``--db`` the database is built in a temporary folder and dropped afterwards;
with ``--db FILE`` it is built there if the file does not exist, else reused as it is.
The definitions it was built with are copied anew at every build and kept beside it
(``bench-definitions/``): once the shipped definitions or their schema change, opening
an old file fails with DefinitionVersionConflict; delete the file to rebuild.

The build has two steps, to stay within a few minutes on two cores:

1. ``--seed`` cases (default 1,000) go through the public Engine API on a simulated
   clock, so every event is one the engine really decided and sealed: each household is
   filed by its village staff, accepted, deliberated and put on public notice, objected
   to and cleared twice (the township office dismisses the objections); then the clock
   moves past the notice windows (their timers close them) and the township and the
   committee review the case: ten events a case.
2. The seed cases are copied until there are ``--cases`` (default 10,000): each copy
   gets a new case id, number and household (ID number, phone, name), and every one of
   its events is re-sealed (``workflow.core.decide.seal``) into the copy's own chain, so the
   copy verifies exactly as an engine-made case does. Timers and outbox rows are not
   copied: verify does not read them.

A checkpoint is taken at the end, so verify also checks one.

Verification is timed as the median of ``--repeats`` runs in this one process (verify
is single-threaded, so this is one core's work), on the wall clock for the verdict and
in CPU time for comparison on a busy machine. The exit code is 0 either way; the last
line says PASS or FAIL.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow import Engine  # noqa: E402
from workflow.bootstrap import init_database, open_engine  # noqa: E402
from workflow.core.chain import genesis  # noqa: E402
from workflow.core.decide import seal  # noqa: E402
from workflow.demo import checklist_papers  # noqa: E402
from workflow.logs import configure  # noqa: E402
from workflow.services.inspection import make_checkpoint, verify  # noqa: E402

START = datetime.fromisoformat("2027-01-04T09:00+08:00")
PROCESS = "relief_application"
TARGET = 20_000
MIN_EVENTS = 100_000
#: village → (staff, panel, township office, township committee), from the sample org
VILLAGES = {
    "shangcun": ("wang.fang", "liu.qiang", "yang.jing", "zhu.tao"),
    "xiacun": ("zhang.min", "gao.peng", "yang.jing", "zhu.tao"),
    "liujia": ("ma.hui", "he.jun", "song.yu", "he.shuji"),
    "huangtupo": ("luo.yan", "tang.bo", "song.yu", "he.shuji"),
}
CATEGORIES = ("general", "general", "moderate", "severe", "dibao")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int) -> str:
    """The n-th distinct valid ID number (one household each: a household is relieved
    at most once per campaign)."""
    born = date(1945, 1, 1) + timedelta(days=n // 1000)
    body = f"331122{born:%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def _progress(stage: str, done: int, total: int, began: float) -> None:
    if done % 2000 == 0 or done == total:
        print(f"  {stage:<22} {done:>6}/{total}  {time.perf_counter() - began:6.1f} s",
              flush=True)


def household(n: int) -> dict[str, str]:
    """The applicant fields of the n-th household."""
    return {"applicant_name": f"基准户{n}", "id_number": id_number(n), "phone": f"139{n:08d}"}


def unbudgeted_definitions(root: Path, fresh: bool = False) -> Path:
    """The shipped definitions without the campaign budget: a thousand severe cases
    would (rightly) overspend the sample township's lines. ``fresh``: copy them anew
    (a new build), else keep the copy the database was built with."""
    import shutil

    from definitions import SHIPPED

    if fresh and root.exists():
        shutil.rmtree(root)
    if not root.exists():
        for part in ("processes", "campaigns", "calendars"):
            shutil.copytree(SHIPPED / part, root / part)
        path = root / "campaigns" / "spring_festival_2027.yaml"
        text = path.read_text("utf-8")
        # the budget keys (budget_total, budget_unlisted, budget) end the file
        cut = re.search(r"^budget", text, re.M)
        assert cut is not None, "the campaign file has no budget to take out"
        path.write_text(text[:cut.start()], "utf-8")
    return root / "processes"


def build(db: str, n_cases: int, n_seed: int) -> None:
    """A database of ``n_cases`` cases with ten events each (see the module docstring)."""
    defs = unbudgeted_definitions(Path(db).parent / "bench-definitions", fresh=True)
    init_database(db, simulated_start=START, definitions=defs)
    engine = open_engine(db, definitions=defs)
    began = time.perf_counter()
    n_seed = min(n_seed, n_cases)
    villages = list(VILLAGES)
    filed: list[tuple[str, tuple[str, str, str, str]]] = []
    for i in range(n_seed):
        village = villages[i % len(villages)]
        staff, panel, _, _ = who = VILLAGES[village]
        data = {**household(i), "household_size": 1 + i % 5,
                "category": CATEGORIES[i % len(CATEGORIES)],
                "hardship_reason": "因病致困，本年自付医疗费用较高"}
        data.update(checklist_papers(engine, "spring_festival_2027", data, START.date(),
                                     f"bench-{i}"))
        res = engine.submit(PROCESS, staff, data)
        engine.fire(res.case_number, "accept", staff)
        engine.fire(res.case_number, "pass_deliberation", panel)
        filed.append((res.case_number, who))
        _progress("filed and on notice", i + 1, n_seed, began)
    for i, (number, (_, _, office, _)) in enumerate(filed):
        for _ in range(2):
            engine.fire(number, "object", "qunzhong", comment="群众来电反映该户有经营收入")
            engine.fire(number, "dismiss_objection", office, comment="经入户核实，异议不成立")
        _progress("objections cleared", i + 1, n_seed, began)
    fired = engine.set_clock(advance=timedelta(days=3, hours=1))
    print(f"  notice windows closed  {len(fired):>6} timer events  "
          f"{time.perf_counter() - began:6.1f} s", flush=True)
    for i, (number, (_, _, office, committee)) in enumerate(filed):
        engine.fire(number, "approve_preliminary", office,
                    data={"home_visit_note": "已入户核查，情况属实"})
        engine.fire(number, "approve_second", committee)
        _progress("reviewed", i + 1, n_seed, began)
    copy_cases(engine, db, n_cases - n_seed, began)
    make_checkpoint(engine, "jiang.duban")
    _close(engine)


def copy_cases(engine: Engine, db: str, n_copies: int, began: float) -> None:
    """Copy the cases in the database until ``n_copies`` more exist, each copy a new
    household with its own re-sealed chain (see the module docstring)."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    case_cols = [r[1] for r in conn.execute("PRAGMA table_info(cases)")]
    event_cols = [r[1] for r in conn.execute("PRAGMA table_info(events)") if r[1] != "id"]
    seeds = [dict(r) for r in conn.execute("SELECT * FROM cases ORDER BY number")]
    stored = {s["id"]: [dict(r) for r in conn.execute(
        "SELECT * FROM events WHERE case_id = ? ORDER BY seq", (s["id"],))] for s in seeds}
    history = {s["id"]: engine.store.history(s["id"]) for s in seeds}
    # the rows beside each chain, copied with it (verify holds them to the events)
    side = {table: {s["id"]: [dict(r) for r in conn.execute(
        f"SELECT * FROM {table} WHERE case_id = ? ORDER BY id", (s["id"],))]  # noqa: S608
        for s in seeds} for table in ("timers", "outbox", "ledger")}
    prefix = seeds[0]["number"].rsplit("-", 1)[0]
    insert_case = (f"INSERT INTO cases ({', '.join(case_cols)}) "
                   f"VALUES ({', '.join('?' * len(case_cols))})")
    insert_event = (f"INSERT INTO events ({', '.join(event_cols)}) "
                    f"VALUES ({', '.join('?' * len(event_cols))})")
    n = len(seeds)
    for k in range(n_copies):
        seed = seeds[k % len(seeds)]
        case_id, number, person = uuid.uuid4().hex, f"{prefix}-{n + 1:06d}", household(n)
        prev, rows = genesis(case_id), []
        new_timer: dict[int, int] = {}
        for timer in side["timers"][seed["id"]]:
            values = {**timer, "case_id": case_id}
            del values["id"]
            cur = conn.execute(f"INSERT INTO timers ({', '.join(values)}) VALUES "  # noqa: S608
                               f"({', '.join('?' * len(values))})", list(values.values()))
            new_timer[timer["id"]] = int(cur.lastrowid or 0)
        for table in ("outbox", "ledger"):
            for other in side[table][seed["id"]]:
                values = {**other, "case_id": case_id}
                del values["id"]
                if "message_id" in values:
                    values["message_id"] = values["message_id"].replace(seed["id"], case_id)
                conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES "  # noqa: S608
                             f"({', '.join('?' * len(values))})", list(values.values()))
        for event, row in zip(history[seed["id"]], stored[seed["id"]], strict=True):
            changes: dict[str, object] = {"case_id": case_id}
            meta = dict(event.meta)
            if "timer_id" in meta:
                meta["timer_id"] = new_timer[meta["timer_id"]]
            effects = meta.get("effects")
            if isinstance(effects, dict) and "consumes" in effects:
                meta["effects"] = {**effects, "consumes": new_timer[effects["consumes"]]}
            changes["meta"] = meta
            if event.seq == 1:
                changes.update(data={**event.data, **person},
                               meta={**meta, "number": number})
            sealed = seal(replace(event, **changes), prev)  # type: ignore[arg-type]
            prev = sealed.hash
            rows.append([*({**row, "case_id": case_id, "data": json.dumps(dict(sealed.data)),
                            "meta": json.dumps(dict(sealed.meta)), "prev_hash": sealed.prev_hash,
                            "hash": sealed.hash}[c] for c in event_cols)])
        case = {**seed, "id": case_id, "number": number, "head_hash": prev,
                "data": json.dumps({**json.loads(seed["data"]), **person})}
        if "household" in case:
            case["household"] = person["id_number"]
        conn.execute(insert_case, [case[c] for c in case_cols])
        conn.executemany(insert_event, rows)
        n += 1
        if (k + 1) % 2000 == 0 or k + 1 == n_copies:
            conn.commit()
            _progress("copied", k + 1, n_copies, began)
    conn.execute("UPDATE counters SET value = ? WHERE name = ?", (n, prefix))
    conn.commit()
    conn.close()


def _close(engine: Engine) -> None:
    engine.store.close()  # type: ignore[attr-defined]


def measure(db: str, repeats: int) -> tuple[int, int, list[float], list[float]]:
    """(cases, events, wall seconds of each verify run, CPU seconds of each run)."""
    engine = open_engine(db, definitions=unbudgeted_definitions(
        Path(db).parent / "bench-definitions"))
    walls: list[float] = []
    cpus: list[float] = []
    cases = events = 0
    for _ in range(repeats):
        cpu = time.process_time()
        report = verify(engine)
        cpus.append(time.process_time() - cpu)
        if not report.ok:
            print("verify found problems:", *[f.text("en") for f in report.findings[:5]],
                  sep="\n  ")
        walls.append(report.seconds)
        cases, events = report.cases, report.events
    _close(engine)
    return cases, events, walls, cpus


def run(db: str, n_cases: int, n_seed: int, repeats: int) -> None:
    if Path(db).exists():
        print(f"reusing {db}")
    else:
        print(f"building {db}: {n_cases} cases x 10 events ({min(n_seed, n_cases)} through "
              "the Engine, the rest copied and re-sealed)")
        began = time.perf_counter()
        build(db, n_cases, n_seed)
        print(f"built in {time.perf_counter() - began:.1f} s")
    cases, events, walls, cpus = measure(db, repeats)
    rate = events / statistics.median(walls)
    cpu_rate = events / statistics.median(cpus)
    print(f"verify     : {cases} cases, {events} events; runs "
          + ", ".join(f"{s:.2f}" for s in walls) + " s")
    if events < MIN_EVENTS:
        print(f"note       : only {events} events (the benchmark asks for {MIN_EVENTS}+)")
    print(f"CPU time   : {cpu_rate:,.0f} events per CPU second (median; what a core "
          "would do with nothing else running)")
    verdict = "PASS" if rate >= TARGET else "FAIL"
    print(f"throughput : {rate:,.0f} events/s (median of {repeats}, wall clock; target "
          f">= {TARGET:,} on one core) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", help="SQLite file to build (if missing) or reuse")
    parser.add_argument("--cases", type=int, default=10_000,
                        help="cases to build (ten events each)")
    parser.add_argument("--seed", type=int, default=1_000,
                        help="cases built through the Engine API; the rest are copies")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configure(level="WARNING")
    if args.db:
        run(args.db, args.cases, args.seed, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(str(Path(tmp) / "verify.db"), args.cases, args.seed, args.repeats)


if __name__ == "__main__":
    main()
