"""The organisation file: jurisdiction tree, users, relations and their checks."""

from __future__ import annotations

import pytest

from definitions import SHIPPED_ORG, DefinitionInvalid, load_org, normalise_id_number, org_from_text

ORG = """\
org: test
labels: {zh: 测试县, en: Test County}
units:
  - {id: county, kind: county, labels: {zh: 县, en: County}}
  - {id: town, kind: township, parent: county, labels: {zh: 镇, en: Town}}
  - {id: village, kind: village, parent: town, labels: {zh: 村, en: Village}}
users:
  - {id: a.user, name: 甲, unit: village, roles: [village_staff]}
"""


def edit(old: str, new: str, text: str = ORG) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line(text: str, needle: str, nth: int = 1) -> int:
    return [i for i, row in enumerate(text.splitlines(), 1) if needle in row][nth - 1]


@pytest.fixture(scope="module")
def org():  # type: ignore[no-untyped-def]
    return load_org(SHIPPED_ORG)


def test_subtree_contains_the_unit_itself_and_its_descendants(org) -> None:  # type: ignore[no-untyped-def]
    """A village lies in its township's and the county's subtree, and in its own."""
    assert org.in_subtree("shangcun", "shangcun")
    assert org.in_subtree("shangcun", "dongling")
    assert org.in_subtree("huangtupo", "qingshan")


def test_subtree_excludes_siblings_and_parents(org) -> None:  # type: ignore[no-untyped-def]
    """A village is not in another township's subtree, and a parent is not in its child's."""
    assert not org.in_subtree("shangcun", "xihe")
    assert not org.in_subtree("shangcun", "xiacun")
    assert not org.in_subtree("dongling", "shangcun")


def test_unit_path_reads_from_the_root(org) -> None:  # type: ignore[no-untyped-def]
    """The path of a village names the county, the township and the village."""
    assert org.unit_path("shangcun") == "青山县 / 东岭镇 / 上村"
    assert org.unit_path("shangcun", "en") == "Qingshan County / Dongling Town / Shangcun Village"


def test_children(org) -> None:  # type: ignore[no-untyped-def]
    """A township's children are its villages and communities; a village has none."""
    assert org.children("xihe") == ["liujia", "huangtupo"]
    assert org.children("shangcun") == []


def test_declared_relation_is_found_whatever_the_id_spelling(org) -> None:  # type: ignore[no-untyped-def]
    """A relation matches the ID number with spaces or a lower-case check digit."""
    assert org.related("sun.li", "331122195803120422")
    assert org.related("sun.li", " 331122 19580312 0422 ")
    assert not org.related("liu.qiang", "331122195803120422")
    assert not org.related("sun.li", None)


def test_normalise_id_number() -> None:
    """ID numbers compare upper-cased and without blanks."""
    assert normalise_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_small_org_is_valid() -> None:
    """The small org the other tests break is itself valid."""
    org = org_from_text(ORG, known_roles={"village_staff"})
    assert org.ancestors["village"] == ("town", "county")


def test_unknown_parent_suggests_a_unit() -> None:
    """A parent that is not a unit is named, located and gets a suggestion."""
    text = edit("parent: town,", "parent: twon,")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text, "org.yaml")
    (p,) = ei.value.problems
    assert (p.path, p.line, p.file) == ("units[2].parent", line(text, "parent: twon"), "org.yaml")
    assert "unknown parent unit 'twon'; did you mean 'town'?" in p.en


def test_parent_cycle_is_refused() -> None:
    """Units whose parents form a loop are refused."""
    text = edit("{id: county, kind: county,", "{id: county, kind: county, parent: village,")
    text = edit("users:\n", "  - {id: root, kind: province, labels: {zh: 省, en: Province}}\n"
                "users:\n", text)
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert any("its own ancestor" in p.en for p in ei.value.problems)


def test_exactly_one_root() -> None:
    """Two units without a parent are refused."""
    text = ORG.replace("users:\n", "  - {id: other, kind: county, labels: {zh: 他县, en: Other}}\n"
                       "users:\n")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert "exactly one unit must have no parent (found 2)" in str(ei.value)


def test_duplicate_user_is_refused() -> None:
    """A user id given twice is named with the line of the repeat."""
    text = ORG + "  - {id: a.user, name: 乙, unit: town, roles: [village_staff]}\n"
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    (p,) = ei.value.problems
    assert (p.path, p.line) == ("users[1].id", line(text, "a.user", 2))


def test_user_in_unknown_unit_is_refused() -> None:
    """A user's unit must exist, with a suggestion."""
    text = edit("unit: village,", "unit: vilage,")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    (p,) = ei.value.problems
    assert p.path == "users[0].unit" and "did you mean 'village'?" in p.en


def test_unknown_role_is_refused_when_roles_are_known() -> None:
    """A role no process declares is named, with a suggestion."""
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(ORG, known_roles={"village_stuff_x", "village_staf"})
    (p,) = ei.value.problems
    assert p.path == "users[0].roles[0]" and p.line == line(ORG, "a.user")
    assert "unknown role 'village_staff'" in p.en


def test_first_responsible_must_be_a_user() -> None:
    """The first responsible persons of a unit must be users of the org."""
    text = edit("{id: town, kind: township, parent: county,",
                "{id: town, kind: township, parent: county, first_responsible: [nobody],")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert ei.value.problems[0].path == "units[1].first_responsible[0]"


def test_short_relation_id_is_refused() -> None:
    """A declared relation needs a 15- or 18-character ID number."""
    text = ORG.replace("roles: [village_staff]}",
                       "roles: [village_staff], relations: [{id_number: '123', relation: 兄}]}")
    with pytest.raises(DefinitionInvalid) as ei:
        org_from_text(text)
    assert ei.value.problems[0].path == "users[0].relations[0].id_number"
