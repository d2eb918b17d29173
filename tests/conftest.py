"""Shared fixtures: a SQLite engine on a simulated clock, and fixtures that open
cases and walk them along the shipped relief process to a given state (the walking
itself, the application and the constants are in ``tests.helpers.cases``).

Every test gets its own database file, copied from one initialised at the
start of the session (``init_database`` reads and validates every YAML file,
which is slow to repeat); the engine is wired the way ``open_engine`` wires it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES, DefinitionSet, Org
from tests.helpers.cases import PROCESS, START, application, count_rows, household_id, move
from tests.helpers.engines import close_store, engine_on
from workflow import Case, Engine
from workflow.bootstrap import init_database, open_engine


@pytest.fixture(autouse=True)
def _no_bangfu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's BANGFU_DB / BANGFU_DEFINITIONS must not leak into tests."""
    monkeypatch.delenv("BANGFU_DB", raising=False)
    monkeypatch.delenv("BANGFU_DEFINITIONS", raising=False)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask of 0 for the test: a file gets exactly the mode the code asks for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database initialised once (simulated clock at START), copied by each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    # The shipped files, explicitly: session fixtures run before _no_bangfu_env.
    init_database(str(path), org=SHIPPED_ORG, definitions=SHIPPED_PROCESSES,
                  simulated_start=START)
    return path


@pytest.fixture(scope="session")
def prototype(template_db: Path) -> Iterator[Engine]:
    """An Engine wired by ``open_engine`` once: definitions, org and the rest, loaded once."""
    proto = open_engine(str(template_db), definitions=SHIPPED_PROCESSES)
    yield proto
    close_store(proto.store)


@pytest.fixture(scope="session")
def shipped(prototype: Engine) -> tuple[DefinitionSet, Org]:
    """The shipped definitions and sample org, as the engine loaded them."""
    return prototype.definitions, prototype.org


@pytest.fixture
def db_path(tmp_path: Path, template_db: Path) -> str:
    """A fresh initialised SQLite file of this test's own."""
    target = tmp_path / "bangfu.db"
    shutil.copyfile(template_db, target)
    return str(target)


@pytest.fixture
def engine(db_path: str, prototype: Engine) -> Iterator[Engine]:
    """An Engine on the test's database, its clock simulated from 2027-01-04 09:00 +08:00.

    A shallow copy of the session's prototype with its own store and clock: what
    ``open_engine`` would build, without re-reading every YAML file per test.
    """
    eng = engine_on(db_path, prototype)
    yield eng
    close_store(eng.store)


@pytest.fixture
def new_case(engine: Engine) -> Callable[..., str]:
    """``new_case(user="li.xiulan", unit=None, **data)``: submit an application, return its number."""

    made: list[str] = []

    def submit(user: str = "li.xiulan", *, unit: str | None = None, **data: Any) -> str:
        # The first case of a test is li.xiulan's household; later ones are
        # other households, since one household gets one case per campaign.
        if made and "id_number" not in data:
            data["id_number"] = household_id(len(made))
        number = engine.submit(PROCESS, user, application(**data), unit=unit).case_number
        made.append(number)
        return number

    return submit


@pytest.fixture
def walk(engine: Engine, new_case: Callable[..., str]) -> Callable[..., Case]:
    """``walk(target, user="li.xiulan", unit=None, **data)``: a new case walked to ``target``."""

    def go(target: str, user: str = "li.xiulan", *, unit: str | None = None,
           **data: Any) -> Case:
        return move(engine, new_case(user, unit=unit, **data), target)

    return go


@pytest.fixture
def unchanged(engine: Engine) -> Callable[..., AbstractContextManager[None]]:
    """``with unchanged(number): ...``: asserts the block wrote nothing at all."""

    @contextmanager
    def check(number: str | None = None) -> Iterator[None]:
        rows = count_rows(engine)
        version = engine.get_case(number).version if number else None
        yield
        assert count_rows(engine) == rows
        if number:
            assert engine.get_case(number).version == version

    return check
