"""Optimistic concurrency and idempotency: stale versions, retried commands, and two
OS processes racing for the same case."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.cases import PROCESS, application, count_rows
from tests.helpers.engines import opened
from workflow import (
    Case,
    ConcurrencyConflict,
    Engine,
    IdempotencyKeyReused,
    InvalidTrigger,
)

Walk = Callable[..., Case]
NewCase = Callable[..., str]
ROUNDS = 5


# -- expected versions -----------------------------------------------------------------


def test_stale_expected_version_is_a_conflict(engine: Engine, new_case: NewCase,
                                              unchanged: Callable) -> None:
    """A command based on an old version is ConcurrencyConflict and writes nothing."""
    number = new_case()
    engine.fire(number, "accept", "wang.fang")
    with unchanged(number), pytest.raises(ConcurrencyConflict) as ei:
        engine.fire(number, "request_evidence", "liu.qiang", comment="补充", expected_version=1)
    assert (ei.value.expected, ei.value.actual) == (1, 2)
    assert number in str(ei.value) and number in ei.value.localized("zh")


def test_stale_version_wins_over_a_trigger_that_no_longer_fits(
        engine: Engine, new_case: NewCase, unchanged: Callable) -> None:
    """Repeating a command someone else already did answers ConcurrencyConflict."""
    number = new_case()
    engine.fire(number, "accept", "wang.fang", expected_version=1)
    with unchanged(number), pytest.raises(ConcurrencyConflict):
        engine.fire(number, "accept", "wang.fang", expected_version=1)


def test_current_expected_version_is_accepted(engine: Engine, new_case: NewCase) -> None:
    """The version the caller saw, still current, lets the command through."""
    number = new_case()
    assert engine.fire(number, "accept", "wang.fang", expected_version=1).version == 2


def test_second_engine_on_the_same_file_conflicts(engine: Engine, db_path: str,
                                                  new_case: NewCase) -> None:
    """Two engines (e.g. the CLI and the portal) on one file see each other's versions."""
    number = new_case()
    with opened(db_path) as other:
        other.fire(number, "accept", "wang.fang", expected_version=1)
    with pytest.raises(ConcurrencyConflict):
        engine.fire(number, "accept", "wang.fang", expected_version=1)
    assert engine.get_case(number).version == 2


# -- idempotency -----------------------------------------------------------------------


def test_retried_fire_is_applied_once(engine: Engine, new_case: NewCase) -> None:
    """The same command with the same key twice writes one event and answers the same."""
    number = new_case()
    first = engine.fire(number, "accept", "wang.fang", idempotency_key="k-accept-1")
    rows = count_rows(engine)
    again = engine.fire(number, "accept", "wang.fang", idempotency_key="k-accept-1")
    assert count_rows(engine) == rows
    assert (again.case_number, again.state, again.version, again.case_id) == (
        first.case_number, first.state, first.version, first.case_id)
    assert (first.replayed, again.replayed) == (False, True)
    assert len(engine.history(number)) == 2


def test_retry_after_the_case_moved_on_answers_the_original(engine: Engine,
                                                            new_case: NewCase) -> None:
    """A late retry still answers the first result, not the case's current state."""
    number = new_case()
    engine.fire(number, "accept", "wang.fang", idempotency_key="k-late")
    engine.fire(number, "pass_deliberation", "liu.qiang")
    again = engine.fire(number, "accept", "wang.fang", idempotency_key="k-late")
    assert (again.state, again.version, again.replayed) == ("deliberation", 2, True)
    assert engine.get_case(number).state == "publicity"


def test_key_reused_for_another_command(engine: Engine, new_case: NewCase,
                                        unchanged: Callable) -> None:
    """The same key with a different command is IdempotencyKeyReused; nothing written."""
    number = new_case()
    engine.fire(number, "accept", "wang.fang", idempotency_key="k-1")
    with unchanged(number), pytest.raises(IdempotencyKeyReused) as ei:
        engine.fire(number, "withdraw", "wang.fang", comment="撤回", idempotency_key="k-1")
    assert "k-1" in str(ei.value) and "k-1" in ei.value.localized("zh")


def test_key_reused_with_other_data(engine: Engine, walk: Walk, unchanged: Callable) -> None:
    """Changing only the data under the same key is a different command too."""
    case = walk("preliminary_review")
    engine.fire(case.number, "request_evidence", "yang.jing", comment="缺收入证明",
                idempotency_key="k-2")
    with unchanged(case.number), pytest.raises(IdempotencyKeyReused):
        engine.fire(case.number, "request_evidence", "yang.jing", comment="缺诊断证明",
                    idempotency_key="k-2")


def test_retried_submit_opens_one_case(engine: Engine) -> None:
    """Submitting twice with one key creates one case and answers the same number."""
    first = engine.submit(PROCESS, "li.xiulan", application(), idempotency_key="form-77")
    rows = count_rows(engine)
    again = engine.submit(PROCESS, "li.xiulan", application(), idempotency_key="form-77")
    assert count_rows(engine) == rows
    assert (again.case_number, again.state, again.version, again.replayed) == (
        first.case_number, "application", 1, True)
    assert len(engine.list_cases()) == 1


def test_submit_key_reused_for_another_application(engine: Engine, unchanged: Callable) -> None:
    """A second, different application under a used key is refused."""
    engine.submit(PROCESS, "li.xiulan", application(), idempotency_key="form-78")
    with unchanged(), pytest.raises(IdempotencyKeyReused):
        engine.submit(PROCESS, "li.xiulan", application(household_size=4),
                      idempotency_key="form-78")


def test_submit_key_reused_for_a_fire(engine: Engine, unchanged: Callable) -> None:
    """A key is one command across kinds: a fire may not reuse a submit's key."""
    number = engine.submit(PROCESS, "li.xiulan", application(),
                           idempotency_key="form-79").case_number
    with unchanged(number), pytest.raises(IdempotencyKeyReused):
        engine.fire(number, "accept", "wang.fang", idempotency_key="form-79")


# -- two processes racing ------------------------------------------------------------


def _race_worker(jobs: Any, results: Any, barrier: Any) -> None:
    """Fire each job's trigger as soon as both workers are ready (spawned process)."""
    from workflow import BangfuError, ConcurrencyConflict
    from workflow.bootstrap import open_engine

    engines: dict[str, Engine] = {}
    while (job := jobs.get()) is not None:
        db, number, trigger, user, expected = job
        try:
            engine = engines.get(db) or engines.setdefault(db, open_engine(db))
        except Exception as exc:  # e.g. a definition file being edited: fail now, not in 2 min
            barrier.abort()
            results.put(("crash", repr(exc)))
            continue
        try:
            barrier.wait(timeout=60)
            result = engine.fire(number, trigger, user, expected_version=expected)
            results.put(("ok", result.version))
        except ConcurrencyConflict as exc:
            results.put(("ConcurrencyConflict", exc.actual))
        except BangfuError as exc:
            results.put((type(exc).__name__, str(exc)))
        except Exception as exc:  # reported, so that the test fails instead of hanging
            results.put(("crash", repr(exc)))


class Racers:
    """Two spawned worker processes that fire at the same moment."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.barrier = ctx.Barrier(2)
        self.jobs = [ctx.Queue(), ctx.Queue()]
        self.results = ctx.Queue()
        self.procs = [ctx.Process(target=_race_worker, args=(q, self.results, self.barrier),
                                  daemon=True) for q in self.jobs]
        for p in self.procs:
            p.start()

    def race(self, db: str, number: str, trigger: str, user: str,
             expected: int | None) -> list[str]:
        self.barrier.reset()  # a worker that could not open the database broke it
        for q in self.jobs:
            q.put((db, number, trigger, user, expected))
        outcomes = [self.results.get(timeout=120) for _ in self.jobs]
        assert not [o for o in outcomes if o[0] == "crash"], outcomes
        return sorted(kind for kind, _ in outcomes)

    def stop(self) -> None:
        for q in self.jobs:
            q.put(None)
        for p in self.procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
                p.join()


@pytest.fixture(scope="module")
def racers() -> Iterator[Racers]:
    r = Racers()
    yield r
    r.stop()


def test_two_processes_firing_with_expected_version(racers: Racers, engine: Engine,
                                                    db_path: str, new_case: NewCase) -> None:
    """One process wins, the other gets ConcurrencyConflict: exactly one new event a round."""
    for _ in range(ROUNDS):
        number = new_case()
        before = count_rows(engine)["events"]
        outcomes = racers.race(db_path, number, "accept", "wang.fang", expected=1)
        assert outcomes == ["ConcurrencyConflict", "ok"]
        assert count_rows(engine)["events"] == before + 1
        assert engine.get_case(number).version == 2


def test_two_processes_firing_without_expected_version(racers: Racers, engine: Engine,
                                                       db_path: str,
                                                       new_case: NewCase) -> None:
    """Without versions the writes still serialise: the loser finds the trigger gone."""
    for _ in range(ROUNDS):
        number = new_case()
        before = count_rows(engine)["events"]
        outcomes = racers.race(db_path, number, "accept", "wang.fang", expected=None)
        assert outcomes == [InvalidTrigger.__name__, "ok"]
        assert count_rows(engine)["events"] == before + 1
        assert [e.trigger for e in engine.history(number)] == ["submit", "accept"]


# -- the simulated clock ------------------------------------------------------------------


def _advance_hours(db: str, times: int, start: Any) -> None:
    from datetime import timedelta

    with opened(db) as engine:
        start.wait(60)
        for _ in range(times):
            engine.set_clock(advance=timedelta(hours=1))


def test_concurrent_clock_advances_lose_no_hour(db_path: str) -> None:
    """4 processes × 25 `clock advance 1h` move the clock 100 h: every move is counted."""
    from datetime import timedelta

    with opened(db_path) as before:
        was = before.clock.now()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    workers = [ctx.Process(target=_advance_hours, args=(db_path, 25, start)) for _ in range(4)]
    for w in workers:
        w.start()
    start.set()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    with opened(db_path) as after:
        assert after.clock.now() - was == timedelta(hours=100)
