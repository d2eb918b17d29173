"""Use cases of the organisation: its units and users as a view, role labels.
Services over an Engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from definitions.loader import load_yaml_file, load_yaml_text
from definitions.org import PLATFORM_ROLES, Org, build_org
from workflow.core.authz import platform_role
from workflow.engine import Engine


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
