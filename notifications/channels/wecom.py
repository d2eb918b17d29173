"""A WeCom （企业微信） group robot.

POST JSON to the robot's webhook URL (from an environment variable: the URL
carries the robot's key): ``{"msgtype": "markdown", "markdown": {"content":
...}}`` or ``{"msgtype": "text", "text": {"content": ...}}``. Success is HTTP
200 with ``{"errcode": 0, "errmsg": "ok"}``; errcode 45009 means the robot's
limit (20 messages a minute) was hit, -1 that the system is busy: both are
retried. Markdown content may be at most 4096 bytes, text 2048.
"""

from __future__ import annotations

from notifications.channels.base import (
    HttpChannel,
    Outgoing,
    json_body,
    markdown_links,
    robot_answer,
    secret,
    truncate_utf8,
)
from notifications.config import WecomChannel as WecomSpec

RETRY_CODES = frozenset({-1, 45009})


def payload(message: Outgoing, fmt: str) -> dict[str, object]:
    """The robot's JSON for ``message``."""
    if fmt == "markdown":
        content = truncate_utf8(f"**{message.subject}**\n{markdown_links(message.body.rstrip())}",
                                4096)
        return {"msgtype": "markdown", "markdown": {"content": content}}
    content = truncate_utf8(f"{message.subject}\n{message.body.rstrip()}", 2048)
    return {"msgtype": "text", "text": {"content": content}}


class WecomChannel(HttpChannel):
    def __init__(self, name: str, spec: WecomSpec) -> None:
        super().__init__(name, spec.timeout)
        self.spec = spec

    def send(self, message: Outgoing) -> None:
        url = secret(self.spec.url_env, "WeCom robot URL") or ""
        response = self.post(url, content=json_body(payload(message, self.spec.format)),
                             headers={})
        robot_answer(response, RETRY_CODES)
