"""Durations of the definition language ('3d', '12h', '2 working days'). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from definitions.schema import DURATION_RE


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # "days", "hours", "minutes", "months" or "working_days"

    @property
    def working(self) -> bool:
        return self.unit == "working_days"

    def as_timedelta(self) -> timedelta:
        """Calendar length; working days need a calendar and are refused here."""
        if self.working or self.unit == "months":
            raise ValueError(f"{self.unit.replace('_', ' ')} need a calendar")
        return timedelta(**{self.unit: self.amount})


def parse_duration(text: str) -> Duration:
    m = DURATION_RE.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a duration such as '3d', '12h' or '2 working days'")
    unit = m.group("unit").replace(" ", "_")
    if unit in {"d", "day", "days"}:
        kind = "days"
    elif unit in {"h", "hour", "hours"}:
        kind = "hours"
    elif unit in {"m", "minute", "minutes"}:
        kind = "minutes"
    elif unit in {"month", "months"}:
        kind = "months"
    else:
        kind = "working_days"
    return Duration(int(m.group("n")), kind)
