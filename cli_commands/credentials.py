"""Who the command line is on a server: ``bangfu login`` checks a token with the
server (``/v1/me``) and keeps it with the server's URL in a credentials file only
its owner can read (mode 0600: ``$BANGFU_CONFIG``, or
``~/.config/bangfu/credentials.json``); ``bangfu logout`` forgets it.
``BANGFU_TOKEN`` stands for a stored token (scripts, CI).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from definitions.errors import BangfuError
from workflow.errors import FileError


class NotLoggedIn(BangfuError):
    """No token for the server: neither stored by ``bangfu login`` nor in BANGFU_TOKEN."""

    code = "not_logged_in"
    exit_code = 2

    def __init__(self, server: str) -> None:
        super().__init__(f"not logged in to '{server}': run 'bangfu login --server {server}' "
                         "(or set BANGFU_TOKEN)",
                         f"尚未登录 '{server}'：请先运行 'bangfu login --server {server}'"
                         "（或设置 BANGFU_TOKEN）")


def path() -> Path:
    """Where the credentials are kept."""
    named = os.environ.get("BANGFU_CONFIG")
    return Path(named) if named else Path.home() / ".config" / "bangfu" / "credentials.json"


def _read() -> dict[str, Any]:
    """The stored logins by server URL ({} when there is no file).

    Raises:
        FileError: the file is readable by others, or is not a credentials file."""
    file = path()
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise FileError(f"cannot read '{file}': {exc}", f"无法读取 '{file}'：{exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise FileError(
            f"the credentials file '{file}' can be read by others (mode "
            f"{stat.S_IMODE(mode):04o}); make it private: chmod 600 '{file}'",
            f"凭据文件 '{file}' 可被他人读取（权限 {stat.S_IMODE(mode):04o}）；请改为仅本人可读："
            f"chmod 600 '{file}'")
    try:
        found = json.loads(file.read_text(encoding="utf-8"))
        servers = found["servers"]
        if not isinstance(servers, dict):
            raise TypeError("servers")
    except (OSError, ValueError, KeyError, TypeError):
        raise FileError(f"'{file}' is not a Bangfu credentials file; remove it and log in "
                        "again", f"'{file}' 不是帮扶凭据文件；请删除后重新登录") from None
    return servers


def _write(servers: dict[str, Any]) -> Path:
    """Write the logins whole (a private temporary file renamed into place)."""
    file = path()
    tmp = file.with_name(f".{file.name}.tmp")
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"servers": servers}, f, ensure_ascii=False, indent=1)
        os.chmod(tmp, 0o600)
        tmp.replace(file)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileError(f"cannot write '{file}': {exc}", f"无法写入 '{file}'：{exc}") from None
    return file


def remember(server: str, token: str, user: str) -> Path:
    """Keep ``token`` (of ``user``) for ``server``; returns the file."""
    servers = _read()
    servers[server] = {"token": token, "user": user}
    return _write(servers)


def forget(server: str | None) -> list[str]:
    """Forget the login to ``server`` (every login when None); returns the servers."""
    servers = _read()
    gone = [s for s in servers if server is None or s == server]
    if gone:
        _write({s: v for s, v in servers.items() if s not in gone})
    return gone


def token_for(server: str) -> str:
    """The token to send to ``server``: BANGFU_TOKEN, else the stored one.

    Raises:
        NotLoggedIn; FileError: see ``_read``."""
    token = os.environ.get("BANGFU_TOKEN", "").strip()
    if token:
        return token
    entry = _read().get(server)
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        raise NotLoggedIn(server)
    return str(entry["token"])
