"""``bangfu clock …``, ``bangfu deadlines`` and ``bangfu scheduler run``: the
simulated clock, the deadlines board and the timer worker."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    handled,
    open_engine,
    out,
)

if TYPE_CHECKING:
    from workflow.engine import Engine

clock_app = typer.Typer(help="模拟时钟 / the simulated clock", no_args_is_help=True)
scheduler_app = typer.Typer(help="定时任务 / the scheduler", no_args_is_help=True)


@clock_app.command("show")
@handled
def clock_show(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """显示时钟 / show the clock."""
    from workflow.core.localtime import local

    ui = Ui(lang, as_json)
    engine = open_engine(db)
    now = engine.clock.now()
    if as_json:
        emit({"now": now.isoformat(), "local": local(now), "simulated": engine.clock.simulated})
    else:
        kind = ui.t("模拟", "simulated") if engine.clock.simulated else ui.t("真实", "real")
        out.print(f"{local(now)} (Asia/Shanghai, {kind})")


@clock_app.command("set")
@handled
def clock_set(when: Annotated[str, typer.Argument(help="如 2027-01-07T09:00+08:00")],
              db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """把模拟时钟调到某一时刻 / set the simulated clock."""
    from workflow.services.time import parse_time, set_clock

    ui = Ui(lang, as_json)
    engine = open_engine(db)
    _clock_result(engine, set_clock(engine, when=parse_time(when)), ui)


@clock_app.command("advance")
@handled
def clock_advance(by: Annotated[str, typer.Argument(help="如 3d、12h、30m")],
                  db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """把模拟时钟向前拨 / move the simulated clock forward."""
    from workflow.services.time import parse_advance, set_clock

    ui = Ui(lang, as_json)
    delta = parse_advance(by)
    engine = open_engine(db)
    _clock_result(engine, set_clock(engine, advance=delta), ui)


def _clock_result(engine: Engine, fired: list[Any], ui: Ui) -> None:
    from workflow.core.localtime import local
    from workflow.services.time import fired_view

    now = engine.clock.now()
    if ui.as_json:
        emit({"now": now.isoformat(), "fired": fired_view(fired)})
        return
    out.print(local(now))
    fired_summary(fired)


def fired_summary(fired: list[Any]) -> None:
    from workflow.core.localtime import local

    for f in fired:
        out.print(f"  {local(f.event.at)}  {f.case_number}  {f.timer.kind}:{f.timer.spec_id} "
                  f"→ {f.event.kind}" + (f" ({f.messages})" if f.messages else ""), markup=False)


@handled
def deadlines(
    overdue: Annotated[bool, typer.Option("--overdue", help="只看已逾期 / overdue only")] = False,
    unit: Annotated[str | None, typer.Option(help="单位及其下级 / unit and below")] = None,
    user: AsOpt = None, server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """时限一览：每个案件和每个村的临近与逾期时限；用 --as 时只看该用户可看的案件 /
    upcoming and missed deadlines; with --as, of the cases that user may read."""
    from datetime import datetime

    from workflow.core.localtime import local

    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        board = connect(server, user, lang).get("/v1/deadlines", {
            "overdue": "true" if overdue else None, "unit": unit})
    else:
        from workflow.services import time

        engine = open_engine(db, definitions)
        board = time.deadlines_of(engine, user, lang, unit=unit, overdue=overdue) if user \
            else time.board_view(time.deadlines(engine, lang, unit=unit, overdue=overdue))
    if as_json:
        emit(board)
        return
    table = Table(ui.t("案件", "Case"), ui.t("村（社区）", "Village"), ui.t("状态", "State"),
                  ui.t("时限", "Deadline"), ui.t("截止", "Due"), ui.t("逾期", "Overdue"),
                  ui.t("已督办", "Escalated"))
    for r in board["deadlines"]:
        table.add_row(r["case"], r["village"], r["state"], r["label"], r["local"],
                      ui.t("是", "yes") if r["overdue"] else "", str(r["escalations"] or ""))
    out.print(table)
    summary = Table(ui.t("村（社区）", "Village"), ui.t("未完成时限", "Open"),
                    ui.t("已逾期", "Overdue"))
    for village, n in sorted(board["by_village"].items()):
        summary.add_row(village, str(n["open"]), str(n["overdue"]))
    out.print(summary)
    now = local(datetime.fromisoformat(board["now"]))
    out.print(ui.t(f"当前时间 {now}", f"Now {now}"))


@scheduler_app.command("run")
@handled
def scheduler_run(
    once: Annotated[bool, typer.Option("--once", help="补发到期任务后退出 / catch up and exit")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", envvar="BANGFU_NOTIFICATIONS",
        help="通知渠道配置文件 / notifications file")] = None,
    notify: Annotated[bool, typer.Option(
        "--notify/--no-notify", help="同时发送通知 / also dispatch notifications")] = True,
    refresh: Annotated[float, typer.Option(min=0.05, help="重读最早时限的间隔（秒）/ refresh seconds")] = 30.0,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """运行定时任务：到期即触发，启动时补发停机期间到期的任务 / fire timers when due."""
    from workflow.scheduler import TimerScheduler

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    dispatcher = None
    if notify:
        from workflow.bootstrap import open_dispatcher

        dispatcher = open_dispatcher(engine, config, stream=sys.stderr if as_json else None)
    scheduler = TimerScheduler(engine, refresh_seconds=refresh,
                               after_catch_up=dispatcher.run_once if dispatcher else None)
    if once:
        fired = scheduler.catch_up()
        if dispatcher is not None:
            dispatcher.close()
        if as_json:
            emit({"fired": [{"timer": f.timer.id, "case": f.case_number, "kind": f.timer.kind,
                             "due": f.timer.due_at.isoformat(), "event": f.event.kind}
                            for f in fired]})
        else:
            out.print(ui.t(f"已触发 {len(fired)} 个到期任务", f"Fired {len(fired)} due timer(s)"))
        return
    try:
        scheduler.run()
    finally:
        if dispatcher is not None:
            dispatcher.close()
