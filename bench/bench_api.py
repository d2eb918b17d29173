"""Benchmark: the HTTP API in process (Starlette's TestClient, no network): ``GET
/v1/cases/{ref}`` and ``GET /v1/queue`` p50/p95 on the verification benchmark's
database (10,000 cases). Target: case show and queue p95 < 20 ms. Then a bulk fire
(``POST /v1/cases/fire``: 上村's clerk accepts 1,000 new applications in one request),
in process and through a real ``bangfu serve`` on 127.0.0.1.

    python bench/bench_api.py --db /tmp/bench100k.db [--n 200] [--bulk 1000] [--bulk-only]

The database is the one ``bench/bench_verify.py --db FILE`` builds (built first if
missing); the bulk fire runs on fresh databases of its own beside it. Each request is
timed on the wall clock; the medians and p95 are of one run.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--bulk", type=int, default=1000, help="cases of the bulk fire (0: none)")
    parser.add_argument("--bulk-only", action="store_true", help="only the bulk fire")
    args = parser.parse_args()
    if args.bulk_only:
        bulk_fire(Path(args.db).parent, args.bulk)
        return
    import bench_verify
    from fastapi.testclient import TestClient

    from api import create_app
    from workflow.bootstrap import close_engine, open_engine, open_tokens
    from workflow.logs import configure
    from workflow.services.identity import create_token

    configure(level="WARNING")
    if not Path(args.db).exists():
        bench_verify.build(args.db, 10_000, 1_000)
    defs = bench_verify.unbudgeted_definitions(Path(args.db).parent / "bench-definitions")
    engine = open_engine(args.db, definitions=defs)
    tokens = open_tokens(engine)
    token = {u: create_token(engine, tokens, "admin", u, timedelta(days=1)).token
             for u in ("wang.fang", "jiang.duban")}
    numbers = [c.number for c in engine.store.list_cases(units=["shangcun"])]
    client = TestClient(create_app(engine, tokens))
    rng = random.Random(7)

    def timed(path: str, user: str) -> float:
        began = time.perf_counter()
        res = client.get(path, headers={"Authorization": f"Bearer {token[user]}"})
        took = time.perf_counter() - began
        assert res.status_code == 200, res.text
        return took * 1000

    timed(f"/v1/cases/{numbers[0]}", "wang.fang")  # warm
    show = [timed(f"/v1/cases/{rng.choice(numbers)}", "wang.fang") for _ in range(args.n)]
    queue = [timed("/v1/queue", "wang.fang") for _ in range(max(5, args.n // 20))]
    print(f"cases in the database {engine.store.count_cases():,}; in 上村 {len(numbers):,}")
    for name, runs in (("case show", show), ("queue", queue)):
        verdict = "PASS" if p95(runs) < 20 else "FAIL"
        print(f"{name:10s} median {statistics.median(runs):7.1f} ms  p95 {p95(runs):7.1f} ms "
              f"({len(runs)} requests)  target p95 < 20 ms {verdict}")
    close_engine(engine)
    if args.bulk:
        bulk_fire(Path(args.db).parent, args.bulk)


def _applications(db: Path, n: int) -> list[str]:
    """A fresh database holding ``n`` applications of 上村, submitted by its clerk."""
    import bench_verify

    from workflow.bootstrap import close_engine, init_database, open_engine

    _remove(db)
    init_database(str(db), simulated_start=bench_verify.START)
    engine = open_engine(str(db))
    numbers = []
    for i in range(n):
        data = {**bench_verify.household(i), "household_size": 3, "category": "general",
                "hardship_reason": "基准测试"}
        data.update(bench_verify.checklist_papers(engine, "spring_festival_2027", data,
                                                  bench_verify.START.date(), f"bulk-{i}"))
        numbers.append(engine.submit("relief_application", "wang.fang", data).case_number)
    close_engine(engine)
    with closing(sqlite3.connect(db)) as conn:  # its WAL folded in, so one file copies it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return numbers


def _remove(db: Path) -> None:
    """The database and what SQLite keeps beside it (a stale WAL spoils a new file)."""
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)


def bulk_fire(folder: Path, n: int) -> None:
    """One ``POST /v1/cases/fire`` accepting ``n`` cases: in process, then over HTTP to a
    ``bangfu serve`` subprocess on a free port of 127.0.0.1 (bound before it says so)."""
    import re
    import shutil
    import subprocess

    import httpx
    from fastapi.testclient import TestClient

    from api import create_app
    from workflow.bootstrap import close_engine, open_engine, open_tokens
    from workflow.services.identity import create_token

    here, served = folder / "bench-bulk.db", folder / "bench-bulk-served.db"
    numbers = _applications(here, n)
    _remove(served)
    shutil.copyfile(here, served)
    body = {"cases": numbers, "trigger": "accept", "comment": "村两委集中受理"}
    results = {}
    engine = open_engine(str(here))
    token = create_token(engine, open_tokens(engine), "admin", "wang.fang",
                         timedelta(days=1)).token
    with TestClient(create_app(engine, open_tokens(engine))) as client:
        began = time.perf_counter()
        res = client.post("/v1/cases/fire", json=body,
                          headers={"Authorization": f"Bearer {token}"})
        results["in process"] = (time.perf_counter() - began, res.json())
    close_engine(engine)
    engine = open_engine(str(served))
    token = create_token(engine, open_tokens(engine), "admin", "wang.fang",
                         timedelta(days=1)).token
    close_engine(engine)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--db", str(served),
                             "--port", "0", "--lang", "en"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline().decode())
        assert found, "bangfu serve did not start"
        with httpx.Client(base_url=found.group(0), timeout=600) as http:
            began = time.perf_counter()
            res = http.post("/v1/cases/fire", json=body,
                            headers={"Authorization": f"Bearer {token}"})
            assert res.status_code == 200, (res.status_code, res.text[:500])
            results["bangfu serve"] = (time.perf_counter() - began, res.json())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    for name, (took, answer) in results.items():
        print(f"bulk fire {name:12s} {n:,} cases accepted in one request: {took:6.2f} s "
              f"({n / took:,.0f} cases/s); done {answer['done']}, refused {answer['refused']}")


if __name__ == "__main__":
    main()
