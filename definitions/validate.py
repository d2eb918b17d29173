"""Graph and reference checks of a parsed definition, with "did you mean". Pure.

``validate`` collects every problem before raising, so an author fixes a file
in one pass. Given what parsing set aside (``definitions.parse.SetAside``), it
leaves out what only follows from that: a name defined by a part set aside is
not "unknown", and states are not called unreachable (or without a way out)
while an edge of the graph is not known for sure. A misspelled state name in a
transition is followed under the name suggested for it, so one typo does not
make every later state "unreachable".
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable
from difflib import get_close_matches

from definitions.conditions import check_condition
from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of
from definitions.parse import SetAside
from definitions.schema import (
    FIRST_RESPONSIBLE,
    InstalmentSpec,
    ProcessDefinition,
    TimerSpec,
    TransitionSpec,
)

Path = tuple[str | int, ...]


class _Collector:
    def __init__(self, lines: Lines, source: str | None, aside: SetAside | None = None) -> None:
        self.lines, self.source = lines, source
        self.aside = aside or SetAside()
        self.problems: list[Problem] = []
        #: names defined by parts set aside: not "unknown"
        self.aside_names: set[str] = set()

    def add(self, path: Path, en: str, zh: str) -> None:
        where = self.aside.original(path)
        self.problems.append(Problem(dotted(where), en, zh, line_of(self.lines, where),
                                     self.source))

    def index(self, prefix: Path, i: int) -> int:
        """The file's index of item ``i`` of the list at ``prefix``."""
        found = self.aside.original((*prefix, i))[-1]
        return found if isinstance(found, int) else i

    def unknown(self, path: Path, what_en: str, what_zh: str, name: str,
                known: Iterable[str]) -> None:
        if name in self.aside_names:
            return
        close = get_close_matches(name, list(known), n=1)
        hint_en = f"; did you mean '{close[0]}'?" if close else ""
        hint_zh = f"；是否指 '{close[0]}'？" if close else ""
        self.add(path, f"unknown {what_en} '{name}'{hint_en}", f"未知的{what_zh} '{name}'{hint_zh}")


def _raw_ids(raw: object, key: str) -> list[str]:
    """The names a raw (set-aside) mapping gives under ``key``: one or a list."""
    if not isinstance(raw, dict):
        return []
    value = raw.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def _check_timer(c: _Collector, defn: ProcessDefinition, tp: Path, timer: TimerSpec,
                 state: str | None, timer_ids: set[str],
                 aside_edges: Collection[tuple[str, str]] = ()) -> None:
    roles = set(defn.roles)
    if timer.id in timer_ids:
        c.add((*tp, "id"), f"duplicate timer id '{timer.id}'", f"重复的计时器 id '{timer.id}'")
    timer_ids.add(timer.id)
    if timer.after is not None and timer.at is not None:
        c.add(tp, f"timer '{timer.id}' gives both 'after' and 'at'; give one",
              f"计时器 '{timer.id}' 同时设置了 'after' 和 'at',只能设置其一")
    if timer.after is None and timer.at is None and timer.every is None:
        c.add(tp, f"timer '{timer.id}' needs 'after', 'at' or 'every'",
              f"计时器 '{timer.id}' 必须设置 'after'、'at' 或 'every' 之一")
    if timer.every is not None and timer.fire is None:
        c.add((*tp, "every"), f"recurring timer '{timer.id}' must say what to 'fire'",
              f"周期计时器 '{timer.id}' 必须用 'fire' 指明触发的操作")
    if timer.escalate_every is not None and not timer.escalate_to:
        c.add((*tp, "escalate_every"), f"timer '{timer.id}' escalates but names no 'escalate_to'",
              f"计时器 '{timer.id}' 设置了督办间隔，却没有 'escalate_to'")
    if timer.fire is not None:
        if any(trigger == timer.fire for trigger, _ in aside_edges):
            return  # its transition was set aside: whatever is wrong is said there
        sources = [src for tr in defn.transitions if tr.trigger == timer.fire for src in tr.source]
        if state is not None and state not in sources:
            c.add((*tp, "fire"), f"timer '{timer.id}' fires '{timer.fire}', which has no "
                  f"transition from state '{state}'",
                  f"计时器 '{timer.id}' 触发的 '{timer.fire}' 在状态 '{state}' 下没有对应的流转")
        elif state is None and not sources:
            c.unknown((*tp, "fire"), "trigger", "操作", timer.fire,
                      {tr.trigger for tr in defn.transitions})
        elif not any(timer.fire == tr.trigger and "system" in tr.roles
                     for tr in defn.transitions):
            c.add((*tp, "fire"), f"timer '{timer.id}' fires '{timer.fire}', but no transition "
                  "of that trigger lets the role 'system' fire it",
                  f"计时器 '{timer.id}' 触发的 '{timer.fire}' 没有允许 'system' 角色执行的流转")
    for k, r in enumerate(timer.escalate_to):
        if r not in roles and r != FIRST_RESPONSIBLE:
            c.unknown((*tp, "escalate_to", k), "role", "角色", r, [*roles, FIRST_RESPONSIBLE])


def _check_instalment(c: _Collector, defn: ProcessDefinition, ip: Path,
                      spec: InstalmentSpec, t: TransitionSpec) -> None:
    """The fields an instalment reads and records exist, with the right types, and
    no command may set the two the system computes."""
    for key, want in (("of", "money"), ("amount", "money"), ("number", "integer")):
        name = getattr(spec, key)
        field = defn.fields.get(name)
        if field is None:
            c.unknown((*ip, key), "field", "字段", name, defn.fields)
        elif field.type != want:
            c.add((*ip, key), f"field '{name}' must be of type '{want}' (it is "
                  f"'{field.type}')", f"字段 '{name}' 的类型必须为 '{want}'（现为 '{field.type}'）")
    for name in (spec.amount, spec.number):
        if name in t.required or name in t.writes:
            c.add((*ip,), f"'{name}' is computed by the instalment; the command cannot set it",
                  f"'{name}' 由分期发放计算得出，不能由命令填写")


def timer_refs(defn: ProcessDefinition) -> list[tuple[str, str]]:
    """(path, reference) of every timer deadline that names the campaign calendar."""
    refs = [(f"case_timers[{j}].at", t.at) for j, t in enumerate(defn.case_timers) if t.at]
    for i, s in enumerate(defn.states):
        refs += [(f"states[{i}].timers[{j}].at", t.at) for j, t in enumerate(s.timers) if t.at]
    return refs


def _check_recorded_by(c: _Collector, defn: ProcessDefinition) -> None:
    """A field ``recorded_by`` some triggers: each exists and sets the field, no other
    transition sets it, and the application cannot carry it."""
    for f, spec in defn.fields.items():
        if not spec.recorded_by:
            continue
        triggers = {t.trigger for t in defn.transitions}
        for k, trig in enumerate(spec.recorded_by):
            if trig not in triggers:
                c.unknown(("fields", f, "recorded_by", k), "trigger", "流转", trig, triggers)
        for i, t in enumerate(defn.transitions):
            sets = f in t.writes or f in t.required
            if t.trigger in spec.recorded_by and not sets:
                c.add(("transitions", i), f"'{t.trigger}' records '{f}' (fields.{f}.recorded_by) "
                      "but neither writes nor requires it",
                      f"'{t.trigger}' 负责登记字段 '{f}'，但未在 writes 或 required 中列出")
            elif t.trigger not in spec.recorded_by and sets:
                c.add(("transitions", i), f"only {', '.join(spec.recorded_by)} may set '{f}' "
                      f"(fields.{f}.recorded_by); '{t.trigger}' may only read it",
                      f"字段 '{f}' 只能由 {'、'.join(spec.recorded_by)} 登记，"
                      f"'{t.trigger}' 只能读取")
        if f in defn.submit.required:
            c.add(("submit", "required"), f"'{f}' is recorded by its own step "
                  f"({', '.join(spec.recorded_by)}), not by the application",
                  f"字段 '{f}' 须单独登记（{'、'.join(spec.recorded_by)}），不能随申请提交")


def validate(defn: ProcessDefinition, lines: Lines | None = None, source: str | None = None,
             known_guards: Collection[str] | None = None) -> None:
    """Check references and the state graph of ``defn``.

    Args:
        known_guards: names of the registered guard predicates; ``None`` skips
            that check (the definitions layer does not know the registry).

    Raises:
        DefinitionInvalid: listing every problem found.
    """
    problems = check_definition(defn, lines, source, known_guards)
    if problems:
        raise DefinitionInvalid(problems, source)


def check_definition(defn: ProcessDefinition, lines: Lines | None = None,
                     source: str | None = None, known_guards: Collection[str] | None = None,
                     aside: SetAside | None = None, graph_known: bool = True) -> list[Problem]:
    """Every reference and graph problem of ``defn``, located in the file; with
    ``aside`` (what parsing set aside to build ``defn``), without the problems
    that only follow from it. ``graph_known`` False (a key of a state or a
    transition was given twice, so which value was meant is not known) leaves
    out reachability."""
    c = _Collector(lines or {}, source, aside)
    aside = c.aside
    aside_states = {i for raw in aside.under(("states",)) for i in _raw_ids(raw, "id")}
    aside_roles = aside.keys_under(("roles",))
    aside_fields = aside.keys_under(("fields",))
    aside_transitions = aside.under(("transitions",))
    c.aside_names = aside_states | aside_roles | aside_fields | {
        d for raw in aside_transitions for d in _raw_ids(raw, "duty")}
    states = [s.id for s in defn.states] + sorted(aside_states)
    roles = set(defn.roles) | aside_roles
    fields = set(defn.fields) | aside_fields
    #: the graph is known for sure only if every edge is
    sure = graph_known and not aside.under(("states",))
    aside_edges: list[tuple[str, str]] = []
    for raw in aside_transitions:
        triggers, sources, dests = (_raw_ids(raw, k) for k in ("trigger", "source", "dest"))
        if len(triggers) != 1 or not sources or len(dests) != 1:
            sure = False
            if triggers:
                aside_edges.append((triggers[0], ""))
            continue
        aside_edges += [(triggers[0], src) for src in sources]

    seen: dict[str, int] = {}
    timer_ids: set[str] = set()
    for j, timer in enumerate(defn.case_timers):
        _check_timer(c, defn, ("case_timers", j), timer, None, timer_ids, aside_edges)
    for i, s in enumerate(defn.states):
        if s.id in seen:
            first = c.index(("states",), seen[s.id])
            c.add(("states", i, "id"), f"duplicate state id '{s.id}' (also states[{first}])",
                  f"重复的状态 id '{s.id}'（与 states[{first}] 相同）")
        seen.setdefault(s.id, i)
        if s.initial and s.final:
            c.add(("states", i), f"state '{s.id}' cannot be both initial and final",
                  f"状态 '{s.id}' 不能既是初始状态又是终止状态")
        if s.outcome is not None and not s.final:
            c.add(("states", i, "outcome"), f"only a final state has an outcome ('{s.id}' is not "
                  "final)", f"只有终止状态才有办理结果('{s.id}' 不是终止状态)")
        if s.responsible is not None and s.responsible not in roles:
            c.unknown(("states", i, "responsible"), "role", "角色", s.responsible, roles)
        for j, timer in enumerate(s.timers):
            _check_timer(c, defn, ("states", i, "timers", j), timer, s.id, timer_ids, aside_edges)
    initial = [s.id for s in defn.states if s.initial]
    initial += [i for raw in aside.under(("states",)) if isinstance(raw, dict)
                and raw.get("initial") is True for i in _raw_ids(raw, "id")]
    if len(initial) != 1:
        c.add(("states",), f"exactly one state must be initial (found {len(initial)})",
              f"必须有且只有一个初始状态(现有 {len(initial)} 个)")
    finals = {s.id for s in defn.states if s.final}
    if not finals and not any(isinstance(raw, dict) and raw.get("final") is True
                              for raw in aside.under(("states",))):
        c.add(("states",), "no state is final", "没有终止状态")

    for f, spec in defn.fields.items():
        if spec.type == "enum" and not spec.values:
            c.add(("fields", f, "values"), f"enum field '{f}' lists no values",
                  f"枚举字段 '{f}' 没有列出取值")
        for v in spec.value_labels:
            if v not in spec.values:
                c.unknown(("fields", f, "value_labels", v), "value", "取值", v, spec.values)
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            c.add(("fields", f, "min"), f"field '{f}' has min {spec.min} above its max "
                  f"{spec.max}: no value fits", f"字段 '{f}' 的最小值 {spec.min} 大于最大值 "
                  f"{spec.max}，没有任何取值符合")
    if defn.applicant_id_field is not None:
        spec0 = defn.fields.get(defn.applicant_id_field)
        if spec0 is None:
            c.unknown(("applicant_id_field",), "field", "字段", defn.applicant_id_field, fields)
        elif spec0.pii != "id_number":
            c.add(("applicant_id_field",), f"field '{defn.applicant_id_field}' must be marked "
                  "'pii: id_number'", f"字段 '{defn.applicant_id_field}' 必须标记为 'pii: id_number'")

    for k, r in enumerate(defn.submit.roles):
        if r not in roles:
            c.unknown(("submit", "roles", k), "role", "角色", r, roles)
    for k, f in enumerate(defn.submit.required):
        if f not in fields:
            c.unknown(("submit", "required", k), "field", "字段", f, fields)
    for k, f in enumerate(defn.submit.writes):
        if f not in fields:
            c.unknown(("submit", "writes", k), "field", "字段", f, fields)

    duties: set[str] = set()
    edges: dict[str, set[str]] = defaultdict(set)
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    def meant(name: str) -> str | None:
        """The state a name in a transition stands for: itself, or the one suggested."""
        if name in seen or name in aside_states:
            return name
        close = get_close_matches(name, states, n=1)
        return close[0] if close else None

    for _trigger, src in aside_edges:
        if src and meant(src) is None:
            sure = False
    for raw in aside_transitions:
        dests = _raw_ids(raw, "dest")
        target = meant(dests[0]) if len(dests) == 1 else None
        if target is None:
            sure = False
            continue
        for src in _raw_ids(raw, "source"):
            found = meant(src)
            if found is not None:
                edges[found].add(target)
    for i, t in enumerate(defn.transitions):
        tp = ("transitions", i)
        dest = meant(t.dest)
        if dest is None:
            sure = False
        for k, src in enumerate(t.source):
            if src not in seen:
                c.unknown((*tp, "source", k), "state", "状态", src, states)
                found = meant(src)
                if found is None:
                    sure = False
                elif dest is not None:
                    edges[found].add(dest)
            elif src in finals:
                c.add((*tp, "source", k), f"final state '{src}' cannot have outgoing transitions",
                      f"终止状态 '{src}' 不能再有流转")
            else:
                if dest is not None:
                    edges[src].add(dest)
                by_key[(t.trigger, src)].append(i)
        if t.dest not in seen:
            c.unknown((*tp, "dest"), "state", "状态", t.dest, states)
        if not t.roles:
            c.add((*tp, "roles"), f"transition '{t.trigger}' names no role, so nobody could fire it",
                  f"流转 '{t.trigger}' 没有指定角色，任何人都无法执行")
        for k, r in enumerate(t.roles):
            if r not in roles and r != "system":
                c.unknown((*tp, "roles", k), "role", "角色", r, [*roles, "system"])
        for k, g in enumerate(t.guards):
            if known_guards is not None and g.name not in known_guards:
                c.unknown((*tp, "guards", k), "guard", "条件函数", g.name, known_guards)
        for k, cond in enumerate(t.when):
            names, err = check_condition(cond)
            if err:
                c.add((*tp, "when", k), f"condition '{cond}': {err}", f"条件 '{cond}' 无效：{err}")
            for name in sorted(names - fields):
                c.unknown((*tp, "when", k), "field in condition", "条件中的字段", name, fields)
        for key in ("required", "writes"):
            for k, f in enumerate(getattr(t, key)):
                if f not in fields:
                    c.unknown((*tp, key, k), "field", "字段", f, fields)
        if t.instalment is not None:
            _check_instalment(c, defn, (*tp, "instalment"), t.instalment, t)
        if t.duty:
            duties.add(t.duty)

    for (trigger, src), idx in by_key.items():
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1:]:
                ta, tb = defn.transitions[a], defn.transitions[b]
                conds_a = (ta.guards, ta.when)
                conds_b = (tb.guards, tb.when)
                if conds_a == conds_b:
                    fa, fb = c.index(("transitions",), a), c.index(("transitions",), b)
                    c.add(("transitions", b), f"transitions[{fa}] and transitions[{fb}] both fire "
                          f"'{trigger}' from '{src}' with no condition telling them apart",
                          f"transitions[{fa}] 与 transitions[{fb}] 都在状态 '{src}' 下响应 "
                          f"'{trigger}'，且没有区分二者的条件")

    _check_recorded_by(c, defn)

    for r_i, rule in enumerate(defn.separation_of_duties):
        for k, d in enumerate(rule.duties):
            if d not in duties:
                c.unknown(("separation_of_duties", r_i, "duties", k), "duty", "职责", d, duties)

    if len(initial) == 1 and sure:
        reached = {initial[0]}
        queue = deque(initial)
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        for i, s in enumerate(defn.states):
            if s.id not in reached and seen.get(s.id) == i:
                c.add(("states", i, "id"), f"state '{s.id}' is unreachable from the initial "
                      f"state '{initial[0]}'", f"状态 '{s.id}' 无法从初始状态 '{initial[0]}' 到达")
    for i, s in enumerate(defn.states):
        if sure and not s.final and not edges.get(s.id) and seen.get(s.id) == i:
            c.add(("states", i, "id"), f"state '{s.id}' is not final but has no way out",
                  f"状态 '{s.id}' 不是终止状态，却没有任何流出的流转")
    if sure and finals:
        # every state must lead to an end: a cycle of states with no way to a final
        # one would keep its cases open for good
        ending = set(finals)
        grew = True
        while grew:
            grew = False
            for src, outs in edges.items():
                if src not in ending and outs & ending:
                    ending.add(src)
                    grew = True
        for i, s in enumerate(defn.states):
            if s.id not in ending and edges.get(s.id) and seen.get(s.id) == i:
                c.add(("states", i, "id"), f"state '{s.id}' never leads to a final state (its "
                      "transitions only go round)",
                      f"状态 '{s.id}' 无法到达任何终止状态（流转只在几个状态间循环）")

    return c.problems
