"""Canonical serialisation and the hash chain of events. Pure.

Each event stores the hash of its predecessor in its case's chain
(``prev_hash``; the first event links to a genesis value derived from the
case id) and its own hash over a canonical serialisation: JSON with sorted
keys and no insignificant spaces, UTF-8, times as UTC ISO 8601 with
microseconds, decimals as strings. Changing, deleting or reordering any event
breaks the chain at that point; a checkpoint hashes the heads of all chains,
so deleting a whole case is found too.

The canonical bytes are defined by one ``json.JSONEncoder`` (sorted keys,
compact, ``ensure_ascii=False``). orjson writes the same bytes roughly ten
times faster for the values events are made of (strings, 64-bit integers,
booleans, None, dicts and lists, with times and decimals through the same
``default``), so ``canonical`` uses it for exactly those and the encoder for
everything else: verification re-hashes every event, and existing hashes must
still match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from workflow.core.model import Event

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
    """``when`` in UTC as ISO 8601 with microseconds (``...T01:00:00.000000+00:00``)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime in an audited record")
    utc = when if when.tzinfo is UTC else when.astimezone(UTC)
    # isoformat(timespec="microseconds") costs half as much again as isoformat(),
    # which leaves the microseconds out only when they are zero; the year always
    # has four digits, so the time of day ends at index 19.
    text = utc.isoformat()
    return text if utc.microsecond else f"{text[:19]}.000000{text[19:]}"


#: one encoder for every call: building one per call costs more than small events
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                            default=_default, allow_nan=False)

#: The types for which orjson (with the options below) writes the encoder's bytes.
#: Not floats: orjson writes 1e-7 where json writes 1e-07, and NaN as null where the
#: encoder refuses it; nor types orjson writes natively that json refuses (enums,
#: UUIDs, dataclasses) or subclasses. Integers beyond 64 bits, non-string keys and
#: lone surrogates make orjson raise, and then the encoder decides.
_ORJSON_LEAVES = frozenset({str, int, bool, type(None), datetime, Decimal})
_ORJSON_NESTED = frozenset({dict, list, tuple})
#: datetimes go to _default as in the encoder (orjson's own format differs)
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
#: deeper values are left to the encoder (orjson stops at 255 levels)
_ORJSON_DEPTH = 32


def _orjson_exact(container: Any, depth: int = 0) -> bool:
    """Whether everything inside a dict, list or tuple is of a type in _ORJSON_LEAVES."""
    for item in container.values() if type(container) is dict else container:
        kind = type(item)
        if kind in _ORJSON_LEAVES:
            continue
        # (most events have empty data or meta: no call for those)
        if kind in _ORJSON_NESTED and (not item or depth < _ORJSON_DEPTH and
                                       _orjson_exact(item, depth + 1)):
            continue
        return False
    return True


def reference_canonical(value: Any) -> bytes:
    """The canonical bytes as the json encoder writes them: the definition that
    ``canonical`` reproduces faster."""
    return _ENCODER.encode(value).encode("utf-8")


def canonical(value: Any) -> bytes:
    """The canonical bytes of a JSON-like value (what ``reference_canonical`` gives,
    or raises)."""
    kind = type(value)
    if kind in _ORJSON_LEAVES or (kind in _ORJSON_NESTED and _orjson_exact(value)):
        try:
            return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # the encoder writes it its own way, or raises its own error
    return reference_canonical(value)


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


def checkpoint_hash(heads: Iterable[Sequence[Any]], prev_checkpoint: str, *, at: datetime,
                    cases: int, events: int, made_by: str) -> str:
    """The hash of a checkpoint over every field it states: when, by whom, how many
    cases and events, and every case's (id, number, last seq, last hash), sorted;
    chained to the previous checkpoint's hash."""
    digest = hashlib.sha256(prev_checkpoint.encode("ascii"))
    digest.update(canonical({"at": canonical_time(at), "cases": cases, "events": events,
                             "made_by": made_by}))
    for case_id, number, seq, head in sorted(tuple(h) for h in heads):
        digest.update(f"\n{case_id}:{number}:{seq}:{head}".encode())
    return digest.hexdigest()


def checkpoint_signature(digest: str, key: bytes) -> str:
    """HMAC-SHA256 of a checkpoint's hash with a key the database does not hold."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


def export_record(event: Event, masked: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An event as a JSON Lines record (``masked``: data with PII masked)."""
    body = event_body(event)
    if masked is not None:
        body["data"] = dict(masked)
    body["prev_hash"] = event.prev_hash
    body["hash"] = event.hash
    return body
