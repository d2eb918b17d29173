"""The clock: the only place that reads the real time.

``SystemClock`` reads the machine's time; ``SimulatedClock`` holds a time
that only moves when told to (training sandboxes, tests, the demo). Both
return timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from workflow.core.localtime import LOCAL_TZ, local
from workflow.errors import ClockError

__all__ = ["LOCAL_TZ", "Clock", "SimulatedClock", "SystemClock", "local"]



class Clock(Protocol):
    simulated: bool

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    simulated = False

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that moves only forward, and only when told to."""

    simulated = True

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        when = _aware(when)
        if when < self._now:
            raise ClockError(
                f"the simulated clock cannot go back (now {local(self._now)}, asked "
                f"{local(when)})", f"模拟时钟不能倒退(当前 {local(self._now)},目标 {local(when)})")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ClockError("the simulated clock cannot go back", "模拟时钟不能倒退")
        self._now += delta


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ClockError(f"time '{when.isoformat()}' has no time zone",
                         f"时间 '{when.isoformat()}' 缺少时区")
    return when.astimezone(UTC)
