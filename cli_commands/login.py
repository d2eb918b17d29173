"""``bangfu login`` and ``bangfu logout``: keep (or forget) the token a server's
administrator made for you, after the server said whose it is."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli_commands.common import JsonOpt, LangOpt, Ui, emit, handled, out

LoginServer = Annotated[str, typer.Option(
    "--server", envvar="BANGFU_SERVER", help="帮扶服务器网址 / the Bangfu server's URL")]


def _ask_token(ui: Ui) -> str:
    """The token from BANGFU_TOKEN, else typed (not shown) or piped in."""
    token = os.environ.get("BANGFU_TOKEN", "").strip()
    if token:
        return token
    if sys.stdin.isatty():
        return str(typer.prompt(ui.t("令牌（输入时不显示）", "Token (not shown)"),
                                hide_input=True)).strip()
    return sys.stdin.readline().strip()


@handled
def login(
    server: LoginServer,
    token: Annotated[str | None, typer.Option(
        "--token", help="令牌（会留在命令历史中；建议不填，按提示输入或从标准输入读入）/ the "
        "token (it stays in the shell's history: better typed at the prompt or piped in)")]
    = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """登录帮扶服务器：向服务器核对令牌，保存在仅本人可读的凭据文件 / log in to a Bangfu
    server: the token is checked with the server and kept in a file only you can read."""
    from cli_commands.common import closed_at_exit
    from cli_commands.credentials import remember
    from cli_commands.remote import Remote, normalised
    from workflow.errors import UsageError

    ui = Ui(lang, as_json)
    url = normalised(server)
    given = (token or _ask_token(ui)).strip()
    if not given:
        raise UsageError("no token given: type the one your administrator made for you",
                         "未输入令牌：请输入管理员为您生成的令牌")
    remote = Remote(url, given, lang)
    closed_at_exit(remote)
    me = remote.get("/v1/me")
    file = remember(url, given, str(me["id"]))
    if as_json:
        emit({"server": url, "user": me, "credentials": str(file)})
        return
    roles = ", ".join(me["roles"])
    out.print(ui.t(f"已登录 {url}：{me['name']}（{me['id']}，{me['unit_path']}，{roles}）；"
                   f"令牌保存在 {file}（仅本人可读）",
                   f"Logged in to {url} as {me['name']} ({me['id']}, {me['unit_path']}, "
                   f"{roles}); the token is kept in {file} (readable by you only)"),
              markup=False)


@handled
def logout(
    server: Annotated[str | None, typer.Option(
        "--server", envvar="BANGFU_SERVER", help="只退出这个服务器（默认全部）/ only this "
        "server (default: every one)")] = None,
    lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """退出登录：删除本机保存的令牌 / log out: forget the token kept here."""
    from cli_commands.credentials import forget
    from cli_commands.remote import normalised

    ui = Ui(lang, as_json)
    gone = forget(normalised(server) if server else None)
    if as_json:
        emit({"logged_out": gone})
        return
    if not gone:
        out.print(ui.t("本来就没有登录", "not logged in"))
    for url in gone:
        out.print(ui.t(f"已退出 {url}（本机保存的令牌已删除；令牌在服务器上仍有效，直到管理员吊销或到期）",
                       f"Logged out of {url} (the token kept here is gone; on the server it "
                       "stays valid until an administrator revokes it or it expires)"),
                  markup=False)
