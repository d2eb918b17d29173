"""Who may do what: roles, jurisdiction, separation of duties, conflicts of
interest, substitutes. Pure.

Deny by default: a transition names the roles that may fire it, and nothing
else may. A role's ``scope`` in the definition decides which cases it reaches:
``jurisdiction`` (the case's unit lies in the user's subtree), ``own`` (the
user applied for the case) or ``anyone``. The built-in ``system`` role (timers)
reaches every case.

A substitute (``Actor.substitutions``) acts, only inside the period, in the
units of the reviewer on leave with the reviewer's process roles (never their
platform roles, never their own applications, never the reviewer's own
substitutions: a substitute cannot substitute further). Both people count:
separation of duties and declared relations of either one refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from definitions.compile import CompiledDefinition
from definitions.org import PLATFORM_ACTS, PLATFORM_ROLES, Org
from definitions.schema import TransitionSpec
from workflow.core.localtime import local
from workflow.core.model import SYSTEM, Actor, Case, Substitution
from workflow.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class Grant:
    """The role an actor acts in, and for whom when they substitute (``on_behalf_of``
    and the period's id), or None when they act in their own right."""

    role: str
    on_behalf_of: str | None = None
    substitution: int | None = None

    @property
    def meta(self) -> dict[str, object]:
        """What the event records of it (in its meta, so the hash chain covers it)."""
        if self.on_behalf_of is None:
            return {}
        return {"on_behalf_of": self.on_behalf_of, "substitution": self.substitution}


def principal(org: Org, sub: Substitution) -> Actor | None:
    """The reviewer on leave as an actor with their process roles only (no platform
    role, no substitutions of their own); None if the org no longer has them."""
    spec = org.users.get(sub.reviewer)
    if spec is None:
        return None
    return Actor(spec.id, spec.name, spec.unit,
                 tuple(r for r in spec.roles if r not in PLATFORM_ROLES))


def standing_in(org: Org, actor: Actor, now: datetime | None) -> list[tuple[Substitution, Actor]]:
    """The periods running at ``now`` in which ``actor`` substitutes, with the reviewer."""
    if now is None:
        return []
    out = []
    for sub in actor.substitutions:
        who = principal(org, sub) if sub.substitute == actor.id and sub.active_at(now) else None
        if who is not None:
            out.append((sub, who))
    return out


def _outside(actor: Actor, sub: Substitution, now: datetime) -> Refusal:
    when_en = "has not begun" if now < sub.starts_at else "is over"
    when_zh = "尚未开始" if now < sub.starts_at else "已结束"
    span = f"{local(sub.starts_at)} – {local(sub.ends_at)}"
    return Refusal(
        "substitution_period",
        f"user '{actor.id}' substitutes for '{sub.reviewer}' only from {local(sub.starts_at)} "
        f"to {local(sub.ends_at)} (Asia/Shanghai; "
        f"substitution {sub.id}), and that period {when_en}: it is now {local(now)}",
        f"用户 '{actor.id}' 代理 '{sub.reviewer}' 的期间为 {span}（代理编号 {sub.id}），"
        f"现在是 {local(now)}，代理期{when_zh}，不能以代理身份办理")


def _roles_text(defn: CompiledDefinition, roles: Sequence[str], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(defn.role_label(r, lang) for r in roles) or ("无" if lang == "zh" else "none")


def role_reaches(defn: CompiledDefinition, org: Org, role: str, actor: Actor,
                 unit: str, applicant_user: str | None) -> bool:
    """Does ``actor`` acting as ``role`` reach a case at ``unit``?"""
    if role == SYSTEM:
        return actor.is_system
    scope = defn.spec.roles[role].scope
    if scope == "anyone":
        return True
    if scope == "own":
        return applicant_user is not None and applicant_user == actor.id
    return org.in_subtree(unit, actor.unit)


def authorize(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
              spec: TransitionSpec, now: datetime | None = None
              ) -> tuple[str | None, Refusal | None]:
    """Return (the role the actor acts in, None) or (None, why not)."""
    grant, refusal = authority(defn, org, case, actor, spec, now)
    return (grant.role if grant else None), refusal


def authority(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
              spec: TransitionSpec, now: datetime | None = None
              ) -> tuple[Grant | None, Refusal | None]:
    """Return (the grant, None) or (None, why not): the actor in their own right first,
    then, if only their role or reach is missing, as a substitute at ``now``."""
    role, refusal = _own_authority(defn, org, case, actor, spec)
    if role is not None:
        return Grant(role), None
    assert refusal is not None
    if refusal.reason not in ("role", "jurisdiction", "own_case") or now is None:
        return None, refusal
    better: Refusal | None = None
    outside: list[Substitution] = []
    for sub in actor.substitutions:
        reviewer = principal(org, sub) if sub.substitute == actor.id else None
        if reviewer is None:
            continue
        as_role, theirs = _own_authority(defn, org, case, reviewer, spec)
        if as_role is None or as_role == SYSTEM or defn.spec.roles[as_role].scope == "own":
            if theirs is not None and theirs.reason in ("separation_of_duties",
                                                         "conflict_of_interest"):
                better = better or _for(sub, theirs)
            continue
        if not sub.active_at(now):
            outside.append(sub)
            continue
        mine = _separation(defn, case, actor, spec) or (
            _conflict(case, actor) if conflicted(defn, org, case, actor) else None)
        if mine is not None:
            return None, _for(sub, mine)
        return Grant(as_role, sub.reviewer, sub.id), None
    if outside:
        # the period to come soonest says most; failing one, the one ended last
        coming = [s for s in outside if now < s.starts_at]
        nearest = min(coming, key=lambda s: s.starts_at) if coming else \
            max(outside, key=lambda s: s.ends_at)
        return None, _outside(actor, nearest, now)
    return None, better or refusal


def _for(sub: Substitution, refusal: Refusal) -> Refusal:
    """A refusal met while acting for the reviewer, saying so."""
    return Refusal(refusal.reason, f"substituting for '{sub.reviewer}': {refusal.en}",
                   f"代理 '{sub.reviewer}' 办理时：{refusal.zh}")


def _conflict(case: Case, actor: Actor) -> Refusal:
    return Refusal(
        "conflict_of_interest",
        f"user '{actor.id}' declared a relation to the applicant of case '{case.number}' and "
        "must not act on it",
        f"用户 '{actor.id}' 已申报与案件 '{case.number}' 的申请人存在亲属等关系，须回避，不得办理此案件")


def _separation(defn: CompiledDefinition, case: Case, actor: Actor,
                spec: TransitionSpec) -> Refusal | None:
    """Why ``actor`` may not do this duty after another duty of the case, if so."""
    if spec.duty is None:
        return None
    for rule in defn.spec.separation_of_duties:
        if spec.duty not in rule.duties:
            continue
        for other in rule.duties:
            if other != spec.duty and actor.id in case.duties.get(other, ()):
                did_en, did_zh = _duty_label(defn, other)
                now_en, now_zh = _duty_label(defn, spec.duty)
                return Refusal(
                    "separation_of_duties",
                    f"user '{actor.id}' already did the {did_en.lower()} of case "
                    f"'{case.number}' and may not also do the {now_en.lower()} "
                    f"({rule.labels.en})",
                    f"用户 '{actor.id}' 已办理案件 '{case.number}' 的「{did_zh}」,"
                    f"不能再办理「{now_zh}」（{rule.labels.zh}）",
                )
    return None


def _own_authority(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
                   spec: TransitionSpec) -> tuple[str | None, Refusal | None]:
    """The actor in their own right: (role, None) or (None, why not)."""
    held = [r for r in spec.roles if r in actor.roles]
    trig = spec.labels
    if not held:
        return None, Refusal(
            "role",
            f"user '{actor.id}' ({_roles_text(defn, actor.roles, 'en')}) may not "
            f"'{spec.trigger}' ({trig.en}) case '{case.number}'; allowed roles: "
            f"{_roles_text(defn, spec.roles, 'en')}",
            f"用户 '{actor.id}'({_roles_text(defn, actor.roles, 'zh')})无权对案件 "
            f"'{case.number}' 执行「{trig.zh}」；有权执行的角色：{_roles_text(defn, spec.roles, 'zh')}",
        )
    reaching = [r for r in held if role_reaches(defn, org, r, actor, case.unit, case.applicant_user)]
    if not reaching:
        if all(r != SYSTEM and defn.spec.roles[r].scope == "own" for r in held):
            return None, Refusal(
                "own_case",
                f"user '{actor.id}' may '{spec.trigger}' only on their own application, and "
                f"case '{case.number}' is not theirs",
                f"用户 '{actor.id}' 只能对本人的申请执行「{trig.zh}」，案件 '{case.number}' 不是本人的申请",
            )
        return None, Refusal(
            "jurisdiction",
            f"case '{case.number}' belongs to '{org.unit_path(case.unit, 'en')}', outside the "
            f"jurisdiction of user '{actor.id}' ('{org.unit_path(actor.unit, 'en')}')",
            f"案件 '{case.number}' 属于「{org.unit_path(case.unit)}」，不在用户 '{actor.id}'"
            f"(「{org.unit_path(actor.unit)}」)的管辖范围内",
        )
    role = reaching[0]
    if actor.is_system:
        return role, None
    separated = _separation(defn, case, actor, spec)
    if separated is not None:
        return None, separated
    if defn.spec.roles[role].scope != "own" and conflicted(defn, org, case, actor):
        return None, _conflict(case, actor)
    return role, None


def _duty_label(defn: CompiledDefinition, duty: str) -> tuple[str, str]:
    """Duties named after a state read as that state's label."""
    state = defn.states.get(duty)
    return (state.labels.en, state.labels.zh) if state else (duty, duty)


def conflicted(defn: CompiledDefinition, org: Org, case: Case, actor: Actor) -> bool:
    field = defn.spec.applicant_id_field
    if field is None:
        return False
    value = case.data.get(field)
    return isinstance(value, str) and org.related(actor.id, value)


def _reaches(defn: CompiledDefinition, org: Org, case: Case, actor: Actor) -> bool:
    return org.in_subtree(case.unit, actor.unit) and any(
        defn.spec.roles[r].scope == "jurisdiction" for r in actor.roles if r in defn.spec.roles)


def may_read(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
             now: datetime | None = None) -> bool:
    """Deny by default: a case is read by its own applicant, and by holders of a
    jurisdiction role whose unit contains the case's (the county's inspectors reach
    every case), a substitute within the period as the reviewer would. A role any
    member of the public holds reaches only the notices."""
    if actor.is_system or (case.applicant_user is not None and case.applicant_user == actor.id):
        return True
    return _reaches(defn, org, case, actor) or any(
        _reaches(defn, org, case, who) for _, who in standing_in(org, actor, now))


def may_read_unit(definitions: Iterable[CompiledDefinition], org: Org, actor: Actor,
                  unit: str) -> bool:
    """Reports of ``unit`` (its lists, forms, figures) are read by holders of a
    jurisdiction role, in any process, whose unit contains it; deny by default."""
    return unit in org.units and actor.unit in org.units and \
        org.in_subtree(unit, actor.unit) and any(
            defn.spec.roles[r].scope == "jurisdiction" for defn in definitions
            for r in actor.roles if r in defn.spec.roles)


def personal_data_grant(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
                        now: datetime | None = None) -> Grant | None:
    """Full ID and phone numbers are for holders of a jurisdiction role over the case
    (a substitute within the period, for the reviewer's units): the grant, or None."""
    if actor.is_system:
        return None
    if _reaches(defn, org, case, actor):
        return Grant("jurisdiction")
    for sub, who in standing_in(org, actor, now):
        if _reaches(defn, org, case, who):
            return Grant("jurisdiction", who.id, sub.id)
    return None


def may_see_personal_data(defn: CompiledDefinition, org: Org, case: Case, actor: Actor,
                          now: datetime | None = None) -> bool:
    """Full ID and phone numbers are for holders of a jurisdiction role over the case."""
    return personal_data_grant(defn, org, case, actor, now) is not None


def platform_role(org: Org, actor: Actor, act: str) -> str:
    """The actor's platform role that permits the administrative ``act`` (e.g.
    ``migrate``); deny by default.

    Raises:
        PermissionDenied: no role of the actor permits it; the message names the
            roles that do.
    """
    for role in actor.roles:
        found = PLATFORM_ROLES.get(role)
        if found is not None and act in found[1]:
            return role
    granting = [r for r, (_, acts) in PLATFORM_ROLES.items() if act in acts]
    en = ", ".join(f"'{r}'" for r in granting)
    zh = "、".join(f"「{PLATFORM_ROLES[r][0]['zh']}」({r})" for r in granting)
    names = PLATFORM_ACTS.get(act, {"zh": act, "en": act})
    raise PermissionDenied(
        "role", f"user '{actor.id}' may not {names['en']}: it needs the role {en}, which the "
        "org grants in its users' roles",
        f"用户 '{actor.id}' 无权{names['zh']}：需要角色 {zh}（在组织架构文件中授予）")
