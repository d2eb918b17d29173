"""Opening and initialising an Engine on a database: the composition root. Shell.

``init_database`` creates a database (real or simulated clock, with its org);
``open_engine`` opens one for the CLI, the HTTP API or a portal.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from definitions.calendars import load_calendars
from definitions.campaign import SHIPPED_CAMPAIGNS, Campaign, load_campaigns
from definitions.compile import (
    SHIPPED,
    SHIPPED_ORG,
    SHIPPED_PROCESSES,
    DefinitionSet,
    definition_from_json,
    load_directory,
)
from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import load_yaml_file
from definitions.org import build_org, org_from_text
from definitions.standards import load_income_rules, load_medical_aid_rules
from definitions.validate import timer_refs
from storage.bulk_writer import BulkWriter
from storage.db import make_engine, resolve_url
from storage.outbox import OutboxStore
from storage.sql import SqlStore
from storage.tables import SCHEMA_VERSION, metadata
from workflow.clock import Clock, SimulatedClock, SystemClock
from workflow.core.calendar import WorkingCalendar
from workflow.core.registry import REGISTRY
from workflow.engine import Engine
from workflow.errors import StorageError

if TYPE_CHECKING:
    from notifications.dispatcher import Dispatcher

__all__ = ["calendars_dir", "campaigns_dir", "close_engine", "definitions_dir", "init_database",
           "open_bulk_writer", "open_engine"]


def definitions_dir(given: str | Path | None = None) -> Path:
    """``--definitions``/``BANGFU_DEFINITIONS``, else the shipped processes."""
    value = given or os.environ.get("BANGFU_DEFINITIONS")
    return Path(value) if value else SHIPPED_PROCESSES


def _load_definitions(directory: str | Path | None) -> DefinitionSet:
    return load_directory(definitions_dir(directory), known_guards=REGISTRY)


def campaigns_dir(definitions: str | Path | None = None) -> Path:
    """``BANGFU_CAMPAIGNS``, else ``campaigns/`` beside the processes folder, else the shipped one."""
    value = os.environ.get("BANGFU_CAMPAIGNS")
    if value:
        return Path(value)
    beside = definitions_dir(definitions).parent / "campaigns"
    return beside if beside.is_dir() else SHIPPED_CAMPAIGNS


def calendars_dir(definitions: str | Path | None = None) -> Path:
    """``BANGFU_CALENDARS``, else ``calendars/`` beside the processes folder, else the shipped one."""
    value = os.environ.get("BANGFU_CALENDARS")
    if value:
        return Path(value)
    beside = definitions_dir(definitions).parent / "calendars"
    return beside if beside.is_dir() else SHIPPED / "calendars"


def _load_calendars(definitions: str | Path | None) -> dict[str, WorkingCalendar]:
    loaded = load_calendars(calendars_dir(definitions))
    return {cid: WorkingCalendar(cid, years.values()) for cid, years in loaded.items()}


def _load_campaigns(defs: DefinitionSet, definitions: str | Path | None) -> dict[str, Campaign]:
    """The campaigns, with every process timer's calendar reference checked against them."""
    campaigns = load_campaigns(campaigns_dir(definitions), known_processes=defs.processes())
    problems: list[Problem] = []
    for campaign in campaigns.values():
        for process in campaign.spec.processes:
            defn = defs.get(process)
            for p in campaign.check_references(timer_refs(defn.spec)):
                problems.append(replace(p, file=defn.source))
    if problems:
        raise DefinitionInvalid(problems, "campaigns")
    return campaigns


def _roles(defs: DefinitionSet) -> set[str]:
    """The process roles an org may grant (the platform's are always known)."""
    return {r for d in defs for r in d.spec.roles}


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database))
    return None


def _settings(store: SqlStore) -> dict[str, str] | None:
    """The engine settings in one read; None when the database has no Bangfu tables.

    Raises:
        StorageError: not a database at all, or unreachable.
    """
    try:
        return store.read_meta()
    except DatabaseError as exc:  # also 'file is not a database'
        raise StorageError(f"cannot open the database: {exc.orig}",
                           f"无法打开数据库：{exc.orig}") from None


def _initialised(store: SqlStore) -> bool:
    settings = _settings(store)
    return settings is not None and settings.get("schema_version") is not None


def init_database(db: str | None = None, *, org: str | Path | None = None,
                  definitions: str | Path | None = None,
                  simulated_start: datetime | None = None) -> str:
    """Create Bangfu's tables and record the org and the clock mode; returns the URL.

    Raises:
        StorageError: the database is already initialised or unreachable.
        DefinitionInvalid: the org or a definition file has problems.
    """
    url = resolve_url(db)
    defs = _load_definitions(definitions)
    org_path = Path(org) if org else SHIPPED_ORG
    data, lines, text = load_yaml_file(org_path)
    build_org(data, lines, str(org_path), _roles(defs))
    path = _sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise StorageError(f"folder '{path.parent}' does not exist",
                           f"目录 '{path.parent}' 不存在")
    store = SqlStore(make_engine(url))
    try:
        if _initialised(store):
            raise StorageError(
                f"database '{_shown(url)}' is already initialised; use another --db or "
                "'bangfu org load' to replace the org",
                f"数据库 '{_shown(url)}' 已初始化；请换一个 --db,或用 'bangfu org load' 更换组织架构")
        metadata.create_all(store.engine)
        clock: Clock = SimulatedClock(simulated_start) if simulated_start else SystemClock()
        now = clock.now()
        store.register_definitions(list(defs), now)
        store.set_meta("org_yaml", text)
        store.set_meta("org_source", str(org_path))
        store.set_meta("clock_mode", "simulated" if simulated_start else "system")
        store.set_meta("clock_now", now.isoformat())
        store.set_meta("created_at", now.isoformat())
        store.set_meta("schema_version", SCHEMA_VERSION)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot initialise '{_shown(url)}': {exc}",
                           f"无法初始化数据库 '{_shown(url)}':{exc}") from None
    finally:
        store.close()
    return url


def open_engine(db: str | None = None, *, definitions: str | Path | None = None) -> Engine:
    """An Engine on an initialised database.

    Registers the definitions on disk (a changed file under an unchanged
    version is refused) and keeps every version cases are pinned to.

    Raises:
        StorageError: no database there, or not initialised.
        DefinitionInvalid, DefinitionVersionConflict: bad definitions.
    """
    url = resolve_url(db)
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        raise StorageError(f"no database at '{path}'; create one with 'bangfu init'",
                           f"'{path}' 处没有数据库；请先运行 'bangfu init' 创建")
    store = SqlStore(make_engine(url))
    try:
        return _wire(store, url, definitions)
    except BaseException:
        store.close()  # a refused open leaves no connection behind
        raise


def close_engine(engine: Engine) -> None:
    """Release the connections of an engine ``open_engine`` made (its pool, and the
    command connection of this thread)."""
    close = getattr(engine.store, "close", None)
    if close is not None:
        close()


def _wire(store: SqlStore, url: str, definitions: str | Path | None) -> Engine:
    settings = _settings(store)
    if settings is None or settings.get("schema_version") is None:
        raise StorageError(f"database '{_shown(url)}' is not initialised; run 'bangfu init'",
                           f"数据库 '{_shown(url)}' 尚未初始化；请先运行 'bangfu init'")
    defs = _load_definitions(definitions)
    clock: Clock
    if settings.get("clock_mode") == "simulated":
        clock = SimulatedClock(datetime.fromisoformat(settings.get("clock_now") or ""))
    else:
        clock = SystemClock()
    # one transaction: what is on disk is registered, what is only stored is kept
    known = {d.key for d in defs}
    for row in store.register_definitions(list(defs), clock.now()):
        if (row["process"], row["version"]) not in known:
            defs.add(definition_from_json(row["body"]))
    org = org_from_text(settings.get("org_yaml") or "", settings.get("org_source") or "org",
                        _roles(defs))
    return Engine(store, defs, org, clock, campaigns=_load_campaigns(defs, definitions),
                  calendars=_load_calendars(definitions),
                  family_rules=load_income_rules().family,
                  medical_rules=load_medical_aid_rules())


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def open_bulk_writer(engine: Engine) -> BulkWriter:
    """The Core bulk writer on the engine's SQL store, for imports.

    Raises:
        StorageError: the engine's store is not an SQL store.
    """
    if not isinstance(engine.store, SqlStore):
        raise StorageError("bulk import needs an SQL database", "批量导入需要 SQL 数据库")
    return BulkWriter(engine.store)


def open_outbox(engine: Engine) -> OutboxStore:
    """The notification dispatcher's store on the engine's SQL database.

    Raises:
        StorageError: the engine's store is not an SQL store.
    """
    if not isinstance(engine.store, SqlStore):
        raise StorageError("notifications need an SQL database", "通知功能需要 SQL 数据库")
    return OutboxStore(engine.store.engine)


def open_dispatcher(engine: Engine, config: Path | None = None, *,
                    stream: TextIO | None = None, batch: int = 100) -> Dispatcher:
    """A notification dispatcher for ``engine``, with the channels of the
    notifications file ``config`` (None: console only).

    Raises:
        StorageError: the engine's store is not an SQL store.
        DefinitionInvalid: the notifications file is unreadable or invalid.
    """
    from notifications.config import load_config
    from notifications.dispatcher import Dispatcher

    return Dispatcher(engine, load_config(config, engine.org), outbox=open_outbox(engine),
                      stream=stream, batch=batch)
