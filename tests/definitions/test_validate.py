"""Definition validation: every problem names its file, path, line and the offending key."""

from __future__ import annotations

import pytest

from definitions import DefinitionInvalid, Problem, definition_from_text
from tests.helpers.samples import SEVEN
from workflow.core.registry import REGISTRY

SOURCE = "mini.yaml"

BASE = """\
process: mini
version: 1
labels: {zh: 小流程, en: Mini process}
case_prefix: MI
roles:
  clerk: {labels: {zh: 办事员, en: Clerk}}
  boss: {labels: {zh: 领导, en: Boss}}
fields:
  amount: {type: integer, labels: {zh: 金额, en: Amount}}
  kind: {type: enum, values: [a, b], labels: {zh: 类别, en: Kind}}
submit:
  roles: [clerk]
states:
  - id: draft
    labels: {zh: 草稿, en: Draft}
    initial: true
  - id: review
    labels: {zh: 审核, en: Review}
  - id: done
    labels: {zh: 完成, en: Done}
    final: true
transitions:
  - trigger: send
    labels: {zh: 提交, en: Send}
    source: draft
    dest: review
    roles: [clerk]
  - trigger: approve
    labels: {zh: 批准, en: Approve}
    source: review
    dest: done
    roles: [boss]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line containing ``needle``."""
    hits = [i for i, row in enumerate(text.splitlines(), 1) if needle in row]
    return hits[nth - 1]


def problems(text: str) -> tuple[Problem, ...]:
    with pytest.raises(DefinitionInvalid) as ei:
        definition_from_text(text, SOURCE, known_guards=REGISTRY)
    assert ei.value.source == SOURCE
    return ei.value.problems


def only(text: str, path: str) -> Problem:
    """The problem at ``path``; its rendering names file, line and path."""
    found = [p for p in problems(text) if p.path == path]
    assert len(found) == 1, problems(text)
    p = found[0]
    assert p.file == SOURCE
    assert p.render("en").startswith(f"{SOURCE}:{p.line}: {path}: ")
    return p


def test_base_definition_is_valid() -> None:
    """The small definition the other tests break is itself valid."""
    d = definition_from_text(BASE, SOURCE, known_guards=REGISTRY)
    assert d.key == ("mini", 1) and d.initial == "draft"


def test_malformed_yaml() -> None:
    """Malformed YAML names the file and the line."""
    text = edit("    dest: review\n", "    dest: review: now\n")
    (p,) = problems(text)
    assert p.line == line(text, "dest: review: now")
    assert "malformed YAML" in p.en
    assert f"{SOURCE}:{p.line}" in p.render()


def test_duplicate_keys() -> None:
    """A key given twice in a transition names the key path and the line of the repeat."""
    text = edit("    dest: done\n", "    dest: done\n    dest: draft\n")
    (p,) = problems(text)
    assert p.path == "transitions[1].dest"
    assert p.line == line(text, "dest: draft")
    assert "duplicate key 'dest'" in p.en and f"line {line(text, 'dest: done')}" in p.en


def test_unknown_source_state_suggests_a_name() -> None:
    """An unknown source state is named, located and gets a 'did you mean'."""
    text = edit("    source: review\n", "    source: reveiw\n")
    p = only(text, "transitions[1].source[0]")
    assert p.line == line(text, "source: reveiw")
    assert "unknown state 'reveiw'; did you mean 'review'?" in p.en
    assert "'reveiw'" in p.zh and "是否指 'review'" in p.zh


def test_unknown_source_in_a_list_is_located_on_its_item() -> None:
    """In a list of sources the bad item's own line is given."""
    text = edit("    source: review\n", "    source:\n      - draft\n      - drfat\n")
    p = only(text, "transitions[1].source[1]")
    assert p.line == line(text, "- drfat")
    assert "did you mean 'draft'?" in p.en


def test_unknown_dest_state_suggests_a_name() -> None:
    """An unknown destination state is named, located and gets a 'did you mean'."""
    text = edit("    dest: done\n", "    dest: dnoe\n")
    p = only(text, "transitions[1].dest")
    assert p.line == line(text, "dest: dnoe")
    assert "unknown state 'dnoe'; did you mean 'done'?" in p.en


def test_unreachable_state() -> None:
    """A state nothing leads to is named with the line of its id."""
    text = edit("transitions:\n", "  - id: limbo\n    labels: {zh: 悬空, en: Limbo}\n"
                "transitions:\n")
    text += ("  - trigger: leave\n    labels: {zh: 离开, en: Leave}\n    source: limbo\n"
             "    dest: done\n    roles: [boss]\n")
    (p,) = problems(text)
    assert p.path == "states[3].id"
    assert p.line == line(text, "- id: limbo")
    assert "state 'limbo' is unreachable from the initial state 'draft'" in p.en


def test_non_final_state_without_a_way_out() -> None:
    """A reachable, non-final state with no outgoing transition is a dead end."""
    text = edit("transitions:\n", "  - id: stuck\n    labels: {zh: 卡住, en: Stuck}\n"
                "transitions:\n")
    text += ("  - trigger: park\n    labels: {zh: 搁置, en: Park}\n    source: review\n"
             "    dest: stuck\n    roles: [boss]\n")
    (p,) = problems(text)
    assert p.path == "states[3].id"
    assert p.line == line(text, "- id: stuck")
    assert "state 'stuck' is not final but has no way out" in p.en


def test_duplicate_state_ids() -> None:
    """The second state with an id already used is named, with its line."""
    text = edit("transitions:\n", "  - id: review\n    labels: {zh: 又审核, en: Again}\n"
                "transitions:\n")
    (p,) = problems(text)
    assert p.path == "states[3].id"
    assert p.line == line(text, "- id: review", 2)
    assert "duplicate state id 'review' (also states[1])" in p.en


def test_unknown_role_in_a_transition() -> None:
    """A role the process does not declare is named, located and gets a suggestion."""
    text = edit("    roles: [boss]\n", "    roles: [bos]\n")
    p = only(text, "transitions[1].roles[0]")
    assert p.line == line(text, "roles: [bos]")
    assert "unknown role 'bos'; did you mean 'boss'?" in p.en


def test_unknown_role_in_submit() -> None:
    """Who may submit is checked against the roles too."""
    text = edit("submit:\n  roles: [clerk]\n", "submit:\n  roles: [clerc]\n")
    p = only(text, "submit.roles[0]")
    assert p.line == line(text, "roles: [clerc]")
    assert "did you mean 'clerk'?" in p.en


def test_transition_without_roles_can_be_fired_by_nobody() -> None:
    """Deny by default: a transition naming no role is reported."""
    text = edit("    roles: [boss]\n", "")
    p = only(text, "transitions[1].roles")
    assert p.line == line(text, "- trigger: approve")
    assert "names no role" in p.en


def test_unknown_guard() -> None:
    """A guard not in the registry is named, located and gets a suggestion."""
    text = edit("    roles: [boss]\n", "    roles: [boss]\n    guards: [window_elapsd]\n")
    p = only(text, "transitions[1].guards[0]")
    assert p.line == line(text, "guards: [window_elapsd]")
    assert "unknown guard 'window_elapsd'; did you mean 'window_elapsed'?" in p.en


def test_guards_are_not_checked_without_a_registry() -> None:
    """The definitions layer alone cannot know the guards, so it skips that check."""
    text = edit("    roles: [boss]\n", "    roles: [boss]\n    guards: [anything_goes]\n")
    assert definition_from_text(text).key == ("mini", 1)


def test_missing_english_label() -> None:
    """A label without English names the missing key."""
    text = edit("    labels: {zh: 审核, en: Review}\n", "    labels: {zh: 审核}\n")
    p = only(text, "states[1].labels.en")
    assert p.line == line(text, "labels: {zh: 审核}")
    assert p.en == "missing required key 'en'"
    assert "缺少必填的键 'en'" in p.zh


def test_missing_chinese_label() -> None:
    """A transition label without Chinese names the missing key."""
    text = edit("    labels: {zh: 批准, en: Approve}\n", "    labels: {en: Approve}\n")
    p = only(text, "transitions[1].labels.zh")
    assert p.line == line(text, "labels: {en: Approve}")
    assert p.en == "missing required key 'zh'"


def test_missing_labels_altogether() -> None:
    """A state without labels is located at its list item."""
    text = edit("    labels: {zh: 完成, en: Done}\n", "")
    p = only(text, "states[2].labels")
    assert p.line == line(text, "- id: done")


def test_empty_label_is_refused() -> None:
    """An empty Chinese label counts as missing text."""
    text = edit("labels: {zh: 小流程, en: Mini process}", "labels: {zh: '', en: Mini process}")
    p = only(text, "labels.zh")
    assert p.line == 3


def test_unknown_key() -> None:
    """A misspelt key is refused, named and located."""
    text = edit("    initial: true\n", "    initial: true\n    responsable: clerk\n")
    p = only(text, "states[0].responsable")
    assert p.line == line(text, "responsable: clerk")
    assert p.en == "unknown key 'responsable'; did you mean 'responsible'?"
    assert p.zh == "未知的键 'responsable'；是否指 'responsible'？"


def test_same_trigger_and_source_without_distinguishing_condition() -> None:
    """Two transitions for one trigger and source need a condition telling them apart."""
    text = BASE + ("  - trigger: approve\n    labels: {zh: 再批, en: Approve again}\n"
                   "    source: review\n    dest: draft\n    roles: [boss]\n")
    p = only(text, "transitions[2]")
    assert p.line == line(text, "- trigger: approve", 2)
    assert "transitions[1] and transitions[2] both fire 'approve' from 'review'" in p.en


def test_same_trigger_and_source_told_apart_by_when_is_valid() -> None:
    """Complementary ``when`` conditions make two such transitions legal."""
    text = edit("    dest: done\n    roles: [boss]\n",
                "    dest: done\n    roles: [boss]\n    when: \"kind == 'a'\"\n")
    text += ("  - trigger: approve\n    labels: {zh: 再批, en: Approve again}\n"
             "    source: review\n    dest: draft\n    roles: [boss]\n"
             "    when: \"kind != 'a'\"\n")
    d = definition_from_text(text, known_guards=REGISTRY)
    assert len(d.by_trigger_source[("approve", "review")]) == 2


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("amount >", "not a valid condition"),
        ("len(kind) > 1", "'Call' is not allowed"),
        ("kind.upper == 'A'", "'Attribute' is not allowed"),
        ("[x for x in kind]", "'ListComp' is not allowed"),
        ("amount[0] == 1", "'Subscript' is not allowed"),
    ],
    ids=["syntax", "call", "attribute", "comprehension", "subscript"],
)
def test_bad_when_condition(condition: str, message: str) -> None:
    """A condition that is no expression, or uses a disallowed node, is named and located."""
    text = edit("    roles: [boss]\n", f"    roles: [boss]\n    when: \"{condition}\"\n")
    p = only(text, "transitions[1].when[0]")
    assert p.line == line(text, "when:")
    assert f"condition '{condition}'" in p.en and message in p.en


def test_when_condition_with_unknown_field() -> None:
    """A field a condition reads must exist, with a suggestion."""
    text = edit("    roles: [boss]\n", "    roles: [boss]\n    when: amout > 3\n")
    p = only(text, "transitions[1].when[0]")
    assert p.line == line(text, "when: amout > 3")
    assert "unknown field in condition 'amout'; did you mean 'amount'?" in p.en


def test_bad_timer_duration() -> None:
    """'3 lightyears' is not a duration; the problem names the key and its line."""
    text = edit("    labels: {zh: 审核, en: Review}\n",
                "    labels: {zh: 审核, en: Review}\n    timers:\n"
                "      - {id: window, after: 3 lightyears}\n")
    p = only(text, "states[1].timers[0].after")
    assert p.line == line(text, "3 lightyears")
    assert "'3 lightyears' is not a duration" in p.en


@pytest.mark.parametrize("duration", ["3d", "12h", "30 minutes", "2 working days", "1 day"])
def test_good_timer_durations(duration: str) -> None:
    """Durations in days, hours, minutes and working days are accepted."""
    text = edit("    labels: {zh: 审核, en: Review}\n",
                "    labels: {zh: 审核, en: Review}\n    timers:\n"
                f"      - {{id: window, after: {duration}}}\n")
    assert definition_from_text(text).states["review"].timers[0].after == duration


def test_timer_firing_a_trigger_without_a_transition() -> None:
    """A timer may only fire a trigger that leaves its own state."""
    text = edit("    labels: {zh: 审核, en: Review}\n",
                "    labels: {zh: 审核, en: Review}\n    timers:\n"
                "      - {id: window, after: 3d, fire: send}\n")
    p = only(text, "states[1].timers[0].fire")
    assert "has no transition from state 'review'" in p.en


def test_every_problem_is_reported_at_once() -> None:
    """Several independent mistakes come back together, each with its own line."""
    text = edit("    roles: [boss]\n", "    roles: [bos]\n")
    text = edit("    dest: review\n", "    dest: reveiw\n", text)
    found = {p.path: p.line for p in problems(text)}
    assert found["transitions[1].roles[0]"] == line(text, "roles: [bos]")
    assert found["transitions[0].dest"] == line(text, "dest: reveiw")


def test_problems_have_chinese_and_english_text() -> None:
    """The error reads in Chinese via localized('zh') and in English via str()."""
    text = edit("    dest: done\n", "    dest: dnoe\n")
    with pytest.raises(DefinitionInvalid) as ei:
        definition_from_text(text, SOURCE)
    assert "problem" in str(ei.value) and "dnoe" in str(ei.value)
    assert "处错误" in ei.value.localized("zh") and "未知的状态 'dnoe'" in ei.value.localized("zh")
    assert ei.value.to_dict("en")["problems"][0]["path"] == "transitions[1].dest"  # type: ignore[index]


def test_enum_values_yes_no_stay_strings() -> None:
    """Enum values written yes/no/on/off are kept as the strings they are."""
    text = edit("values: [a, b]", "values: [yes, no, on, off]")
    assert definition_from_text(text).spec.fields["kind"].values == ("yes", "no", "on", "off")


# -- every independent problem at once ------------------------------------------------



def test_seven_mistakes_are_reported_in_one_pass() -> None:
    """A definition with seven independent mistakes gets seven problems in one pass:
    a repeated key does not hide the rest, misspelled keys get "did you mean", and
    nothing follows from an earlier problem (no "unreachable", no missing 'trigger')."""
    found = problems(SEVEN)
    by_path = {p.path: p for p in found}
    assert len(found) == 7, [p.render("en") for p in found]
    assert "duplicate key 'labels'" in by_path["states[1].labels"].en
    assert by_path["states[0].responsibel"].en == \
        "unknown key 'responsibel'; did you mean 'responsible'?"
    assert by_path["transitions[0].triger"].en == \
        "unknown key 'triger'; did you mean 'trigger'?"
    assert by_path["fields.amount.type"].en.startswith("'integr' is not one of 'string'")
    assert by_path["fields.amount.type"].en.endswith("did you mean 'integer'?")
    assert "states[1].timers[0].after" in by_path
    assert "did you mean 'review'" in by_path["transitions[1].source[0]"].en
    assert "did you mean 'amount'" in by_path["transitions[2].when[0]"].en
    assert not any("unreachable" in p.en or "no way out" in p.en or "missing" in p.en
                   for p in found)
    for p in found:
        assert p.line is not None and p.file == SOURCE, p


def test_fixing_one_mistake_leaves_the_others_as_they_were() -> None:
    """Fixing the first problem removes exactly that one: no new knock-on errors."""
    before = {p.path for p in problems(SEVEN)}
    fixed = SEVEN.replace("    responsibel: clerk\n", "")
    after = {p.path for p in problems(fixed)}
    assert after == before - {"states[0].responsibel"}


def test_a_state_set_aside_is_not_an_unknown_name() -> None:
    """A state with a bad key inside is reported once; the transitions naming it are
    not "unknown state", and the states after it are not "unreachable"."""
    text = edit("    labels: {zh: 审核, en: Review}\n",
                "    labels: {zh: 审核, en: Review}\n    final: maybe\n")
    found = problems(text)
    assert [p.path for p in found] == ["states[1].final"], [p.render("en") for p in found]


# -- what the validator once let through ----------------------------------------------


def test_a_cycle_with_no_way_to_a_final_state_is_refused() -> None:
    """review ↔ recheck, with the way to 'done' gone: cases would stay open for good."""
    text = edit("""  - trigger: approve
    labels: {zh: 批准, en: Approve}
    source: review
    dest: done
    roles: [boss]
""", """  - trigger: recheck
    labels: {zh: 复核, en: Recheck}
    source: review
    dest: recheck
    roles: [boss]
  - trigger: back
    labels: {zh: 退回, en: Back}
    source: recheck
    dest: review
    roles: [boss]
""", edit("""  - id: done""", """  - id: recheck
    labels: {zh: 复核, en: Recheck}
  - id: done"""))
    found = [p for p in problems(text) if "never leads to a final state" in p.en]
    assert {p.path for p in found} >= {"states[1].id", "states[2].id"}, found


def test_a_field_whose_min_is_above_its_max_is_refused() -> None:
    text = edit("amount: {type: integer, labels:", "amount: {type: integer, min: 31, max: 1, labels:")
    (found,) = [p for p in problems(text) if "min 31 above its max 1" in p.en]
    assert found.path == "fields.amount.min"


def test_an_org_relation_with_a_bad_check_digit_is_refused() -> None:
    from definitions import SHIPPED_ORG, org_from_text

    text = SHIPPED_ORG.read_text(encoding="utf-8").replace(
        '{id_number: "331122195803120422", relation: 姨母}',
        '{id_number: "331122195803120423", relation: 姨母}')
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert any("not a resident ID number" in p.en and "120423" not in p.en
               for p in ei.value.problems)


def test_a_townships_first_responsible_person_works_at_the_township_or_above() -> None:
    from definitions import SHIPPED_ORG, org_from_text

    text = SHIPPED_ORG.read_text(encoding="utf-8").replace(
        "first_responsible: [he.shuji]", "first_responsible: [luo.yan]")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert any("luo.yan" in p.en and "first responsible" in p.en for p in ei.value.problems)
