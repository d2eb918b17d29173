"""The schema comes only from the Alembic revisions: the migrated schema and the
models agree on every backend, a database behind is refused naming the command,
one ahead is refused untouched, and a revision that fails applies nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import make_engine, resolve_url
from storage.schema import BASELINE, HEAD, history, read_state, upgrade
from storage.tables import metadata
from tests.helpers import release
from tests.helpers.cli import bangfu
from tests.helpers.postgres import schema_url
from workflow.bootstrap import open_engine
from workflow.errors import SchemaTooNew, StorageError
from workflow.maintenance import upgrade_database

NOW = datetime(2027, 2, 2, tzinfo=UTC)


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _dump(path: str) -> list[str]:
    """Every statement that rebuilds the database (its content, not its file header)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_head_is_the_newest_revision() -> None:
    """storage.schema.HEAD names the last revision of the scripts, which start at the baseline."""
    ids = [r.id for r in history()]
    assert ids[0] == BASELINE and ids[-1] == HEAD and len(set(ids)) == len(ids)


def test_every_revision_has_a_title_in_both_languages() -> None:
    """``bangfu db history`` has a Chinese and an English title for every revision."""
    assert all(r.title.get("zh") and r.title.get("en") for r in history())


def test_the_migrated_schema_is_the_models(backend: str, request: pytest.FixtureRequest,
                                           tmp_path: Path) -> None:
    """Alembic's autogenerate finds no difference between the head schema and the models."""
    if backend == "postgresql":
        url = schema_url(request.getfixturevalue("pg_url"), request.getfixturevalue("pg_schema"))
    else:
        url = resolve_url(str(tmp_path / "fresh.db"))
    engine = make_engine(url)
    try:
        upgrade(engine, NOW)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={
                "compare_type": True}), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_the_release_schema_is_the_baseline(tmp_path: Path) -> None:
    """The release's tables, as its create_all made them, are those of revision 0001."""
    made = sqlite3.connect(release.load_sqlite(tmp_path / "release.db"))
    fresh = make_engine(resolve_url(str(tmp_path / "baseline.db")))
    try:
        upgrade(fresh, NOW, target=BASELINE)
        fresh.dispose()
        ours = sqlite3.connect(tmp_path / "baseline.db")
        try:
            query = ("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE "
                     "'alembic%' AND sql IS NOT NULL ORDER BY name")
            assert made.execute(query).fetchall() == ours.execute(query).fetchall()
        finally:
            ours.close()
    finally:
        made.close()


def test_a_database_at_a_newer_schema_is_refused_untouched(db_path: str) -> None:
    """A revision this code does not know: opening and upgrading refuse, the file unchanged."""
    engine = make_engine(resolve_url(db_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    before = _sha(db_path) if "://" not in db_path else None
    with pytest.raises(SchemaTooNew) as caught:
        open_engine(db_path)
    assert "'9999'" in str(caught.value) and "newer Bangfu" in str(caught.value)
    with pytest.raises(SchemaTooNew):
        upgrade_database(db_path)
    if before is not None:
        assert _sha(db_path) == before


def test_upgrading_a_current_database_says_so(db_path: str) -> None:
    """``bangfu db upgrade`` on a database at the head applies nothing and says so."""
    result = bangfu("db", "upgrade", "--db", db_path, "--lang", "en")
    assert result.exit_code == 0
    assert f"already at schema revision {HEAD}; nothing to do" in result.stdout


def test_a_revision_that_fails_applies_nothing(tmp_path: Path) -> None:
    """A stored body altered by hand stops revision 0002, and the database stays as it was."""
    path = release.load_sqlite(tmp_path / "release.db")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE definitions SET body = json_set(body, '$.labels.en', 'x') "
                     "WHERE process = 'medical_aid'")
    conn.close()
    before = _dump(path)
    with pytest.raises(StorageError) as caught:
        upgrade_database(path)
    assert "'medical_aid' version 1" in str(caught.value) and "nothing was changed" in \
        str(caught.value)
    engine = make_engine(resolve_url(path))
    try:
        assert read_state(engine).status == "legacy"
        with engine.connect() as c:
            columns = [r[1] for r in c.exec_driver_sql("PRAGMA table_info(definitions)")]
        assert "legacy_hash" not in columns
    finally:
        engine.dispose()
    assert _dump(path) == before


def test_an_older_development_layout_is_refused(tmp_path: Path) -> None:
    """A database without revisions whose tables are not the release's is not stamped."""
    path = release.load_sqlite(tmp_path / "release.db")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE ledger")
    conn.close()
    with pytest.raises(StorageError) as caught:
        upgrade_database(path)
    assert "missing table 'ledger'" in str(caught.value)


def test_db_current_names_the_revision_in_json(db_path: str) -> None:
    """``bangfu db current --json`` says where the database stands."""
    result = bangfu("db", "current", "--db", db_path, "--json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert (shown["current"], shown["head"], shown["status"]) == (HEAD, HEAD, "current")


def test_db_history_marks_the_revision_of_a_release_database(tmp_path: Path) -> None:
    """A database made before migrations is shown at the baseline, in Chinese by default."""
    path = release.load_sqlite(tmp_path / "release.db")
    result = bangfu("db", "history", "--db", path)
    assert result.exit_code == 0
    assert "0001  基线：9dd431c 版本的表结构  ← 数据库所在版本" in result.stdout


def test_db_upgrade_of_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    """No database at the path: exit 1 with the path and how to create one, no file made."""
    missing = tmp_path / "none.db"
    result = bangfu("db", "upgrade", "--db", str(missing), "--lang", "en")
    assert result.exit_code == 1 and "bangfu init" in result.stderr
    assert not missing.exists()
