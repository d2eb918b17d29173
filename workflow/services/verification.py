"""Verifying a printed paper by its code: does the disbursement form or notice in
an inspector's hand still match the record? Services over an Engine.

``verify_paper`` answers one of four things about a code (see
``workflow.core.paper_codes``):

- ``matches``: the case's chain head is still the one printed;
- ``changed``: events were recorded after printing; they are counted and
  labelled (when and what, never who or why), and the paper's own lines (name,
  ID, household, category, amount, state) are compared with the record now;
- ``unknown``: no case has that number and head (also a case that does not
  exist, so a code tells nothing about which cases exist), or the text is not a
  code at all;
- ``damaged``: the case's trail does not verify (an event altered, missing or
  out of order), so no paper can be checked against it until the inspection
  team has looked (``bangfu audit verify``).

What is shown is what the paper itself carries, masked: the name with its
middle hidden and the ID number's first 6 and last 4 characters; never the
phone, the comments or who acted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from definitions.compile import CompiledDefinition
from workflow.core.localtime import local
from workflow.core.model import Case, Event
from workflow.core.paper_codes import parse_code, printed_event
from workflow.core.pii import mask_id_number, mask_name
from workflow.core.replay import Resolver, replay_pinned
from workflow.core.verify import check_case
from workflow.engine import Engine
from workflow.reporting.lookups import (
    category_label,
    granted,
    paid_fen,
    personal,
    standard_fen,
)
from workflow.reporting.table import t
from workflow.views import View, event_label

Status = Literal["matches", "changed", "unknown", "damaged"]

#: what a paper states of a case, compared between printing and now: (key, zh, en)
PAPER_LINES: tuple[tuple[str, str, str], ...] = (
    ("name", "姓名", "name"), ("id_number", "身份证号", "ID number"),
    ("household_size", "家庭人口", "household size"), ("category", "困难类别", "category"),
    ("amount_fen", "金额", "amount"), ("state", "办理状态", "state"))


@dataclass(frozen=True, slots=True)
class PaperCheck:
    """The answer about one code; the case's lines only when the code was found."""

    status: Status
    code: str
    #: the text was not a code of this form at all
    malformed: bool = False
    number: str | None = None
    #: the paper's lines at printing, masked as on the paper
    printed: View = field(default_factory=dict)
    printed_seq: int | None = None
    printed_at: datetime | None = None
    #: events after printing: seq, time, what happened (no actor, no comment)
    since: list[View] = field(default_factory=list)
    #: the state now
    state_now: str | None = None
    #: labels of the paper's lines that differ from the record now
    differs: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.status in ("matches", "changed")

    def as_view(self) -> View:
        return {"status": self.status, "code": self.code, "malformed": self.malformed,
                "case": self.number, "printed": dict(self.printed),
                "printed_seq": self.printed_seq,
                "printed_at": self.printed_at.isoformat() if self.printed_at else None,
                "printed_local": local(self.printed_at) if self.printed_at else None,
                "events_since": len(self.since), "since": list(self.since),
                "state_now": self.state_now, "differs": list(self.differs)}


def paper_lines(engine: Engine, case: Case, lang: str) -> dict[str, Any]:
    """What a printed paper states of ``case``, masked as a paper shows it, with the
    labels of its category and state."""
    defn = engine.definition_for(case)
    amount = paid_fen(case) if granted(defn, case.state) else standard_fen(engine, case)
    return {"number": case.number, "unit": engine.org.unit_label(case.unit, lang),
            "name": mask_name(personal(engine, case, "name")),
            "id_number": mask_id_number(personal(engine, case, "id_number")),
            "household_size": case.data.get("household_size"),
            "category": category_label(engine, case, lang), "amount_fen": amount,
            "state": defn.state_label(case.state, lang)}


def _resolver(engine: Engine, process: str) -> Resolver:
    def resolve(version: int, content_hash: str | None) -> CompiledDefinition:
        return engine.definitions.get(process, version)
    return resolve


def _since(engine: Engine, case: Case, events: list[Event], lang: str) -> list[View]:
    defn = engine.definition_for(case)
    return [{"seq": e.seq, "at": e.at.isoformat(), "local_time": local(e.at),
             "what": event_label(defn, e, lang)} for e in events]


def verify_paper(engine: Engine, code: str, lang: str = "zh") -> PaperCheck:
    """Whether the paper printed with ``code`` still matches the record."""
    shown = " ".join(code.split())[:64]
    parsed = parse_code(code)
    if parsed is None:
        return PaperCheck("unknown", shown, malformed=True)
    case = engine.store.get_case(parsed.number)
    if case is None or case.number != parsed.number:
        return PaperCheck("unknown", parsed.code)
    events = engine.store.history(case.id)
    printed = printed_event(events, parsed.tag)
    if printed is None:
        return PaperCheck("unknown", parsed.code)
    resolve = _resolver(engine, case.process)
    if check_case(resolve, case, events, case.number):
        return PaperCheck("damaged", parsed.code, number=case.number)
    then = replay_pinned(resolve, events[:printed.seq])
    before = paper_lines(engine, then, lang)
    after = paper_lines(engine, case, lang)
    later = events[printed.seq:]
    differs = [t(lang, zh, en) for key, zh, en in PAPER_LINES if before[key] != after[key]]
    return PaperCheck("changed" if later else "matches", parsed.code, number=case.number,
                      printed=before, printed_seq=printed.seq, printed_at=printed.at,
                      since=_since(engine, case, later, lang), state_now=after["state"],
                      differs=differs)


def verdict(check: PaperCheck, lang: str = "zh") -> str:
    """The answer in one sentence, as the verification page and the CLI say it."""
    if check.status == "unknown":
        if check.malformed:
            return t(lang, "这不是有效的核验码（格式如 CF27-000001-7K3QD-9XAB2），请核对后重新输入",
                     "This is not a verification code (they look like "
                     "CF27-000001-7K3QD-9XAB2); check it and try again")
        return t(lang, "未找到：没有与该核验码对应的记录。请核对输入；若无误，该纸张不是由本系统打印的",
                 "Unknown code: no record has this code. Check what you typed; if it is "
                 "right, the paper was not printed from this system")
    if check.status == "damaged":
        return t(lang, f"无法核对：案件 {check.number} 的记录未通过完整性校验，请联系县督查组",
                 f"Cannot check: the record of case {check.number} does not verify; "
                 "tell the county inspection team")
    when = local(check.printed_at) if check.printed_at else ""
    if check.status == "matches":
        return t(lang, f"相符：与系统记录一致。案件 {check.number} 自打印时的记录（{when}，第 "
                       f"{check.printed_seq} 条）以来没有新的记录",
                 f"Matches: the paper agrees with the record. Case {check.number} has no "
                 f"event after the one it was printed at ({when}, event {check.printed_seq})")
    n = len(check.since)
    lines = t(lang, "、", ", ").join(check.differs)
    tail = t(lang, f"纸面上的{lines}与现在的记录不同", f"the paper's {lines} no longer "
             "match the record") if check.differs else t(
        lang, "纸面所列各项（姓名、身份证号、家庭人口、类别、金额、状态）仍与记录一致",
        "what the paper states (name, ID, household, category, amount, state) still "
        "matches the record")
    return t(lang, f"已变更：案件 {check.number} 自打印时（{when}，第 {check.printed_seq} 条记录）"
                   f"以来又有 {n} 条记录；{tail}",
             f"Changed since printing: case {check.number} has {n} event(s) after the one it "
             f"was printed at ({when}, event {check.printed_seq}); {tail}")
