"""``bangfu db …``: the database's schema revision (upgrade, current, history),
backups and restores. Parse → ``workflow.maintenance`` → render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli_commands.common import DbOpt, DefsOpt, JsonOpt, LangOpt, Ui, emit, handled, out

if TYPE_CHECKING:
    from workflow.maintenance import BackupReport, SchemaReport

db_app = typer.Typer(help="数据库：结构升级、备份、恢复 / the database: schema upgrades, "
                     "backups, restores", no_args_is_help=True)

_STATUS = {
    "current": ("最新", "up to date"),
    "behind": ("需要升级", "needs an upgrade"),
    "legacy": ("迁移前的 9dd431c 版本，需要升级", "release 9dd431c, before migrations: "
               "needs an upgrade"),
    "ahead": ("比本程序新，本程序不能使用", "newer than this Bangfu: not usable by it"),
    "empty": ("空库，尚未初始化", "empty, not initialised"),
}


def _status(ui: Ui, status: str) -> str:
    zh, en = _STATUS.get(status, (status, status))
    return ui.t(zh, en)


def _revision(ui: Ui, report: SchemaReport) -> str:
    state = report.after
    if state.legacy:
        return ui.t("0001（未记录版本）", "0001 (not recorded)")
    return state.current or ui.t("无", "none")


@db_app.command("current")
@handled
def db_current(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """显示数据库的结构版本 / the schema revision the database is at."""
    from workflow.maintenance import schema_state

    ui = Ui(lang, as_json)
    report = schema_state(db)
    if as_json:
        emit(report.to_dict())
        return
    out.print(ui.t(f"数据库 {report.db}：结构版本 {_revision(ui, report)}（{_status(ui, report.after.status)}）"
                   f"；本程序最新为 {report.after.head}",
                   f"database {report.db}: schema revision {_revision(ui, report)} "
                   f"({_status(ui, report.after.status)}); this Bangfu's newest is "
                   f"{report.after.head}"))
    if report.after.status in ("behind", "legacy"):
        out.print(ui.t(f"请先备份再升级：bangfu db backup --db {report.db} 备份文件 && "
                       f"bangfu db upgrade --db {report.db}",
                       f"back it up, then upgrade: bangfu db backup --db {report.db} FILE && "
                       f"bangfu db upgrade --db {report.db}"))


@db_app.command("upgrade")
@handled
def db_upgrade(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """把数据库升级到本程序的结构版本（整体一个事务）/ upgrade the schema to this
    Bangfu's (in one transaction)."""
    from workflow.maintenance import upgrade_database

    ui = Ui(lang, as_json)
    report = upgrade_database(db)
    if as_json:
        emit(report.to_dict())
        return
    if report.made_private:
        out.print(ui.t(f"数据库文件 {report.db} 原先他人可读，已改为仅所有者可读写（0600）",
                       f"database file {report.db} was readable by others; made 0600"))
    if not report.applied:
        out.print(ui.t(f"数据库 {report.db} 已是最新结构版本 {report.after.current}，无需升级",
                       f"database {report.db} is already at schema revision "
                       f"{report.after.current}; nothing to do"))
        return
    for r in report.applied:
        out.print(f"  {r.id}  {r.title.get(ui.lang) or r.title.get('en', '')}")
    before = ui.t("0001（9dd431c，迁移前）", "0001 (9dd431c, before migrations)") \
        if report.before.legacy else report.before.current
    out.print(ui.t(f"已升级数据库 {report.db}：{before} → {report.after.current}"
                   f"（{len(report.applied)} 个版本，在一个事务中完成）",
                   f"upgraded database {report.db}: {before} → {report.after.current} "
                   f"({len(report.applied)} revisions, in one transaction)"))


@db_app.command("history")
@handled
def db_history(db: Annotated[str | None, typer.Option(
        "--db", envvar="BANGFU_DB", help="数据库：标出其所在版本 / mark the one it is at")] = None,
        lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """列出全部结构版本 / every schema revision, oldest first."""
    from workflow.maintenance import schema_history

    ui = Ui(lang, as_json)
    revisions, current = schema_history(db)
    if as_json:
        emit({"current": current, "revisions": [
            {"revision": r.id, "down": r.down, "title": r.title.get(lang) or r.title.get("en"),
             "doc": r.doc, "current": r.id == current}
            for r in revisions]})
        return
    for r in revisions:
        mark = ui.t("  ← 数据库所在版本", "  ← the database") if r.id == current else ""
        out.print(f"{r.id}  {r.title.get(ui.lang) or r.title.get('en', '')}{mark}")


def _copied(ui: Ui, report: BackupReport) -> str:
    revision = report.revision or ui.t("0001（迁移前）", "0001 (before migrations)")
    return ui.t(f"案件 {report.cases} 件，记录 {report.events} 条，结构版本 {revision}，"
                f"{report.bytes:,} 字节，权限 0600",
                f"{report.cases} cases, {report.events} events, schema revision {revision}, "
                f"{report.bytes:,} bytes, mode 0600")


@db_app.command("backup")
@handled
def db_backup(
    target: Annotated[Path, typer.Argument(help="备份文件（不得已存在）/ the backup file "
                                                "(must not exist)")],
    db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """在线备份 SQLite 数据库（写入进行中也一致）/ a consistent online backup of a
    SQLite database, while others write."""
    from workflow.maintenance import backup_database

    ui = Ui(lang, as_json)
    report = backup_database(db, target)
    if as_json:
        emit(report.to_dict())
        return
    out.print(ui.t(f"已备份到 {report.target}：", f"backed up to {report.target}: ")
              + _copied(ui, report))


@db_app.command("restore")
@handled
def db_restore(
    backup: Annotated[Path, typer.Argument(help="备份文件 / the backup file")],
    db: DbOpt = None, definitions: DefsOpt = None,
    force: Annotated[bool, typer.Option("--force", help="替换已有数据库 / replace an "
                                                        "existing database")] = False,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="恢复后据此校验 / verify against this exported checkpoint "
        "afterwards")] = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """从备份恢复 SQLite 数据库，然后校验审计链 / restore a SQLite database from a
    backup, then verify the audit trail."""
    from workflow.maintenance import restore_database

    ui = Ui(lang, as_json)
    report = restore_database(backup, db, force=force)
    shown = report.target
    if not report.current:
        verify = None
    else:
        from cli_commands.audit import verification

        verify = verification(shown, definitions, checkpoint)
    if as_json:
        emit({**report.to_dict(), "verify": verify.to_dict(lang) if verify else None})
    else:
        out.print(ui.t(f"已从 {report.source} 恢复到 {shown}：", f"restored {report.source} "
                       f"to {shown}: ") + _copied(ui, report))
        if verify is None:
            out.print(ui.t(f"该备份的结构较旧：请先 bangfu db upgrade --db {shown}，再 bangfu audit "
                           f"verify --db {shown} --checkpoint 检查点文件",
                           f"the backup is at an older schema: run bangfu db upgrade --db {shown}, "
                           f"then bangfu audit verify --db {shown} --checkpoint FILE"))
        else:
            verify.render(ui)
    if verify is not None and not verify.ok:
        raise typer.Exit(1)
