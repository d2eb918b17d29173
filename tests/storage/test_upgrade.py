"""The upgrade of a database made by release 9dd431c (the demo campaign, kept in
``tests/fixtures/release_9dd431c``) with this code, on SQLite and PostgreSQL:
refused until upgraded, then every row kept, the audit trail verified against
the checkpoint exported before the upgrade, and a case still advanced."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from definitions import SHIPPED_PROCESSES
from definitions.errors import DefinitionVersionConflict
from definitions.hashing import legacy_body_hash, source_hash
from storage.db import make_engine, resolve_url
from storage.schema import BASELINE, HEAD, history, read_state
from tests.helpers import release
from tests.helpers.engines import opened
from tests.helpers.postgres import schema_url
from workflow.bootstrap import open_engine
from workflow.errors import SchemaOutdated
from workflow.maintenance import upgrade_database
from workflow.services.inspection import verify


@pytest.fixture
def release_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh copy of the release's database on the backend under test (``--db``)."""
    if backend == "postgresql":
        url = schema_url(request.getfixturevalue("pg_url"),
                         request.getfixturevalue("pg_schema"))
        return release.load_postgres(url, tmp_path)
    return release.load_sqlite(tmp_path / "release.db")


def test_the_release_database_is_refused_until_upgraded(release_db: str) -> None:
    """Before the upgrade every command is refused, naming the command that upgrades it."""
    with pytest.raises(SchemaOutdated) as caught:
        open_engine(release_db)
    assert "bangfu db upgrade --db" in str(caught.value)
    assert "bangfu db upgrade --db" in caught.value.localized("zh")


def test_the_upgrade_keeps_every_row(release_db: str, tmp_path: Path) -> None:
    """Every case, event, timer, outbox row, delivery and ledger row is there, unchanged."""
    report = upgrade_database(release_db)
    after_release = [r.id for r in history() if r.id > BASELINE]
    assert [r.id for r in report.applied] == after_release and report.after.current == HEAD
    engine = make_engine(resolve_url(release_db))
    try:
        after = release.digest(engine)
    finally:
        engine.dispose()
    assert after == release.release_digest(tmp_path)
    assert {t: after[t][0] for t in ("cases", "events", "timers", "outbox", "deliveries",
                                     "ledger", "checkpoints")} == \
        {t: n for t, n in release.COUNTS.items() if t != "definitions"}


def test_the_trail_verifies_against_the_checkpoint_exported_before(release_db: str) -> None:
    """``audit verify`` passes against the signed checkpoint the release exported."""
    upgrade_database(release_db)
    with opened(release_db) as engine:
        report = verify(engine, checkpoint=release.checkpoint(), key=release.CHECKPOINT_KEY)
    assert report.findings == [] and report.ok
    assert (report.cases, report.events) == (300, 2609)


def test_the_old_hashes_are_recorded_and_checked(release_db: str) -> None:
    """Each stored version maps its release hash (recomputed from its body) to the new one."""
    upgrade_database(release_db)
    with opened(release_db) as engine:
        rows = engine.store.stored_definitions()
        record = json.loads((engine.store.read_meta() or {})["definition_hashes"])
    assert len(rows) == release.COUNTS["definitions"]
    for row in rows:
        assert legacy_body_hash(row["body"]) == row["legacy_hash"]
        assert source_hash(row["body"]) == row["content_hash"] != row["legacy_hash"]
    assert {(v["process"], v["version"]): (v["old"], v["new"]) for v in record["versions"]} == \
        {(r["process"], r["version"]): (r["legacy_hash"], r["content_hash"]) for r in rows}
    assert record["at"] == "2027-02-01T15:59:59.999999+00:00"  # the database's own clock


def test_a_case_can_still_be_advanced(release_db: str) -> None:
    """A case left awaiting delivery by the release is delivered after the upgrade."""
    upgrade_database(release_db)
    with opened(release_db) as engine:
        done = engine.fire("CF27-000005", "disburse", "xu.lei", data={
            "amount_fen": 60000, "photo_ref": "IMG-0202-01", "recipient_signed": True,
            "cadre_signed": True, "collected_by_recipient": True})
        assert done.case.state == "completed"
        report = verify(engine, checkpoint=release.checkpoint(), key=release.CHECKPOINT_KEY)
    assert report.ok and report.events == 2610


def test_a_changed_file_under_a_release_version_is_still_refused(release_db: str,
                                                                  tmp_path: Path) -> None:
    """The release's versions accept their unchanged files, not edited ones."""
    upgrade_database(release_db)
    folder = tmp_path / "processes"
    shutil.copytree(SHIPPED_PROCESSES, folder)
    relief = folder / "relief_application.yaml"
    relief.write_text(relief.read_text(encoding="utf-8").replace("after: 3d", "after: 4d"),
                      encoding="utf-8")
    with pytest.raises(DefinitionVersionConflict):
        open_engine(release_db, definitions=folder)


def test_a_second_upgrade_changes_nothing(release_db: str) -> None:
    """Upgrading an upgraded database applies nothing and leaves it at the head."""
    upgrade_database(release_db)
    again = upgrade_database(release_db)
    assert again.applied == [] and again.before.status == again.after.status == "current"
    engine = make_engine(resolve_url(release_db))
    try:
        assert read_state(engine).current == HEAD
    finally:
        engine.dispose()
