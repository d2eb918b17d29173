"""Signed webhooks for portals.

The body is the event as JSON (UTF-8, personal data masked). Headers:

- ``X-Bangfu-Message-Id``: the event's hash, the same on every retry (de-duplicate on it)
- ``X-Bangfu-Event``: the event kind
- ``X-Bangfu-Timestamp``: seconds since the epoch when this attempt was made
- ``X-Bangfu-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the shared
  secret, of ``timestamp + "." + body``

A portal recomputes the signature over the raw body, compares it in constant
time and refuses timestamps too far from its own clock (``verify``). Any 2xx
answer is success; 408, 429 and 5xx are retried, other answers are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from notifications.channels.base import HttpChannel, Outgoing, http_failure, secret
from notifications.config import WebhookChannel as WebhookSpec


def body_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def signature(secret_text: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp + "." + body``."""
    mac = hmac.new(secret_text.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                   hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret_text: str, timestamp: str, body: bytes, header: str, now_seconds: float,
           tolerance: float = 300.0) -> bool:
    """What a portal does: is ``header`` the signature of this body, made recently?"""
    try:
        age = abs(now_seconds - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(signature(secret_text, timestamp, body),
                                                    header)


class WebhookChannel(HttpChannel):
    def __init__(self, name: str, spec: WebhookSpec) -> None:
        super().__init__(name, spec.timeout)
        self.spec = spec

    def send(self, message: Outgoing) -> None:
        url = secret(self.spec.url_env, "webhook URL") or ""
        key = secret(self.spec.secret_env, "webhook secret") or ""
        body = body_bytes(message.context)
        timestamp = str(int(message.now.timestamp()))
        response = self.post(url, content=body, headers={
            "X-Bangfu-Message-Id": message.message_id,
            "X-Bangfu-Event": message.kind,
            "X-Bangfu-Timestamp": timestamp,
            "X-Bangfu-Signature": signature(key, timestamp, body),
            "User-Agent": "bangfu-webhook/1",
        })
        if not 200 <= response.status_code < 300:
            raise http_failure(response.status_code, response.text)
