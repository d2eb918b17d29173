"""Logging: structlog configured once, in the shell.

JSON lines (``ensure_ascii=False``) when stderr is not a terminal, readable
console output when it is; stdlib loggers (APScheduler, SQLAlchemy) go through
the same formatter. A processor masks ID-card and phone numbers in every
value, so none reaches a log whatever a caller binds.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import structlog

from workflow.core.pii import scrub

_configured = False


def _mask(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: scrub(v) for k, v in event_dict.items()}


def configure(json_lines: bool | None = None, level: str = "WARNING") -> None:
    """Set up structlog and the stdlib root logger; later calls only change the level."""
    global _configured
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
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
    processors: list[Any] = [
        structlog.stdlib.filter_by_level, structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level, _mask,
        structlog.processors.KeyValueRenderer(key_order=["event"])]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # not cached: ``configure`` (the CLI's) may come later and must take over
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "bangfu") -> Any:
    return structlog.get_logger(name)
