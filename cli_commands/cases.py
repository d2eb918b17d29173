"""``bangfu case …`` and ``bangfu queue``: submit, advance, import, show, list,
history, options, the acting user's queue. With ``--server`` each (but import) runs
on a Bangfu server as the token's user and prints the same."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli_commands.common import (
    AsOpt,
    DbOpt,
    DefsOpt,
    DocOpt,
    JsonOpt,
    LangOpt,
    ServerOpt,
    SetOpt,
    Ui,
    emit,
    handled,
    need_user,
    open_engine,
    out,
    parse_sets,
)
from cli_commands.render import print_history, print_options, print_page, print_result, print_show

case_app = typer.Typer(help="案件 / cases", no_args_is_help=True)


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
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """提交申请 / open a case."""
    from cli_commands.remote import connect

    ui = Ui(lang, as_json)
    if server:
        view = connect(server, user, lang).post("/v1/cases", {
            "process": process, "text": parse_sets(sets), "papers": docs or [], "unit": unit,
            "comment": comment, "campaign": campaign},
            headers={"Idempotency-Key": key} if key else None)
    else:
        from workflow.services import cases

        who = need_user(user)
        engine = open_engine(db, definitions)
        res = cases.submit(engine, who, process, text=parse_sets(sets), papers=docs or (),
                           unit=unit, comment=comment, key=key, campaign=campaign)
        view = cases.result(engine, res, lang)
    print_result(view, ui)


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
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """推进案件 / fire a trigger on a case."""
    from cli_commands.remote import case_path, connect

    ui = Ui(lang, as_json)
    if server:
        headers = {"Idempotency-Key": key} if key else {}
        if expect_version is not None:
            headers["If-Match"] = str(expect_version)
        view = connect(server, user, lang).post(case_path(case, "fire"), {
            "trigger": trigger, "text": parse_sets(sets), "papers": docs or [],
            "comment": comment}, headers=headers)
    else:
        from workflow.services import cases

        who = need_user(user)
        engine = open_engine(db, definitions)
        res = cases.advance(engine, who, case, trigger, text=parse_sets(sets),
                            papers=docs or (), comment=comment, expect_version=expect_version,
                            key=key)
        view = cases.result(engine, res, lang)
    print_result(view, ui)


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
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """查看案件 / show a case, what the acting user may do, and why not."""
    from cli_commands.remote import case_path, connect

    ui = Ui(lang, as_json)
    if server:
        info = connect(server, user, lang).get(case_path(case), {
            "reveal": "true" if reveal else None, "reason": reason})
    else:
        from workflow.services import cases

        engine = open_engine(db, definitions)
        if user:  # a read as that user: a case outside their units is not found
            case = cases.readable(engine, user, case).id
        info = cases.show(engine, user, case, lang, reveal=reveal, reason=reason)
    print_show(info, ui)


@case_app.command("options")
@handled
def case_options(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """现在可以做什么，其余为何不可 / what the acting user may do on a case now, and why
    not the rest."""
    from cli_commands.remote import case_path, connect

    ui = Ui(lang, as_json)
    if server:
        view = connect(server, user, lang).get(case_path(case, "options"))
    else:
        from workflow.services import cases

        who = need_user(user)
        engine = open_engine(db, definitions)
        view = cases.options(engine, who, cases.readable(engine, who, case).id, lang)
    if as_json:
        emit(view)
        return
    out.print(ui.t(f"案件 {view['case']}：「{view['state_label']}」（版本 {view['version']}）",
                   f"Case {view['case']}: '{view['state_label']}' (version {view['version']})"))
    print_options(view["options"], view["user"], ui)


#: the most cases one request to the server lists (the API's bound)
PAGE_MAX = 500


@case_app.command("list")
@handled
def case_list(
    process: Annotated[str | None, typer.Option(help="流程 / process")] = None,
    state: Annotated[list[str] | None, typer.Option(help="状态，可多次 / state (repeatable)")] = None,
    unit: Annotated[str | None, typer.Option(help="单位及其下级 / unit and below")] = None,
    limit: Annotated[int, typer.Option(min=1, help="每页条数 / cases per page")] = 200,
    offset: Annotated[int, typer.Option(min=0, help="跳过前几条 / cases to skip")] = 0,
    user: AsOpt = None, server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """列出案件，分页显示并给出总数；用 --as 时只列该用户可看的案件 / list cases, a page at a
    time, with the total; with --as, only those that user may read."""
    ui = Ui(lang, as_json)
    if server:
        rows, cells, total = _remote_page(server, user, lang, process, state, unit, limit,
                                          offset)
    else:
        from workflow.services import cases

        engine = open_engine(db, definitions)
        if user:
            page = cases.list_readable(engine, user, lang, process=process, states=state,
                                       unit=unit, limit=limit, offset=offset)
        else:
            page = cases.list_cases(engine, lang, process=process, states=state, unit=unit,
                                    limit=limit, offset=offset)
        rows, cells, total = page.rows, page.cells, page.total
    if as_json:
        emit({"total": total, "offset": offset, "limit": limit,
              "next_offset": offset + len(rows) if offset + len(rows) < total else None,
              "cases": rows})
        return
    print_page(cells, total, offset, ui)


def _remote_page(server: str, user: str | None, lang: str, process: str | None,
                 state: list[str] | None, unit: str | None, limit: int, offset: int
                 ) -> tuple[list[Any], list[Any], int]:
    """``limit`` cases from ``offset`` on, asked a page of at most ``PAGE_MAX`` at a time."""
    from cli_commands.remote import connect

    remote = connect(server, user, lang)
    rows: list[Any] = []
    cells: list[Any] = []
    while True:
        body = remote.get("/v1/cases", {"process": process, "state": state, "unit": unit,
                                        "offset": offset + len(rows),
                                        "limit": min(PAGE_MAX, limit - len(rows))})
        rows += body["cases"]
        cells += body["cells"]
        if len(rows) >= limit or body["next_offset"] is None or not body["cases"]:
            return rows, cells, int(body["total"])


@case_app.command("history")
@handled
def case_history(
    case: Annotated[str, typer.Argument(help="案件编号 / case number")],
    user: AsOpt = None, server: ServerOpt = None,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """案件的全部记录；用 --as 时须是该用户可看的案件 / a case's history; with --as, only of
    a case that user may read."""
    from cli_commands.remote import case_path, connect

    ui = Ui(lang, as_json)
    if server:
        view = connect(server, user, lang).get(case_path(case, "history"))
    else:
        from workflow.services import cases

        engine = open_engine(db, definitions)
        if user:
            case = cases.readable(engine, user, case).id
        c, events = cases.history(engine, case, lang)
        view = {"case": c.number, "events": events}
    print_history(view, ui)


@handled
def queue(user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
          definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False) -> None:
    """我的待办 / the cases on which you can act now."""
    from cli_commands.remote import connect

    ui = Ui(lang, as_json)
    if server:
        body = connect(server, user, lang).get("/v1/queue")
        rows, cells = body["cases"], body["cells"]
    else:
        from workflow.services import cases

        who = need_user(user)
        page = cases.queue(open_engine(db, definitions), who, lang)
        rows, cells = page.rows, page.cells
    if as_json:
        emit(rows)
        return
    print_page(cells, len(rows), 0, ui, can=True)

