"""The notifications file: channels, routes, unit robots, portal webhooks,
retries and the daily digest. Pure apart from ``load_config`` (which reads
through ``definitions.loader``).

Secrets are never written in the file, only the names of the environment
variables that hold them (``password_env: BANGFU_SMTP_PASSWORD``); a robot's
URL carries its key, so robots and other HTTP channels take ``url_env`` only.
Every problem is reported at once with its path and line, like the other
definition files. Without a file, ``DEFAULT_CONFIG`` prints every message on
the console.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of, load_yaml_file, load_yaml_text
from definitions.org import Org
from definitions.parse import problems_from

#: event kinds a portal webhook may subscribe to (workflow.core.model.EventKind)
EVENT_KINDS = ("submitted", "transition", "timer", "reminder", "escalation", "migration")
#: per-case messages about work waiting for someone: folded into the digest
#: when the recipient's queue is long
QUEUE_KINDS = ("waiting", "notice_opened", "objection_received", "disbursement_due",
               "recheck_due")

MessageKind = Literal["waiting", "notice_opened", "objection_received", "disbursement_due",
                      "decision", "reminder", "escalation", "overdue", "recheck_due"]
#: message kinds the core writes to the outbox (workflow.core.decide)
MESSAGE_KINDS: tuple[MessageKind, ...] = (
    "waiting", "notice_opened", "objection_received", "disbursement_due", "decision",
    "reminder", "escalation", "overdue", "recheck_due")
EventKind = Literal["submitted", "transition", "timer", "reminder", "escalation", "migration"]
Lang = Literal["zh", "en"]
EnvName = str
_ENV = r"^[A-Z][A-Z0-9_]*$"
_NAME = r"^[a-z][a-z0-9_]*$"
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
#: channel types that send to a person (routes, digests) and to a group
PERSON_TYPES = ("console", "smtp", "sms")
ROBOT_TYPES = ("wecom", "dingtalk")


def parse_seconds(text: str) -> timedelta:
    """'30s', '5m', '1h', '2d' as a timedelta.

    Raises:
        ValueError: not such a duration.
    """
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a duration such as '30s', '5m', '1h' or '2d'")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Duration = str


class _Channel(_Frozen):
    #: template language of this channel (the file's ``language`` if not given)
    lang: Lang | None = None
    #: messages a minute at most (a token bucket on the engine clock)
    rate_per_minute: int | None = Field(default=None, ge=1)
    #: how many may go at once before the rate applies (default: one minute's worth)
    burst: int | None = Field(default=None, ge=1)


class ConsoleChannel(_Channel):
    """Print what would be sent: one line per message, or the whole text."""

    type: Literal["console"]
    format: Literal["line", "full"] = "line"


class SmtpChannel(_Channel):
    """E-mail over SMTP to the recipient's ``email`` in the org."""

    type: Literal["smtp"]
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username_env: EnvName | None = Field(default=None, pattern=_ENV)
    password_env: EnvName | None = Field(default=None, pattern=_ENV)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    sender_name: str | None = None
    timeout: float = Field(default=10.0, gt=0)
    #: right-hand side of the stable Message-ID header
    message_id_domain: str = "bangfu.invalid"


class WecomChannel(_Channel):
    """A WeCom （企业微信） group robot: POST JSON to its webhook URL."""

    type: Literal["wecom"]
    url_env: EnvName = Field(pattern=_ENV)
    format: Literal["markdown", "text"] = "markdown"
    timeout: float = Field(default=10.0, gt=0)


class DingtalkChannel(_Channel):
    """A DingTalk （钉钉） group robot, optionally signed （加签）."""

    type: Literal["dingtalk"]
    url_env: EnvName = Field(pattern=_ENV)
    secret_env: EnvName | None = Field(default=None, pattern=_ENV)
    format: Literal["markdown", "text"] = "markdown"
    timeout: float = Field(default=10.0, gt=0)


class SmsChannel(_Channel):
    """An SMS gateway over HTTP: template id and parameters per message kind."""

    type: Literal["sms"]
    url_env: EnvName = Field(pattern=_ENV)
    api_key_env: EnvName | None = Field(default=None, pattern=_ENV)
    sign_name: str | None = None
    #: gateway template id per message kind (``default`` for the rest)
    templates: dict[str, str] = Field(min_length=1)
    #: template parameters: name → Jinja2 expression text over the message's variables
    params: dict[str, str] = Field(default_factory=lambda: {"case": "{{ case }}"})
    timeout: float = Field(default=10.0, gt=0)


class WebhookChannel(_Channel):
    """A portal's webhook: signed JSON (see ``channels.webhook``)."""

    type: Literal["webhook"]
    url_env: EnvName = Field(pattern=_ENV)
    secret_env: EnvName = Field(pattern=_ENV)
    timeout: float = Field(default=10.0, gt=0)


ChannelSpec = (ConsoleChannel | SmtpChannel | WecomChannel | DingtalkChannel | SmsChannel
               | WebhookChannel)
_CHANNEL_TYPES: dict[str, type[_Channel]] = {
    "console": ConsoleChannel, "smtp": SmtpChannel, "wecom": WecomChannel,
    "dingtalk": DingtalkChannel, "sms": SmsChannel, "webhook": WebhookChannel}
#: robots allow about 20 messages a minute
_DEFAULT_RATE = {"wecom": 20, "dingtalk": 20}


class RouteSpec(_Frozen):
    """Messages of these kinds go to their recipients over these channels."""

    kinds: tuple[MessageKind, ...] = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)


class RobotSpec(_Frozen):
    """A unit's group robot gets messages about cases in the unit's subtree."""

    unit: str = Field(min_length=1)
    channel: str = Field(min_length=1)
    kinds: tuple[MessageKind, ...] = Field(min_length=1)


class WebhookSpec(_Frozen):
    """A portal subscribed to the case events (all kinds when ``events`` is empty)."""

    id: str = Field(pattern=_NAME, max_length=40)
    channel: str = Field(min_length=1)
    events: tuple[EventKind, ...] = ()
    #: where a new subscriber starts: events from now on, or the whole history
    start: Literal["latest", "beginning"] = "latest"


class RetrySpec(_Frozen):
    max_attempts: int = Field(default=6, ge=1)
    base: Duration = "30s"
    cap: Duration = "1h"
    #: how long a claimed delivery may stay in flight before another run takes it again
    lease: Duration = "5m"


class DigestSpec(_Frozen):
    """One daily message per reviewer: their queue and upcoming deadlines."""

    at: str = Field(default="08:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    timezone: str = "Asia/Shanghai"
    channels: tuple[str, ...] = Field(min_length=1)
    #: a queue longer than this gets its per-case messages in the digest instead
    per_case_limit: int = Field(default=10, ge=0)
    #: reviewers with at least this many cases waiting get a digest
    min_queue: int = Field(default=1, ge=1)
    #: deadlines within this much time count as upcoming
    horizon: Duration = "3d"
    #: cases listed at most (the rest are counted)
    max_items: int = Field(default=30, ge=1)


class NotificationsFile(_Frozen):
    notifications: str = Field(min_length=1)
    language: Lang = "zh"
    #: a folder of templates that override the shipped ones (relative to this file)
    templates: str | None = None
    channels: dict[str, dict[str, Any]] = Field(min_length=1)
    routes: tuple[RouteSpec, ...] = ()
    robots: tuple[RobotSpec, ...] = ()
    webhooks: tuple[WebhookSpec, ...] = ()
    retry: RetrySpec = RetrySpec()
    digest: DigestSpec | None = None


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Digest:
    hour: int
    minute: int
    tz: ZoneInfo
    channels: tuple[str, ...]
    per_case_limit: int
    min_queue: int
    horizon: timedelta
    max_items: int
    kinds: tuple[str, ...] = QUEUE_KINDS


@dataclass(frozen=True)
class NotifyConfig:
    """A checked notifications file."""

    name: str
    channels: Mapping[str, ChannelSpec]
    routes: tuple[RouteSpec, ...] = ()
    robots: tuple[RobotSpec, ...] = ()
    webhooks: tuple[WebhookSpec, ...] = ()
    retry: Retry = field(default_factory=Retry)
    digest: Digest | None = None
    language: str = "zh"
    templates: Path | None = None
    source: str | None = None

    def lang(self, channel: str) -> str:
        return self.channels[channel].lang or self.language

    def rate(self, channel: str) -> tuple[float, int] | None:
        """(messages a second, bucket size) for ``channel``, or None if unlimited."""
        spec = self.channels[channel]
        per_minute = spec.rate_per_minute or _DEFAULT_RATE.get(spec.type)
        if per_minute is None:
            return None
        return per_minute / 60.0, spec.burst or per_minute


DEFAULT_CONFIG = NotifyConfig(
    name="default",
    channels={"console": ConsoleChannel(type="console")},
    routes=(RouteSpec(kinds=MESSAGE_KINDS, channels=("console",)),),
    source="<default>",
)


def _hint(name: str, known: Collection[str]) -> str:
    close = get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def build_config(data: Any, lines: Lines | None = None, source: str | None = None,
                 org: Org | None = None, base: Path | None = None) -> NotifyConfig:
    """Check a notifications file's data (and its units against ``org``).

    Raises:
        DefinitionInvalid: every problem, with its path and line.
    """
    lines = lines or {}
    if not isinstance(data, Mapping):
        raise DefinitionInvalid(
            [Problem("", "the top level must be a mapping", "顶层必须是映射（键: 值）", 1, source)],
            source)
    try:
        spec = NotificationsFile.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(problems_from(exc, lines, source), source) from None
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        problems.append(Problem(dotted(path), en, zh, line_of(lines, path), source))

    channels: dict[str, ChannelSpec] = {}
    for name, raw in spec.channels.items():
        where: tuple[str | int, ...] = ("channels", name)
        if not re.match(_NAME, name) or len(name) > 40:
            add(where, f"channel name '{name}' must be lower-case letters, digits and _",
                f"通道名 '{name}' 只能由小写字母、数字和下划线组成")
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        model = _CHANNEL_TYPES.get(str(kind))
        if model is None:
            add((*where, "type"), f"unknown channel type '{kind}'{_hint(str(kind), _CHANNEL_TYPES)}; "
                f"known: {', '.join(_CHANNEL_TYPES)}",
                f"未知的通道类型 '{kind}'；可用：{'、'.join(_CHANNEL_TYPES)}")
            continue
        try:
            channels[name] = model.model_validate(raw)  # type: ignore[assignment]
        except ValidationError as exc:
            sub = {k[len(where):]: v for k, v in lines.items() if k[:len(where)] == where}
            for p in problems_from(exc, sub, source):
                path = dotted(where) + (p.path if p.path.startswith("[") or not p.path
                                        else "." + p.path)
                problems.append(Problem(path, p.en, p.zh, p.line or line_of(lines, where),
                                        source))

    def check_channel(path: tuple[str | int, ...], name: str, types: tuple[str, ...],
                      what_en: str, what_zh: str) -> None:
        found = channels.get(name)
        if found is None:
            if name not in spec.channels:
                add(path, f"unknown channel '{name}'{_hint(name, spec.channels)}",
                    f"未知的通道 '{name}'")
            return
        if found.type not in types:
            add(path, f"channel '{name}' is of type '{found.type}'; {what_en} need a channel of "
                f"type {' or '.join(types)}",
                f"通道 '{name}' 的类型是 '{found.type}'；{what_zh}需要 {' 或 '.join(types)} 类型的通道")

    person = ("persons (routes and digests)", "按人发送（routes、digest）")
    for i, route in enumerate(spec.routes):
        for k, name in enumerate(route.channels):
            check_channel(("routes", i, "channels", k), name, PERSON_TYPES, *person)
    for i, robot in enumerate(spec.robots):
        check_channel(("robots", i, "channel"), robot.channel, ROBOT_TYPES,
                      "group robots", "群机器人")
        if org is not None and robot.unit not in org.units:
            add(("robots", i, "unit"), f"unknown unit '{robot.unit}'"
                f"{_hint(robot.unit, org.units)}", f"未知的单位 '{robot.unit}'")
    seen: set[str] = set()
    for i, hook in enumerate(spec.webhooks):
        check_channel(("webhooks", i, "channel"), hook.channel, ("webhook",),
                      "webhook subscriptions", "网站订阅（webhooks）")
        if hook.id in seen:
            add(("webhooks", i, "id"), f"duplicate webhook id '{hook.id}'",
                f"重复的订阅 id '{hook.id}'")
        seen.add(hook.id)
    for name, spec_ in channels.items():
        if isinstance(spec_, SmsChannel):
            for kind in spec_.templates:
                if kind != "default" and kind not in MESSAGE_KINDS:
                    add(("channels", name, "templates", kind),
                        f"unknown message kind '{kind}'{_hint(kind, MESSAGE_KINDS)}",
                        f"未知的消息类型 '{kind}'")

    def duration(path: tuple[str | int, ...], text: str) -> timedelta:
        try:
            return parse_seconds(text)
        except ValueError as exc:
            add(path, str(exc), f"'{text}' 不是有效的时长，如 30s、5m、1h、2d")
            return timedelta(0)

    r = spec.retry
    retry = Retry(r.max_attempts, duration(("retry", "base"), r.base),
                  duration(("retry", "cap"), r.cap), duration(("retry", "lease"), r.lease))
    digest: Digest | None = None
    if spec.digest is not None:
        d = spec.digest
        for k, name in enumerate(d.channels):
            check_channel(("digest", "channels", k), name, PERSON_TYPES, *person)
        try:
            tz = ZoneInfo(d.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            add(("digest", "timezone"), f"unknown time zone '{d.timezone}'",
                f"未知的时区 '{d.timezone}'")
            tz = ZoneInfo("Asia/Shanghai")
        hour, minute = (int(x) for x in d.at.split(":"))
        digest = Digest(hour, minute, tz, d.channels, d.per_case_limit, d.min_queue,
                        duration(("digest", "horizon"), d.horizon), d.max_items)
    templates: Path | None = None
    if spec.templates is not None:
        templates = (base / spec.templates) if base is not None else Path(spec.templates)
        if not templates.is_dir():
            add(("templates",), f"template folder '{templates}' does not exist",
                f"模板目录 '{templates}' 不存在")
    if problems:
        raise DefinitionInvalid(problems, source)
    return NotifyConfig(spec.notifications, channels, spec.routes, spec.robots, spec.webhooks,
                        retry, digest, spec.language, templates, source)


def load_config(path: str | Path | None = None, org: Org | None = None) -> NotifyConfig:
    """The notifications file at ``path`` (or ``BANGFU_NOTIFICATIONS``), else the default.

    Raises:
        DefinitionInvalid: unreadable, malformed or inconsistent file.
    """
    given = path or os.environ.get("BANGFU_NOTIFICATIONS")
    if not given:
        return DEFAULT_CONFIG
    p = Path(given)
    data, lines, _ = load_yaml_file(p)
    return build_config(data, lines, str(p), org, p.parent)


def config_from_text(text: str, source: str = "<notifications>", org: Org | None = None,
                     base: Path | None = None) -> NotifyConfig:
    data, lines = load_yaml_text(text, source)
    return build_config(data, lines, source, org, base)
