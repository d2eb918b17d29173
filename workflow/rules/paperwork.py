"""The papers of a case against its campaign's checklist. Pure.

A ``documents`` field holds a list of references, each ``{"type": ...,
"ref": ..., "date": "YYYY-MM-DD"}``: what kind of paper it is (a type of the
campaign's ``documents:``), where the scan or the filed original is (a file
name, an archive number), and the date on it. Text (the CLI, spreadsheets)
writes them as ``type=ref@date`` separated by ``;`` or new lines.

``review`` answers, for a category and the case data, which papers are
required and which of them are missing, which types are unknown, and which
receipts are dated outside the receipt window. Submission refuses a missing
paper (naming it); a receipt outside the window is flagged for the
reviewers, not refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

from definitions.checklist import DocumentsSpec
from workflow.rules._evaluate import holds

#: the keys of one document reference
KEYS = ("type", "ref", "date")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def problems_of(value: Any) -> tuple[str, str] | None:
    """Why ``value`` is not a list of document references (en, zh), or None."""
    if not isinstance(value, list | tuple):
        return ("must be a list of documents (type, ref, date)", "应为材料清单（类型、文件编号、日期）")
    for i, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or len(item) != 3 or not all(k in item for k in KEYS):
            return (f"document {i} must have exactly the keys type, ref and date",
                    f"第 {i} 份材料须有且只有 type、ref、date 三项")
        kind, ref, day = item["type"], item["ref"], item["date"]
        if not (isinstance(kind, str) and isinstance(ref, str) and isinstance(day, str)
                and kind.strip() and ref.strip()):
            return (f"document {i}: type, ref and date must be non-empty text",
                    f"第 {i} 份材料的类型、文件编号、日期均不能为空")
        if not _ISO_DATE.fullmatch(day) or _not_a_day(day):
            return (f"document {i}: '{day}' is not a date like 2027-01-06",
                    f"第 {i} 份材料的日期 '{day}' 格式不对，应如 2027-01-06")
        if len(ref) > 200:
            return (f"document {i}: the reference is longer than 200 characters",
                    f"第 {i} 份材料的文件编号超过 200 个字符")
    return None


@lru_cache(maxsize=4096)
def _not_a_day(text: str) -> bool:
    # a batch of papers shares a handful of dates: parse each once
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return True
    return False


def parse_text(text: str) -> list[dict[str, str]]:
    """``type=ref@date; type=ref@date`` (or one per line) as document references.

    Raises:
        ValueError: an entry is not ``type=ref@date`` (the message names it).
    """
    out: list[dict[str, str]] = []
    for raw in text.replace("\n", ";").replace("；", ";").split(";"):
        entry = raw.strip()
        if not entry:
            continue
        kind, eq, rest = entry.partition("=")
        ref, at, day = rest.rpartition("@")
        if not eq or not at or not kind.strip() or not ref.strip() or not day.strip():
            raise ValueError(entry)
        out.append({"type": kind.strip(), "ref": ref.strip(), "date": day.strip()})
    return out


def merge(old: Sequence[Mapping[str, str]] | None,
          new: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Papers handed in later join those on file; the same (type, ref) again
    replaces its earlier entry (a corrected date) instead of counting twice."""
    merged: dict[tuple[str, str], dict[str, str]] = {
        (d["type"], d["ref"]): dict(d) for d in old or ()}
    for d in new:
        merged[(d["type"], d["ref"])] = dict(d)
    return list(merged.values())


@dataclass(frozen=True, slots=True)
class DocumentReview:
    """The checklist of one case: required types in checklist order, those missing,
    references of unknown types (with a suggestion), receipts outside the window."""

    required: tuple[str, ...]
    missing: tuple[str, ...]
    unknown: tuple[tuple[str, str | None], ...]
    outside_window: tuple[Mapping[str, str], ...]


def required_types(spec: DocumentsSpec, category: str | None,
                   values: Mapping[str, Any]) -> tuple[str, ...]:
    """The types a case of ``category`` with these values needs, in checklist order."""
    out: list[str] = []
    for req in spec.required:
        if req.categories and category not in req.categories:
            continue
        if req.when is not None and not holds(req.when, values):
            continue
        if req.document not in out:
            out.append(req.document)
    return tuple(out)


def review(spec: DocumentsSpec, category: str | None, values: Mapping[str, Any],
           documents: Sequence[Mapping[str, str]] | None) -> DocumentReview:
    """Check the case's papers against the checklist (``values``: the case data
    plus what the rules compute, as criteria read them)."""
    docs = list(documents or ())
    required = required_types(spec, category, values)
    have = {d["type"] for d in docs}
    unknown = tuple((d["type"], next(iter(get_close_matches(d["type"], list(spec.types), n=1)),
                                     None))
                    for d in docs if d["type"] not in spec.types)
    window = spec.receipt_window
    outside: tuple[Mapping[str, str], ...] = ()
    if window is not None:
        outside = tuple(
            d for d in docs
            if d["type"] in spec.types and spec.types[d["type"]].receipt
            and not window.start <= dt.date.fromisoformat(d["date"]) <= window.end)
    return DocumentReview(required, tuple(t for t in required if t not in have), unknown,
                          outside)
