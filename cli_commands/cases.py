"""``bangfu case …`` and ``bangfu queue``: submit, advance, import, show, list,
history, the acting user's queue."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    DocOpt,
    JsonOpt,
    LangOpt,
    SetOpt,
    Ui,
    emit,
    err,
    handled,
    need_user,
    open_engine,
    out,
    parse_sets,
)

if TYPE_CHECKING:
    from workflow.core.model import CommandResult
    from workflow.engine import Engine
    from workflow.services.cases import Page

case_app = typer.Typer(help="案件 / cases", no_args_is_help=True)


def print_result(engine: Engine, res: CommandResult, ui: Ui) -> None:
    """One line (or the JSON view) saying where the command left the case."""
    from workflow.services.cases import result

    view = result(engine, res, ui.lang)
    if ui.as_json:
        emit(view)
        return
    again = ui.t("（重复请求，返回首次结果）", " (repeated request: first result returned)") \
        if res.replayed else ""
    out.print(ui.t(f"案件 {res.case_number} → 「{view['state_label']}」（版本 {res.version}）{again}",
                   f"Case {res.case_number} → '{view['state_label']}' "
                   f"(version {res.version}){again}"))


@case_app.command("submit")
@handled
def case_submit(
    process: Annotated[str, typer.Argument(help="流程 id / process id")],
    sets: SetOpt = None,
    docs: DocOpt = None,
    unit: Annotated[str | None, typer.Option(help="所属村（社区）/ village of the household")] = None,
    comment: Annotated[str | None, typer.Option("--comment", "-m")] = None,
    key: Annotated[str | None, typer.Option("--key", help="幂等键 / idempotency key")] = None,
    campaign: Annotated[str | None, typer.Option(
        help="活动（默认：正在进行的活动）/ campaign (default: the running one)")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """提交申请 / open a case."""
    from workflow.services import cases

    ui = Ui(lang, as_json)
    who = need_user(user)
    engine = open_engine(db, definitions)
    res = cases.submit(engine, who, process, text=parse_sets(sets), papers=docs or (),
                       unit=unit, comment=comment, key=key, campaign=campaign)
    print_result(engine, res, ui)


@case_app.command("advance")
@handled
def case_advance(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    trigger: Annotated[str, typer.Argument(help="操作 / trigger")],
    sets: SetOpt = None,
    docs: DocOpt = None,
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="理由 / reason")] = None,
    expect_version: Annotated[int | None, typer.Option(
        "--expect-version", help="只在案件仍为此版本时执行 / act only on this row version")] = None,
    key: Annotated[str | None, typer.Option("--key", help="幂等键 / idempotency key")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """推进案件 / fire a trigger on a case."""
    from workflow.services import cases

    ui = Ui(lang, as_json)
    who = need_user(user)
    engine = open_engine(db, definitions)
    res = cases.advance(engine, who, case, trigger, text=parse_sets(sets), papers=docs or (),
                        comment=comment, expect_version=expect_version, key=key)
    print_result(engine, res, ui)


@case_app.command("import")
@handled
def case_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件 / CSV or XLSX file",
                                         exists=True, dir_okay=False)],
    process: Annotated[str | None, typer.Option(
        help="流程 id（只有一个流程时可省略）/ process id (optional if only one)")] = None,
    campaign: Annotated[str | None, typer.Option(
        help="活动（默认：正在进行的活动）/ campaign (default: the running one)")] = None,
    sheet: Annotated[str | None, typer.Option(
        help="XLSX 工作表名 / XLSX sheet name")] = None,
    errors: Annotated[Path | None, typer.Option(
        "--errors", help="错误清单文件（默认 <文件名>.errors.csv）/ error file")] = None,
    all_or_nothing: Annotated[bool, typer.Option(
        "--all-or-nothing", help="有任何错误行则整个文件不导入 / refuse the file if any row is bad")] = False,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """批量导入申请（CSV/XLSX）/ import applications from a spreadsheet."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from workflow.bootstrap import open_bulk_writer
    from workflow.importing import run_import

    ui = Ui(lang, as_json)
    who = need_user(user)
    engine = open_engine(db, definitions)
    writer = open_bulk_writer(engine)
    phases = {"read": ui.t("读取文件", "Reading"), "check": ui.t("校验", "Checking"),
              "decide": ui.t("生成案件", "Deciding"), "write": ui.t("写入数据库", "Writing")}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=as_json, transient=True) as bar:
        task = bar.add_task(phases["read"], total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phases.get(phase, phase), completed=done,
                       total=total or None)

        report = run_import(engine, file, process, who, campaign, sheet, all_or_nothing, errors,
                            progress, writer=writer)
    if as_json:
        emit(report.as_dict(lang))
    else:
        _print_import(report, file, ui)
    if report.errors:
        raise typer.Exit(1)


def _print_import(report: Any, file: Path, ui: Ui) -> None:
    where = ui.t(f"（编码 {report.encoding}）", f" (encoding {report.encoding})") \
        if report.encoding else ui.t(f"（工作表「{report.sheet}」）", f" (sheet '{report.sheet}')")
    out.print(ui.t(f"{file.name}{where}：{report.rows} 行", f"{file.name}{where}: {report.rows} rows"))
    if report.unknown_columns:
        out.print(ui.t("未识别的列（未导入）：", "Unknown columns (not imported): ")
                  + ui.t("、", ", ").join(report.unknown_columns), markup=False)
    if report.refused:
        out.print(ui.t(f"有 {report.failed_rows} 行有误，按 --all-or-nothing 整个文件未导入",
                       f"{report.failed_rows} rows are bad: with --all-or-nothing nothing "
                       "was imported"))
    else:
        span = f" {report.imported[0][1]} … {report.imported[-1][1]}" if report.imported else ""
        out.print(ui.t(f"已导入 {len(report.imported)} 件{span}；跳过已导入的 "
                       f"{len(report.skipped)} 行；有误 {report.failed_rows} 行",
                       f"Imported {len(report.imported)} cases{span}; skipped "
                       f"{len(report.skipped)} rows imported before; {report.failed_rows} "
                       "rows bad"))
    changed = [s for s in report.skipped if s.changed]
    if changed:
        out.print(ui.t(f"其中 {len(changed)} 行与已导入的案件内容不同（未修改案件，请在案件中办理）",
                       f"{len(changed)} of the skipped rows differ from their cases "
                       "(cases not changed; change them on the case)"))
    if report.errors:
        table = Table(ui.t("行号", "Row"), ui.t("列", "Column"), ui.t("原因", "Reason"),
                      title=ui.t("错误行（前 20 条）", "Bad rows (first 20)"))
        for e in report.errors[:20]:
            table.add_row(str(e.row), f"{e.column} {e.header}".strip(), e.zh if ui.zh else e.en)
        out.print(table)
        out.print(ui.t(f"完整错误清单：{report.errors_path}", f"All errors: {report.errors_path}"))


@case_app.command("show")
@handled
def case_show(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="显示完整身份证号和电话（需有管辖权，并填写理由，记入案件记录）/ show "
        "full ID and phone (jurisdiction and a reason needed; recorded in the case's "
        "history)")] = False,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="查看完整个人信息的理由 / why the personal data is revealed")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """查看案件 / show a case, what the acting user may do, and why not."""
    from workflow.core.data import field_label
    from workflow.core.localtime import local
    from workflow.services import cases
    from workflow.views import value_text

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    if user:  # a read as that user: a case outside their units is not found
        case = cases.readable(engine, user, case).id
    info = cases.show(engine, user, case, lang, reveal=reveal, reason=reason)
    if as_json:
        emit(info)
        return
    defn = engine.definition_for(engine.get_case(info["id"]))
    table = Table(show_header=False, box=None)
    table.add_row(ui.t("案件", "Case"),
                  f"{info['number']}  ({info['process']} v{info['definition_version']})")
    table.add_row(ui.t("状态", "State"), f"{info['state_label']} ({info['state']})")
    table.add_row(ui.t("所属", "Jurisdiction"), info["jurisdiction"]["path"])
    table.add_row(ui.t("版本", "Version"), str(info["version"]))
    table.add_row(ui.t("提交时间", "Submitted"), local(datetime.fromisoformat(info["created_at"])))
    table.add_row(ui.t("进入本状态", "In this state since"),
                  local(datetime.fromisoformat(info["state_entered_at"])))
    for name, value in info["data"].items():
        if name not in defn.documents_fields:
            table.add_row(field_label(defn, name, lang), value_text(defn, name, value, lang))
    out.print(table)
    if "documents_check" in info:
        _print_papers(info["documents_check"], ui)
    if info["timers"]:
        _print_timers(info["timers"], ui)
    _print_options(info["options"], user, ui)


def _print_papers(papers: dict[str, Any], ui: Ui) -> None:
    table = Table(ui.t("材料", "Document"), ui.t("文件编号", "Reference"), ui.t("日期", "Date"),
                  ui.t("核对", "Check"), title=ui.t("申请材料", "Documents"))
    window = papers["receipt_window"]
    for d in papers["on_file"]:
        note = ui.t(f"票据日期不在 {window[0]} 至 {window[1]} 之内",
                    f"receipt dated outside {window[0]} to {window[1]}") \
            if d["outside_window"] and window else ui.t("已交", "on file")
        table.add_row(d["label"], d["ref"], d["date"], note)
    for r in papers["required"]:
        if r["missing"]:
            table.add_row(r["label"], "", "", ui.t("缺少（必备）", "missing (required)"))
    out.print(table)


def _print_timers(timers: list[dict[str, Any]], ui: Ui) -> None:
    from workflow.core.localtime import local

    table = Table(ui.t("计时", "Timer"), ui.t("类型", "Kind"), ui.t("到期", "Due"),
                  ui.t("时限", "Deadline"), ui.t("状态", "Status"), title=ui.t("计时器", "Timers"))
    kinds = {"fire": ui.t("自动流转", "fires"), "remind": ui.t("提醒", "reminder"),
             "escalate": ui.t("督办", "escalation"), "recur": ui.t("周期", "recurring")}
    statuses = {"pending": ui.t("待触发", "pending"), "fired": ui.t("已触发", "fired"),
                "cancelled": ui.t("已取消", "cancelled")}
    for tm in timers:
        table.add_row(tm["label"], kinds.get(tm["kind"], tm["kind"]),
                      local(datetime.fromisoformat(tm["due"])),
                      local(datetime.fromisoformat(tm["deadline"])),
                      statuses.get(tm["status"], tm["status"]))
    out.print(table)


def _print_options(options: list[dict[str, Any]], user: str | None, ui: Ui) -> None:
    if not options:
        return
    out.print(ui.t(f"\n{user} 现在可以:", f"\n{user} may now:"))
    for o in options:
        if o["allowed"]:
            extra = []
            if o["comment_required"]:
                extra.append(ui.t("须填理由 -m", "needs a reason -m"))
            if o["required"]:
                extra.append(ui.t("须填 ", "needs ") + ", ".join(o["required"]))
            out.print(f"  \u2713 {o['trigger']} ({o['label']})"
                      + (f"  [{'; '.join(extra)}]" if extra else ""), markup=False)
    for o in options:
        if not o["allowed"]:
            out.print(f"  \u2717 {o['trigger']} ({o['label']}): {'; '.join(o['reasons'])}",
                      markup=False)


@case_app.command("list")
@handled
def case_list(
    process: Annotated[str | None, typer.Option(help="流程 / process")] = None,
    state: Annotated[list[str] | None, typer.Option(help="状态，可多次 / state (repeatable)")] = None,
    unit: Annotated[str | None, typer.Option(help="单位及其下级 / unit and below")] = None,
    limit: Annotated[int, typer.Option(min=1, help="每页条数 / cases per page")] = 200,
    offset: Annotated[int, typer.Option(min=0, help="跳过前几条 / cases to skip")] = 0,
    user: AsOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """列出案件，分页显示并给出总数；用 --as 时只列该用户可看的案件 / list cases, a page at a
    time, with the total; with --as, only those that user may read."""
    from workflow.services import cases

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    if user:
        page = cases.list_readable(engine, user, lang, process=process, states=state,
                                   limit=limit, offset=offset)
    else:
        page = cases.list_cases(engine, lang, process=process, states=state, unit=unit,
                                limit=limit, offset=offset)
    if as_json:
        emit({"total": page.total, "offset": page.offset, "limit": page.limit,
              "next_offset": page.offset + len(page.rows)
              if page.offset + len(page.rows) < page.total else None, "cases": page.rows})
        return
    print_page(page, ui)


def print_page(page: Page, ui: Ui, can: bool = False) -> None:
    """A page of cases as JSON (the case views) or a table with the count."""
    if ui.as_json:
        emit(page.rows)
        return
    table = Table(ui.t("案件", "Case"), ui.t("申请人", "Applicant"), ui.t("类别", "Category"),
                  ui.t("所属", "Unit"), ui.t("状态", "State"), ui.t("更新", "Updated"),
                  *([ui.t("可执行", "You can")] if can else []))
    for c in page.cells:
        table.add_row(c["number"], c["applicant"], c["category"], c["unit"], c["state"],
                      c["updated"], *([c["can"]] if can else []))
    out.print(table)
    shown = len(page.cells)
    if shown == page.total:
        out.print(ui.t(f"共 {shown} 件", f"{shown} case(s)"))
        return
    first, last = (page.offset + 1 if shown else page.offset), page.offset + shown
    more = last < page.total
    out.print(ui.t(f"共 {page.total} 件，本页为第 {first}–{last} 件"
                   + (f"；下一页：--offset {last}" if more else ""),
                   f"{page.total} case(s) in all; this page shows {first}–{last}"
                   + (f"; next page: --offset {last}" if more else "")), markup=False)


@case_app.command("history")
@handled
def case_history(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    user: AsOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """案件的全部记录；用 --as 时须是该用户可看的案件 / a case's history; with --as, only of
    a case that user may read."""
    from workflow.core.data import field_label
    from workflow.services import cases
    from workflow.views import value_text

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    if user:
        case = cases.readable(engine, user, case).id
    c, events = cases.history(engine, case, lang)
    if as_json:
        emit({"case": c.number, "events": events})
        return
    defn = engine.definition_for(c)
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由/数据", "Comment / data"))
    for e in events:
        src = defn.state_label(e["source"], lang) if e["source"] else ""
        dst = defn.state_label(e["dest"], lang)
        actor = e["by"]
        detail = "; ".join(filter(None, [e["comment"], e["note"], ", ".join(
            f"{field_label(defn, k, lang)}={value_text(defn, k, v, lang)}"
            for k, v in e["data"].items())]))
        table.add_row(str(e["seq"]), e["local_time"], actor, e["trigger_label"],
                      f"{src} → {dst}" if src else dst, detail)
    out.print(table)


@handled
def queue(user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None,
          lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """我的待办 / the cases on which you can act now."""
    from workflow.services import cases

    ui = Ui(lang, as_json)
    who = need_user(user)
    engine = open_engine(db, definitions)
    print_page(cases.queue(engine, who, lang), ui, can=True)
