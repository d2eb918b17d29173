"""``bangfu report …``: budget execution, and the documents out (notice list,
disbursement form, statistics, population costs, aid progress)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli_commands.common import (
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    handled,
    open_engine,
    out,
)

report_app = typer.Typer(help="报表 / reports", no_args_is_help=True)

FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help="csv、xlsx 或 html（默认取 --out 的扩展名）/ csv, xlsx or html")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 / output file")]
CampaignOpt = Annotated[str | None, typer.Option("--campaign", help="活动 id / campaign id")]


def _yuan(fen: int) -> str:
    from workflow.rules.money import fen_to_yuan_text

    return fen_to_yuan_text(fen, grouping=True)


@report_app.command("budget")
@handled
def report_budget(
    campaign: Annotated[str | None, typer.Option(help="活动 / campaign")] = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """预算执行：各科目的预算、已预留、已发放、结余 / allocation, reserved, paid, remaining."""
    from workflow.services.reports import LINE_SUMS, budget

    ui = Ui(lang, as_json)
    view = budget(open_engine(db, definitions), campaign, lang)
    if as_json:
        emit({k: view[k] for k in ("campaign", "lines", "totals", "paid_on_cases_fen",
                                   "reconciles")})
        return
    label, totals, paid_on_cases = view["label"], view["totals"], view["paid_on_cases_fen"]
    table = Table(ui.t("科目", "Line"), ui.t("预算", "Allocated"), ui.t("已预留", "Reserved"),
                  ui.t("已发放", "Paid"), ui.t("结余", "Remaining"),
                  title=ui.t(f"{label}预算执行（元）", f"{label}: budget (yuan)"))
    for r in view["lines"]:
        table.add_row(r["label"], *(_yuan(r[k]) for k in LINE_SUMS))
    table.add_row(ui.t("合计", "Total"), *(_yuan(totals[k]) for k in LINE_SUMS))
    out.print(table)
    out.print(ui.t(f"账实相符：已办结案件发放合计 {_yuan(paid_on_cases)} 元，与账上已发放一致",
                   f"Reconciled: completed cases paid {_yuan(paid_on_cases)} yuan, as booked")
              if view["reconciles"] else
              ui.t(f"账实不符：已办结案件发放合计 {_yuan(paid_on_cases)} 元，账上已发放 "
                   f"{_yuan(totals['paid_fen'])} 元", f"Does NOT reconcile: cases paid "
                   f"{_yuan(paid_on_cases)}, ledger {_yuan(totals['paid_fen'])}"))
    if not view["reconciles"]:
        raise typer.Exit(1)


def _report_out(table: Any, out_path: Path | None, fmt: str | None, ui: Ui) -> None:
    """Write the report to --out; without it print it (a public list masked as on paper)."""
    from workflow.errors import UsageError
    from workflow.reporting import write
    from workflow.reporting.table import masked
    from workflow.reporting.writers import format_of, text_of

    if out_path is not None:
        path = write(table, out_path, fmt)
        if ui.as_json:
            emit({"file": str(path), "format": format_of(path, fmt), "kind": table.kind,
                  "rows": len(table), "meta": dict(table.meta)})
        else:
            out.print(ui.t(f"已写入 {path}（{len(table)} 行）", f"Wrote {path} ({len(table)} rows)"))
        return
    if fmt is not None:
        raise UsageError("--format needs --out FILE", "--format 需要同时用 --out 指定输出文件")
    shown = masked(table)
    if ui.as_json:
        emit(shown.as_dict())
        return
    # on a terminal, counts that are zero in every row are left out
    columns = [c for c in shown.columns
               if c.kind != "count" or any(row[c.key] for row in shown.rows)]
    grid = Table(*(c.label for c in columns), title=shown.title)
    for row in shown.rows:
        grid.add_row(*(text_of(c, row[c.key], True) for c in columns),
                     style=None if row.kind == "data" else "bold")
    out.print(grid)
    for line in (*shown.notes, *shown.footer):
        out.print(line)


@report_app.command("notice")
@handled
def report_notice(
    level: Annotated[str, typer.Option("--level", help="village、township 或 county / level")],
    unit: Annotated[str, typer.Option("--unit", help="公示单位 / the unit posting the list")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    include_refused: Annotated[bool, typer.Option(
        "--include-refused", help="含公示后不予通过、撤回的 / also refused and withdrawn")] = False,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """公示名单（姓名按活动设定，身份证号脱敏，不含电话；文末公示单位、时间、异议受理）/
    the public notice list: names by the campaign's policy, IDs masked, no phones."""
    from workflow.reporting import notice_list

    table = notice_list(open_engine(db, definitions), level, unit, campaign, lang=lang,
                        include_refused=include_refused)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("form")
@handled
def report_form(
    village: Annotated[str, typer.Option("--village", help="村（社区）/ village")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    pending_only: Annotated[bool, typer.Option(
        "--pending-only", help="只列待发放的 / only households not yet paid")] = False,
    rows_per_page: Annotated[int, typer.Option(
        "--rows-per-page", help="每页户数，每页小计 / households per printed page")] = 10,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """慰问金发放签收表（本人签字、慰问干部签字，金额大写，分页小计、页码）/ the disbursement form."""
    from workflow.reporting import disbursement_form

    table = disbursement_form(open_engine(db, definitions), village, campaign, lang=lang,
                              include_completed=not pending_only, page_rows=rows_per_page)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("stats")
@handled
def report_stats(
    unit: Annotated[str | None, typer.Option("--unit", help="单位及其下级 / unit and below")] = None,
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """按村和类别统计件数与金额 / cases and amounts by village, category and state."""
    from workflow.reporting import statistics

    table = statistics(open_engine(db, definitions), campaign, unit=unit, lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("population")
@handled
def report_population(
    file: Annotated[Path, typer.Argument(help="人数文件 / population file (YAML)")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """按活动标准测算资金（如三无人员 110,800 元）/ what a population costs at the standards."""
    from definitions.campaign import load_campaigns
    from workflow.bootstrap import campaigns_dir
    from workflow.reporting import ReportError, load_population, population_report
    from workflow.reporting.table import unknown

    spec = load_population(file)
    campaigns = load_campaigns(campaigns_dir(definitions))
    wanted = campaign or spec.campaign or (next(iter(campaigns)) if len(campaigns) == 1 else None)
    if wanted is None:
        raise ReportError("say whose standards price it: --campaign ID or 'campaign:' in the file",
                          "请用 --campaign 或文件中的 'campaign:' 指明按哪个活动的标准测算")
    if wanted not in campaigns:
        raise unknown("campaign", "活动", wanted, list(campaigns))
    table = population_report(campaigns[wanted].spec.standards, spec.counts,
                              title=spec.labels.get(lang), lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))


@report_app.command("aid")
@handled
def report_aid(
    file: Annotated[Path, typer.Argument(help="年度目标文件 / targets file (YAML)")],
    unit: Annotated[str | None, typer.Option("--unit", help="单位及其下级 / unit and below")] = None,
    fmt: FormatOpt = None, out_path: OutOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """生活、医疗、助学救助按月户数及年度目标完成率 / monthly aid and progress to targets."""
    from workflow.reporting import aid_progress, load_aid_targets

    table = aid_progress(open_engine(db, definitions), load_aid_targets(file), unit=unit,
                         lang=lang)
    _report_out(table, out_path, fmt, Ui(lang, as_json))
