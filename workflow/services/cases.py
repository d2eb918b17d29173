"""Use cases on cases: submit, advance, show, list (paged, with a total), history,
queue. One function each, taking the acting user and returning views. Services
over an Engine: no rules (the core decides), no SQL (the store reads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.core.authz import may_read, platform_role, standing_in
from workflow.core.model import Case, CommandResult
from workflow.engine import Engine
from workflow.errors import CaseNotFound, InvalidData, UsageError, UserRequired
from workflow.views import (
    View,
    case_view,
    event_view,
    field_rows,
    list_cells,
    option_view,
    papers_view,
    result_view,
    timer_view,
)


def submit(engine: Engine, user: str, process: str, *, text: Mapping[str, str] | None = None,
           papers: Sequence[str] = (), unit: str | None = None, comment: str | None = None,
           key: str | None = None, campaign: str | None = None) -> CommandResult:
    """Open a case of ``process`` as ``user`` from ``name=value`` texts and papers."""
    return engine.submit(process, user, text=text or {}, papers=papers, unit=unit,
                         comment=comment, idempotency_key=key, campaign=campaign)


def advance(engine: Engine, user: str, case: str, trigger: str, *,
            text: Mapping[str, str] | None = None, papers: Sequence[str] = (),
            comment: str | None = None, expect_version: int | None = None,
            key: str | None = None) -> CommandResult:
    """Fire ``trigger`` on ``case`` as ``user``: the case is read once and written
    in one transaction."""
    return engine.fire(case, trigger, user, text=text or {}, papers=papers, comment=comment,
                       expected_version=expect_version, idempotency_key=key)


def show(engine: Engine, user: str | None, ref: str, lang: str, *,
         reveal: bool = False, reason: str | None = None) -> View:
    """The case, its papers, timers and what ``user`` may do now (and why not the rest).
    With ``reveal``, the full ID and phone numbers too: the reveal is an event of the
    case (who, when, the ``reason``).

    Raises:
        CaseNotFound; PermissionDenied: ``reveal`` without a user who may see the
            case's personal data (or with a declared relation); CommentRequired:
            ``reveal`` without a reason.
    """
    case = engine.get_case(ref)
    if reveal:
        if not user:
            raise UserRequired("--reveal needs --as USER with jurisdiction over the case",
                               "--reveal 需要用 --as 指明对该案件有管辖权的用户")
        case = engine.reveal(case.id, user, reason)
    defn = engine.definition_for(case)
    info = case_view(engine, case, lang, reveal)
    info["viewer"] = user
    info["fields"] = field_rows(defn, info["data"], lang)
    info["timers"] = [timer_view(defn, t, lang) for t in engine.store.timers(case.id)]
    papers = papers_view(engine, case, lang)
    if papers is not None:
        info["documents_check"] = papers
    info["options"] = [option_view(o) for o in engine.options(case, user, lang)] if user else []
    return info


def options(engine: Engine, user: str, ref: str, lang: str) -> View:
    """What ``user`` may fire on the case now, and why not the rest, with the case's
    state and version (to send back as the expected version)."""
    case = engine.get_case(ref)
    defn = engine.definition_for(case)
    return {"case": case.number, "state": case.state,
            "state_label": defn.state_label(case.state, lang), "version": case.version,
            "user": user, "options": [option_view(o) for o in engine.options(case, user, lang)]}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: the rows, the total matching, and where the page starts."""

    rows: list[View]
    cells: list[View]
    total: int
    offset: int
    limit: int


def _check_unit(engine: Engine, unit: str | None) -> None:
    if unit and unit not in engine.org.units:
        raise InvalidData([("unit", f"unknown unit '{unit}'", f"未知的单位 '{unit}'")])


def list_cases(engine: Engine, lang: str, *, process: str | None = None,
               states: Sequence[str] | None = None, unit: str | None = None,
               limit: int = 200, offset: int = 0) -> Page:
    """Cases by process, states and a unit's subtree, oldest first, one page of them."""
    _check_unit(engine, unit)
    found = engine.list_cases(process=process, states=states, unit=unit)
    page = found[offset:offset + limit]
    return Page([case_view(engine, c, lang) for c in page],
                [list_cells(engine, c, lang) for c in page], len(found), offset, limit)


def history(engine: Engine, ref: str, lang: str) -> tuple[Case, list[View]]:
    """The case and its events, masked."""
    case = engine.get_case(ref)
    defn = engine.definition_for(case)
    return case, [event_view(defn, e, lang, engine.org) for e in engine.history(case.id)]


def queue(engine: Engine, user: str, lang: str) -> Page:
    """The cases on which ``user`` can act now, with what they can do."""
    items = engine.queue(user, lang)
    rows: list[View] = []
    cells: list[View] = []
    for case, opts in items:
        can = ", ".join(o.trigger for o in opts)
        rows.append({**case_view(engine, case, lang), "can": can})
        cells.append({**list_cells(engine, case, lang), "can": can})
    return Page(rows, cells, len(items), 0, len(items))


def result(engine: Engine, res: CommandResult, lang: str) -> dict[str, Any]:
    """The answer of a command as a view."""
    return result_view(engine, res, lang)


# -- reads as one user (the HTTP API's; deny by default) ------------------------------


def readable(engine: Engine, user: str, ref: str) -> Case:
    """The case, if ``user`` may read it.

    Raises:
        UnknownUser; CaseNotFound: no such case, or one ``user`` may not read (its
            existence is not told to those outside its units).
    """
    actor = engine.actor(user)
    case = engine.get_case(ref)
    if not may_read(engine.definition_for(case), engine.org, case, actor, engine.clock.now()):
        raise CaseNotFound(ref)
    return case


def list_readable(engine: Engine, user: str, lang: str, *, process: str | None = None,
                  states: Sequence[str] | None = None, unit: str | None = None,
                  limit: int = 50, offset: int = 0) -> Page:
    """The cases ``user`` may read (in ``unit``'s subtree, if given), oldest first, one
    page of them, with the total."""
    _check_unit(engine, unit)
    actor = engine.actor(user)
    now = engine.clock.now()
    roots = [actor.unit, *(who.unit for _, who in standing_in(engine.org, actor, now))]
    units = sorted({u for root in roots if root in engine.org.units
                    for u in engine.subtree(root)})
    if unit is not None:
        units = [u for u in units if engine.org.in_subtree(u, unit)]
    found = [c for c in engine.store.list_cases(process=process, states=states, units=units)
             if may_read(engine.definition_for(c), engine.org, c, actor, now)] if units else []
    seen = {c.id for c in found}
    found += [c for c in engine.store.list_cases(process=process, states=states,
                                                 applicant_user=actor.id)
              if c.id not in seen and (unit is None or engine.org.in_subtree(c.unit, unit))]
    found.sort(key=lambda c: (c.created_at, c.number))
    page = found[offset:offset + limit]
    return Page([case_view(engine, c, lang) for c in page],
                [list_cells(engine, c, lang) for c in page], len(found), offset, limit)


def require_inspector(engine: Engine, user: str) -> None:
    """Raises PermissionDenied unless ``user`` holds a platform role granting ``verify``
    (the auditor of the county's inspection team)."""
    platform_role(engine.org, engine.actor(user), "verify")


def object_publicly(engine: Engine, ref: str, reason: str,
                    contact: str | None = None) -> CommandResult:
    """An objection from the public to a household on a notice: fired as the trigger a
    role open to anyone may fire from the case's state, by an org user holding it.

    Raises:
        CaseNotFound: no such case, or one never put on a notice (not public);
        UsageError: the org has no public account; or the refusals of ``fire``.
    """
    from workflow.reporting.lists import NOTICE_STATE

    case = engine.get_case(ref)
    if NOTICE_STATE not in case.first_entered:
        raise CaseNotFound(ref)
    defn = engine.definition_for(case)
    public_roles = {r for r, spec in defn.spec.roles.items() if spec.scope == "anyone"}
    triggers = [t for t in defn.spec.transitions
                if case.state in t.source and public_roles & set(t.roles)]
    account = next((u for u, spec in engine.org.users.items()
                    if public_roles & set(spec.roles)), None)
    if not triggers or account is None:
        raise UsageError(f"case '{case.number}' takes no objection from the public now",
                         f"案件 '{case.number}' 当前不接受群众异议")
    comment = reason + (f"（联系方式：{contact}）" if contact else "")
    return engine.fire(case.id, triggers[0].trigger, account, comment=comment)
