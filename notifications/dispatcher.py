"""The dispatcher: the outbox relay. Shell code.

``run_once`` does, each step in its own short transaction:

1. **expand** pending outbox rows (written with the events that caused them)
   into deliveries, one per channel and address, marking each row
   ``expanded`` in the same transaction: a crash before or after loses and
   duplicates nothing;
2. **tail** the events table for every portal webhook (a cursor per
   subscriber in ``bangfu_meta``, moved in the transaction that adds the
   deliveries), so the command path writes nothing extra for portals;
3. queue today's **digests** once the configured local time has passed;
4. **send** due deliveries: claimed (``sending``, with a lease) in one
   transaction, sent, and marked in another. A delivery is sent again only
   if the process died between sending and marking, after its lease ran
   out; receivers de-duplicate on its stable id.

A failure is logged with its reason and retried with exponential backoff and
jitter, or dead-lettered after the last attempt (or at once when retrying
cannot help: no address, a template error).

**Stale reminders are dropped.** A reminder warns of a deadline; once that
deadline has passed it can only mislead ("will close on 17 Jan", read on 1
Feb). So a reminder whose deadline has passed when it would be sent (at
expansion, or at any later try after a failure, a rate limit or downtime) is
not sent: its delivery becomes ``dropped`` with the reason, and `bangfu
notify status` counts and lists it. What the passing of the deadline means is
told by the escalation (or ``overdue``) message that the deadline's own timer
sends; nothing is folded into it. Nothing a channel does stops the
dispatcher or a transition. Time is the engine clock's only; each channel
has a token bucket on that clock (robots allow about 20 messages a minute).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

import structlog

from notifications.channels import Channel, DeliveryFailed, Outgoing, make_channel
from notifications.config import DEFAULT_CONFIG, PERSON_TYPES, NotifyConfig, Retry
from notifications.digest import plan_digests as _plan_digests
from notifications.digest import queues
from notifications.reasons import localized_reason
from notifications.render import Renderer, RenderError
from workflow.clock import Clock, SystemClock, local
from workflow.core.data import pii_kinds
from workflow.core.pii import mask_data, mask_text, scrub
from workflow.engine import Engine
from workflow.errors import UsageError
from workflow.ports import Outbox

log = structlog.get_logger("bangfu.notify")

CURSOR = "webhook_cursor:"
DIGEST_DAY = "notify_digest_day"


def stale_reminder(kind: str, context: Mapping[str, Any], now: datetime) -> str | None:
    """Why a ``reminder`` must not be sent at ``now`` (its deadline has passed), or None."""
    if kind != "reminder":
        return None
    raw = context.get("deadline")
    if not raw:
        return None
    deadline = datetime.fromisoformat(str(raw))
    if deadline >= now:
        return None
    return f"the deadline {local(deadline)} had passed when the reminder was due to go out " \
           f"at {local(now)}; not sent"


def backoff(policy: Retry, attempts: int, rng: random.Random) -> timedelta:
    """Delay before the next try after ``attempts`` tries: exponential, capped,
    with jitter (between half and all of it) so that failures do not retry in step."""
    raw = min(policy.cap, policy.base * (1 << max(0, attempts - 1)))
    return raw * (0.5 + rng.random() / 2)


class TokenBucket:
    """``rate`` tokens a second up to ``capacity``, on whatever clock gives ``now``."""

    def __init__(self, rate: float, capacity: int, now: datetime) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.at = now

    def _refill(self, now: datetime) -> None:
        elapsed = (now - self.at).total_seconds()
        if elapsed > 0:
            self.tokens = min(float(self.capacity), self.tokens + elapsed * self.rate)
            self.at = now

    def available(self, now: datetime) -> int:
        self._refill(now)
        return int(self.tokens)

    def take(self, now: datetime) -> bool:
        self._refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class DispatchReport:
    """What one ``run_once`` did."""

    expanded: int = 0
    queued: int = 0
    webhook_events: int = 0
    digests: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Dispatcher:
    """Sends what the outbox holds, through the channels of a notifications file."""

    def __init__(self, engine: Engine, config: NotifyConfig = DEFAULT_CONFIG, *,
                 outbox: Outbox, rng: random.Random | None = None,
                 stream: TextIO | None = None, batch: int = 100,
                 wall: Clock | None = None) -> None:
        self.engine = engine
        #: the real clock, for leases (the engine's may be simulated)
        self.wall: Clock = wall or SystemClock()
        self.config = config
        self.store = outbox
        self.renderer = Renderer(engine, config.templates)
        self.rng = rng or random.Random()
        self.batch = batch
        self.channels: dict[str, Channel] = {
            name: make_channel(name, spec, self.renderer.render_string, stream)
            for name, spec in config.channels.items()}
        self._buckets: dict[str, TokenBucket] = {}
        self._queue_sizes: dict[str, int] | None = None

    def now(self) -> datetime:
        """The engine's time; a simulated clock catches up with other processes."""
        self.engine.sync_clock()
        return self.engine.clock.now()

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    # -- one pass -----------------------------------------------------------

    def run_once(self) -> DispatchReport:
        """Expand, tail webhooks, queue the digest when due, send what is due."""
        report = DispatchReport()
        self._queue_sizes = None
        self.expand(report)
        self.tail_webhooks(report)
        self.maybe_digest(report)
        self.send_due(report)
        if report.expanded or report.sent or report.failed or report.dead or report.dropped:
            log.info("notify.run", **report.as_dict())
        return report

    def next_wake(self) -> datetime | None:
        """When a delivery waiting for a retry falls due (for the scheduler)."""
        return self.store.next_attempt()

    # -- expansion ----------------------------------------------------------

    def expand(self, report: DispatchReport) -> None:
        if self.config.digest is not None and self.store.pending_messages():
            # Read before the write transaction: it should not hold writers up.
            self._queue_sizes = {u: len(c) for u, c in queues(self.engine).items()}
        while True:
            now = self.now()
            with self.store.transaction() as tx:
                rows = tx.pending_messages(self.batch)
                if not rows:
                    return
                planned: list[dict[str, Any]] = []
                routed: list[int] = []
                unrouted: list[int] = []
                for row in rows:
                    found = self.plan(row, now)
                    (routed if found else unrouted).append(row["id"])
                    planned += found
                report.queued += tx.add_deliveries(planned)
                tx.mark_messages(routed, "expanded")
                tx.mark_messages(unrouted, "unrouted", "no route or robot takes this kind")
            report.expanded += len(rows)
            for d in planned:
                if d["status"] == "dropped":
                    report.dropped += 1
                    log.info("notify.dropped", delivery=d["delivery_id"], error=d["last_error"])
                elif d["status"] == "dead":
                    report.dead += 1
                    log.error("notify.no_address", delivery=d["delivery_id"], error=d["last_error"])

    def _address(self, channel: str, recipient: str | None) -> tuple[str, str | None]:
        """(address, why there is none) of ``recipient`` on a person channel."""
        kind = self.config.channels[channel].type
        user = self.engine.org.users.get(recipient or "")
        if user is None:
            return "", f"'{recipient}' is not a user of the org"
        if kind == "console":
            return user.id, None
        if kind == "smtp":
            email = getattr(user, "email", None)
            return (email, None) if email else ("", f"user '{user.id}' has no e-mail address")
        phone = user.phone
        return (phone, None) if phone else ("", f"user '{user.id}' has no phone number")

    def _digested(self, kind: str, recipient: str) -> bool:
        digest = self.config.digest
        if digest is None or kind not in digest.kinds or self._queue_sizes is None:
            return False
        return self._queue_sizes.get(recipient, 0) > digest.per_case_limit

    def plan(self, row: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
        """The deliveries of one outbox row: its recipient on every routed
        channel, and the group robots of the case's unit."""
        kind, recipient, context = row["kind"], row["recipient"], row["context"]
        common = {"case_id": row["case_id"], "kind": kind, "context": context,
                  "attempts": 0, "next_attempt_at": now, "created_at": now}
        out: dict[str, dict[str, Any]] = {}
        for route in self.config.routes:
            if kind not in route.kinds:
                continue
            for channel in route.channels:
                delivery_id = f"{row['message_id']}/{channel}"
                if delivery_id in out:
                    continue
                address, missing = self._address(channel, recipient)
                stale = None if missing else stale_reminder(kind, context, now)
                status = "dead" if missing else "dropped" if stale else \
                    "digested" if self._digested(kind, recipient) else "pending"
                out[delivery_id] = {**common, "delivery_id": delivery_id,
                                    "message_id": row["message_id"], "outbox_id": row["id"],
                                    "channel": channel, "recipient": recipient,
                                    "address": address, "status": status,
                                    "last_error": missing or stale}
        unit = context.get("unit")
        for robot in self.config.robots:
            if kind not in robot.kinds or not unit or \
                    not self.engine.org.in_subtree(unit, robot.unit):
                continue
            # One group message per event, however many people it names.
            message_id = f"{row['case_id']}:{row['event_seq']}:{kind}"
            delivery_id = f"{message_id}/{robot.channel}"
            stale = stale_reminder(kind, context, now)
            out.setdefault(delivery_id, {
                **common, "delivery_id": delivery_id, "message_id": message_id,
                "outbox_id": row["id"], "channel": robot.channel, "recipient": None,
                "address": f"@{robot.unit}", "status": "dropped" if stale else "pending",
                "last_error": stale})
        return list(out.values())

    # -- portal webhooks ----------------------------------------------------

    def tail_webhooks(self, report: DispatchReport) -> None:
        for hook in self.config.webhooks:
            key = CURSOR + hook.id
            while True:
                now = self.now()
                with self.store.transaction() as tx:
                    cursor = tx.get_meta(key)
                    if cursor is None:
                        start = 0 if hook.start == "beginning" else tx.last_event_id()
                        tx.set_meta(key, str(start))
                        cursor = str(start)
                    rows = tx.events_after(int(cursor), self.batch)
                    if not rows:
                        break
                    wanted = [r for r in rows if not hook.events or r["kind"] in hook.events]
                    report.queued += tx.add_deliveries([{
                        "delivery_id": f"{r['hash']}/{hook.id}", "message_id": r["hash"],
                        "outbox_id": None, "case_id": r["case_id"], "kind": r["kind"],
                        "channel": hook.channel, "recipient": None, "address": f"#{hook.id}",
                        "context": self.event_payload(r), "status": "pending", "attempts": 0,
                        "next_attempt_at": now, "created_at": now, "last_error": None}
                        for r in wanted])
                    report.webhook_events += len(wanted)
                    tx.set_meta(key, str(rows[-1]["id"]))

    def event_payload(self, r: Mapping[str, Any]) -> dict[str, Any]:
        """An event as a portal sees it: personal data masked, names included."""
        defn = self.renderer.definition(r["process"], r["definition_version"])
        pii = pii_kinds(defn) if defn is not None else {}
        at = r["at"]
        return {"id": r["hash"], "type": r["kind"],
                "case": {"id": r["case_id"], "number": r["number"], "process": r["process"],
                         "unit": r["unit"]},
                "seq": r["seq"], "at": at.isoformat() if isinstance(at, datetime) else str(at),
                "actor": r["actor"], "role": r["role"], "trigger": r["trigger"],
                "source": r["source"], "dest": r["dest"],
                "data": mask_data(r["data"] or {}, pii, names=True),
                "comment": mask_text(r["comment"]) if r["comment"] else None,
                "definition_version": r["definition_version"],
                "meta": scrub(dict(r["meta"] or {}))}

    # -- digests ------------------------------------------------------------

    def maybe_digest(self, report: DispatchReport) -> None:
        """Queue today's digests once the configured local time has passed."""
        digest = self.config.digest
        if digest is None:
            return
        now = self.now()
        here = now.astimezone(digest.tz)
        if (here.hour, here.minute) < (digest.hour, digest.minute):
            return
        if self.engine.store.get_meta(DIGEST_DAY) == here.date().isoformat():
            return
        report.digests += self.send_digests()

    def send_digests(self) -> int:
        """Queue today's digest for every reviewer (at most once a day: the
        delivery ids carry the date). Returns how many digests were new."""
        digest = self.config.digest
        if digest is None:
            return 0
        now = self.now()
        langs = tuple(dict.fromkeys(self.config.lang(c) for c in digest.channels))
        plans = _plan_digests(self.engine, digest, now, langs)
        rows: list[dict[str, Any]] = []
        for plan in plans:
            message_id = f"digest:{plan.user}:{plan.day}"
            for channel in digest.channels:
                address, missing = self._address(channel, plan.user)
                rows.append({"delivery_id": f"{message_id}/{channel}", "message_id": message_id,
                             "outbox_id": None, "case_id": None, "kind": "digest",
                             "channel": channel, "recipient": plan.user, "address": address,
                             "context": dict(plan.contexts[self.config.lang(channel)]),
                             "status": "dead" if missing else "pending", "attempts": 0,
                             "next_attempt_at": now, "created_at": now, "last_error": missing})
        day = now.astimezone(digest.tz).date().isoformat()
        with self.store.transaction() as tx:
            added = tx.add_deliveries(rows)
            tx.set_meta(DIGEST_DAY, day)
        log.info("notify.digests", day=day, reviewers=len(plans), deliveries=added)
        return len({r["message_id"] for r in rows}) if added else 0

    # -- sending ------------------------------------------------------------

    def _bucket(self, channel: str, now: datetime) -> TokenBucket | None:
        if channel not in self.config.channels:
            return None
        rate = self.config.rate(channel)
        if rate is None:
            return None
        if channel not in self._buckets:
            self._buckets[channel] = TokenBucket(rate[0], rate[1], now)
        return self._buckets[channel]

    def send_due(self, report: DispatchReport) -> None:
        held: set[str] = set()
        while True:
            now, wall = self.now(), self.wall.now()
            with self.store.transaction() as tx:
                due = tx.due_channels(now, wall)
            progress = False
            for channel in sorted(due):
                if channel in held:
                    continue
                if channel not in self.channels:
                    # Queued under another notifications file: kept for a run that has it.
                    log.warning("notify.unknown_channel", channel=channel, waiting=due[channel])
                    held.add(channel)
                    continue
                bucket = self._bucket(channel, now)
                allowance = self.batch if bucket is None else min(self.batch,
                                                                  bucket.available(now))
                if allowance <= 0:
                    held.add(channel)
                    continue
                with self.store.transaction() as tx:
                    # the lease is real time: a dispatcher killed on a simulated
                    # database leaves its deliveries to the next run minutes later
                    rows = tx.claim_due(now, channel, allowance,
                                        wall + self.config.retry.lease, wall)
                for row in rows:
                    if bucket is not None:
                        bucket.take(now)
                    self._deliver(row, report)
                progress = progress or bool(rows)
            if not progress:
                report.deferred = sum(n for c, n in due.items() if c in held)
                return

    def _outgoing(self, row: Mapping[str, Any], now: datetime) -> Outgoing:
        channel, kind = row["channel"], row["kind"]
        if self.config.channels[channel].type == "webhook":
            return Outgoing(row["delivery_id"], row["message_id"], kind, row["address"], kind,
                            "", now, row["recipient"], row["context"])
        lang = self.config.lang(channel)
        recipient = row["recipient"]
        rendered = self.renderer.render(kind, recipient, row["context"], lang)
        return Outgoing(row["delivery_id"], row["message_id"], kind, row["address"],
                        rendered.subject, rendered.body, now, recipient, rendered.variables, lang)

    def _deliver(self, row: Mapping[str, Any], report: DispatchReport) -> None:
        now = self.now()
        error: str | None = None
        retryable = True
        stale = stale_reminder(row["kind"], row["context"] or {}, now)
        if stale is not None:
            # Retried, held by a rate limit or left while down until its deadline passed.
            report.dropped += 1
            log.info("notify.dropped", delivery=row["delivery_id"], error=stale)
            with self.store.transaction() as tx:
                tx.finish(row["id"], int(row["attempts"]),
                          {"status": "dropped", "last_error": stale})
            return
        try:
            self.channels[row["channel"]].send(self._outgoing(row, now))
        except RenderError as exc:
            error, retryable = exc.en, False
        except DeliveryFailed as exc:
            error, retryable = exc.reason, exc.retryable
        except Exception as exc:  # an adapter's bug must not stop the dispatcher
            error = f"{type(exc).__name__}: {exc}"
            log.exception("notify.adapter_error", delivery=row["delivery_id"])
        done = self.now()
        attempts = int(row["attempts"])
        fields = {"delivery": row["delivery_id"], "channel": row["channel"], "kind": row["kind"],
                  "attempts": attempts}
        if error is None:
            values: dict[str, Any] = {"status": "sent", "sent_at": done, "last_error": None}
            report.sent += 1
            log.info("notify.sent", **fields)
        elif retryable and attempts < self.config.retry.max_attempts:
            retry_at = done + backoff(self.config.retry, attempts, self.rng)
            values = {"status": "failed", "next_attempt_at": retry_at, "last_error": error[:2000]}
            report.failed += 1
            log.warning("notify.failed", error=error, retry_at=retry_at.isoformat(), **fields)
        else:
            values = {"status": "dead", "last_error": error[:2000]}
            report.dead += 1
            log.error("notify.dead", error=error, **fields)
        with self.store.transaction() as tx:
            if not tx.finish(row["id"], attempts, values):
                log.warning("notify.claim_lost", **fields)

    # -- operators ----------------------------------------------------------

    def retry(self, ref: str) -> list[str]:
        """Re-queue dead or failed deliveries (see ``OutboxStore.requeue``)."""
        return self.store.requeue(ref, self.now(), self.wall.now())

    def status(self, limit: int = 20, lang: str = "en") -> dict[str, Any]:
        """Counts by channel and status, the problems (failed, dead and dropped
        deliveries, each ``reason`` in ``lang``), and the webhook cursors."""
        counts: dict[str, dict[str, int]] = {}
        kinds: dict[str, dict[str, int]] = {}
        for channel, kind, status, n in self.store.delivery_counts():
            by = counts.setdefault(channel, {})
            by[status] = by.get(status, 0) + n
            k = kinds.setdefault(kind, {})
            k[status] = k.get(status, 0) + n
        problems = [{"id": r["id"], "delivery_id": r["delivery_id"], "kind": r["kind"],
                     "channel": r["channel"], "recipient": r["recipient"],
                     "address": mask_text(r["address"]), "status": r["status"],
                     "attempts": r["attempts"],
                     "next_attempt_at": r["next_attempt_at"].isoformat()
                     if r["status"] == "failed" else None,
                     "last_error": r["last_error"],
                     "reason": localized_reason(r["last_error"], lang)}
                    for r in self.store.deliveries(status=("dead", "failed", "dropped"),
                                                   limit=limit)]
        last = self.store.last_event_id()
        cursors = {hook: {"cursor": at, "behind": max(0, last - at)}
                   for hook, at in self.store.cursors(CURSOR).items()}
        nxt = self.next_wake()
        return {"now": self.now().isoformat(), "outbox": self.store.outbox_counts(),
                "channels": counts, "kinds": kinds, "problems": problems,
                "webhooks": cursors, "next_attempt": nxt.isoformat() if nxt else None}

    def test(self, channel: str, to: str | None = None) -> Outgoing:
        """Send a test message over ``channel`` now, outside the queue.

        ``to`` is a user id (or, for e-mail and SMS, an address); robots and
        webhooks need none.

        Raises:
            DeliveryFailed: the server's error; RenderError; UsageError: no such channel, or no --to.
        """
        spec = self.config.channels.get(channel)
        if spec is None:
            from difflib import get_close_matches

            close = get_close_matches(channel, list(self.config.channels), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"unknown channel '{channel}'{hint}; known: "
                             f"{', '.join(self.config.channels)}",
                             f"未知的通道 '{channel}'；已配置：{'、'.join(self.config.channels)}")
        now = self.now()
        recipient: str | None = None
        address = f"@{channel}"
        if spec.type in PERSON_TYPES:
            if to is None:
                if spec.type != "console":
                    raise UsageError("say who gets the test with --to USER (or an address)",
                                     "请用 --to 指定接收测试消息的用户（或地址）")
                to = "operator"
            if to in self.engine.org.users:
                recipient = to
                address, missing = self._address(channel, to)
                if missing:
                    raise DeliveryFailed(missing, retryable=False)
            else:
                address = to
        delivery_id = f"test:{uuid.uuid4().hex}/{channel}"
        context: dict[str, Any] = {"channel": channel, "sent_local": local(now)}
        if spec.type == "webhook":
            message = Outgoing(delivery_id, delivery_id.split("/")[0], "test", address, "test",
                               "", now, None, {"type": "test", "channel": channel,
                                               "at": now.isoformat()})
        else:
            lang = self.config.lang(channel)
            if recipient is None and spec.type in PERSON_TYPES:
                context["recipient_name"] = address
            rendered = self.renderer.render("test", recipient, context, lang)
            message = Outgoing(delivery_id, delivery_id.split("/")[0], "test", address,
                               rendered.subject, rendered.body, now, recipient,
                               rendered.variables, lang)
        self.channels[channel].send(message)
        return message
