"""Who a reminder or an escalation goes to. Pure.

The responsible role of a state means the users holding that role whose
scope reaches the case (the village's own staff, the township office above
it, ...); ``first_responsible`` means the first responsible persons named on
the nearest unit above the case (a township's party secretary and mayor).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from definitions.compile import CompiledDefinition
from definitions.org import Org
from definitions.schema import FIRST_RESPONSIBLE
from workflow.core.authz import conflicted, role_reaches
from workflow.core.model import Actor, Case


def holders(defn: CompiledDefinition, org: Org, case: Case, role: str) -> list[str]:
    """Users holding ``role`` who can act on ``case``: not those who must stand
    aside for a declared relation to the applicant."""
    if role not in defn.spec.roles or defn.spec.roles[role].scope == "anyone":
        return []
    out = []
    for user in org.spec.users:
        if role not in user.roles:
            continue
        actor = Actor(user.id, user.name, user.unit, user.roles)
        if role_reaches(defn, org, role, actor, case.unit, case.applicant_user) and \
                (defn.spec.roles[role].scope == "own" or not conflicted(defn, org, case, actor)):
            out.append(user.id)
    return out


def first_responsible(org: Org, unit: str) -> list[str]:
    for u in (unit, *org.ancestors.get(unit, ())):
        spec = org.units.get(u)
        if spec is not None and spec.first_responsible:
            return list(spec.first_responsible)
    return []


#: reviewer → the substitutes standing in for them now (facts the engine reads)
StandIns = Mapping[str, Sequence[str]]


def with_stand_ins(defn: CompiledDefinition, org: Org, case: Case, users: list[str],
                   stand_ins: StandIns | None) -> list[str]:
    """``users`` and, after each, whoever stands in for them now: a substitute is told
    what the reviewer would be, unless they declared a relation to the applicant."""
    if not stand_ins:
        return users
    out = list(users)
    for user in users:
        for sub in stand_ins.get(user, ()):
            spec = org.users.get(sub)
            if spec is None or sub in out or conflicted(
                    defn, org, case, Actor(spec.id, spec.name, spec.unit, spec.roles)):
                continue
            out.append(sub)
    return out


def resolve(defn: CompiledDefinition, org: Org, case: Case, targets: tuple[str, ...],
            stand_ins: StandIns | None = None) -> list[str]:
    """Users for a list of roles and ``first_responsible`` (and their substitutes now),
    without duplicates."""
    out: list[str] = []
    for target in targets:
        found = first_responsible(org, case.unit) if target == FIRST_RESPONSIBLE else \
            holders(defn, org, case, target)
        out += [u for u in found if u not in out]
    return with_stand_ins(defn, org, case, out, stand_ins)


def responsible(defn: CompiledDefinition, org: Org, case: Case,
                stand_ins: StandIns | None = None) -> list[str]:
    """The holders of the state's responsible role over the case, and their substitutes."""
    role = defn.states[case.state].responsible
    return with_stand_ins(defn, org, case, holders(defn, org, case, role) if role else [],
                          stand_ins)
