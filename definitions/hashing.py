"""The content hash of a process definition, and the release's hash it replaced. Pure.

A version's content hash is SHA-256 over a canonical JSON form of **what its
file says**: the mapping the YAML loads to, keys sorted, UTF-8, no spaces.
Comments, layout and key order do not count; defaults the code fills in do
not either, so a new default in a later Bangfu leaves the hash of an
unchanged file as it was, and a stored version is never invalidated by an
upgrade. The stored body of a version is that same mapping, so the hash can
be recomputed from the database alone (``bangfu audit verify`` does).

``legacy_body_hash`` is the hash of release 9dd431c, over the parsed model
with its defaults (``model_dump``). It is kept, frozen, only to check the
versions that release stored: revision 0002 recomputes it from each stored
body, refuses a body that no longer matches, and records the mapping old hash
→ new hash; cases and events pinned to an old hash are accepted through that
recorded mapping (``CompiledDefinition.legacy_hashes``). Never change it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

__all__ = ["canonical_source", "legacy_body_hash", "source_hash"]

#: transition keys release 9dd431c left out of its hash while unset
_LEGACY_LATER_TRANSITION_KEYS = ("instalment",)


def canonical_source(data: Any) -> Any:
    """``data`` (as YAML loaded it) as plain JSON values: mappings with text keys,
    lists, text, numbers, booleans and null; dates and times as ISO text.

    Raises:
        TypeError: a value JSON cannot hold.
    """
    if isinstance(data, Mapping):
        return {str(k): canonical_source(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [canonical_source(v) for v in data]
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, datetime | date | time):
        return data.isoformat()
    raise TypeError(f"a definition cannot hold a {type(data).__name__} value")


def _canonical_text(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), allow_nan=False).encode("utf-8")


def source_hash(data: Any) -> str:
    """The content hash of what a definition file says (see the module docstring)."""
    return hashlib.sha256(_canonical_text(canonical_source(data))).hexdigest()


def legacy_body_hash(body: Mapping[str, Any]) -> str:
    """Release 9dd431c's content hash of a stored body (its ``model_dump``), with the
    keys that release left out while unset left out. Frozen: see the module docstring."""
    dump = json.loads(json.dumps(body))
    submit = dump.get("submit")
    if isinstance(submit, dict) and not submit.get("writes"):
        submit.pop("writes", None)
    for transition in dump.get("transitions", ()):
        for key in _LEGACY_LATER_TRANSITION_KEYS:
            if transition.get(key) is None:
                transition.pop(key, None)
    text = json.dumps(dump, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
