"""The database release 9dd431c made (``tests/fixtures/release_9dd431c``), loaded
fresh for a test: as a SQLite file from its SQL dump, or as a PostgreSQL schema
built by the baseline revision and filled with the same rows (the release's own
DDL there is exactly ``metadata.create_all``, which revision 0001 repeats).

``digest`` reads what an upgrade must keep, table by table, in one canonical
form on both backends, so a database before and after an upgrade, or on SQLite
and on PostgreSQL, can be compared.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SAEngine
from sqlalchemy import Integer, inspect, select, text

from storage.db import make_engine
from storage.schema import upgrade
from storage.tables import metadata

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "release_9dd431c"
DUMP = FIXTURE / "release.sql.gz"
CHECKPOINT = FIXTURE / "checkpoint.json"
#: the key the fixture's checkpoints were signed with (a test key, see its README)
CHECKPOINT_KEY = b"bangfu-upgrade-fixture-key"
#: what the release's demo wrote (the fixture's README)
COUNTS = {"cases": 300, "events": 2609, "timers": 2719, "outbox": 3157, "deliveries": 3157,
          "ledger": 538, "checkpoints": 1, "definitions": 6}
#: the tables whose every row an upgrade must keep as it was
KEPT = ("cases", "events", "timers", "outbox", "deliveries", "ledger", "checkpoints",
        "counters", "tokens")
#: the columns of release 9dd431c's definitions table (revision 0002 adds one)
RELEASE_DEFINITION_COLUMNS = ("process", "version", "content_hash", "body", "registered_at",
                              "registered_by")


def load_sqlite(path: Path) -> str:
    """The release's database as a new SQLite file at ``path``; returns the path."""
    with gzip.open(DUMP, "rt", encoding="utf-8") as f:
        script = f.read()
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
    finally:
        conn.close()
    return str(path)


def load_postgres(url: str, scratch: Path) -> str:
    """The release's database in the (empty) PostgreSQL schema of ``url``: the
    baseline's tables, the fixture's rows, the sequences past them, and no
    revision recorded, as the release left it. ``scratch``: a folder for the
    SQLite copy the rows are read from. Returns ``url``."""
    source = make_engine(f"sqlite:///{load_sqlite(scratch / 'release-source.db')}")
    target = make_engine(url)
    try:
        upgrade(target, datetime(2027, 2, 2, tzinfo=UTC), target="0001")
        released = set(inspect(source).get_table_names())
        with source.connect() as src, target.begin() as dst:
            dst.execute(text("DROP TABLE alembic_version"))
            for table in (t for t in metadata.sorted_tables if t.name in released):
                columns = [c for c in table.c if table.name != "definitions"
                           or c.name in RELEASE_DEFINITION_COLUMNS]
                rows = [dict(r._mapping) for r in src.execute(select(*columns))]
                if rows:
                    dst.execute(table.insert(), rows)
                if "id" in table.c and isinstance(table.c.id.type, Integer) and rows:
                    dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                     f"'id'), (SELECT max(id) FROM {table.name}))"))
    finally:
        source.dispose()
        target.dispose()
    return url


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def digest(engine: SAEngine) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the rows in id order) of every table in KEPT."""
    found: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for name in KEPT:
            table = metadata.tables[name]
            order = list(table.primary_key.columns)
            rows = [{k: _canonical(v) for k, v in r._mapping.items()}
                    for r in conn.execute(select(table).order_by(*order))]
            text_form = json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str)
            found[name] = (len(rows), hashlib.sha256(text_form.encode("utf-8")).hexdigest())
    return found


def release_digest(scratch: Path) -> dict[str, tuple[int, str]]:
    """``digest`` of the fixture as the release left it (read from a SQLite copy)."""
    engine = make_engine(f"sqlite:///{load_sqlite(scratch / 'release-digest.db')}")
    try:
        return digest(engine)
    finally:
        engine.dispose()


def checkpoint() -> dict[str, Any]:
    """The checkpoint the release's inspectors exported."""
    loaded: dict[str, Any] = json.loads(CHECKPOINT.read_text(encoding="utf-8"))
    return loaded
