"""Moving running cases to another definition version: an administrator's act,
all or none. A service over ``Engine.migrate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflow.engine import Engine
from workflow.errors import InvalidData


@dataclass(frozen=True, slots=True)
class MigrationReport:
    process: str
    from_version: int
    to_version: int
    cases: list[str]
    dry_run: bool


def parse_map(pairs: list[str] | None) -> dict[str, str]:
    """``old=new`` state renamings.

    Raises:
        InvalidData: a pair without '='.
    """
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InvalidData([(pair, "must be written old=new", "应写作 旧状态=新状态")])
        old, new = pair.split("=", 1)
        mapping[old.strip()] = new.strip()
    return mapping


def migrate(engine: Engine, user: str, process: str, from_version: int, to_version: int,
            state_map: Mapping[str, str] | None = None, *, dry_run: bool = False,
            operator: str | None = None) -> MigrationReport:
    """Move the running cases of ``process`` from one version to another as ``user``
    (who needs a role granting ``migrate``), only if every history replays on the
    new version; ``operator`` is the system account, recorded with the event."""
    moved = engine.migrate(process, from_version, to_version, user,
                           state_map=state_map, dry_run=dry_run, operator=operator)
    return MigrationReport(process, from_version, to_version, moved, dry_run)
