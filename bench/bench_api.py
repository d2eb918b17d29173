"""Benchmark: the HTTP API in process (Starlette's TestClient, no network): ``GET
/v1/cases/{ref}`` and ``GET /v1/queue`` p50/p95 on the verification benchmark's
database (10,000 cases), and a bulk fire. Target: case show and queue p95 < 20 ms.

    python bench/bench_api.py --db /tmp/bench100k.db [--n 200]

The database is the one ``bench/bench_verify.py --db FILE`` builds (built first if
missing). Each request is timed on the wall clock; the medians and p95 are of one run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
