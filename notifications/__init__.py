"""Notifications: the outbox relay and its channels. Shell code.

Transitions write outbox rows in their own transaction (``workflow.core.decide``
says what to tell whom; ``storage.sql`` writes it). The ``Dispatcher`` sends
them after commit through the channels of a notifications file
(``load_config``): console, e-mail, WeCom and DingTalk group robots, an SMS
gateway and signed portal webhooks; with retries, dead letters, rate limits
and a daily digest. ``bangfu notify`` is ``cli_commands.notify``; the composition
root (``workflow.bootstrap.open_dispatcher``) gives the dispatcher its outbox.
"""

from __future__ import annotations

from notifications.channels import Channel, DeliveryFailed, Outgoing, make_channel
from notifications.channels.webhook import signature as webhook_signature
from notifications.channels.webhook import verify as verify_webhook
from notifications.config import DEFAULT_CONFIG, NotifyConfig, config_from_text, load_config
from notifications.digest import plan_digests, queues
from notifications.dispatcher import Dispatcher, DispatchReport, TokenBucket, backoff
from notifications.render import Renderer, RenderError

__all__ = [
    "Channel",
    "DEFAULT_CONFIG",
    "DeliveryFailed",
    "DispatchReport",
    "Dispatcher",
    "NotifyConfig",
    "Outgoing",
    "RenderError",
    "Renderer",
    "TokenBucket",
    "backoff",
    "config_from_text",
    "load_config",
    "make_channel",
    "plan_digests",
    "queues",
    "verify_webhook",
    "webhook_signature",
]
