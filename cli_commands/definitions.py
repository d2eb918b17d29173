"""``bangfu init``, ``bangfu definitions …`` and ``bangfu org``: create a
database, list, validate, show, draw and migrate process definitions, show the org."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.table import Table

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    ServerOpt,
    Ui,
    emit,
    err,
    handled,
    need_user,
    open_engine,
    out,
)

definitions_app = typer.Typer(help="流程定义 / process definitions", no_args_is_help=True)


@handled
def init(
    db: DbOpt = None,
    org: Annotated[Path | None, typer.Option(help="组织架构文件 / org file")] = None,
    simulated: Annotated[bool, typer.Option("--simulated", help="模拟时钟 / simulated clock")] = False,
    start: Annotated[str | None, typer.Option(help="模拟起始时间 / simulated start")] = None,
    definitions: DefsOpt = None,
    lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """创建数据库 / create a database (real or simulated clock) with its org."""
    from workflow.bootstrap import init_database
    from workflow.core.localtime import local
    from workflow.errors import ClockError
    from workflow.services.time import parse_time

    ui = Ui(lang, as_json)
    if start and not simulated:
        raise ClockError("--start needs --simulated", "--start 只能与 --simulated 一起使用")
    begin = parse_time(start) if start else None
    if simulated and begin is None:
        raise ClockError("--simulated needs --start, e.g. --start 2027-01-04T09:00+08:00",
                         "--simulated 需要 --start,例如 --start 2027-01-04T09:00+08:00")
    url = init_database(db, org=org, definitions=definitions, simulated_start=begin)
    if as_json:
        emit({"database": url, "simulated": simulated,
              "clock": begin.isoformat() if begin else None})
    else:
        mode = ui.t(f"模拟时钟，起始 {local(begin)}", f"simulated clock from {local(begin)}") \
            if begin else ui.t("真实时钟", "real clock")
        out.print(ui.t(f"已创建数据库 {url}({mode})", f"Created {url} ({mode})"))


@definitions_app.command("list")
@handled
def definitions_list(server: ServerOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
                     lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """列出已登记的流程定义，及目录中尚未登记的版本 / list the registered definitions, and
    versions on disk not registered yet."""
    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        rows: list[dict[str, Any]] = connect(server, None, lang).get("/v1/definitions")
    else:
        from workflow.services.definitions import definition_rows

        rows = definition_rows(open_engine(db, definitions), lang)
    if as_json:
        emit(rows)
        return
    table = Table(ui.t("流程", "Process"), ui.t("版本", "Version"), ui.t("名称", "Name"),
                  ui.t("内容哈希", "Hash"), ui.t("状态数", "States"), ui.t("流转数", "Transitions"))
    for r in rows:
        version = str(r["version"]) + ("" if r["registered"] else
                                       ui.t("（未登记）", " (unregistered)"))
        table.add_row(r["process"], version, r["label"], r["hash"][:12],
                      str(r["states"]), str(r["transitions"]))
    out.print(table)
    if not all(r["registered"] for r in rows):
        out.print(ui.t("未登记的版本不会被使用；系统管理员可用 'bangfu definitions register' 登记",
                       "unregistered versions are not used; an administrator registers them "
                       "with 'bangfu definitions register'"))


@definitions_app.command("register")
@handled
def definitions_register(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出 / list only")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """登记目录中尚未登记的流程定义版本（需系统管理员角色）/ register the definition
    versions of the folder the database does not hold yet (needs the administrator role)."""
    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    done = engine.register_definitions(need_user(user), dry_run=dry_run)
    rows: list[dict[str, Any]] = [{"process": d.process, "version": d.version,
                                   "hash": d.content_hash, "source": d.source} for d in done]
    if as_json:
        emit({"dry_run": dry_run, "registered": [] if dry_run else rows,
              "would_register": rows if dry_run else []})
        return
    if not rows:
        out.print(ui.t("没有需要登记的新版本", "no new version to register"))
    for r in rows:
        out.print(ui.t(f"{'将登记' if dry_run else '已登记'} {r['process']} 第 {r['version']} 版"
                       f"（{r['hash'][:12]}）", f"{'would register' if dry_run else 'registered'} "
                       f"{r['process']} v{r['version']} ({r['hash'][:12]})"))


@definitions_app.command("validate")
@handled
def definitions_validate(
    files: Annotated[list[Path], typer.Argument(
        help="流程、活动、组织架构、工作日历或规则文件 / process, campaign, org, calendar or "
        "rules files")],
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """校验数据文件（按首个键识别类型），一次列出全部错误及行号 / validate files of every
    kind, listing every problem with its line in one pass."""
    from definitions import DefinitionInvalid
    from workflow.bootstrap import check_definition_file
    from workflow.services.definitions import validate_files

    ui = Ui(lang, as_json)
    results = validate_files(files, definitions, lang)
    for i, (f, result) in enumerate(zip(files, results, strict=True)):
        if result["ok"] and result["kind"] == "process":
            # its windows against the calendars and campaigns beside it, as loading does
            try:
                check_definition_file(f)
            except DefinitionInvalid as exc:
                results[i] = {**result, "ok": False, "summary": None, **exc.to_dict(lang)}
    if as_json:
        emit(results)
    else:
        for r in results:
            if r["ok"]:
                out.print(ui.t(f"\u2713 {r['file']}：{r['summary']}，校验通过",
                               f"\u2713 {r['file']}: {r['summary']} is valid"), markup=False)
            else:
                what = f"{r['kind_label']}：" if r["kind"] and ui.zh else \
                    f"{r['kind_label']}: " if r["kind"] else ""
                err.print(f"\u2717 {r['file']}: {what}{r['message']}", markup=False)
                for p in r["problems"]:
                    where = f"{p['file']}:{p['line']}" if p["line"] else str(p["file"])
                    err.print(f"    {where}: {p['path']}: {p['message']}" if p["path"]
                              else f"    {where}: {p['message']}", markup=False)
    if any(not r["ok"] for r in results):
        raise typer.Exit(1)


@definitions_app.command("show")
@handled
def definitions_show(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    version: Annotated[int | None, typer.Option(help="版本 / version")] = None,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """显示流程的状态与流转 / show a definition's states and transitions."""
    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        d = connect(server, None, lang).get(f"/v1/definitions/{quote(process, safe='')}",
                                            {"version": version})
    else:
        from workflow.services.definitions import definition_view

        d = definition_view(open_engine(db, definitions), process, version)
    if as_json:
        emit(d)
        return
    _print_definition(d, ui)


def _label(labels: dict[str, str], ui: Ui) -> str:
    return labels["zh" if ui.zh else "en"]


def _role(d: dict[str, Any], role: str, ui: Ui) -> str:
    spec = d["roles"].get(role)
    if spec is None:
        return ui.t("系统", "System") if role == "system" else role
    return _label(spec["labels"], ui)


def _print_definition(d: dict[str, Any], ui: Ui) -> None:
    """A definition's states and transitions, from its view (the file as parsed)."""
    from rich.text import Text

    out.print(Text.assemble((_label(d["labels"], ui), "bold"),
                            f" ({d['process']} v{d['version']}, {d['hash'][:12]})"))
    states = Table(ui.t("状态", "State"), ui.t("名称", "Name"), ui.t("负责角色", "Responsible"),
                   ui.t("计时", "Timers"))
    for s in d["states"]:
        mark = " （初始）" if s["initial"] and ui.zh else " (initial)" if s["initial"] else \
            (ui.t(" （终止）", " (final)") if s["final"] else "")
        states.add_row(s["id"] + mark, _label(s["labels"], ui),
                       _role(d, s["responsible"], ui) if s["responsible"] else "",
                       ", ".join(f"{t['id']}: {t['after'] or t['at']}" for t in s["timers"]))
    out.print(states)
    trans = Table(ui.t("操作", "Trigger"), ui.t("从", "From"), ui.t("到", "To"),
                  ui.t("角色", "Roles"), ui.t("条件", "Conditions"), ui.t("必填", "Required"))
    for t in d["transitions"]:
        conds = [g["name"] for g in t["guards"]] + list(t["when"])
        if t["comment"] == "required":
            conds.append(ui.t("须填理由", "reason required"))
        trans.add_row(f"{t['trigger']}\n{_label(t['labels'], ui)}", ", ".join(t["source"]),
                      t["dest"], ", ".join(_role(d, r, ui) for r in t["roles"]),
                      "\n".join(conds), ", ".join(t["required"]))
    out.print(trans)


@definitions_app.command("graph")
@handled
def definitions_graph(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    fmt: Annotated[str, typer.Option("--format", help="mermaid")] = "mermaid",
    version: Annotated[int | None, typer.Option(help="版本 / version")] = None,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """输出状态图 / print the state diagram."""
    from workflow.services.definitions import diagram_view

    if server:
        from cli_commands.remote import connect

        view = connect(server, None, lang).get(
            f"/v1/definitions/{quote(process, safe='')}/diagram",
            {"version": version, "format": fmt})
    else:
        view = diagram_view(open_engine(db, definitions), process, version, lang, fmt)
    if as_json:
        emit(view)
    else:
        print(view["graph"])


@definitions_app.command("schema")
@handled
def definitions_schema(
    output: Annotated[Path | None, typer.Option(help="写入文件 / write to file")] = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """输出定义文件的 JSON Schema / print the JSON Schema of the definition format.

    The schema is JSON already: ``--json`` prints it the same way (with ``--out``,
    a JSON line saying where it was written)."""
    text = schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
        if as_json:
            emit({"file": str(output), "bytes": len(text.encode("utf-8"))})
    else:
        print(text, end="")


def schema_text() -> str:
    from definitions.schema import ProcessDefinition

    schema = ProcessDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bangfu process definition"
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


@definitions_app.command("migrate")
@handled
def definitions_migrate(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    from_version: Annotated[int, typer.Option("--from", help="原版本 / from version")],
    to_version: Annotated[int, typer.Option("--to", help="新版本 / to version")],
    maps: Annotated[list[str] | None, typer.Option(
        "--map", help="状态改名 old=new,可多次 / state renaming, repeatable")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查 / check only")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """把进行中的案件迁移到新版本（全部可重放才执行；需系统管理员角色）/ move running
    cases to a new version (only if every one replays; needs the administrator role)."""
    from workflow.services.migration import migrate, parse_map

    ui = Ui(lang, as_json)
    who = need_user(user)
    report = migrate(open_engine(db, definitions), who, process, from_version, to_version,
                     parse_map(maps), dry_run=dry_run, operator=getpass.getuser())
    if as_json:
        emit({"process": process, "from": from_version, "to": to_version,
              "cases": report.cases, "dry_run": dry_run})
    else:
        action = ui.t("可迁移", "would move") if dry_run else ui.t("已迁移", "moved")
        out.print(ui.t(f"{action} {len(report.cases)} 件案件：{process} 第 {from_version} 版 → 第 "
                       f"{to_version} 版", f"{action} {len(report.cases)} case(s) of {process} "
                       f"from v{from_version} to v{to_version}"))


org_app = typer.Typer(help="组织架构与用户：查看、更改 / the jurisdiction tree and its users: "
                       "show, change", invoke_without_command=True)


@org_app.callback()
@handled
def org_show(ctx: typer.Context, server: ServerOpt = None, db: DbOpt = None,
             definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """组织架构与用户 / the jurisdiction tree and its users."""
    if ctx.invoked_subcommand is not None:
        return
    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        view = connect(server, None, lang).get("/v1/org")
    else:
        from workflow.services.org import org_view

        view = org_view(open_engine(db, definitions), lang)
    if as_json:
        emit(view)
        return
    table = Table(ui.t("用户", "User"), ui.t("姓名", "Name"), ui.t("所属", "Unit"),
                  ui.t("角色", "Roles"))
    for u in view["users"]:
        table.add_row(u["id"], u["name"], u["unit_path"], ", ".join(u["role_labels"]))
    out.print(table)


@org_app.command("load")
@handled
def org_load(
    file: Annotated[Path, typer.Argument(help="组织架构文件 / org file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出变化 / list the changes "
                                          "only")] = False,
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """用新文件替换组织架构：先整体校验，列出变化，记录操作人（需系统管理员角色）/ replace the
    org with a file: checked whole, the changes listed, recorded with who (administrator)."""
    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect
        from definitions.loader import load_yaml_file

        remote = connect(server, user, lang)
        _, _, text = load_yaml_file(file)  # read here, checked there
        changes = remote.post("/v1/org", {"yaml": text, "source": file.name},
                              params={"dry_run": "true" if dry_run else None})["changes"]
    else:
        from workflow.services.org import load_org

        engine = open_engine(db, definitions)
        changes = load_org(engine, need_user(user), file, lang, dry_run=dry_run)
    if as_json:
        emit({"dry_run": dry_run, "changes": changes})
        return
    if not changes:
        out.print(ui.t("组织架构没有变化", "the org is unchanged"))
    for c in changes:
        out.print(f"  {c['text']}")
    if changes:
        out.print(ui.t(f"{'将' if dry_run else '已'}变更 {len(changes)} 项",
                       f"{len(changes)} change(s) {'to apply' if dry_run else 'applied'}"))
