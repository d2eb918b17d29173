"""The demo sends its messages as its clock moves: each at the simulated time of
the event that wrote it, and no reminder after the deadline it reminds of."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

#: reminders sent after the deadline they remind of
LATE_REMINDERS = """
SELECT count(*) FROM deliveries
WHERE kind = 'reminder' AND status = 'sent'
  AND julianday(sent_at) > julianday(json_extract(context, '$.deadline'))"""

#: deliveries sent more than an hour after their outbox row (their event) was written
SENT_LATE = """
SELECT count(*) FROM deliveries d JOIN outbox o ON o.id = d.outbox_id
WHERE julianday(d.sent_at) - julianday(o.created_at) > 1.0 / 24"""


def _one(path: Path, sql: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_demo_sends_no_reminder_after_its_deadline(demo_db: Path) -> None:
    """Every reminder of the demo went out before its deadline, and reminders were sent."""
    assert _one(demo_db, LATE_REMINDERS) == 0
    assert _one(demo_db, "SELECT count(*) FROM deliveries WHERE kind = 'reminder' "
                         "AND status = 'sent'") > 0


def test_demo_sends_each_message_when_its_event_happens(demo_db: Path) -> None:
    """No message of the demo waits for the end of the campaign: each is sent within the
    hour of its event, and the first ones go out in the first week."""
    assert _one(demo_db, SENT_LATE) == 0
    assert _one(demo_db, "SELECT count(*) FROM deliveries WHERE status = 'sent' "
                         "AND sent_at < '2027-01-11'") > 0
