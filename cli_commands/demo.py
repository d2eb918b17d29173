"""``bangfu demo``: a whole Spring Festival campaign on a fresh simulated database."""

from __future__ import annotations

import time

from rich.table import Table

from cli_commands.common import (
    DbOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    err,
    handled,
    out,
    released_at_exit,
)


@handled
def demo(db: DbOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """演示：在新的模拟数据库上跑完一个春节帮扶活动 / a whole campaign on a fresh database."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from workflow.core.localtime import local
    from workflow.demo import (
        DEMO_START,
        ConsoleDispatch,
        fresh_demo_path,
        open_demo_engine,
        run_demo,
    )

    ui = Ui(lang, as_json)
    began = time.perf_counter()
    target = db or fresh_demo_path()
    engine = released_at_exit(open_demo_engine(target))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, disable=as_json, transient=False) as bar:
        task = bar.add_task(ui.t("春节帮扶活动", "Spring Festival campaign"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=local(engine.clock.now()))

        dispatch = ConsoleDispatch(engine)
        try:
            report = run_demo(engine, lang, progress, dispatch)
        finally:
            dispatch.close()
    sent, console = dispatch.sent, dispatch.lines()
    elapsed = time.perf_counter() - began
    if as_json:
        emit({"database": target, "start": DEMO_START.isoformat(), "seconds": round(elapsed, 3),
              "notifications_sent": sent, "reminders_dropped": dispatch.dropped,
              **report.as_dict()})
        return
    finished = local(report.finished_at) if report.finished_at else ""
    villages = sorted({v for v, _ in report.by_village_state})
    states = sorted({s for _, s in report.by_village_state})
    table = Table(ui.t("村（社区）", "Village"), *states, ui.t("合计", "Total"),
                  title=ui.t("各村案件状态", "Cases by village and state"))
    for v in villages:
        row = [report.by_village_state.get((v, s), 0) for s in states]
        table.add_row(v, *(str(n) for n in row), str(sum(row)))
    table.add_row(ui.t("合计", "Total"),
                  *(str(sum(report.by_village_state.get((v, s), 0) for v in villages))
                    for s in states), str(report.cases))
    out.print(table)
    out.print(ui.t(
        f"提醒 {report.reminders} 条，督办 {report.escalations} 条；到期自动流转 "
        f"{report.auto_transitions} 次；异议 {report.objections} 件；"
        f"截至 {finished} 仍未办结并已督办的案件 {report.open_escalated} 件",
        f"{report.reminders} reminders and {report.escalations} escalations sent; "
        f"{report.auto_transitions} transitions fired by timers; {report.objections} "
        f"objections; {report.open_escalated} cases still open and escalated at "
        f"{finished}"))
    if report.escalated:
        esc = Table(ui.t("日期", "Date"), ui.t("时限", "Deadline"), ui.t("督办对象", "Sent to"),
                    ui.t("案件数", "Cases"), title=ui.t("督办", "Escalations"))
        for (day, timer, to), n in sorted(report.escalated.items()):
            esc.add_row(day, timer, to, str(n))
        out.print(esc)
    sample = [line for line in console if "【" in line]
    shown = [next((s for s in sample if mark in s), "") for mark in ("提醒", "督办")]
    out.print(ui.t(f"控制台通道发出通知 {sent} 条（`bangfu notify status` 可查看），例如:",
                   f"{sent} notifications sent on the console channel (see `bangfu notify "
                   "status`), e.g.:"))
    for line in filter(None, shown):
        out.print("  " + line, markup=False)
    out.print(ui.t(f"数据库：{target}；事件 {report.events} 条；用时 {elapsed:.1f} 秒",
                   f"Database: {target}; {report.events} events; took {elapsed:.1f} s"))
