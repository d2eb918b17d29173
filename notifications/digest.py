"""The daily digest: one message per reviewer listing their queue and upcoming
deadlines. Shell code (reads cases and timers through the engine).

A reviewer's queue is every open case whose current state's responsible role
they hold and whose unit they reach: the people ``entry_messages`` tells when
a case enters a state. When that queue is longer than the digest's
``per_case_limit``, per-case "waiting" messages are folded into the digest
instead of being sent one by one (the dispatcher asks ``queue_sizes``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifications.config import Digest
from workflow.clock import local
from workflow.core.deadlines import timer_spec
from workflow.core.model import Case
from workflow.core.recipients import responsible
from workflow.engine import Deadline, Engine


def queues(engine: Engine) -> dict[str, list[Case]]:
    """User id → open cases waiting for them, oldest update first."""
    states: dict[str, set[str]] = defaultdict(set)
    for defn in engine.definitions:
        states[defn.process] |= {s.id for s in defn.spec.states
                                 if not s.final and s.responsible}
    out: dict[str, list[Case]] = defaultdict(list)
    for process, names in states.items():
        for case in engine.store.list_cases(process=process, states=sorted(names)):
            defn = engine.definition_for(case)
            for user in responsible(defn, engine.org, case):
                out[user].append(case)
    for cases in out.values():
        cases.sort(key=lambda c: (c.updated_at, c.number))
    return dict(out)


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """One reviewer's digest: per language, the template context."""

    user: str
    day: str
    contexts: Mapping[str, Mapping[str, Any]]


def _deadline_label(engine: Engine, d: Deadline, lang: str) -> str:
    spec = timer_spec(engine.definition_for(d.case), d.timer)
    return spec.labels.get(lang) if spec is not None and spec.labels else d.timer


def plan_digests(engine: Engine, digest: Digest, now: datetime,
                 langs: tuple[str, ...]) -> list[DigestPlan]:
    """Today's digest of every reviewer with at least ``min_queue`` cases waiting."""
    day = now.astimezone(digest.tz).date().isoformat()
    by_user = queues(engine)
    earliest: dict[str, Deadline] = {}
    for d in engine.deadlines():
        if d.case.id not in earliest:
            earliest[d.case.id] = d
    soon = now + digest.horizon
    plans: list[DigestPlan] = []
    for user in sorted(by_user):
        cases = by_user[user]
        if len(cases) < digest.min_queue:
            continue
        ordered = sorted(cases, key=lambda c: (
            earliest[c.id].deadline_at if c.id in earliest else datetime.max.replace(
                tzinfo=now.tzinfo), c.number))
        contexts: dict[str, dict[str, Any]] = {}
        for lang in langs:
            items = []
            for case in ordered[:digest.max_items]:
                defn = engine.definition_for(case)
                first = earliest.get(case.id)
                items.append({"case": case.number,
                              "unit_label": engine.org.unit_label(case.unit, lang),
                              "state_label": defn.state_label(case.state, lang),
                              "since": local(case.state_entered_at),
                              "deadline": local(first.deadline_at) if first else None,
                              "overdue": bool(first and first.deadline_at < now)})
            upcoming = [{"case": e.case.number, "label": _deadline_label(engine, e, lang),
                         "deadline": local(e.deadline_at), "overdue": e.deadline_at < now}
                        for c in ordered if (e := earliest.get(c.id)) is not None
                        and e.deadline_at <= soon][:digest.max_items]
            contexts[lang] = {
                "date": day, "as_of": local(now), "total": len(cases),
                "overdue": sum(1 for c in cases if c.id in earliest
                               and earliest[c.id].deadline_at < now),
                "items": items, "more": max(0, len(cases) - digest.max_items),
                "deadlines": upcoming}
        plans.append(DigestPlan(user, day, contexts))
    return plans
