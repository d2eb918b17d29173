"""The command line over the network: one HTTP client (httpx) for ``--server URL``.

A remote command sends what the local one would hand its service, as the token's
user, in the language of ``--lang``, and gets back the same view the service
returns; the command renders it the same way. A refusal comes back as RFC 9457
problem details and is raised again as a ``RemoteRefusal`` carrying the server's
message and the exit code the local command would have ended with (1 refused, 2
bad command line, 3 conflict, 4 not found). No answer, or one that is not a Bangfu
server's (every answer of one carries ``X-Bangfu-Api``), is ``ServerUnreachable``
(exit 69). ``--as`` is refused with ``--server``:
the token's user acts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from definitions.errors import BangfuError
from workflow.errors import UsageError

if TYPE_CHECKING:
    import httpx



def _timeout() -> float:
    """How long a request may take before the command gives up: ``BANGFU_TIMEOUT``
    seconds, 60 by default."""
    try:
        return max(1.0, float(os.environ.get("BANGFU_TIMEOUT", "60")))
    except ValueError:
        return 60.0


TIMEOUT = _timeout()
#: what a problem report holds besides the error's own attributes
_PROBLEM_KEYS = ("type", "title", "status", "detail", "code")


def _exit_codes() -> dict[str, int]:
    """The exit code of each error code, as ``cli_commands.common.handled`` ends a
    local command; every other refusal is 1."""
    from workflow.errors import CaseNotFound, ConcurrencyConflict, UnknownUser, UserRequired

    return {UserRequired.code: 2, ConcurrencyConflict.code: 3, CaseNotFound.code: 4,
            UnknownUser.code: 4}


class RemoteRefusal(BangfuError):
    """What the server refused, as its problem details say, in the language asked."""

    def __init__(self, code: str, detail: str, status: int,
                 extra: Mapping[str, Any] | None = None, hint: str = "") -> None:
        super().__init__(detail + hint, detail + hint)
        self.code = code
        self.status = status
        self.extra = dict(extra or {})
        self.exit_code = 70 if status >= 500 else _exit_codes().get(code, 1)

    def to_dict(self, lang: str = "zh") -> dict[str, object]:
        return {"error": self.code, "message": self.localized(lang), **self.extra}


class ServerUnreachable(BangfuError):
    """No answer from ``--server``, or an answer that is not a Bangfu server's."""

    code = "server_unreachable"
    exit_code = 69


class OptionConflict(UsageError):
    """Options that cannot go together on one command line (``--as`` and ``--server``)."""

    code = "option_conflict"
    exit_code = 2


def normalised(server: str) -> str:
    """``server`` as one spelling (no trailing slash), refused unless an http(s) URL.

    Raises:
        UsageError."""
    url = server.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url) > 500 or " " in url:
        raise UsageError(f"--server must be a URL such as http://127.0.0.1:8000, not "
                         f"'{server[:100]}'",
                         f"--server 应为网址，如 http://127.0.0.1:8000，而不是 '{server[:100]}'")
    return url


class Remote:
    """A Bangfu server at ``server``, asked as the user of ``token`` in ``lang``."""

    def __init__(self, server: str, token: str, lang: str = "zh") -> None:
        import httpx

        self.server = normalised(server)
        self.lang = lang
        self._http = httpx.Client(base_url=self.server, timeout=TIMEOUT, headers={
            "Authorization": f"Bearer {token}", "Accept-Language": lang,
            "User-Agent": "bangfu-cli"})

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self._send("GET", path, params=params))

    def post(self, path: str, body: Mapping[str, Any], *, params: Mapping[str, Any] | None
             = None, headers: Mapping[str, str] | None = None) -> Any:
        return self._json(self._send("POST", path, params=params, json=dict(body),
                                     headers=dict(headers or {})))

    def delete(self, path: str) -> Any:
        return self._json(self._send("DELETE", path))

    def _json(self, res: httpx.Response) -> Any:
        try:
            return res.json()
        except ValueError:
            raise self._stranger(res.status_code) from None

    def _stranger(self, status: int) -> ServerUnreachable:
        return ServerUnreachable(
            f"the server at '{self.server}' answered HTTP {status} with no Bangfu answer; is "
            "it a Bangfu server?",
            f"服务器 '{self.server}' 返回 HTTP {status}，但不是帮扶服务器的应答；请确认地址是否正确")

    def download(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """The answer itself (a file: its bytes and headers)."""
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        params = kwargs.pop("params", None)
        if params is not None:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        try:
            res = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ServerUnreachable(
                f"the Bangfu server at '{self.server}' did not answer within {TIMEOUT:g} s",
                f"帮扶服务器 '{self.server}' 在 {TIMEOUT:g} 秒内没有应答") from None
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise ServerUnreachable(
                f"cannot reach the Bangfu server at '{self.server}' ({reason}); is "
                "'bangfu serve' running there?",
                f"无法连接帮扶服务器 '{self.server}'（{reason}）；请确认该地址正在运行 "
                "bangfu serve") from None
        if res.headers.get("X-Bangfu-Api") is None:
            raise self._stranger(res.status_code)
        if res.is_success:
            return res
        raise self._refusal(res)

    def _refusal(self, res: httpx.Response) -> BangfuError:
        try:
            body = res.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("code"), str) or \
                not isinstance(body.get("detail"), str):
            return self._stranger(res.status_code)
        hint = ""
        if res.status_code == 401:
            hint = (f"（请重新登录：bangfu login --server {self.server}）" if self.lang == "zh"
                    else f" (log in again: bangfu login --server {self.server})")
        extra = {k: v for k, v in body.items() if k not in _PROBLEM_KEYS}
        return RemoteRefusal(body["code"], body["detail"], res.status_code, extra, hint)


def case_path(ref: str, *rest: str) -> str:
    """The path of a case's resource, the case number quoted."""
    return "/".join(["/v1/cases", quote(ref, safe=""), *rest])


def connect(server: str, user: str | None, lang: str) -> Remote:
    """The server of ``--server``, with the token stored by ``bangfu login`` (or
    ``BANGFU_TOKEN``), closed when the command ends.

    Raises:
        OptionConflict: ``--as`` given too; NotLoggedIn: no token for the server."""
    from cli_commands.common import closed_at_exit
    from cli_commands.credentials import token_for

    if user:
        raise OptionConflict(
            "--as (or BANGFU_USER) cannot go with --server: over the network the user of "
            "the token acts; log in as that user with 'bangfu login --server URL'",
            "--as（或 BANGFU_USER）不能与 --server 同时使用：通过网络操作时以令牌所属用户的身份执行；"
            "请用 'bangfu login --server 网址' 以该用户登录")
    url = normalised(server)
    remote = Remote(url, token_for(url), lang)
    closed_at_exit(remote)
    return remote
