"""The scheduler: the only importer of APScheduler.

Timers are rows (see ``storage.tables.TimerRow``); APScheduler only wakes
the worker when the earliest one is due and runs the recurring jobs. There is
no APScheduler job per case and no shared APScheduler job store: a job store
shared between processes runs jobs twice, and a job missed while down is
dropped after its grace time, while rows survive both. On start every timer
that fell due while the scheduler was down fires, oldest first, each logged
with how late it is.

A ``refresh`` job re-reads the earliest due time periodically, because other
processes (the CLI, a portal) create timers this process is not told about.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from workflow.clock import SimulatedClock
from workflow.engine import Engine, FiredTimer

log = structlog.get_logger("bangfu.scheduler")


class TimerScheduler:
    """Fires due timers of one engine when they fall due."""

    def __init__(self, engine: Engine, refresh_seconds: float = 30.0,
                 after_catch_up: Callable[[], object] | None = None) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        #: run after every catch-up (the notification dispatcher): kept as a
        #: plain hook because workflow may not import notifications
        self.after_catch_up = after_catch_up
        self.fired = 0
        self._scheduler = BlockingScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def catch_up(self) -> list[FiredTimer]:
        """Fire every timer already due, oldest first."""
        fired = self.engine.fire_due()
        self.fired += len(fired)
        late = [f for f in fired if (f.event.at - f.timer.due_at) >= timedelta(minutes=1)]
        if fired:
            log.info("scheduler.caught_up", fired=len(fired), late=len(late))
        if self.after_catch_up is not None:
            try:
                self.after_catch_up()
            except Exception as exc:  # a failing channel must not stop the timers
                log.error("scheduler.after_catch_up_failed", error=str(exc))
        return fired

    def run(self) -> None:
        """Catch up, then wake at each next due time until stopped (SIGINT/SIGTERM)."""
        stopping: list[bool] = []

        def early_stop(*_: Any) -> None:
            stopping.append(True)

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, early_stop)
        self.catch_up()
        if stopping:
            log.info("scheduler.stopping", fired=self.fired)
            return
        self._scheduler.add_job(self._refresh, IntervalTrigger(seconds=self.refresh_seconds),
                                id="refresh", replace_existing=True)
        self._schedule_wake()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        log.info("scheduler.started", next_due=_iso(self.engine.store.next_due()))
        self._scheduler.start()

    def _stop(self, *_: Any) -> None:
        log.info("scheduler.stopping", fired=self.fired)
        self._scheduler.shutdown(wait=False)

    def _wake(self) -> None:
        self.catch_up()
        self._schedule_wake()

    def _refresh(self) -> None:
        self.catch_up()
        self._schedule_wake()

    def _schedule_wake(self) -> None:
        due = self.engine.store.next_due()
        if due is None or isinstance(self.engine.clock, SimulatedClock):
            # A simulated clock moves only when told to; the refresh job
            # notices when it has.
            return
        run_at = max(due, self.engine.clock.now())
        self._scheduler.add_job(self._wake, DateTrigger(run_date=run_at), id="wake",
                                replace_existing=True)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None
