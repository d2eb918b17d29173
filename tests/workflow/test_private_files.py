"""Files holding personal data are readable by their owner only (mode 0600),
whatever the umask: the database, audit exports, reports and import error lists."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from definitions import SHIPPED_ORG, SHIPPED_PROCESSES
from tests.helpers import release
from tests.helpers.cases import START
from workflow import Engine
from workflow.bootstrap import init_database
from workflow.importing.report import write_errors
from workflow.importing.rows import RowError
from workflow.maintenance import upgrade_database
from workflow.privatefiles import open_private
from workflow.reporting.table import Column, Row, Table
from workflow.reporting.writers import write
from workflow.services.inspection import export_trail


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _table() -> Table:
    return Table("stats", "统计", (Column("name", "姓名"),), (Row({"name": "李秀兰"}),))


def test_a_new_database_is_private(tmp_path: Path, open_umask: None) -> None:
    """``bangfu init`` makes the database file 0600 under a umask of 0."""
    path = tmp_path / "new.db"
    init_database(str(path), org=SHIPPED_ORG, definitions=SHIPPED_PROCESSES,
                  simulated_start=START)
    assert _mode(path) == 0o600


def test_an_unmasked_audit_export_is_private(engine: Engine, new_case: Callable[..., str],
                                             tmp_path: Path, open_umask: None) -> None:
    """The inspectors' unmasked trail (events and timeline) is written 0600."""
    new_case()
    report = export_trail(engine, tmp_path / "trail", unmasked_by="jiang.duban",
                          reason="抽查：核对申请人身份")
    assert _mode(Path(report.events_file)) == _mode(Path(report.timeline_file)) == 0o600


@pytest.mark.parametrize("suffix", ["csv", "html", "xlsx"])
def test_a_report_is_private(suffix: str, tmp_path: Path, open_umask: None) -> None:
    """A report file in every format is written 0600."""
    target = write(_table(), tmp_path / f"r.{suffix}")
    assert _mode(target) == 0o600


def test_a_report_written_over_an_open_file_becomes_private(tmp_path: Path) -> None:
    """Overwriting a world-readable file leaves it 0600, not as it was."""
    target = tmp_path / "r.csv"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write(_table(), target)
    assert _mode(target) == 0o600


def test_the_import_error_list_is_private(tmp_path: Path, open_umask: None) -> None:
    """``<file>.errors.csv`` repeats the rows' values: it is written 0600."""
    target = tmp_path / "in.csv.errors.csv"
    write_errors(target, [RowError(2, "B", "身份证号", "id_number", "331122195803120421",
                                   "bad check digit", "校验码错误")])
    assert _mode(target) == 0o600


def test_open_private_is_for_writing_only(tmp_path: Path) -> None:
    """Asked to read, open_private refuses instead of creating a file."""
    with pytest.raises(ValueError, match="for writing"), open_private(tmp_path / "x", "r"):
        pass
    assert not (tmp_path / "x").exists()


def test_an_upgrade_makes_a_release_database_private(tmp_path: Path) -> None:
    """The release made its files by the umask (0644): ``db upgrade`` makes them 0600."""
    path = Path(release.load_sqlite(tmp_path / "release.db"))
    path.chmod(0o644)
    assert upgrade_database(str(path)).made_private
    assert _mode(path) == 0o600
