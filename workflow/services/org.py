"""Use cases of the organisation: its units and users as a view, role labels, a
changed org file, and substitutes (a reviewer on leave names one for a period: named,
listed, ended early). Services over an Engine; the rules are the pure core's
(``workflow.core.substitutes``, ``workflow.core.authz``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from definitions.loader import load_yaml_file, load_yaml_text
from definitions.org import PLATFORM_ROLES, Org, build_org
from workflow.core.authz import platform_role
from workflow.core.localtime import LOCAL_TZ, local
from workflow.core.model import Actor
from workflow.core.pii import mask_text
from workflow.core.substitutes import STATUS_LABELS, check_end, check_new, period, status
from workflow.engine import Engine
from workflow.errors import PermissionDenied, SubstitutionRefused


def org_view(engine: Engine, lang: str = "zh") -> dict[str, Any]:
    """The units and the users (no phone, e-mail or declared relation), with the path of
    each user's unit and the labels of their roles."""
    org = engine.org
    return {"units": [u.model_dump() for u in org.spec.units],
            "users": [{"id": u.id, "name": u.name, "unit": u.unit, "roles": list(u.roles),
                       "unit_path": org.unit_path(u.unit, lang),
                       "role_labels": [role_label(engine, r, lang) for r in u.roles]}
                      for u in org.spec.users]}


def org_view_as(engine: Engine, user: str, lang: str) -> dict[str, Any]:
    """``org_view`` for ``user``, who needs a platform role granting ``org_view``."""
    platform_role(engine.org, engine.actor(user), "org_view")
    return org_view(engine, lang)


def role_label(engine: Engine, role: str, lang: str) -> str:
    """A role's label from the definitions that declare it, or the platform's."""
    if role in PLATFORM_ROLES:
        return str(PLATFORM_ROLES[role][0].get(lang, role))
    for defn in engine.definitions:
        if role in defn.spec.roles:
            return str(defn.role_label(role, lang))
    return role


# -- changing the org ----------------------------------------------------------------


def org_changes(old: Org, new: Org, lang: str = "zh") -> list[dict[str, Any]]:
    """What ``new`` changes of ``old``: units and users added, removed or changed (their
    unit, roles, name, declared relations), each as a view with a sentence."""
    zh = lang.startswith("zh")
    out: list[dict[str, Any]] = []

    def add(kind: str, ident: str, change: str, text_zh: str, text_en: str) -> None:
        out.append({"kind": kind, "id": ident, "change": change,
                    "text": text_zh if zh else text_en})

    for uid in sorted(set(new.units) - set(old.units)):
        add("unit", uid, "added", f"新增单位 {uid}（{new.unit_label(uid)}）",
            f"unit {uid} added")
    for uid in sorted(set(old.units) - set(new.units)):
        add("unit", uid, "removed", f"撤销单位 {uid}", f"unit {uid} removed")
    for uid in sorted(set(old.units) & set(new.units)):
        a, b = old.units[uid], new.units[uid]
        if (a.parent, a.kind, tuple(a.first_responsible)) != \
                (b.parent, b.kind, tuple(b.first_responsible)):
            add("unit", uid, "changed", f"单位 {uid} 的上级、类型或第一责任人有变化",
                f"unit {uid}: parent, kind or first responsible persons changed")
    for user in sorted(set(new.users) - set(old.users)):
        person = new.users[user]
        add("user", user, "added",
            f"新增用户 {user}（{person.name}，{person.unit}，{'、'.join(person.roles)}）",
            f"user {user} added ({person.unit}, {', '.join(person.roles)})")
    for user in sorted(set(old.users) - set(new.users)):
        add("user", user, "removed", f"停用用户 {user}（过去的记录仍保留其姓名和编号）",
            f"user {user} deactivated (past events keep who acted)")
    for user in sorted(set(old.users) & set(new.users)):
        was, now = old.users[user], new.users[user]
        if was.unit != now.unit:
            add("user", user, "changed", f"用户 {user} 调动：{was.unit} → {now.unit}",
                f"user {user} moves: {was.unit} → {now.unit}")
        if tuple(was.roles) != tuple(now.roles):
            add("user", user, "changed", f"用户 {user} 的角色：{'、'.join(was.roles)} → "
                f"{'、'.join(now.roles)}", f"user {user} roles: {', '.join(was.roles)} → "
                f"{', '.join(now.roles)}")
        if old.relations.get(user, frozenset()) != new.relations.get(user, frozenset()):
            n_old, n_new = len(old.relations.get(user, ())), len(new.relations.get(user, ()))
            add("user", user, "changed", f"用户 {user} 申报的亲属关系：{n_old} → {n_new} 项",
                f"user {user} declared relations: {n_old} → {n_new}")
        if was.name != now.name:
            add("user", user, "changed", f"用户 {user} 改名：{was.name} → {now.name}",
                f"user {user} renamed: {was.name} → {now.name}")
    return out


def load_org(engine: Engine, user: str, path: Path, lang: str = "zh", *,
             dry_run: bool = False) -> list[dict[str, Any]]:
    """Replace the registered org with the file at ``path``, as ``user`` (a platform
    role granting ``org``): see ``load_org_text``.

    Raises:
        UnknownUser, PermissionDenied; DefinitionInvalid: the file, every problem.
    """
    platform_role(engine.org, engine.actor(user), "org")
    _, _, text = load_yaml_file(path)
    return load_org_text(engine, user, text, str(path), lang, dry_run=dry_run)


def load_org_text(engine: Engine, user: str, text: str, source: str, lang: str = "zh", *,
                  dry_run: bool = False) -> list[dict[str, Any]]:
    """Replace the registered org with the org file ``text`` (named ``source`` in
    problems and in the history), as ``user`` (a platform role granting ``org``):
    checked whole first, the changes listed, then stored with who and when in the
    org's history. Returns the changes (none applied with ``dry_run``).

    Raises:
        UnknownUser, PermissionDenied; DefinitionInvalid: the text, every problem.
    """
    actor = engine.actor(user)
    platform_role(engine.org, actor, "org")
    data, lines = load_yaml_text(text, source)
    roles = {r for d in engine.definitions for r in d.spec.roles}
    new = build_org(data, lines, source, roles)
    changes = org_changes(engine.org, new, lang)
    if dry_run or not changes:
        return changes
    engine.sync_clock()
    now = engine.clock.now()
    history = json.loads(engine.store.get_meta("org_history") or "[]")
    history.append({"at": now.isoformat(), "by": actor.id, "operator": engine.operator,
                    "source": source, "changes": [c["text"] for c in
                                                  org_changes(engine.org, new, "en")]})
    engine.store.set_meta("org_yaml", text)
    engine.store.set_meta("org_json", json.dumps(data, ensure_ascii=False, default=str))
    engine.store.set_meta("org_source", source)
    engine.store.set_meta("org_history", json.dumps(history, ensure_ascii=False))
    engine.org = new
    return changes


# -- substitutes -------------------------------------------------------------------


def _staff_roles(engine: Engine) -> set[str]:
    return {r for d in engine.definitions for r, spec in d.spec.roles.items()
            if spec.scope == "jurisdiction"}


def period_bounds(engine: Engine, starts: str, ends: str) -> tuple[datetime, datetime]:
    """The period ``--from``/``--to`` say: a time with its zone as typed, or a date: from
    its local midnight (today's: from now) to the end of the ``--to`` day.

    Raises:
        ClockError: not a time or a date.
    """
    from workflow.services.time import parse_time

    now = engine.clock.now()
    begin, end = parse_time(starts), parse_time(ends)
    if len(starts.strip()) == 10 and begin.date() == now.astimezone(LOCAL_TZ).date():
        begin = now
    if len(ends.strip()) == 10:
        end += timedelta(days=1)
    return begin.astimezone(UTC), end.astimezone(UTC)


def _may_manage(engine: Engine, actor: Actor, row: Mapping[str, Any], act: str) -> None:
    """The reviewer names (and, like the substitute, ends) their own substitute; anyone
    else needs a platform role granting ``org`` (the administrator)."""
    own = actor.id == row["reviewer"] or (act == "end" and actor.id == row["substitute"])
    if not own:
        try:
            platform_role(engine.org, actor, "org")
        except PermissionDenied:
            raise PermissionDenied(
                "role", f"user '{actor.id}' may not {act} a substitute for '{row['reviewer']}': "
                "only the reviewer themselves, the substitute (to end it) or an administrator "
                "may", f"用户 '{actor.id}' 无权为 '{row['reviewer']}' "
                f"{'指定' if act == 'name' else '结束'}代理人：只有本人、代理人（结束时）或系统管理员可以"
            ) from None


def substitute_view(engine: Engine, row: Mapping[str, Any], lang: str = "zh") -> dict[str, Any]:
    """A period as shown: the people, its span in local time, its state at the clock."""
    sub = period(row)
    state = status(sub, engine.clock.now(), row["ended_at"] is not None)
    zh, en = STATUS_LABELS[state]
    names = {u: (engine.org.users[u].name if u in engine.org.users else u)
             for u in (row["reviewer"], row["substitute"])}
    return {"id": row["id"], "reviewer": row["reviewer"], "reviewer_name": names[row["reviewer"]],
            "substitute": row["substitute"], "substitute_name": names[row["substitute"]],
            "from": local(row["starts_at"]), "to": local(row["ends_at"]),
            "starts_at": row["starts_at"].isoformat(), "ends_at": row["ends_at"].isoformat(),
            "state": state, "state_label": zh if lang.startswith("zh") else en,
            "reason": mask_text(row["reason"]), "created_by": row["created_by"],
            "created_at": local(row["created_at"]),
            "ended_at": local(row["ended_at"]) if row["ended_at"] else None,
            "ended_by": row["ended_by"],
            "end_reason": mask_text(row["end_reason"]) if row["end_reason"] else None}


def add_substitute(engine: Engine, user: str, reviewer: str, substitute: str, starts: str,
                   ends: str, reason: str | None, lang: str = "zh") -> dict[str, Any]:
    """Record that ``substitute`` stands in for ``reviewer`` from ``starts`` to ``ends``,
    as ``user`` (the reviewer or an administrator); checked against the periods already
    recorded in the same transaction.

    Raises:
        UnknownUser, PermissionDenied, ClockError; SubstitutionRefused: a rule of
            ``workflow.core.substitutes``.
    """
    actor, principal, stand_in = (engine.actor(u) for u in (user, reviewer, substitute))
    _may_manage(engine, actor, {"reviewer": principal.id, "substitute": stand_in.id}, "name")
    engine.sync_clock()
    begin, end = period_bounds(engine, starts, ends)
    now = engine.clock.now()
    with engine.store.unit_of_work() as uow:
        existing = [period(r) for u in {principal.id, stand_in.id}
                    for r in uow.substitution_rows(u)]
        check_new(principal, stand_in, begin, end, reason or "", now, existing,
                  _staff_roles(engine))
        ident = uow.add_substitution(
            reviewer=principal.id, substitute=stand_in.id, starts_at=begin, ends_at=end,
            reason=(reason or "").strip(), created_at=now, created_by=actor.id,
            operator=engine.operator)
        (row,) = uow.substitution_rows(ident=ident)
    return substitute_view(engine, row, lang)


def list_substitutes(engine: Engine, user: str | None, lang: str = "zh", *,
                     of: str | None = None) -> list[dict[str, Any]]:
    """The recorded periods (of ``of``, as reviewer or substitute). Read as ``user``:
    their own periods, unless a platform role of theirs grants ``org`` or they read
    every case (the inspectors); without ``user``, the console operator's: all."""
    if user is not None:
        actor = engine.actor(user)
        sees_all = any(act in PLATFORM_ROLES[r][1] for r in actor.roles
                       if r in PLATFORM_ROLES for act in ("org", "verify"))
        if not sees_all:
            if of is not None and of != actor.id:
                raise PermissionDenied(
                    "role", f"user '{actor.id}' may list only their own substitutes",
                    f"用户 '{actor.id}' 只能查看本人的代理记录")
            of = actor.id
    if of is not None:
        engine.actor(of)
    return [substitute_view(engine, r, lang) for r in engine.store.substitution_rows(of)]


def end_substitute(engine: Engine, user: str, ident: int, reason: str | None = None,
                   lang: str = "zh") -> dict[str, Any]:
    """End a period now (before it began: it never runs), as the reviewer, the
    substitute or an administrator.

    Raises:
        UnknownUser, PermissionDenied; SubstitutionRefused: no such period, or one over.
    """
    actor = engine.actor(user)
    engine.sync_clock()
    now = engine.clock.now()
    with engine.store.unit_of_work() as uow:
        found = uow.substitution_rows(ident=ident)
        if not found:
            raise SubstitutionRefused(f"there is no substitution {ident}",
                                      f"没有编号为 {ident} 的代理记录")
        _may_manage(engine, actor, found[0], "end")
        check_end(period(found[0]), now, found[0]["ended_at"] is not None)
        uow.end_substitution(ident, now, actor.id, reason.strip() if reason else None)
        (row,) = uow.substitution_rows(ident=ident)
    return substitute_view(engine, row, lang)
