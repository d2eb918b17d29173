"""The demo campaign's database (``bangfu demo``), played once per session and copied
for each test that reads it (audit, tamper, export, reporting)."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.helpers.cli import bangfu

_DEMO: list[Path] = []


def demo_template(factory: pytest.TempPathFactory) -> Path:
    """The demo campaign's database, played once per session, its WAL folded into the file."""
    if not _DEMO:
        path = factory.mktemp("demo") / "demo.db"
        result = bangfu("demo", "--db", str(path), "--json")
        assert result.exit_code == 0, result.output
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _DEMO.append(path)
    return _DEMO[0]


def copy_demo(template: Path, target: Path) -> Path:
    """A private copy of the demo database (the main file only: the WAL is empty)."""
    shutil.copyfile(template, target)
    return target
