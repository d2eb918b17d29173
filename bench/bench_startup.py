"""Benchmark: the CLI's start-up, in CPU seconds of the child process. Targets:
``bangfu --help`` under 0.3 s and ``bangfu case show`` under 0.5 s.

    python bench/bench_startup.py [--repeats 7]

Each command runs as a fresh ``python -m cli`` process (the console script a pyenv
shim would wrap adds the shim's own start-up, which is not ours); the CPU time
(user + system) of the finished child is read with ``getrusage``. A bare
``python -c pass`` is measured in the same run as the floor. ``case show``
runs on a database with one case, made first. Bytecode is compiled by a first,
uncounted run into a cache of the run's own, as pip compiles an installed package.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"bangfu --help": 0.3, "bangfu case show": 0.5}


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _one_case(db: str) -> str:
    from datetime import date

    from workflow.bootstrap import init_database, open_engine
    from workflow.demo import checklist_papers
    from workflow.logs import configure

    configure(level="WARNING")
    init_database(db)
    engine = open_engine(db)
    data = {"applicant_name": "测试", "id_number": "33112219700101001X", "household_size": 3,
            "category": "general", "hardship_reason": "基准测试"}
    data.update(checklist_papers(engine, "spring_festival_2027", data, date(2027, 1, 4), "b"))
    number = engine.submit("relief_application", "wang.fang", data).case_number
    engine.store.close()  # type: ignore[attr-defined]
    return number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # As an installed package runs: with bytecode (pip compiles it at install).
        # The cache goes to a directory of this run's own, and a first, uncounted
        # run of each command writes it, even where PYTHONDONTWRITEBYTECODE is set.
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        db = str(Path(tmp) / "startup.db")
        number = _one_case(db)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "bangfu --help": [sys.executable, "-m", "cli", "--help"],
            "bangfu case show": [sys.executable, "-m", "cli", "case", "show", number,
                                 "--db", db, "--as", "wang.fang"],
        }
        failed = False
        for name, argv in commands.items():
            cpu_seconds(argv, env)  # writes the bytecode cache
            runs = [cpu_seconds(argv, env) for _ in range(args.repeats)]
            median = statistics.median(runs)
            target = TARGETS.get(name)
            verdict = "" if target is None else \
                f"target < {target:.1f} s {'PASS' if median < target else 'FAIL'}"
            failed |= target is not None and median >= target
            print(f"{name:18s} {median:6.3f} s CPU (median of {args.repeats}; "
                  f"{min(runs):.3f}–{max(runs):.3f})  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
