"""Channel adapters behind one interface (``base.Channel``), built from the
notifications file by ``make_channel``."""

from __future__ import annotations

from typing import TextIO

from notifications.channels.base import Channel, DeliveryFailed, Outgoing
from notifications.channels.console import ConsoleChannel
from notifications.channels.dingtalk import DingtalkChannel
from notifications.channels.sms import RenderString, SmsChannel
from notifications.channels.smtp import SmtpChannel
from notifications.channels.webhook import WebhookChannel
from notifications.channels.wecom import WecomChannel
from notifications.config import (
    ChannelSpec,
)
from notifications.config import (
    ConsoleChannel as ConsoleSpec,
)
from notifications.config import (
    DingtalkChannel as DingtalkSpec,
)
from notifications.config import (
    SmsChannel as SmsSpec,
)
from notifications.config import (
    SmtpChannel as SmtpSpec,
)
from notifications.config import (
    WebhookChannel as WebhookSpec,
)
from notifications.config import (
    WecomChannel as WecomSpec,
)

__all__ = ["Channel", "DeliveryFailed", "Outgoing", "make_channel"]


def make_channel(name: str, spec: ChannelSpec, render: RenderString,
                 stream: TextIO | None = None) -> Channel:
    """The adapter for one configured channel."""
    if isinstance(spec, ConsoleSpec):
        return ConsoleChannel(name, spec, stream)
    if isinstance(spec, SmtpSpec):
        return SmtpChannel(name, spec)
    if isinstance(spec, WecomSpec):
        return WecomChannel(name, spec)
    if isinstance(spec, DingtalkSpec):
        return DingtalkChannel(name, spec)
    if isinstance(spec, SmsSpec):
        return SmsChannel(name, spec, render)
    assert isinstance(spec, WebhookSpec)
    return WebhookChannel(name, spec)
