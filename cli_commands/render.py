"""How the case commands print their views: a command's result, a case, its options,
a page of cases, a history. Each works from the view alone (the dict a service
returns, or the HTTP API answers for ``--server``), so a command prints the same
whether it ran here or on a server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.table import Table

from cli_commands.common import Ui, emit, out

View = dict[str, Any]


def _local(iso: str) -> str:
    from workflow.core.localtime import local

    return local(datetime.fromisoformat(iso))


def print_result(view: View, ui: Ui) -> None:
    """One line (or the JSON view) saying where the command left the case."""
    if ui.as_json:
        emit(view)
        return
    again = ui.t("（重复请求，返回首次结果）", " (repeated request: first result returned)") \
        if view["replayed"] else ""
    out.print(ui.t(f"案件 {view['case']} → 「{view['state_label']}」（版本 {view['version']}）"
                   f"{again}", f"Case {view['case']} → '{view['state_label']}' "
                   f"(version {view['version']}){again}"))


def print_show(info: View, ui: Ui) -> None:
    """A case: its row, data, papers, timers and what the viewer may do."""
    if ui.as_json:
        emit(info)
        return
    table = Table(show_header=False, box=None)
    table.add_row(ui.t("案件", "Case"),
                  f"{info['number']}  ({info['process']} v{info['definition_version']})")
    table.add_row(ui.t("状态", "State"), f"{info['state_label']} ({info['state']})")
    table.add_row(ui.t("所属", "Jurisdiction"), info["jurisdiction"]["path"])
    table.add_row(ui.t("版本", "Version"), str(info["version"]))
    table.add_row(ui.t("提交时间", "Submitted"), _local(info["created_at"]))
    table.add_row(ui.t("进入本状态", "In this state since"), _local(info["state_entered_at"]))
    for row in info["fields"]:
        table.add_row(row["label"], row["text"])
    out.print(table)
    if "documents_check" in info:
        _print_papers(info["documents_check"], ui)
    if info["timers"]:
        _print_timers(info["timers"], ui)
    print_options(info["options"], info.get("viewer"), ui)


def _print_papers(papers: View, ui: Ui) -> None:
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


def _print_timers(timers: list[View], ui: Ui) -> None:
    table = Table(ui.t("计时", "Timer"), ui.t("类型", "Kind"), ui.t("到期", "Due"),
                  ui.t("时限", "Deadline"), ui.t("状态", "Status"), title=ui.t("计时器", "Timers"))
    kinds = {"fire": ui.t("自动流转", "fires"), "remind": ui.t("提醒", "reminder"),
             "escalate": ui.t("督办", "escalation"), "recur": ui.t("周期", "recurring")}
    statuses = {"pending": ui.t("待触发", "pending"), "fired": ui.t("已触发", "fired"),
                "cancelled": ui.t("已取消", "cancelled")}
    for tm in timers:
        table.add_row(tm["label"], kinds.get(tm["kind"], tm["kind"]), _local(tm["due"]),
                      _local(tm["deadline"]), statuses.get(tm["status"], tm["status"]))
    out.print(table)


def print_options(options: list[View], user: str | None, ui: Ui) -> None:
    """What ``user`` may do (✓, with what it needs) and what not (✗, with why)."""
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


def print_page(cells: Sequence[View], total: int, offset: int, ui: Ui,
               can: bool = False) -> None:
    """A page of cases as a table, with the count and where the next page starts."""
    table = Table(ui.t("案件", "Case"), ui.t("申请人", "Applicant"), ui.t("类别", "Category"),
                  ui.t("所属", "Unit"), ui.t("状态", "State"), ui.t("更新", "Updated"),
                  *([ui.t("可执行", "You can")] if can else []))
    for c in cells:
        table.add_row(c["number"], c["applicant"], c["category"], c["unit"], c["state"],
                      c["updated"], *([c["can"]] if can else []))
    out.print(table)
    shown = len(cells)
    if shown == total:
        out.print(ui.t(f"共 {shown} 件", f"{shown} case(s)"))
        return
    first, last = (offset + 1 if shown else offset), offset + shown
    more = last < total
    out.print(ui.t(f"共 {total} 件，本页为第 {first}–{last} 件"
                   + (f"；下一页：--offset {last}" if more else ""),
                   f"{total} case(s) in all; this page shows {first}–{last}"
                   + (f"; next page: --offset {last}" if more else "")), markup=False)


def _step(e: View) -> str:
    return f"{e['source_label']} → {e['dest_label']}" if e["source_label"] else e["dest_label"]


def print_history(view: View, ui: Ui) -> None:
    """A case's events as a table: who did what, from which state to which, and why."""
    if ui.as_json:
        emit({"case": view["case"], "events": view["events"]})
        return
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由/数据", "Comment / data"))
    for e in view["events"]:
        actor = e["by"]
        detail = "; ".join(filter(None, [e["comment"], e["note"], e["data_text"]]))
        table.add_row(str(e["seq"]), e["local_time"], actor, e["trigger_label"], _step(e),
                      detail)
    out.print(table)


def print_replay(view: View, ui: Ui) -> None:
    """A case as it was at a moment: the timeline up to then, its state and data."""
    if ui.as_json:
        emit({k: v for k, v in view.items() if k != "fields"})
        return
    table = Table("#", ui.t("时间", "Time"), ui.t("操作人", "Actor"), ui.t("操作", "Action"),
                  ui.t("状态", "State"), ui.t("理由", "Comment"))
    for e in view["events"]:
        table.add_row(str(e["seq"]), e["local_time"], e["by"], e["trigger_label"], _step(e),
                      "; ".join(filter(None, [e["comment"], e["note"]])))
    out.print(table)
    moment = _local(view["as_of"]) if view["as_of"] else ui.t("现在", "now")
    label, number, version = view["state_label"], view["case"], view["version"]
    out.print(ui.t(f"{moment} 时案件 {number} 处于「{label}」（版本 {version}）",
                   f"At {moment} case {number} was in '{label}' (version {version})"))
    for row in view["fields"]:
        out.print(f"  {row['label']}: {row['text']}", markup=False)
