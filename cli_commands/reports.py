"""``bangfu report …``: budget execution, and the documents out (notice list,
disbursement form, statistics, population costs, aid progress)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli_commands.common import (
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    ServerOpt,
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
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """预算执行：各科目的预算、已预留、已发放、结余，与已办结案件逐户核对 /
    allocation, reserved, paid, remaining, reconciled case by case."""
    from workflow.services.reports import LINE_SUMS, budget

    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        view = connect(server, None, lang).get("/v1/reports/budget", {"campaign": campaign})
    else:
        view = budget(open_engine(db, definitions), campaign, lang)
    if as_json:
        emit({k: v for k, v in view.items() if k != "label"})
        if not view["reconciles"]:
            raise typer.Exit(1)
        return
    table = Table(title=ui.t(f"{view['label']}预算执行（元）", f"{view['label']}: budget (yuan)"))
    table.add_column(ui.t("科目", "Line"), overflow="fold")
    for head in (ui.t("预算", "Allocated"), ui.t("已预留", "Reserved"), ui.t("已发放", "Paid"),
                 ui.t("结余", "Remaining")):
        table.add_column(head, justify="right", no_wrap=True)

    def line_rows(rows: list[dict[str, Any]]) -> None:
        for r in rows:
            table.add_row(r["label"], *(_yuan(r[k]) for k in LINE_SUMS))
            for item in r["items"]:
                times = (f" {item['count']} × {_yuan(item['each_fen'])}"
                         if item["count"] is not None and item["each_fen"] is not None else "")
                table.add_row(f"  └ {item['label']}{times}",
                              "" if item["amount_fen"] is None else _yuan(item["amount_fen"]),
                              style="dim")

    plan, ours = view["plan"], view["ours"]
    line_rows([r for r in view["lines"] if not r["ours"]])
    stated = plan["stated_total_fen"]
    table.add_row(ui.t("方案合计（方案所列）", "Plan total, as stated")
                  if stated is not None else ui.t("方案各科目合计（方案未列总额）",
                                                  "Plan lines (the plan states no total)"),
                  _yuan(stated if stated is not None else plan["totals"]["allocated_fen"]),
                  *(_yuan(plan["totals"][k]) for k in LINE_SUMS[1:]), style="bold")
    own = [r for r in view["lines"] if r["ours"]]
    if own:
        table.add_section()
        line_rows([{**r, "label": ui.t(f"{r['label']}（自设）",
                                       f"{r['label']} (ours)")} for r in own])
        table.add_row(ui.t("自设科目合计（非方案所列）", "Our own lines, not the plan's"),
                      *(_yuan(ours["totals"][k]) for k in LINE_SUMS), style="bold")
        table.add_section()
        table.add_row(ui.t("总计", "All lines"),
                      *(_yuan(view["totals"][k]) for k in LINE_SUMS), style="bold")
    out.print(table)
    _print_reconciliation(view, ui)
    if not view["reconciles"]:
        raise typer.Exit(1)


def _print_reconciliation(view: dict[str, Any], ui: Ui) -> None:
    """Ledger against the completed cases' events: equal, or every difference named."""
    paid, booked = view["paid_on_cases_fen"], view["booked_fen"]
    if view["reconciles"]:
        out.print(ui.t(f"账实相符：已办结案件的发放事件合计 {_yuan(paid)} 元，账上已发放 "
                       f"{_yuan(booked)} 元，逐户一致",
                       f"Reconciled: the completed cases' payments add up to {_yuan(paid)} "
                       f"yuan and the ledger holds {_yuan(booked)} yuan, case by case"))
    else:
        diff = view["difference_fen"]
        out.print(ui.t(f"账实不符：已办结案件的发放事件合计 {_yuan(paid)} 元，账上已发放 "
                       f"{_yuan(booked)} 元，相差 {_yuan(diff)} 元；"
                       f"{len(view['differences'])} 户不一致",
                       f"Does NOT reconcile: the completed cases' payments add up to "
                       f"{_yuan(paid)} yuan, the ledger holds {_yuan(booked)} yuan, a "
                       f"difference of {_yuan(diff)} yuan; {len(view['differences'])} "
                       "cases differ"))
        by_category: dict[str, list[int]] = {}
        for d in view["differences"]:
            acc = by_category.setdefault(d["category_label"], [0, 0])
            acc[0] += 1
            acc[1] += d["paid_fen"] - d["booked_fen"]
        for label, (n, fen) in by_category.items():
            out.print(ui.t(f"  {label}：{n} 户，发放多于入账 {_yuan(fen)} 元",
                           f"  {label}: {n} cases, paid {_yuan(fen)} yuan more than booked"))
        for d in view["differences"][:10]:
            out.print(ui.t(f"  {d['case']}（{d['category_label']}，{d['state']}）：发放 "
                           f"{_yuan(d['paid_fen'])} 元，入账 {_yuan(d['booked_fen'])} 元",
                           f"  {d['case']} ({d['category_label']}, {d['state']}): paid "
                           f"{_yuan(d['paid_fen'])}, booked {_yuan(d['booked_fen'])}"))
        if len(view["differences"]) > 10:
            out.print(ui.t(f"  ……另有 {len(view['differences']) - 10} 户，见 --json",
                           f"  ... and {len(view['differences']) - 10} more, see --json"))
    for o in view["outside_budget"]:
        out.print(ui.t(f"不在本预算内：{o['label']}（{o['process']}）已办结 {o['cases']} 件，"
                       f"发放 {_yuan(o['paid_fen'])} 元，其流程不从本预算列支",
                       f"Outside this budget: {o['label']} ({o['process']}), {o['cases']} "
                       f"granted, {_yuan(o['paid_fen'])} yuan; its process books nothing here"))


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


def _report(kind: str, params: dict[str, Any], build: Callable[[], Any], server: str | None,
            out_path: Path | None, fmt: str | None, ui: Ui) -> None:
    """The report built here, or asked of ``server`` (the same table, or the same file)."""
    if server is None:
        _report_out(build(), out_path, fmt, ui)
        return
    import json

    from cli_commands.remote import connect
    from workflow.errors import FileError, UsageError
    from workflow.reporting.table import table_from_dict
    from workflow.reporting.writers import format_of

    remote = connect(server, None, ui.lang)
    if out_path is None:
        if fmt is not None:
            raise UsageError("--format needs --out FILE", "--format 需要同时用 --out 指定输出文件")
        _report_out(table_from_dict(remote.get(f"/v1/reports/{kind}", params)), None, None, ui)
        return
    wanted = format_of(out_path, fmt)
    res = remote.download(f"/v1/reports/{kind}", {**params, "format": wanted})
    part = out_path.with_name(f".{out_path.name}.part")
    try:  # whole or not at all
        part.write_bytes(res.content)
        part.replace(out_path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise FileError(f"cannot write '{out_path}': {exc}", f"无法写入 '{out_path}'：{exc}") \
            from None
    facts = json.loads(res.headers.get("X-Bangfu-Report") or "{}")
    rows = int(res.headers.get("X-Bangfu-Rows") or 0)
    if ui.as_json:
        emit({"file": str(out_path), "format": wanted, "kind": facts.get("kind", kind),
              "rows": rows, "meta": facts.get("meta", {})})
    else:
        out.print(ui.t(f"已写入 {out_path}（{rows} 行）", f"Wrote {out_path} ({rows} rows)"))


@report_app.command("notice")
@handled
def report_notice(
    level: Annotated[str, typer.Option("--level", help="village、township 或 county / level")],
    unit: Annotated[str, typer.Option("--unit", help="公示单位 / the unit posting the list")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    include_refused: Annotated[bool, typer.Option(
        "--include-refused", help="含公示后不予通过、撤回的 / also refused and withdrawn")] = False,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """公示名单（姓名按活动设定，身份证号脱敏，不含电话；文末公示单位、时间、异议受理）/
    the public notice list: names by the campaign's policy, IDs masked, no phones."""
    from workflow.reporting import notice_list

    _report("notice", {"level": level, "unit": unit, "campaign": campaign,
                       "include_refused": "true" if include_refused else None},
            lambda: notice_list(open_engine(db, definitions), level, unit, campaign, lang=lang,
                                include_refused=include_refused),
            server, out_path, fmt, Ui(lang, as_json))


@report_app.command("form")
@handled
def report_form(
    village: Annotated[str, typer.Option("--village", help="村（社区）/ village")],
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    pending_only: Annotated[bool, typer.Option(
        "--pending-only", help="只列待发放的 / only households not yet paid")] = False,
    rows_per_page: Annotated[int, typer.Option(
        "--rows-per-page", help="每页户数，每页小计 / households per printed page")] = 10,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """慰问金发放签收表（本人签字、慰问干部签字，金额大写，分页小计、页码）/ the disbursement form."""
    from workflow.reporting import disbursement_form

    _report("form", {"village": village, "campaign": campaign, "rows_per_page": rows_per_page,
                     "pending_only": "true" if pending_only else None},
            lambda: disbursement_form(open_engine(db, definitions), village, campaign,
                                      lang=lang, include_completed=not pending_only,
                                      page_rows=rows_per_page),
            server, out_path, fmt, Ui(lang, as_json))


@report_app.command("stats")
@handled
def report_stats(
    unit: Annotated[str | None, typer.Option("--unit", help="单位及其下级 / unit and below")] = None,
    fmt: FormatOpt = None, out_path: OutOpt = None, campaign: CampaignOpt = None,
    server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """按村和类别统计件数与金额 / cases and amounts by village, category and state."""
    from workflow.reporting import statistics

    _report("stats", {"unit": unit, "campaign": campaign},
            lambda: statistics(open_engine(db, definitions), campaign, unit=unit, lang=lang),
            server, out_path, fmt, Ui(lang, as_json))


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
