"""What an event wrote beside itself, recorded in the event and checked. Pure.

A decision writes rows next to its event: timers to create (and the state's or
the case's timers to cancel), outbox messages, budget ledger rows, the timer it
consumes. Those rows are not in the hash chain, so a hand edit of them (every
pending timer cancelled, a decision message deleted, a ledger amount times ten)
would go unseen. ``account`` writes what they are into the event's
``meta["effects"]`` before the event is sealed, so the chain covers it; ``check``
holds a case's stored rows to its events (and its timers' states to the case's).

Messages are recorded by count and a digest over their sorted (kind, recipient);
timers and ledger rows are listed (a few per event).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from workflow.core.chain import canonical_time, event_hash
from workflow.core.model import Decision, Event

__all__ = ["SideRows", "account", "check", "digest"]

Problem = tuple[str, str]


def digest(items: Iterable[Sequence[Any]]) -> str:
    """A short digest of a multiset of tuples (order does not matter)."""
    h = hashlib.sha256()
    for item in sorted("\x1f".join(str(v) for v in i) for i in items):
        h.update(item.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def account(decision: Decision, operator: str | None = None) -> Decision:
    """The decision with the rows it writes beside its event recorded in the event
    (``meta["effects"]``, empty when it writes none), re-sealed; with ``operator``,
    the operating-system account that ran the command too (``meta["operator"]``)."""
    messages = [(m.kind, m.recipient) for m in decision.messages]
    effects: dict[str, Any] = {}
    if decision.timers:
        effects["timers"] = sorted([t.spec_id, t.kind, canonical_time(t.due_at), t.scope]
                                   for t in decision.timers)
    cancels = [s for s, on in (("state", decision.cancel_state_timers),
                               ("case", decision.cancel_case_timers)) if on]
    if cancels:
        effects["cancels"] = cancels
    if messages:
        effects["messages"] = [len(messages), digest(messages)]
    if decision.ledger:
        effects["ledger"] = [[e.line, e.kind, e.amount_fen] for e in decision.ledger]
    if decision.fired_timer is not None:
        effects["consumes"] = decision.fired_timer
    meta = {**decision.event.meta, "effects": effects}
    if operator is not None and "operator" not in meta:
        meta["operator"] = operator
    event = replace(decision.event, meta=meta)
    event = replace(event, hash=event_hash(event, event.prev_hash))
    return replace(decision, event=event, case=replace(decision.case, head_hash=event.hash))


@dataclass(frozen=True, slots=True)
class SideRows:
    """A case's stored rows beside its events."""

    #: (id, spec, kind, due (as ``chain.canonical_time`` writes it), status, scope)
    timers: Sequence[tuple[int, str, str, str, str, str]] = ()
    #: (event seq, kind, recipient)
    messages: Sequence[tuple[int, str, str]] = ()
    #: (event seq, line, kind, amount in fen)
    ledger: Sequence[tuple[int, str, str, int]] = ()


def check(events: Sequence[Event], rows: SideRows) -> list[Problem]:
    """What in ``rows`` the events do not explain (English, Chinese), for a case whose
    every event records its effects; events from before effects were recorded make
    the case's rows unverifiable, and nothing is reported."""
    recorded = [e.meta.get("effects") if isinstance(e.meta, Mapping) else None for e in events]
    if not events or any(r is None for r in recorded):
        return []
    out: list[Problem] = []
    by_seq = dict(zip((e.seq for e in events), recorded, strict=True))
    # messages, event by event
    stored_msgs: dict[int, list[tuple[str, str]]] = {}
    for seq, kind, recipient in rows.messages:
        stored_msgs.setdefault(seq, []).append((kind, recipient))
    for seq, effects in by_seq.items():
        assert effects is not None
        want = effects.get("messages")
        got = stored_msgs.pop(seq, [])
        if (want is None and got) or (want is not None and
                                      [len(got), digest(got)] != list(want)):
            out.append((f"the outbox messages of event {seq} were altered: it wrote "
                        f"{want[0] if want else 0}, {len(got)} are stored",
                        f"第 {seq} 条记录的通知被改动：应有 {want[0] if want else 0} 条，"
                        f"现存 {len(got)} 条"))
    for seq in sorted(stored_msgs):
        out.append((f"outbox messages of event {seq}, which does not exist",
                    f"存在第 {seq} 条记录的通知，但该记录不存在"))
    # ledger rows, event by event
    stored_ledger: dict[int, list[tuple[str, str, int]]] = {}
    for seq, line, kind, amount in rows.ledger:
        stored_ledger.setdefault(seq, []).append((line, kind, int(amount)))
    for seq, effects in by_seq.items():
        assert effects is not None
        want_l = sorted(tuple(x) for x in effects.get("ledger", ()))
        got_l = sorted(stored_ledger.pop(seq, []))
        if want_l != got_l:
            out.append((f"the ledger rows of event {seq} were altered: it booked {want_l}, "
                        f"the ledger holds {got_l}",
                        f"第 {seq} 条记录的预算台账被改动：应为 {want_l}，现为 {got_l}"))
    for seq in sorted(stored_ledger):
        out.append((f"ledger rows of event {seq}, which booked none",
                    f"台账中有第 {seq} 条记录的条目，但该记录未入账"))
    out += _timer_problems(by_seq, rows)
    return out


def _timer_problems(by_seq: Mapping[int, Mapping[str, Any] | None],
                    rows: SideRows) -> list[Problem]:
    """The timers the events created, each in the status the events leave it in
    (created pending; fired by the event that consumes it; cancelled with its scope
    by a later event), against the stored rows. A stored 'failed' timer (set aside
    with no event) stands for one the events leave pending or cancelled."""
    by_id = {tid: (spec, kind, due, scope) for tid, spec, kind, due, _, scope in rows.timers}
    live: list[list[Any]] = []          # [spec, kind, due, scope, status]
    for seq in sorted(by_seq):
        effects = by_seq[seq] or {}
        if "consumes" in effects:
            consumed = by_id.get(int(effects["consumes"]))
            for timer in live:
                if consumed is not None and tuple(timer[:4]) == consumed and \
                        timer[4] == "pending":
                    timer[4] = "fired"
                    break
        for scope in effects.get("cancels", ()):
            for timer in live:
                if timer[3] == scope and timer[4] == "pending":
                    timer[4] = "cancelled"
        live.extend([*t, "pending"] for t in effects.get("timers", ()))
    want: Counter[tuple[Any, ...]] = Counter(tuple(t) for t in live)
    got: Counter[tuple[Any, ...]] = Counter((spec, kind, due, scope, status)
                  for _, spec, kind, due, status, scope in rows.timers)
    unexplained = got - want
    missing = want - got
    for key, n in list(unexplained.items()):
        if key[4] != "failed":
            continue
        for status in ("pending", "cancelled"):
            other = (*key[:4], status)
            take = min(n, missing.get(other, 0))
            if take:
                missing[other] -= take
                unexplained[key] -= take
                n -= take
    unexplained, missing = +unexplained, +missing
    out: list[Problem] = []
    for spec, kind, due, _scope, status in sorted(unexplained):
        out.append((f"timer '{spec}' ({kind}, due {due}) is stored as {status}, which the "
                    "case's events do not explain",
                    f"计时器「{spec}」（{kind}，{due} 到期）存储为 {status}，与案件记录不符"))
    for spec, kind, due, _scope, status in sorted(missing):
        out.append((f"timer '{spec}' ({kind}, due {due}), {status} by the case's events, is "
                    "missing or in another status", f"计时器「{spec}」（{kind}，{due} 到期）"
                    f"按案件记录应为 {status}，但缺失或状态不同"))
    return out
