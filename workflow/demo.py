"""The demo: a whole Spring Festival campaign of the sample org on a simulated
clock, from the first applications on 4 Jan to the completion target on 1 Feb.

Shell code: drives an Engine through its public API only. Households are
generated from a fixed seed, so every run tells the same story: four villages
deliberate (one of them late, and escalated for it), the 3-day notices close by
themselves, objections are raised and answered, both reviews and the county
report follow, cadres deliver the relief, and whatever is still open on 1 Feb
is escalated to the township's first responsible persons. Amounts come from
the campaign's standards.

Messages go out as the clock moves, as a dispatcher running beside the
scheduler would send them: before the clock moves on, and at every stop the
clock makes to fire a timer, so each message is sent at the simulated time of
the event that wrote it (and no reminder after its deadline).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from definitions.errors import BangfuError
from workflow.core.localtime import LOCAL_TZ, local
from workflow.engine import Engine
from workflow.errors import ClockError, StorageError, UsageError
from workflow.rules.idcard import check_digit
from workflow.rules.paperwork import required_types

DEMO_START = datetime.fromisoformat("2027-01-04T09:00:00+08:00")
PROCESS = "relief_application"
CAMPAIGN = "spring_festival_2027"
SEED = 2027

#: who does what in each village of the sample org
VILLAGES: dict[str, dict[str, Any]] = {
    "shangcun": {"staff": "wang.fang", "panel": "liu.qiang", "cadre": "xu.lei",
                 "office": "yang.jing", "committee": "zhu.tao", "meeting": 12, "households": 90},
    "xiacun": {"staff": "zhang.min", "panel": "gao.peng", "cadre": "guo.ning",
               "office": "wu.gang", "committee": "chen.shuji", "meeting": 13, "households": 80},
    "liujia": {"staff": "ma.hui", "panel": "he.jun", "cadre": "deng.hao",
               "office": "song.yu", "committee": "he.shuji", "meeting": 14, "households": 70},
    # the late village: its panel meets only after the lists were due on 17 Jan
    "huangtupo": {"staff": "luo.yan", "panel": "tang.bo", "cadre": "lin.na",
                  "office": "song.yu", "committee": "he.shuji", "meeting": 19, "households": 60},
}
CATEGORIES = [("general", 50), ("moderate", 14), ("severe", 8), ("veteran", 8), ("dibao", 20)]
REASONS = {
    "general": ["独居老人，无固定收入", "家庭成员失业，收入微薄", "因学致困，子女在读"],
    "moderate": ["家中一人残疾，生活较为困难", "本年自付医疗费用 3 万余元", "遭遇火灾，损失较大"],
    "severe": ["重病住院，本年自付医疗费用 8 万余元", "家中两人残疾，生活十分困难"],
    "veteran": ["退伍军人，因病致困", "退伍军人，年老体弱无收入"],
    "dibao": ["低保家庭，子女就学", "低保家庭，长期患病"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀兰桂英建国志强丽娟海燕玉梅德明春花金凤国华红霞文杰淑珍永福小军"


def _id_number(rng: random.Random) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    body = f"331122{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + check_digit(body)


@dataclass
class DemoReport:
    cases: int = 0
    by_village_state: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    reminders: int = 0
    escalations: int = 0
    #: (local date, timer, recipients) → cases escalated
    escalated: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    auto_transitions: int = 0
    objections: int = 0
    refusals: int = 0
    refusal_lines: list[str] = field(default_factory=list)
    events: int = 0
    open_escalated: int = 0
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases, "events": self.events,
            "by_state": dict(self.by_state),
            "by_village_state": [{"village": v, "state": s, "cases": n}
                                 for (v, s), n in sorted(self.by_village_state.items())],
            "reminders": self.reminders, "escalations": self.escalations,
            "escalated": [{"date": d, "timer": t, "to": r, "cases": n}
                          for (d, t, r), n in sorted(self.escalated.items())],
            "auto_transitions": self.auto_transitions, "objections": self.objections,
            "refusals": self.refusals, "refusal_lines": self.refusal_lines,
            "open_escalated": self.open_escalated,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


Step = tuple[datetime, int, str, str, str, dict[str, Any], str | None]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date(2027, 1, 1) + timedelta(days=day - 1),
                            time(hour, minute), LOCAL_TZ)


def checklist_papers(engine: Engine, campaign: str, data: dict[str, Any], day: date,
                     key: str) -> dict[str, Any]:
    """``{"documents": [...]}``: exactly the papers the campaign's checklist asks of a
    household with ``data``, handed in on ``day`` (empty without a checklist). The
    demo's villages, and the benchmarks, collect them this way."""
    papers = engine.campaigns[campaign].spec.documents
    if papers is None:
        return {}
    return {"documents": [{"type": t, "ref": f"{key}-{t}.pdf", "date": day.isoformat()}
                          for t in required_types(papers, data.get("category"), data)]}


class _Story:
    """The planned steps of every household, in time order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rng = random.Random(SEED)
        self.steps: list[Step] = []
        self.households: list[dict[str, Any]] = []
        self._n = 0

    def add(self, when: datetime, key: str, trigger: str, user: str,
            data: dict[str, Any] | None = None, comment: str | None = None) -> None:
        self._n += 1
        self.steps.append((when, self._n, key, trigger, user, data or {}, comment))

    def household(self, village: str, index: int) -> None:
        rng, who = self.rng, VILLAGES[village]
        category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        key = f"{village}-{index}"
        size = rng.choice([1, 2, 3, 3, 3, 4, 4, 5])
        data = {"applicant_name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                "id_number": _id_number(rng), "phone": f"139{rng.randrange(10**8):08d}",
                "household_size": size, "category": category,
                "hardship_reason": rng.choice(REASONS[category])}
        applied = _at(4 + rng.randrange(0, 6), 9 + rng.randrange(0, 8), rng.randrange(0, 60))
        data.update(checklist_papers(self.engine, CAMPAIGN, data, applied.date(), key))
        self.households.append({"key": key, "village": village, "data": data,
                                "applied": applied, "by": who["staff"]})
        meeting = who["meeting"]
        roll = rng.random()
        self.add(applied + timedelta(days=1, hours=1), key, "accept", who["staff"])
        if roll < 0.01:
            self.add(_at(meeting - 1, 10), key, "withdraw", who["staff"], {},
                     "申请人已外出务工，主动撤回")
            return
        if roll < 0.04:
            self.add(_at(meeting, 15), key, "request_evidence", who["panel"], {},
                     "请补充县级以上医院诊断证明")
            # one of the bills handed in is from the year before: flagged, not refused
            self.add(_at(meeting + 1, 10), key, "resubmit", who["staff"],
                     {"evidence_note": "已补交诊断证明及医疗票据",
                      "documents": [
                          {"type": "diagnosis", "ref": f"{key}-diagnosis.pdf",
                           "date": "2026-11-20"},
                          {"type": "medical_bills", "ref": f"{key}-bills-1.pdf",
                           "date": "2026-11-21"},
                          {"type": "medical_bills", "ref": f"{key}-bills-2.pdf",
                           "date": "2025-12-28"}]})
            self.add(_at(meeting + 1, 11), key, "accept", who["staff"])
            meeting += 2
        if roll > 0.97:
            self.add(_at(meeting, 15), key, "reject", who["panel"], {},
                     "经民主评议，家庭收入高于困难标准")
            return
        self.add(_at(meeting, 16), key, "pass_deliberation", who["panel"])
        notice_end = _at(meeting + 3, 16)
        if rng.random() < 0.05:
            self.add(_at(meeting + 1, 11), key, "object", "qunzhong", {},
                     "群众来电反映该户有稳定经营收入")
            if rng.random() < 0.75:
                self.add(_at(meeting + 2, 15), key, "dismiss_objection", who["office"], {},
                         "经入户核实，异议不成立，已答复来电人")
            else:
                self.add(_at(meeting + 2, 15), key, "uphold_objection", who["office"], {},
                         "经核实异议属实，不予通过，已答复来电人")
                return
        review = notice_end + timedelta(hours=17)
        if rng.random() < 0.02:
            self.add(review, key, "reject", who["office"], {}, "入户核查发现家庭情况与申报不符")
            return
        self.add(review, key, "approve_preliminary", who["office"],
                 {"home_visit_note": "已入户核查，情况属实"})
        self.add(review + timedelta(days=1), key, "approve_second", who["committee"])
        if category in ("moderate", "severe"):
            self.add(max(review + timedelta(days=2), _at(19, 10)), key, "county_accept",
                     "hu.kezhang")
        if rng.random() < 0.03:
            return  # the household cannot be reached before 1 Feb (in hospital)
        visit = _at(25 + rng.randrange(0, 7), 9 + rng.randrange(0, 8))
        self.add(visit, key, "disburse", who["cadre"], {
            "amount_fen": None, "photo_ref": f"IMG-{visit:%m%d}-{self.rng.randrange(1000):03d}",
            "recipient_signed": True, "cadre_signed": True, "collected_by_recipient": True})


def advance_dispatching(engine: Engine, when: datetime,
                        dispatch: Callable[[], object] | None) -> None:
    """Move the simulated clock to ``when``, calling ``dispatch`` before it moves
    and after each stop at which timers fired (what a dispatcher beside the
    scheduler does)."""
    if dispatch is None:
        engine.set_clock(when=when)
        return
    dispatch()
    while True:
        due = engine.store.next_due()
        if due is None or due > when:
            break
        engine.set_clock(when=max(due, engine.clock.now()))
        dispatch()
    if when > engine.clock.now():
        engine.set_clock(when=when)


def run_demo(engine: Engine, lang: str = "zh",
             progress: Callable[[int, int], None] | None = None,
             dispatch: Callable[[], object] | None = None) -> DemoReport:
    """Play the campaign; ``progress(done, total)`` is called as it goes and
    ``dispatch()`` sends what the outbox holds whenever the clock moves."""
    story = _Story(engine)
    for village, who in VILLAGES.items():
        for i in range(who["households"]):
            story.household(village, i)
    campaign = engine.campaigns[CAMPAIGN]
    standards = campaign.spec.standards
    submissions = sorted(story.households, key=lambda h: h["applied"])
    total = len(submissions) + len(story.steps)
    done = 0
    report = DemoReport()
    numbers: dict[str, str] = {}
    closed: set[str] = set()
    plan: list[tuple[datetime, int, str, Any]] = [
        (h["applied"], i, "submit", h) for i, h in enumerate(submissions)]
    plan += [(s[0], 10_000 + s[1], "step", s) for s in story.steps]
    plan.sort(key=lambda p: (p[0], p[1]))

    for when, _, kind, item in plan:
        if when > engine.clock.now():
            advance_dispatching(engine, when, dispatch)
        if kind == "submit":
            res = engine.submit(PROCESS, item["by"], item["data"],
                                unit=item["village"], campaign=CAMPAIGN,
                                idempotency_key=f"demo-{item['key']}")
            numbers[item["key"]] = res.case_number
        else:
            _, _, key, trigger, user, data, comment = item
            if key in closed:
                done += 1
                continue
            number = numbers[key]
            if trigger == "disburse":
                case = engine.get_case(number)
                standard = standards[case.data["category"]]
                data = {**data, "amount_fen": standard.fen(int(case.data["household_size"]))}
            if trigger == "object":
                report.objections += 1
            try:
                res = engine.fire(number, trigger, user, data=data, comment=comment)
                if engine.definition_for(engine.get_case(number)).is_final(res.state):
                    closed.add(key)
            except BangfuError as exc:
                report.refusals += 1
                report.refusal_lines.append(f"{local(engine.clock.now())}  {number}  {user}: "
                                            f"{trigger}: {exc.localized(lang)}")
        done += 1
        if progress is not None:
            progress(done, total)
    advance_dispatching(engine, campaign.completion, dispatch)
    if dispatch is not None:
        dispatch()
    report.finished_at = engine.clock.now()
    for number in numbers.values():
        case = engine.get_case(number)
        defn = engine.definition_for(case)
        label = defn.state_label(case.state, lang)
        report.cases += 1
        report.by_state[case.state] += 1
        report.by_village_state[(engine.org.unit_label(case.unit, lang), label)] += 1
        history = engine.history(case.id)
        report.events += len(history)
        # The events are the record of what the timers did.
        for event in history:
            sent = list(event.meta.get("recipients", []))
            if event.kind == "reminder":
                report.reminders += len(sent)
            elif event.kind == "escalation":
                report.escalations += len(sent)
                report.escalated[(local(event.at)[:10], str(event.meta["timer"]),
                                  ", ".join(sent))] += 1
            elif event.kind == "transition" and event.actor == "system":
                report.auto_transitions += 1
        if not defn.is_final(case.state) and any(e.kind == "escalation" for e in history):
            report.open_escalated += 1
    return report


class ConsoleDispatch:
    """The demo's dispatcher: sends through the default console channel into a
    buffer; calling it sends everything due now."""

    def __init__(self, engine: Engine) -> None:
        import io

        from workflow.bootstrap import open_dispatcher

        self.buffer = io.StringIO()
        self.dispatcher = open_dispatcher(engine, stream=self.buffer, batch=1000)
        self.sent = 0
        self.dropped = 0

    def __call__(self) -> None:
        while True:
            done = self.dispatcher.run_once()
            self.sent += done.sent
            self.dropped += done.dropped
            if not (done.sent or done.expanded):
                break

    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()

    def close(self) -> None:
        self.dispatcher.close()


def fresh_demo_path() -> str:
    """``bangfu-demo-N.db`` with the first N not taken in the working folder."""
    n = 1
    while Path(f"bangfu-demo-{n}.db").exists():
        n += 1
    return f"bangfu-demo-{n}.db"


def open_demo_engine(target: str) -> Engine:
    """An engine on a fresh simulated database at ``target`` (created if missing).

    Raises:
        UsageError: the database already holds cases.
        ClockError: it runs on the real clock.
    """
    from storage import resolve_url
    from workflow.bootstrap import close_engine, init_database, open_engine

    url = resolve_url(target)
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is None:
        try:
            init_database(target, simulated_start=DEMO_START)
        except StorageError:
            pass  # initialised already (checked for cases below), or unreachable (open says so)
    elif not path.exists():
        init_database(target, simulated_start=DEMO_START)
    engine = open_engine(target)
    try:
        if engine.store.count_cases():
            raise UsageError(
                f"database '{target}' already holds cases; the demo needs a fresh database",
                f"数据库 '{target}' 中已有案件；演示需要一个新的数据库")
        if not engine.clock.simulated:
            raise ClockError(f"database '{target}' runs on the real clock; the demo needs a "
                             "simulated one", f"数据库 '{target}' 使用真实时钟，演示需要模拟时钟")
    except BaseException:
        close_engine(engine)  # refused: no connection left behind
        raise
    return engine
