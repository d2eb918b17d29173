"""``bangfu org substitute``: a reviewer on leave names a substitute for a period
(add), the periods are listed (list), and one is ended early (end). Parse → service
(``workflow.services.org``) → render; no rules here."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    JsonOpt,
    LangOpt,
    Ui,
    emit,
    handled,
    need_user,
    open_engine,
    out,
)

substitute_app = typer.Typer(
    help="代理人：休假的经办人指定代理人及代理期 / substitutes: a reviewer on leave names one for "
         "a period", no_args_is_help=True)

ReasonOpt = Annotated[str | None, typer.Option("--reason", "-m", help="理由（如请假事由）/ "
                                                                      "reason (e.g. the leave)")]


def _line(ui: Ui, v: dict[str, Any]) -> str:
    return ui.t(
        f"代理 {v['id']}：{v['substitute_name']}（{v['substitute']}）代 {v['reviewer_name']}"
        f"（{v['reviewer']}），{v['from']} 起至 {v['to']} 止，{v['state_label']}",
        f"substitution {v['id']}: {v['substitute_name']} ({v['substitute']}) for "
        f"{v['reviewer_name']} ({v['reviewer']}), {v['from']} to {v['to']}, {v['state_label']}")


@substitute_app.command("add")
@handled
def substitute_add(
    reviewer: Annotated[str, typer.Argument(help="休假的经办人 / the reviewer on leave")],
    substitute: Annotated[str, typer.Argument(help="代理人 / the substitute")],
    starts: Annotated[str, typer.Option("--from", help="开始：日期（当天零点，今天则为现在）或带时区的时间 "
                                        "/ start: a date (its local midnight; today: now) or "
                                        "a time with its zone")],
    ends: Annotated[str, typer.Option("--to", help="结束：日期（含当天）或带时区的时间 / end: a date "
                                      "(the whole day) or a time with its zone")],
    reason: ReasonOpt = None, user: AsOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """指定代理人：代理期内代理人以被代理人的角色办理其辖区的案件（本人或系统管理员）/ name a
    substitute who, in the period, acts in the reviewer's units with the reviewer's role."""
    from workflow.services.org import add_substitute

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    view = add_substitute(engine, need_user(user), reviewer, substitute, starts, ends, reason,
                          lang)
    if as_json:
        emit(view)
        return
    out.print(_line(ui, view))


@substitute_app.command("list")
@handled
def substitute_list(
    of: Annotated[str | None, typer.Option("--user", help="只列此用户的代理（作为被代理人或代理人）"
                                           " / only this user's, either side")] = None,
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """代理记录 / the recorded substitutions (given --as: that user's own, unless an
    administrator or auditor)."""
    from rich.table import Table

    from workflow.services.org import list_substitutes

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    rows = list_substitutes(engine, user, lang, of=of)
    if as_json:
        emit(rows)
        return
    if not rows:
        out.print(ui.t("没有代理记录", "no substitutions recorded"))
        return
    table = Table("#", ui.t("被代理人", "Reviewer"), ui.t("代理人", "Substitute"),
                  ui.t("开始", "From"), ui.t("结束", "To"), ui.t("状态", "State"),
                  ui.t("理由", "Reason"), ui.t("指定人", "Named by"))
    for v in rows:
        table.add_row(str(v["id"]), f"{v['reviewer_name']} ({v['reviewer']})",
                      f"{v['substitute_name']} ({v['substitute']})", v["from"],
                      v["ended_at"] or v["to"], v["state_label"], v["reason"], v["created_by"])
    out.print(table)


@substitute_app.command("end")
@handled
def substitute_end(
    ident: Annotated[int, typer.Argument(help="代理编号 / the substitution's number")],
    reason: ReasonOpt = None, user: AsOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """提前结束代理（被代理人、代理人或系统管理员）/ end a substitution now (the reviewer, the
    substitute or an administrator)."""
    from workflow.services.org import end_substitute

    ui = Ui(lang, as_json)
    engine = open_engine(db, definitions)
    view = end_substitute(engine, need_user(user), ident, reason, lang)
    if as_json:
        emit(view)
        return
    out.print(ui.t(f"已结束，{view['ended_at']} 起不再代理：", f"ended; no longer in force from "
                   f"{view['ended_at']}: ") + _line(ui, view))
