"""``bangfu case import``: applications from a spreadsheet (CSV or XLSX), on the
server's console (the file is read where the command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    err,
    handled,
    need_user,
    open_engine,
    out,
)


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
