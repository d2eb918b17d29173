"""Use cases of the organisation: its units and users as a view, role labels.
Services over an Engine."""

from __future__ import annotations

from typing import Any

from definitions.org import PLATFORM_ROLES
from workflow.engine import Engine


def org_view(engine: Engine) -> dict[str, Any]:
    org = engine.org
    return {"units": [u.model_dump() for u in org.spec.units],
            "users": [{"id": u.id, "name": u.name, "unit": u.unit, "roles": list(u.roles)}
                      for u in org.spec.users]}


def role_label(engine: Engine, role: str, lang: str) -> str:
    """A role's label from the definitions that declare it, or the platform's."""
    if role in PLATFORM_ROLES:
        return str(PLATFORM_ROLES[role][0].get(lang, role))
    for defn in engine.definitions:
        if role in defn.spec.roles:
            return str(defn.role_label(role, lang))
    return role
