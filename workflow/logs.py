"""Logging: structlog configured once, in the shell; a library's silence until then.

``configure`` (the CLI calls it; a host may): JSON lines (``ensure_ascii=False``)
when stderr is not a terminal, readable console output when it is; stdlib
loggers (APScheduler, SQLAlchemy) go through the same formatter. Every line
carries its logger's name and the business time ``at`` (the engine's clock:
simulated or real) beside the wall-clock ``timestamp``; the ``transitions``
and APScheduler loggers stay at WARNING unless asked (their INFO lines are
internal reprs and wake-ups every 30 s). A processor masks ID-card and phone
numbers in every value, so none reaches a log whatever a caller binds.

Until then (``library_defaults``, when the engine is imported), records go to
the stdlib loggers ``bangfu.*``, masked, and the ``bangfu`` logger has a
``NullHandler``: nothing is printed, not even by Python's last-resort handler,
unless the host configures logging.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from workflow.core.pii import scrub

_configured = False
#: the business time of log lines: the clock of the engine made last (``use_clock``)
_clock: Callable[[], datetime] | None = None
#: libraries whose INFO lines are noise to an operator
QUIET_LIBRARIES = ("transitions", "apscheduler")

logging.getLogger("bangfu").addHandler(logging.NullHandler())


def use_clock(now: Callable[[], datetime]) -> None:
    """Stamp log lines with ``now()`` as ``at`` (an engine passes its clock)."""
    global _clock
    _clock = now


def _business_time(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    if "at" not in event_dict and _clock is not None:
        try:
            event_dict["at"] = _clock().isoformat()
        except Exception:  # a log line must never fail the command it describes
            pass
    return event_dict


def _quiet_libraries(level: str, only_unset: bool) -> None:
    for name in QUIET_LIBRARIES:
        logger = logging.getLogger(name)
        if not only_unset or logger.level == logging.NOTSET:
            logger.setLevel(level.upper())


def _mask(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: scrub(v) for k, v in event_dict.items()}


def configure(json_lines: bool | None = None, level: str = "WARNING",
              libraries: str = "WARNING") -> None:
    """Set up structlog and the stdlib root logger (``level``), with ``transitions`` and
    APScheduler at ``libraries``; later calls change only the levels. A host that
    embeds the engine may call it, or configure logging its own way."""
    global _configured
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _business_time,
        _mask,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=lambda o, **kw: json.dumps(
            o, ensure_ascii=False, default=str))
        if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=shared,
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    _quiet_libraries(libraries, only_unset=False)
    structlog.configure(
        # Level filtering first: a filtered line costs no masking or rendering.
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # The chain above is the same on every call (the renderer lives in the
        # handler, the level on the root logger), so a logger bound once stays
        # right; re-binding per call cost more than the filtered line itself.
        cache_logger_on_first_use=True,
    )
    _configured = True


def library_defaults() -> None:
    """What the engine logs when the program embedding it configured nothing: records
    of the stdlib loggers ``bangfu.*``, PII masked, for the host's own logging set-up
    (by Python's default, warnings and worse on stderr; nothing on stdout). Leaves a
    configuration made by the host, or by ``configure``, alone."""
    if _configured or structlog.is_configured():
        return
    _quiet_libraries("WARNING", only_unset=True)  # unless the host set their levels
    processors: list[Any] = [
        structlog.stdlib.filter_by_level, structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name, structlog.processors.add_log_level,
        _business_time, _mask,
        structlog.processors.KeyValueRenderer(key_order=["event", "logger", "at"])]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # not cached: ``configure`` (the CLI's) may come later and must take over
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "bangfu") -> Any:
    return structlog.get_logger(name)
