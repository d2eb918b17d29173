"""Who a reminder or an escalation goes to. Pure.

The responsible role of a state means the users holding that role whose
scope reaches the case (the village's own staff, the township office above
it, ...); ``first_responsible`` means the first responsible persons named on
the nearest unit above the case (a township's party secretary and mayor).
"""

from __future__ import annotations

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


def resolve(defn: CompiledDefinition, org: Org, case: Case, targets: tuple[str, ...]) -> list[str]:
    """Users for a list of roles and ``first_responsible``, without duplicates."""
    out: list[str] = []
    for target in targets:
        found = first_responsible(org, case.unit) if target == FIRST_RESPONSIBLE else \
            holders(defn, org, case, target)
        out += [u for u in found if u not in out]
    return out


def responsible(defn: CompiledDefinition, org: Org, case: Case) -> list[str]:
    role = defn.states[case.state].responsible
    return holders(defn, org, case, role) if role else []
