"""Benchmark: bulk import of a large CSV (target: 100,000 rows in under 60 s on SQLite).

Generates a CSV in UTF-8 with BOM (Chinese headers and value labels; valid
18-digit ID numbers with their check digit; households in the four villages
of ``definitions/org.example.yaml``), initialises a fresh SQLite database on a
simulated clock inside the Spring Festival 2027 campaign, and imports the
file as a county-level clerk with the village-committee role (one user who
reaches every village: the sample org's village staff each reach only their
own). Prints the time of each phase, rows per second and the total.

    python bench/bench_import.py [--rows 100000] [--workers N] [--definitions DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES  # noqa: E402
from storage.bulk_writer import BulkWriter  # noqa: E402
from storage.sql import SqlStore  # noqa: E402
from workflow.bootstrap import init_database, open_engine  # noqa: E402
from workflow.importing import run_import  # noqa: E402
from workflow.rules.idcard import check_digit  # noqa: E402

START = datetime.fromisoformat("2027-01-04T09:00+08:00")
VILLAGES = ("上村", "下村", "刘家村", "黄土坡社区")
CATEGORIES = ("重度困难户", "中度困难户", "一般困难户", "困难退伍军人", "低保户")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀兰建国明华芳军伟丽强敏静磊洋艳勇杰娟涛超"
#: the papers the checklist asks of every row (the medical ones: costs are given; the
#: discharge certificate: some rows are veterans), as a village writes them in one cell
PAPERS = "; ".join(f"{t}=scan-{{n}}-{t}.pdf@2027-01-04" for t in (
    "application", "id_cards", "household_register", "authorisation", "diagnosis",
    "medical_bills", "veteran_card"))
CLERK = {"id": "bench.clerk", "name": "县级录入员", "unit": "qingshan",
         "roles": ["village_staff"]}


def id_number(i: int) -> str:
    """The i-th of a run of distinct valid ID numbers."""
    born = date(1940, 1, 1) + timedelta(days=i // 900)
    body = f"331122{born:%Y%m%d}{i % 900 + 100:03d}"
    return body + check_digit(body)


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["序号", "姓名", "身份证号码", "联系电话", "家庭人口数", "困难类别", "困难原因",
                      "本年自付医疗费用（元）", "村（社区）", "申请材料"])
        for i in range(rows):
            out.writerow([
                i + 1, rnd.choice(SURNAMES) + "".join(rnd.sample(GIVEN, 2)), id_number(i),
                f"139{rnd.randrange(10**8):08d}", rnd.randint(1, 7), rnd.choice(CATEGORIES),
                "因病致困，本年自付医疗费用较高", f"{rnd.randrange(0, 9000000) / 100:.2f}",
                VILLAGES[i % len(VILLAGES)], PAPERS.format(n=i + 1)])


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--definitions", type=Path, default=SHIPPED_PROCESSES,
                        help="folder of process definitions (default: the shipped ones)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the database and CSV here and keep them")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bangfu-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        org = yaml.safe_load(Path(SHIPPED_ORG).read_text(encoding="utf-8"))
        org["users"].append(CLERK)
        org_file = folder / "org.yaml"
        org_file.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
        db = str(folder / "bench.db")
        init_database(db, org=org_file, definitions=args.definitions, simulated_start=START)
        source = folder / "applications.csv"
        t = time.perf_counter()
        write_csv(source, args.rows)
        print(f"generated {args.rows:,} rows ({source.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t:.1f} s")

        engine = open_engine(db, definitions=args.definitions)
        assert isinstance(engine.store, SqlStore)
        phases: dict[str, float] = {}
        load = os.getloadavg()[0]
        cpu = _cpu()
        began = time.perf_counter()

        def progress(phase: str, done: int, total: int) -> None:
            phases.setdefault(phase, time.perf_counter())

        report = run_import(engine, source, "relief_application", CLERK["id"],
                            progress=progress, writer=BulkWriter(engine.store),
                            workers=args.workers)
        total = time.perf_counter() - began
        main_cpu, worker_cpu = (a - b for a, b in zip(_cpu(), cpu, strict=True))
        marks = sorted(phases.items(), key=lambda kv: kv[1]) + [("end", began + total)]
        for (name, at), (_, nxt) in zip(marks, marks[1:], strict=False):
            print(f"  {name:<7} {nxt - at:6.1f} s")
        print(f"imported {len(report.imported):,} cases ({report.imported[0][1]} .. "
              f"{report.imported[-1][1]}), skipped {len(report.skipped)}, failed "
              f"{report.failed_rows}")
        print(f"{args.rows / total:,.0f} rows/s; total {total:.1f} s "
              f"({'under' if total < 60 else 'OVER'} the 60 s target)")
        print(f"CPU: this process {main_cpu:.1f} s, decide workers {worker_cpu:.1f} s; load "
              f"average {load:.2f} before, {os.getloadavg()[0]:.2f} after (other work on the "
              f"{os.cpu_count()} cores slows the wall clock)")
        cases, events = engine.store.counts()
        assert cases == len(report.imported) == args.rows - report.failed_rows, (cases, report)
        t = time.perf_counter()
        again = run_import(engine, source, "relief_application", CLERK["id"],
                           writer=BulkWriter(engine.store), workers=args.workers)
        print(f"re-import: imported {len(again.imported)}, skipped {len(again.skipped):,} "
              f"in {time.perf_counter() - t:.1f} s")
        engine.store.close()
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
