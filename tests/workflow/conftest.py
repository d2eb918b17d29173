"""Fixtures of the tests that run on the demo campaign's database (audit, tamper,
export, reporting): the demo is played once per session and each test gets a copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.demo import copy_demo, demo_template
from tests.helpers.engines import close_store, engine_on
from workflow import Engine


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_template(tmp_path_factory)


@pytest.fixture
def demo_path(tmp_path: Path, demo_db: Path) -> Path:
    return copy_demo(demo_db, tmp_path / "demo.db")


@pytest.fixture
def demo(demo_path: Path, prototype: Engine) -> Iterator[Engine]:
    eng = engine_on(demo_path, prototype)
    yield eng
    close_store(eng.store)
