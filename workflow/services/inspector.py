"""The inspector's view (the pages ``/inspect/...``): a case replayed as of any
moment through the replay core of ``bangfu audit replay``, and the verification
of the whole trail of ``bangfu audit verify``. Services over an Engine.

Only for a user whose platform role grants the act: ``inspect`` for the replay,
``verify`` for the trail (the county inspection team's auditor in the shipped
org); everyone else gets ``PermissionDenied`` before anything is read, so a page
tells them nothing about which cases exist. Personal data stays masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from definitions.compile import CompiledDefinition
from definitions.errors import BangfuError
from workflow.core.authz import platform_role
from workflow.core.data import field_label, pii_kinds
from workflow.core.pii import mask_data
from workflow.core.verify import check_case
from workflow.engine import Engine
from workflow.services.inspection import checkpoint_key, replay_case, verify
from workflow.views import View, event_view, value_text


def may_inspect(engine: Engine, user: str) -> bool:
    """Whether ``user`` may open the inspector's pages (the act ``inspect``)."""
    try:
        platform_role(engine.org, engine.actor(user), "inspect")
    except BangfuError:  # PermissionDenied or UnknownUser: not an inspector
        return False
    return True


@dataclass(frozen=True, slots=True)
class Replayed:
    """A case as of a moment: its state and data then, and the whole timeline with the
    events after that moment marked."""

    number: str
    as_of: datetime | None
    state: str
    state_label: str
    version: int
    unit_path: str
    process: str
    definition_version: int
    fields: list[View]
    events: list[View]
    #: the case's whole record verifies (chain and replay); else the findings
    findings: list[str]
    created_at: datetime


def case_as_of(engine: Engine, user: str, number: str, as_of: datetime | None,
               lang: str = "zh") -> Replayed:
    """``number`` as it was at ``as_of`` (default: now), for an inspector.

    Raises:
        PermissionDenied: ``user`` may not inspect (checked first);
        CaseNotFound; AuditError: ``as_of`` is before the case was submitted.
    """
    platform_role(engine.org, engine.actor(user), "inspect")
    case = engine.get_case(number)
    then, upto = replay_case(engine, case.number, as_of)
    defn = engine.definition_for(then)
    everything = engine.store.history(case.id)
    shown = {e.seq for e in upto}
    events = [{**event_view(defn, e, lang, engine.org), "after": e.seq not in shown}
              for e in everything]
    data = mask_data(then.data, pii_kinds(defn))
    fields = [{"name": k, "label": field_label(defn, k, lang),
               "text": value_text(defn, k, v, lang)} for k, v in data.items()]
    def resolve(version: int, content_hash: str | None) -> CompiledDefinition:
        return engine.definitions.get(case.process, version)

    findings = [f.text(lang) for f in check_case(resolve, case, everything, case.number)]
    return Replayed(case.number, as_of, then.state, defn.state_label(then.state, lang),
                    then.version, engine.org.unit_path(case.unit, lang), case.process,
                    then.definition_version, fields, events, findings, case.created_at)


@dataclass(frozen=True, slots=True)
class TrailCheck:
    ok: bool
    cases: int
    events: int
    checkpoints: int
    seconds: float
    signatures_checked: bool
    findings: list[View]
    at: datetime


def check_trail(engine: Engine, user: str, lang: str = "zh") -> TrailCheck:
    """Every chain, every replay against its case, the stored definitions and the
    checkpoints (their signatures too where ``BANGFU_CHECKPOINT_KEY`` is set).

    Raises:
        PermissionDenied: ``user`` may not verify (checked first);
        FileError: the checkpoint key file cannot be read.
    """
    platform_role(engine.org, engine.actor(user), "verify")
    key = checkpoint_key()
    report = verify(engine, key=key)
    return TrailCheck(report.ok, report.cases, report.events, report.checkpoints,
                      report.seconds, key is not None,
                      [{"case": f.case, "seq": f.seq, "message": f.text(lang),
                        "link": engine.store.get_case(f.case) is not None}
                       for f in report.findings], engine.clock.now())
