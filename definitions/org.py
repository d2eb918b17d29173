"""The organisation: jurisdiction tree and users, read from ``org*.yaml``. Pure
apart from ``load_org`` (which reads through ``loader``).

Units form a tree (county → township → village/community, or district union →
enterprise union); a user sits at one unit and acts inside its subtree. A user
may declare relations to applicants (by ID number) and is then kept off their
cases （四个严禁: no favouring relatives and friends）.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import Field

from definitions.errors import DefinitionInvalid, Problem
from definitions.idnumber import check_digit, id_key, mask_id, plain_id
from definitions.loader import Lines, dotted, line_of, load_yaml_file, load_yaml_text
from definitions.parse import parse_model
from definitions.schema import Identifier, Labels, _Frozen

UnitId = str


class UnitSpec(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    labels: Labels
    kind: str = Field(min_length=1)
    parent: str | None = None
    first_responsible: tuple[str, ...] = ()


class RelationSpec(_Frozen):
    id_number: str = Field(min_length=15, max_length=18)
    relation: str = Field(min_length=1)


class UserSpec(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)
    name: str = Field(min_length=1)
    unit: str
    roles: tuple[Identifier, ...] = Field(min_length=1)
    phone: str | None = None
    #: where e-mail notifications go (``notifications``); optional
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    relations: tuple[RelationSpec, ...] = ()


class OrgSpec(_Frozen):
    org: str = Field(min_length=1)
    labels: Labels
    units: tuple[UnitSpec, ...] = Field(min_length=1)
    users: tuple[UserSpec, ...] = ()


#: Roles of the platform itself, granted in the org file beside the process roles:
#: role id → (labels, the administrative acts it permits). No process names them.
PLATFORM_ROLES: Mapping[str, tuple[Mapping[str, str], frozenset[str]]] = {
    "administrator": ({"zh": "系统管理员", "en": "administrator"},
                      frozenset({"migrate", "register", "tokens", "passwords", "org", "org_view"})),
    # seals the record for the inspectors; not the administrator, who could then
    # rewrite history and its checkpoints together
    "auditor": ({"zh": "审计员", "en": "auditor"},
                frozenset({"checkpoint", "verify", "inspect", "export", "org_view"})),
}

#: what each administrative act of a platform role is called
PLATFORM_ACTS: Mapping[str, Mapping[str, str]] = {
    "migrate": {"zh": "迁移案件到新版本定义", "en": "migrate cases to a new definition version"},
    "register": {"zh": "登记流程定义的新版本", "en": "register definition versions"},
    "checkpoint": {"zh": "制作审计检查点", "en": "take audit checkpoints"},
    "tokens": {"zh": "管理 API 令牌", "en": "manage API tokens"},
    "passwords": {"zh": "设置用户的登录密码", "en": "set users' login passwords"},
    "org": {"zh": "更改组织架构", "en": "change the org"},
    "verify": {"zh": "通过 API 校验全部记录", "en": "verify the whole trail over the API"},
    "inspect": {"zh": "查看案件在任意时刻的重放", "en": "replay any case as of any moment"},
    "export": {"zh": "导出审计记录", "en": "export the audit trail"},
    "org_view": {"zh": "通过 API 查看组织架构和用户", "en": "read the org and its users over the API"},
}


def normalise_id_number(value: str) -> str:
    """ID numbers in their one normal form (``definitions.idnumber.id_key``: full-width
    as ASCII, no blanks, upper case, an old 15-digit number as its 18 digits)."""
    return id_key(value)


@dataclass(frozen=True)
class Org:
    spec: OrgSpec
    units: Mapping[str, UnitSpec] = field(default_factory=dict)
    users: Mapping[str, UserSpec] = field(default_factory=dict)
    ancestors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    relations: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def in_subtree(self, unit: str, root: str) -> bool:
        """Is ``unit`` equal to ``root`` or below it?"""
        return unit == root or root in self.ancestors.get(unit, ())

    def unit_label(self, unit: str, lang: str = "zh") -> str:
        spec = self.units.get(unit)
        return spec.labels.get(lang) if spec else unit

    def unit_path(self, unit: str, lang: str = "zh") -> str:
        chain = [*reversed(self.ancestors.get(unit, ())), unit]
        return " / ".join(self.unit_label(u, lang) for u in chain)

    def children(self, unit: str) -> list[str]:
        return [u.id for u in self.spec.units if u.parent == unit]

    def related(self, user: str, id_number: str | None) -> bool:
        if not id_number:
            return False
        return normalise_id_number(id_number) in self.relations.get(user, frozenset())


def build_org(data: Any, lines: Lines | None = None, source: str | None = None,
              known_roles: Collection[str] | None = None) -> Org:
    """Parse and check an org file.

    Raises:
        DefinitionInvalid: unknown parent or unit, a cycle, duplicate ids,
            unknown roles (when ``known_roles`` is given).
    """
    lines = lines or {}
    spec = parse_model(OrgSpec, data, lines, source)
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        problems.append(Problem(dotted(path), en, zh, line_of(lines, path), source))

    units: dict[str, UnitSpec] = {}
    for i, u in enumerate(spec.units):
        if u.id in units:
            add(("units", i, "id"), f"duplicate unit id '{u.id}'", f"重复的单位 id '{u.id}'")
        units[u.id] = u
    roots = [u for u in spec.units if u.parent is None]
    if len(roots) != 1:
        add(("units",), f"exactly one unit must have no parent (found {len(roots)})",
            f"必须有且只有一个没有上级的单位(现有 {len(roots)} 个)")
    ancestors: dict[str, tuple[str, ...]] = {}
    for i, u in enumerate(spec.units):
        chain: list[str] = []
        cur = u.parent
        while cur is not None:
            if cur not in units:
                close = get_close_matches(cur, list(units), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                add(("units", i, "parent"), f"unknown parent unit '{cur}'{hint}",
                    f"未知的上级单位 '{cur}'")
                break
            if cur in chain or cur == u.id:
                add(("units", i, "parent"), f"unit '{u.id}' is its own ancestor",
                    f"单位 '{u.id}' 的上级链形成了循环")
                break
            chain.append(cur)
            cur = units[cur].parent
        ancestors[u.id] = tuple(chain)

    users: dict[str, UserSpec] = {}
    relations: dict[str, frozenset[str]] = {}
    for i, usr in enumerate(spec.users):
        if usr.id in users:
            add(("users", i, "id"), f"duplicate user id '{usr.id}'", f"重复的用户 id '{usr.id}'")
        users[usr.id] = usr
        if usr.unit not in units:
            close = get_close_matches(usr.unit, list(units), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            add(("users", i, "unit"), f"unknown unit '{usr.unit}'{hint}",
                f"未知的单位 '{usr.unit}'")
        for k, r in enumerate(usr.roles):
            if known_roles is not None and r not in known_roles and r not in PLATFORM_ROLES:
                close = get_close_matches(r, list(known_roles), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                add(("users", i, "roles", k), f"unknown role '{r}'{hint}", f"未知的角色 '{r}'")
        for k, rel in enumerate(usr.relations):
            number = plain_id(rel.id_number)
            well = (len(number) == 18 and number[:17].isdigit() and number[:17].isascii()
                    and check_digit(number[:17]) == number[17]) or \
                (len(number) == 15 and number.isdigit() and number.isascii())
            if not well:
                add(("users", i, "relations", k, "id_number"),
                    f"'{mask_id(number)}' is not a resident ID number (18 characters with a "
                    "right check character, or an old 15-digit one)",
                    f"'{mask_id(number)}' 不是有效的居民身份证号码（应为校验位正确的 18 位，或 15 位旧号码）")
        relations[usr.id] = frozenset(normalise_id_number(r.id_number) for r in usr.relations)
    for i, u in enumerate(spec.units):
        for k, who in enumerate(u.first_responsible):
            person = users.get(who)
            if person is None:
                add(("units", i, "first_responsible", k), f"unknown user '{who}'",
                    f"未知的用户 '{who}'")
            elif person.unit != u.id and person.unit not in ancestors.get(u.id, ()):
                # the first responsible person of a unit works there or above it, not
                # in a unit below (a township's is no village clerk)
                add(("units", i, "first_responsible", k),
                    f"user '{who}' of '{person.unit}' cannot be the first responsible person "
                    f"of '{u.id}': they work neither there nor above it",
                    f"用户 '{who}'（{person.unit}）不在「{u.id}」或其上级单位工作，不能担任其第一责任人")
    if problems:
        raise DefinitionInvalid(problems, source)
    return Org(spec, units, users, ancestors, relations)


def load_org(path: str | Path, known_roles: Collection[str] | None = None) -> Org:
    data, lines, _ = load_yaml_file(path)
    return build_org(data, lines, str(path), known_roles)


def org_from_text(text: str, source: str = "<org>",
                  known_roles: Collection[str] | None = None) -> Org:
    data, lines = load_yaml_text(text, source)
    return build_org(data, lines, source, known_roles)
