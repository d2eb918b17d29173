"""A DingTalk （钉钉） custom group robot.

POST JSON to the robot's webhook URL (from an environment variable):
``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`` or
``{"msgtype": "text", "text": {"content": ...}}``. With 加签 (a secret
starting ``SEC``), the query gets ``timestamp`` (milliseconds) and ``sign`` =
URL-encoded base64 of HMAC-SHA256 with the secret as key over
``f"{timestamp}\\n{secret}"``; DingTalk refuses a timestamp more than an
hour off, so signed robots need the real clock. Success is ``{"errcode": 0}``;
130101 (sending too fast) and -1 (busy) are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from notifications.channels.base import (
    HttpChannel,
    Outgoing,
    json_body,
    markdown_links,
    robot_answer,
    secret,
    truncate_utf8,
)
from notifications.config import DingtalkChannel as DingtalkSpec

RETRY_CODES = frozenset({-1, 130101})


def sign(secret_text: str, timestamp_ms: int) -> str:
    """The ``sign`` parameter (before URL encoding, which httpx does once)."""
    digest = hmac.new(secret_text.encode("utf-8"),
                      f"{timestamp_ms}\n{secret_text}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def payload(message: Outgoing, fmt: str) -> dict[str, object]:
    """The robot's JSON for ``message``."""
    if fmt == "markdown":
        # DingTalk markdown breaks lines only on a blank line or two trailing spaces.
        body = "  \n".join(markdown_links(message.body.rstrip()).splitlines())
        text = truncate_utf8(f"#### {message.subject}\n\n{body}", 5000)
        return {"msgtype": "markdown", "markdown": {"title": message.subject[:60], "text": text}}
    return {"msgtype": "text",
            "text": {"content": truncate_utf8(f"{message.subject}\n{message.body.rstrip()}",
                                              5000)}}


class DingtalkChannel(HttpChannel):
    def __init__(self, name: str, spec: DingtalkSpec) -> None:
        super().__init__(name, spec.timeout)
        self.spec = spec

    def send(self, message: Outgoing) -> None:
        url = secret(self.spec.url_env, "DingTalk robot URL") or ""
        key = secret(self.spec.secret_env, "DingTalk robot secret")
        params: dict[str, str] | None = None
        if key is not None:
            ts = timestamp_ms(message.now)
            params = {"timestamp": str(ts), "sign": sign(key, ts)}
        response = self.post(url, content=json_body(payload(message, self.spec.format)),
                             headers={}, params=params)
        robot_answer(response, RETRY_CODES)
