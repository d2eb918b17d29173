"""The one interface every channel adapter implements, and its failure type.

A channel gets an ``Outgoing`` (what to say, to which address, under which
stable id) and either returns normally (delivered) or raises
``DeliveryFailed`` saying why and whether trying again may help. Adapters
read no clock (``Outgoing.now`` is the engine's time), write no database and
never raise anything else on purpose: the dispatcher turns any other
exception into a retryable failure all the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from definitions.errors import BangfuError


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for one channel and address."""

    #: stable and unique per (message, channel): receivers de-duplicate on it
    delivery_id: str
    #: the outbox message (or event hash, digest id) it comes from
    message_id: str
    kind: str
    address: str
    subject: str
    body: str
    now: datetime
    recipient: str | None = None
    #: the template variables (for SMS parameters) or the JSON payload (webhooks)
    context: Mapping[str, Any] = field(default_factory=dict)
    lang: str = "zh"


class DeliveryFailed(BangfuError):
    """A channel could not deliver; ``retryable`` says whether a later try may work."""

    code = "delivery_failed"

    def __init__(self, reason: str, retryable: bool = True, zh: str | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        super().__init__(reason, zh or f"发送失败：{reason}")


class Channel(Protocol):
    """A way of sending messages, configured by one entry of the notifications file."""

    name: str

    def send(self, message: Outgoing) -> None:
        """Deliver ``message``.

        Raises:
            DeliveryFailed: not delivered; ``retryable`` False when trying
                again cannot help (a rejected address, a malformed message).
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def http_failure(status: int, text: str) -> DeliveryFailed:
    """An HTTP answer that is not a success: retry on 408, 429 and 5xx only."""
    retry = status in (408, 425, 429) or status >= 500
    return DeliveryFailed(f"HTTP {status}: {text[:300]}", retryable=retry)


def truncate_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit - 3].decode("utf-8", errors="ignore") + "…"


def secret(name: str | None, what: str) -> str | None:
    """The value of environment variable ``name``, or of the file ``name``_FILE names
    (``workflow.secrets``); None if no variable is configured.

    Raises:
        DeliveryFailed: the variable is configured but not set; not retryable
            (an operator must set it and re-queue).
    """
    if name is None:
        return None
    from workflow.errors import FileError
    from workflow.secrets import read_secret

    try:
        value = read_secret(name)
    except FileError as exc:
        raise DeliveryFailed(str(exc), retryable=False, zh=exc.zh) from None
    if not value:
        raise DeliveryFailed(f"environment variable {name} ({what}) is not set",
                             retryable=False, zh=f"环境变量 {name}（{what}）未设置")
    return value


_URL = re.compile(r"(?<![(\[<])https?://[^\s<>()\[\]]+")


def markdown_links(text: str) -> str:
    """Bare http(s) links written as Markdown links, which the robots' Markdown shows as
    links (DingTalk's does not link a bare URL)."""
    return _URL.sub(lambda m: f"[{m.group(0)}]({m.group(0)})", text)


_SECRET_QUERY = re.compile(r"(?i)((?:key|access_token|sign|token)=)[^&\s'\"]+")


def hide_secrets(text: str) -> str:
    """Keys and tokens in URLs replaced by '***' (errors are logged and stored)."""
    return _SECRET_QUERY.sub(r"\1***", text)


class HttpChannel:
    """Shared plumbing of the HTTP adapters: one httpx client, errors classified."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
        return self._client

    def post(self, url: str, *, content: bytes, headers: Mapping[str, str],
             params: Mapping[str, str] | None = None) -> httpx.Response:
        """POST ``content``; network trouble becomes a retryable DeliveryFailed."""
        try:
            if params:
                # Merged with the query the URL already has (a robot's access_token).
                url = str(httpx.URL(url).copy_merge_params(dict(params)))
            return self.client.post(url, content=content,
                                    headers={"Content-Type": "application/json; charset=utf-8",
                                             **headers})
        except httpx.TimeoutException:
            raise DeliveryFailed(f"no answer within {self.timeout:g} s (timeout)",
                                 zh=f"{self.timeout:g} 秒内没有应答（超时）") from None
        except httpx.InvalidURL as exc:
            raise DeliveryFailed(f"invalid URL: {hide_secrets(str(exc))}", retryable=False,
                                 zh=f"地址无效：{hide_secrets(str(exc))}") from None
        except httpx.HTTPError as exc:
            reason = hide_secrets(f"{type(exc).__name__}: {exc}")
            raise DeliveryFailed(f"cannot reach the server: {reason}",
                                 zh=f"无法连接服务器：{reason}") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def robot_answer(response: httpx.Response, retry_codes: Collection[int]) -> None:
    """Check a group robot's answer: HTTP 200 with ``{"errcode": 0}``.

    Raises:
        DeliveryFailed: any other answer; retryable for ``retry_codes``
            (rate limiting, system busy) and server errors.
    """
    if response.status_code != 200:
        raise http_failure(response.status_code, response.text)
    try:
        answer = response.json()
        code = int(answer.get("errcode", -1))
        text = str(answer.get("errmsg", ""))
    except (ValueError, AttributeError, TypeError):
        raise DeliveryFailed(f"unreadable answer: {response.text[:200]}") from None
    if code != 0:
        raise DeliveryFailed(f"robot answered errcode {code}: {text}",
                             retryable=code in retry_codes,
                             zh=f"机器人返回错误码 {code}：{text}")
