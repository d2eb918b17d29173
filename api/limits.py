"""Rate limits of the HTTP API and the pages, in memory per server process: requests
per client in a sliding window (public objections), and failed logins per user and
address. Monotonic time, not the engine's clock: a simulated clock may stand still."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    """At most ``count`` events per ``seconds`` for one key (a client address, or a
    user and address). ``now`` is the time source, monotonic seconds."""

    def __init__(self, count: int, seconds: float,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.count, self.seconds, self.now = count, seconds, now
        self._seen: dict[str, deque[float]] = {}

    def _window(self, key: str) -> deque[float]:
        now = self.now()
        seen = self._seen.setdefault(key, deque())
        while seen and now - seen[0] > self.seconds:
            seen.popleft()
        return seen

    def allow(self, key: str) -> bool:
        """Count one event of ``key``; False (and not counted) when over the limit."""
        seen = self._window(key)
        if len(seen) >= self.count:
            return False
        seen.append(self.now())
        return True

    def blocked(self, key: str) -> bool:
        """Over the limit now, without counting anything."""
        return len(self._window(key)) >= self.count

    def hit(self, key: str) -> None:
        """Count one event (a failed login) whatever the count."""
        self._window(key).append(self.now())

    def clear(self, key: str) -> None:
        self._seen.pop(key, None)
