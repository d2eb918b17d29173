"""``bangfu serve`` (the HTTP API and the pages under uvicorn), ``bangfu users token …``
(API tokens: made by an administrator, shown once, listed, revoked) and ``bangfu users
password set`` (a page-login password, read from a prompt or stdin, never an argument)."""

from __future__ import annotations

from typing import Annotated

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
    need_user,
    open_engine,
    out,
)

users_app = typer.Typer(help="用户与令牌 / users and their API tokens", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌 / API tokens", no_args_is_help=True)
users_app.add_typer(token_app, name="token")
password_app = typer.Typer(help="页面登录密码 / page-login passwords", no_args_is_help=True)
users_app.add_typer(password_app, name="password")


@handled
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址 / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="端口（0：任一空闲端口）/ "
                                      "port (0: any free one)")] = 8000,
    openapi: Annotated[bool, typer.Option("--openapi", help="只输出 OpenAPI 文档 / print the "
                                          "OpenAPI document and stop")] = False,
    db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """运行 HTTP API（令牌登录）/ run the HTTP API (token login).

    The address is bound before the first line is printed, so whoever reads that line
    (a script, a test) can connect at once; with ``--port 0`` the line names the port."""
    import socket
    import sys

    import uvicorn

    from api import create_app
    from workflow.bootstrap import open_logins, open_tokens
    from workflow.errors import UsageError

    engine = open_engine(db, definitions)
    app = create_app(engine, open_tokens(engine), open_logins(engine))
    if openapi:
        import json

        typer.echo(json.dumps(app.openapi(), ensure_ascii=False, indent=1))
        return
    ui = Ui(lang, as_json)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         f"无法在 {host}:{port} 上监听：{exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    url = f"http://{host}:{bound}"
    if as_json:
        emit({"url": url, "docs": f"{url}/docs", "openapi": f"{url}/openapi.json"})
    else:
        out.print(ui.t(f"帮扶 HTTP API：{url}（文档 /docs，OpenAPI /openapi.json；页面 /login、/desk）",
                       f"Bangfu HTTP API: {url} (docs /docs, OpenAPI /openapi.json; pages /login, /desk)"))
    sys.stdout.flush()
    try:
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        sock.close()


@token_app.command("create")
@handled
def token_create(
    owner: Annotated[str, typer.Argument(help="令牌所属用户 / the token's user")],
    expires: Annotated[str, typer.Option("--expires", help="有效期，如 90d / life, e.g. 90d")]
    = "90d",
    label: Annotated[str | None, typer.Option("--label", help="备注 / label")] = None,
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """为用户新建令牌（仅显示一次；需系统管理员角色）/ make a token for a user (shown once;
    needs the administrator role)."""
    from workflow.bootstrap import open_tokens
    from workflow.services.identity import create_token
    from workflow.services.time import parse_advance

    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        made = connect(server, user, lang).post("/v1/tokens", {
            "user": owner, "expires": expires, "label": label})
    else:
        engine = open_engine(db, definitions)
        new = create_token(engine, open_tokens(engine), need_user(user), owner,
                           parse_advance(expires), label)
        made = {"id": new.id, "user": new.user, "token": new.token,
                "expires_at": new.expires_at}
    if as_json:
        emit(made)
        return
    out.print(made["token"])
    out.print(ui.t(f"令牌 {made['id']} 属于 {made['user']}，{made['expires_at']} 到期；只显示这一次，"
                   "请妥善保存", f"token {made['id']} of {made['user']}, expires "
                   f"{made['expires_at']}; shown only this once: keep it safe"))


@token_app.command("list")
@handled
def token_list(
    owner: Annotated[str | None, typer.Option("--user", help="只列此用户 / one user's")] = None,
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """列出令牌（不显示令牌本身）/ list tokens (never the token itself)."""
    from workflow.bootstrap import open_tokens
    from workflow.services.identity import list_tokens

    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        rows = connect(server, user, lang).get("/v1/tokens", {"user": owner})
    else:
        engine = open_engine(db, definitions)
        rows = list_tokens(engine, open_tokens(engine), need_user(user), owner)
    if as_json:
        emit(rows)
        return
    table = Table("#", ui.t("用户", "User"), ui.t("前缀", "Prefix"), ui.t("状态", "State"),
                  ui.t("到期", "Expires"), ui.t("最近使用", "Last used"), ui.t("备注", "Label"))
    for r in rows:
        table.add_row(str(r["id"]), r["user"], r["prefix"] + "…", r["state"], r["expires_at"],
                      r["last_used_at"] or "", r["label"] or "")
    out.print(table)


@token_app.command("revoke")
@handled
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="令牌编号 / token id")],
    user: AsOpt = None, server: ServerOpt = None, db: DbOpt = None,
    definitions: DefsOpt = None, lang: LangOpt = "zh", as_json: JsonOpt = False,
) -> None:
    """吊销令牌 / revoke a token."""
    from workflow.bootstrap import open_tokens
    from workflow.services.identity import revoke_token

    ui = Ui(lang, as_json)
    if server:
        from cli_commands.remote import connect

        connect(server, user, lang).delete(f"/v1/tokens/{token_id}")
    else:
        engine = open_engine(db, definitions)
        revoke_token(engine, open_tokens(engine), need_user(user), token_id)
    if as_json:
        emit({"revoked": token_id})
    else:
        out.print(ui.t(f"已吊销令牌 {token_id}", f"token {token_id} revoked"))


def _read_password(ui: Ui) -> str:
    """The new password: asked twice at a terminal, else the first line of stdin."""
    import getpass
    import sys

    from workflow.errors import UsageError

    if sys.stdin.isatty():
        first = getpass.getpass(ui.t("新密码：", "New password: "))
        if getpass.getpass(ui.t("再输入一次：", "Again: ")) != first:
            raise UsageError("the two passwords differ; nothing was changed",
                             "两次输入的密码不一致，未作更改")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@password_app.command("set")
@handled
def password_set(
    owner: Annotated[str, typer.Argument(help="用户 / the user")],
    user: AsOpt = None, db: DbOpt = None, definitions: DefsOpt = None, lang: LangOpt = "zh",
    as_json: JsonOpt = False,
) -> None:
    """设置用户的页面登录密码（从提示或标准输入读取；需系统管理员角色）/ set a user's page-login
    password (read from a prompt or stdin; needs the administrator role)."""
    from workflow.bootstrap import open_logins
    from workflow.services.logins import set_password

    ui = Ui(lang, as_json)
    admin = need_user(user)
    engine = open_engine(db, definitions)
    engine.actor(admin)
    set_password(engine, open_logins(engine), admin, owner, _read_password(ui))
    if as_json:
        emit({"user": owner, "password_set": True})
    else:
        out.print(ui.t(f"已设置 {owner} 的登录密码；其已登录的会话均已退出",
                       f"password of {owner} set; their open sessions have ended"))
