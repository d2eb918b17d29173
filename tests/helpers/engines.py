"""Engines for tests: one on a given database wired like the session's prototype (what
``open_engine`` builds, without re-reading every YAML file), one opened by
``open_engine`` for a block, closing a store, and counting what was left open."""

from __future__ import annotations

import copy
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from storage.db import make_engine, resolve_url
from storage.sql import SqlStore
from workflow import Engine, SimulatedClock
from workflow.bootstrap import close_engine, open_engine


def engine_on(path: str | Path, prototype: Engine) -> Engine:
    """An Engine on ``path`` (a SQLite file or a URL): a shallow copy of ``prototype``
    with its own store and its own clock, read from the database. Close its store."""
    store = SqlStore(make_engine(resolve_url(str(path))))
    eng = copy.copy(prototype)
    eng.store = store
    eng.clock = SimulatedClock(datetime.fromisoformat(store.get_meta("clock_now") or ""))
    return eng


def close_store(store: Any) -> None:
    """Release a store's connections (an SQL store's pool, or a bare engine's)."""
    close = getattr(store, "close", None)
    if close is not None:
        close()
    else:
        store.engine.dispose()


@contextmanager
def opened(db: str | Path, **options: Any) -> Iterator[Engine]:
    """``open_engine(db, **options)`` for the block, its connections released after."""
    eng = open_engine(str(db), **options)
    try:
        yield eng
    finally:
        close_engine(eng)


def handles_on(path: str | Path) -> int:
    """How many file descriptors of this process are open on ``path`` (Linux's
    /proc/self/fd): a SQLite connection not closed holds one."""
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.path.realpath(f"/proc/self/fd/{fd}") == target
        except OSError:  # closed meanwhile
            pass
    return count


#: handles_on needs /proc/self/fd
NEEDS_PROC_FD = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                   reason="counting open files needs /proc/self/fd (Linux)")


@contextmanager
def no_collector() -> Iterator[None]:
    """The cyclic garbage collector off for the block: what was not closed stays open
    (the collector would close it at some moment of its own), so a test can see it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
