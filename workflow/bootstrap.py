"""Opening and initialising an Engine on a database: the composition root. Shell.

``init_database`` creates a database (real or simulated clock, with its org);
``open_engine`` opens one for the CLI, the HTTP API or a portal.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, SQLAlchemyError

from definitions.calendars import load_calendars
from definitions.campaign import SHIPPED_CAMPAIGNS, Campaign, load_campaigns
from definitions.compile import (
    SHIPPED,
    SHIPPED_ORG,
    SHIPPED_PROCESSES,
    CompiledDefinition,
    DefinitionSet,
    definition_from_json,
    load_definition,
    load_directory,
)
from definitions.errors import DefinitionInvalid, DefinitionVersionConflict, Problem
from definitions.loader import load_yaml_file
from definitions.org import Org, build_org, org_from_text
from definitions.standards import load_income_rules, load_medical_aid_rules
from definitions.validate import timer_refs
from storage.db import make_engine, resolve_url
from storage.logins import LoginStore
from storage.outbox import OutboxStore
from storage.schema import check_current, upgrade
from storage.sql import SqlStore
from storage.tables import SCHEMA_VERSION
from storage.tokens import TokenStore
from workflow.clock import Clock, SimulatedClock, SystemClock
from workflow.core.calendar import WorkingCalendar
from workflow.core.registry import REGISTRY
from workflow.core.windows import window_problems
from workflow.engine import Engine
from workflow.errors import StorageError

if TYPE_CHECKING:
    from notifications.dispatcher import Dispatcher
    from storage.bulk_writer import BulkWriter

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


def _check_calendars(campaigns: Mapping[str, Campaign],
                     calendars: Mapping[str, WorkingCalendar]) -> None:
    """Refuse a campaign that names a working-day calendar no file provides.

    Raises:
        DefinitionInvalid: every such campaign, with its file.
    """
    problems = [Problem("calendar", f"campaign '{c.id}' names the calendar "
                        f"'{c.spec.calendar}', which no calendar file provides (known: "
                        f"{', '.join(sorted(calendars)) or 'none'})",
                        f"活动 '{c.id}' 使用的工作日历 '{c.spec.calendar}' 没有对应的日历文件"
                        f"（已有：{'、'.join(sorted(calendars)) or '无'}）", None, c.source)
                for c in campaigns.values() if c.spec.calendar not in calendars]
    if problems:
        raise DefinitionInvalid(problems, problems[0].file or "campaigns")


def _check_windows(defs: Iterable[CompiledDefinition], campaigns: Mapping[str, Campaign],
                   calendars: Mapping[str, WorkingCalendar],
                   source: str = "definitions") -> None:
    """Refuse definitions whose working-day windows no loaded calendar can count
    (``workflow.core.windows``), with file and line.

    Raises:
        DefinitionInvalid: every such window of every definition.
    """
    years = {cid: cal.covered_years for cid, cal in calendars.items()}
    problems: list[Problem] = []
    for defn in defs:
        found = window_problems(defn, years, campaigns.values())
        if found and defn.source and Path(defn.source).is_file():
            _, lines, _ = load_yaml_file(Path(defn.source))  # only now: for the lines
            found = window_problems(defn, years, campaigns.values(), lines)
        problems += found
    if problems:
        raise DefinitionInvalid(problems, source)


def check_definition_file(path: str | Path) -> CompiledDefinition:
    """Load one definition file as ``open_engine`` would: its own checks, then its
    windows against the calendars and campaigns beside its folder (else the shipped
    ones), so that ``definitions validate`` passes exactly what loading accepts.

    Raises:
        DefinitionInvalid: the file, or a window no calendar can count.
    """
    defn = load_definition(path, known_guards=REGISTRY)
    folder = Path(path).parent
    campaigns = load_campaigns(campaigns_dir(folder))
    calendars = _load_calendars(folder)
    _check_windows([defn], campaigns, calendars, str(path))
    _check_calendars(campaigns, calendars)
    return defn


def _roles(defs: DefinitionSet) -> set[str]:
    """The process roles an org may grant (the platform's are always known)."""
    return {r for d in defs for r in d.spec.roles}


def _sqlite_path(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"'{url}' is not a database URL",
                           f"'{url}' 不是有效的数据库地址") from None
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
        DefinitionInvalid: the org, a definition, campaign or calendar file has
            problems (nothing is written).
    """
    url = resolve_url(db)
    defs = _load_definitions(definitions)
    campaigns, calendars = _load_campaigns(defs, definitions), _load_calendars(definitions)
    _check_windows(defs, campaigns, calendars)
    _check_calendars(campaigns, calendars)
    org_path = Path(org) if org else SHIPPED_ORG
    data, lines, text = load_yaml_file(org_path)
    build_org(data, lines, str(org_path), _roles(defs))
    # Everything the engine will read must load before anything is written: a
    # campaign or calendar that does not would stop every later command.
    _load_calendars(definitions)
    _load_campaigns(defs, definitions)
    path = _sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise StorageError(f"folder '{path.parent}' does not exist",
                           f"目录 '{path.parent}' 不存在")
    store = SqlStore(make_engine(url))
    try:
        if _initialised(store):
            raise StorageError(
                f"database '{_shown(url)}' is already initialised; to start afresh give "
                "another --db; to change its org, an administrator runs "
                "'bangfu org load FILE --as admin'",
                f"数据库 '{_shown(url)}' 已初始化；如需重新开始，请换一个 --db；"
                "如需更换组织架构，请系统管理员运行 'bangfu org load 文件 --as admin'")
        clock: Clock = SimulatedClock(simulated_start) if simulated_start else SystemClock()
        now = clock.now()
        upgrade(store.engine, now)  # the schema comes only from the migrations
        store.register_definitions(list(defs), now, registered_by=_init_operator())
        store.set_meta("org_yaml", text)
        # the parsed file, read back by every command without parsing YAML again
        store.set_meta("org_json", json.dumps(data, ensure_ascii=False, default=str))
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
    """An Engine on an initialised database, with the definition versions registered
    in it (those on disk read from disk, the others from the database); versions on
    disk that are not registered wait in ``engine.unregistered`` for an
    administrator's ``bangfu definitions register``.

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
    # before any other read: an older or newer layout would fail in raw SQL
    check_current(store.engine, db_argument(url))
    defs = _load_definitions(definitions)
    clock: Clock
    if settings.get("clock_mode") == "simulated":
        clock = SimulatedClock(datetime.fromisoformat(settings.get("clock_now") or ""))
    else:
        clock = SystemClock()
    # Commands read only registered versions: registering one is an administrator's act
    # (``bangfu definitions register``); a file on disk under a registered version must
    # still say what was registered.
    found = {d.key: d for d in defs}
    defs = DefinitionSet()
    on_disk: list[CompiledDefinition] = []
    for row in store.stored_definitions():
        disk = _registered(row, found.pop((row["process"], row["version"]), None))
        if disk is not None:
            on_disk.append(disk)
        defs.add(disk or definition_from_json(row["body"], _legacy(row)))
    unregistered = sorted(found.values(), key=lambda d: d.key)
    org = _registered_org(settings.get("org_json"), settings.get("org_yaml") or "",
                          settings.get("org_source") or "org", frozenset(_roles(defs)))
    campaigns = _load_campaigns(defs, definitions)
    calendars = _load_calendars(definitions)
    _check_windows(on_disk, campaigns, calendars)  # a stored version stays readable
    _check_calendars(campaigns, calendars)
    income = load_income_rules()
    return Engine(store, defs, org, clock, campaigns=campaigns, calendars=calendars,
                  family_rules=income.family, income_rules=income,
                  medical_rules=load_medical_aid_rules(), unregistered=unregistered)


def _legacy(row: Mapping[str, Any]) -> tuple[str, ...]:
    return (str(row["legacy_hash"]),) if row.get("legacy_hash") else ()


def _registered(row: Mapping[str, Any], disk: CompiledDefinition | None
                ) -> CompiledDefinition | None:
    """The file on disk for a registered version, if it still says what was registered.

    A version release 9dd431c stored keeps its model dump as its body, so the file
    (which leaves defaults out) hashes otherwise: it says the same when it parses to
    the same model as the stored body, both read by this code (a default the code
    gained applies to both alike); it then stands under the stored hash.

    Raises:
        DefinitionVersionConflict: the file says something else.
    """
    if disk is None or disk.content_hash == row["content_hash"]:
        return disk if disk is None else replace(disk, legacy_hashes=frozenset(_legacy(row)))
    if row.get("legacy_hash"):
        stored = definition_from_json(row["body"], _legacy(row))
        if stored.spec.model_dump(mode="json") == disk.spec.model_dump(mode="json"):
            return replace(disk, content_hash=stored.content_hash, body=stored.body,
                           legacy_hashes=stored.legacy_hashes)
    raise DefinitionVersionConflict(row["process"], row["version"], row["content_hash"],
                                    disk.content_hash)


def db_argument(url: str) -> str:
    """What to give ``--db`` for ``url`` in a message: a SQLite file's path, else the
    URL with its password hidden."""
    path = _sqlite_path(url)
    return str(path) if path is not None else _shown(url)


def _init_operator() -> str:
    """Who registered the first definitions: whoever ran ``bangfu init``."""
    import getpass

    try:
        return f"init:{getpass.getuser()}"
    except (OSError, KeyError):
        return "init"


@functools.lru_cache(maxsize=8)
def _registered_org(as_json: str | None, as_yaml: str, source: str,
                    roles: frozenset[str]) -> Org:
    """The org registered in the database, built once per process and version of it:
    from its stored JSON (a database made before that was stored: from its YAML)."""
    if as_json is not None:
        return build_org(json.loads(as_json), None, source, roles)
    return org_from_text(as_yaml, source, roles)


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_bulk_writer(engine: Engine) -> BulkWriter:
    """The Core bulk writer on the engine's SQL store, for imports.

    Raises:
        StorageError: the engine's store is not an SQL store.
    """
    if not isinstance(engine.store, SqlStore):
        raise StorageError("bulk import needs an SQL database", "批量导入需要 SQL 数据库")
    from storage.bulk_writer import BulkWriter

    return BulkWriter(engine.store)


def open_tokens(engine: Engine) -> TokenStore:
    """The API token store of the engine's database.

    Raises:
        StorageError: the engine's store is not an SQL store.
    """
    if not isinstance(engine.store, SqlStore):
        raise StorageError("tokens need an SQL database", "令牌需要 SQL 数据库")
    return TokenStore(engine.store.engine)


def open_logins(engine: Engine) -> LoginStore:
    """The page-login store (passwords, sessions) of the engine's database.

    Raises:
        StorageError: the engine's store is not an SQL store.
    """
    if not isinstance(engine.store, SqlStore):
        raise StorageError("page logins need an SQL database", "页面登录需要 SQL 数据库")
    return LoginStore(engine.store.engine)


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
