"""Local time: the one time zone staff read times in, and the one way a time is
shown to them. Pure.

Times are stored in UTC; Asia/Shanghai is how they are shown and how dates
("17 Jan", "the working day after") are counted.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local(when: datetime) -> str:
    """A time as staff read it: Asia/Shanghai, to the minute."""
    return when.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
