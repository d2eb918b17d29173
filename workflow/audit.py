"""Canonical serialisation and the hash chain of events. Pure.

Each event stores the hash of its predecessor in its case's chain
(``prev_hash``; the first event links to a genesis value derived from the
case id) and its own hash over a canonical serialisation: JSON with sorted
keys and no insignificant spaces, UTF-8, times as UTC ISO 8601 with
microseconds, decimals as strings. Changing, deleting or reordering any event
breaks the chain at that point; a checkpoint hashes the heads of all chains,
so deleting a whole case is found too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .model import Event

HASH_FIELDS = ("case_id", "seq", "at", "kind", "actor", "role", "trigger", "source", "dest",
               "data", "comment", "definition_version", "idempotency_key", "meta")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__} canonically")


def canonical_time(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime in an audited record")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


#: one encoder for every call: building one per call costs more than small events
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                            default=_default, allow_nan=False)


def canonical(value: Any) -> bytes:
    """The canonical bytes of a JSON-like value."""
    return _ENCODER.encode(value).encode("utf-8")


def genesis(case_id: str) -> str:
    """The ``prev_hash`` of a case's first event."""
    return hashlib.sha256(f"bangfu-case:{case_id}".encode()).hexdigest()


def event_body(event: Event) -> dict[str, Any]:
    return {
        "case_id": event.case_id, "seq": event.seq, "at": canonical_time(event.at),
        "kind": event.kind, "actor": event.actor, "role": event.role, "trigger": event.trigger,
        "source": event.source, "dest": event.dest, "data": event.data,
        "comment": event.comment, "definition_version": event.definition_version,
        "idempotency_key": event.idempotency_key, "meta": event.meta,
    }


def event_hash(event: Event, prev_hash: str) -> str:
    """The hash of ``event`` chained to ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" +
                          canonical(event_body(event))).hexdigest()


def heads_hash(heads: Iterable[Sequence[Any]], prev_checkpoint: str) -> str:
    """The hash of a checkpoint: every case's (id, number, last seq, last hash), sorted."""
    digest = hashlib.sha256(prev_checkpoint.encode("ascii"))
    for case_id, number, seq, head in sorted(tuple(h) for h in heads):
        digest.update(f"\n{case_id}:{number}:{seq}:{head}".encode())
    return digest.hexdigest()


def export_record(event: Event, masked: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An event as a JSON Lines record (``masked``: data with PII masked)."""
    body = event_body(event)
    if masked is not None:
        body["data"] = dict(masked)
    body["prev_hash"] = event.prev_hash
    body["hash"] = event.hash
    return body
