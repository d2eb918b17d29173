"""A case's papers in the command path: checked against the campaign's checklist
at submission (a missing paper refused, an unknown type invalid, late receipts
noted for the event's meta) and joined to those on file when a transition
writes more. Pure: the rules are ``workflow.rules.paperwork``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from definitions.checklist import DocumentsSpec
from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from workflow.core.deadlines import TimeContext
from workflow.errors import InvalidData, MissingDocuments
from workflow.rules import paperwork as papers
from workflow.rules.family import case_values


def computed_values(data: Mapping[str, Any], time: TimeContext | None) -> dict[str, Any]:
    """What the rules compute from the case data (family size, per-capita incomes)
    for criteria and checklist conditions; empty when they cannot be computed."""
    try:
        return case_values(data, time.family_rules) if time and time.family_rules else {}
    except BangfuError:
        return {}  # the conditions then read only what the case says


def review_papers(defn: CompiledDefinition, data: Mapping[str, Any], time: TimeContext | None,
                  computed: Mapping[str, Any] | None = None
                  ) -> tuple[DocumentsSpec, papers.DocumentReview] | None:
    """The case's papers against its campaign's checklist: the checklist and the
    review (None: no checklist applies). ``computed``: ``computed_values`` of the
    data, when the caller has them already."""
    spec = getattr(getattr(time.campaign if time else None, "spec", None), "documents", None)
    if spec is None or not defn.documents_fields:
        return None
    docs = [d for n in defn.documents_fields for d in data.get(n) or ()]
    values = {**data, **(computed_values(data, time) if computed is None else computed)}
    return spec, papers.review(spec, data.get("category"), values, docs)


def check_papers(defn: CompiledDefinition, data: Mapping[str, Any], time: TimeContext | None,
                 case_ref: str | None, trigger: str, *, refuse_missing: bool,
                 computed: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """An unknown paper type is invalid data; a missing paper is refused when
    ``refuse_missing`` (submission); receipts dated outside the window come back
    as a note for the event's meta."""
    reviewed = review_papers(defn, data, time, computed)
    if reviewed is None:
        return None
    spec, found = reviewed
    if found.unknown:
        raise InvalidData([(defn.documents_fields[0], f"'{t}' is not a document type of this campaign"
                            + (f"; did you mean '{hint}'?" if hint else ""),
                            f"'{t}' 不是本活动的材料类型" + (f"；是否指 '{hint}'？" if hint else ""))
                           for t, hint in found.unknown])
    if refuse_missing and found.missing:
        raise MissingDocuments(case_ref, trigger, [(t, spec.label(t, "en"), spec.label(t))
                                                   for t in found.missing])
    window = spec.receipt_window
    if not found.outside_window or window is None:
        return None
    return {"outside_window": [dict(d) for d in found.outside_window],
            "window": [window.start.isoformat(), window.end.isoformat()]}


def merge_papers(defn: CompiledDefinition, held: Mapping[str, Any],
                 given: Mapping[str, Any]) -> Mapping[str, Any]:
    """``given`` with its document lists joined to those on file (papers handed in
    later add to the case's; ``given`` itself when it writes no documents)."""
    names = [n for n in defn.documents_fields if n in given]
    if not names:
        return given
    return {**given, **{n: papers.merge(held.get(n), given[n]) for n in names}}
