"""Plain data → IR, turning every validation error into a located Problem. Pure.

Problems are reported so that an author fixes a file in one pass:

- an unknown key gets "did you mean" from the keys allowed where it stands, and
  a misspelled required key (``triger`` for ``trigger``) is one problem, not
  an unknown key plus a missing one;
- ``parse_collecting`` goes on after the first errors: it reads a misspelled
  key under the name it suggests, sets aside the list item or entry an error
  is in (a state, a transition, a timer, a field), and parses the rest again,
  so that the checks after parsing (``validate``) still see everything that
  is sound. What it set aside is returned, so those checks can leave out the
  errors that only follow from it (a transition set aside leaves its
  destination "unreachable").
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Mapping, MutableMapping, MutableSequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of

M = TypeVar("M", bound=BaseModel)
Path = tuple[str | int, ...]

_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为映射（键: 值）",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "too_short": "项数太少",
    "greater_than_equal": "数值太小",
    "string_too_short": "不能为空",
    "value_error": "取值无效",
    "model_type": "应为映射（键: 值）",
}

#: how many times ``parse_collecting`` sets parts aside and parses again
_ROUNDS = 12


# -- where a location points in the models -----------------------------------------


def _unwrap(tp: Any) -> Any:
    """``X | None``, ``Annotated[X, ...]`` → ``X``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _type_at(model: type[BaseModel], path: Path) -> Any:
    """The (unwrapped) type the models expect at ``path``, or None if unknown."""
    tp: Any = model
    for part in path:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(str(part))
            if info is None:
                return None
            tp = info.annotation
        elif origin in (tuple, list) and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict and not isinstance(part, int):
            tp = typing.get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def keys_at(model: type[BaseModel], path: Path) -> list[str]:
    """The keys the models allow in the mapping at ``path`` (none if not a model there)."""
    tp = _type_at(model, path)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _is_entry(model: type[BaseModel], path: Path) -> bool:
    """Whether ``path`` is an item of a list or an entry of a free-keyed mapping (a
    part that can be set aside whole), rather than a key of a model."""
    if not path:
        return False
    parent = _type_at(model, path[:-1])
    origin = typing.get_origin(parent)
    return (origin in (tuple, list) and isinstance(path[-1], int)) or \
        (origin is dict and not isinstance(path[-1], int))


# -- problems from pydantic's errors -----------------------------------------------


def _hint(name: str, known: list[str]) -> tuple[str, str, str | None]:
    close = get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        return "", "", None
    return f"; did you mean '{close[0]}'?", f"；是否指 '{close[0]}'？", close[0]


def problems_from(exc: ValidationError, lines: Lines, source: str | None,
                  model: type[BaseModel] | None = None,
                  origin: Any = None) -> list[Problem]:
    """Translate pydantic's errors into Problems naming path and line.

    With ``model``, an unknown key gets "did you mean" from the keys allowed
    there, and a required key reported missing beside a misspelling of it is
    left out (the misspelling says it). ``origin`` maps a location in data that
    had parts set aside back to the file's own location.
    """
    return _Reading(exc, model).problems(lines, source, origin or (lambda p: p))


class _Reading:
    """pydantic's errors of one round, with misspelled keys paired to the
    required keys they were meant to be."""

    def __init__(self, exc: ValidationError, model: type[BaseModel] | None) -> None:
        self.errors = exc.errors(include_url=False)
        self.model = model
        missing: dict[Path, set[str]] = {}
        for err in self.errors:
            loc = tuple(err["loc"])
            if err["type"] == "missing" and loc:
                missing.setdefault(loc[:-1], set()).add(str(loc[-1]))
        #: (parent, misspelled key) → the key it stands for
        self.renames: dict[tuple[Path, str], str] = {}
        #: (parent, key): missing keys explained by a misspelling
        self.explained: set[tuple[Path, str]] = set()
        for err in self.errors:
            loc = tuple(err["loc"])
            if err["type"] != "extra_forbidden" or not loc:
                continue
            parent, key = loc[:-1], str(loc[-1])
            wanted = sorted(missing.get(parent, set()) - {k for (p, k) in self.explained
                                                           if p == parent})
            _, _, close = _hint(key, wanted)
            if close is not None:
                self.renames[(parent, key)] = close
                self.explained.add((parent, close))

    def problems(self, lines: Lines, source: str | None, origin: Any) -> list[Problem]:
        out: list[Problem] = []
        for err in self.errors:
            loc = tuple(err["loc"])
            kind, msg = err["type"], err["msg"]
            if kind == "missing" and loc and (loc[:-1], str(loc[-1])) in self.explained:
                continue
            if kind == "extra_forbidden" and loc:
                key = str(loc[-1])
                meant = self.renames.get((loc[:-1], key))
                if meant is not None:
                    hint_en, hint_zh = f"; did you mean '{meant}'?", f"；是否指 '{meant}'？"
                else:
                    known = keys_at(self.model, loc[:-1]) if self.model is not None else []
                    hint_en, hint_zh, _ = _hint(key, known)
                en, zh = f"unknown key '{key}'{hint_en}", f"未知的键 '{key}'{hint_zh}"
            elif kind == "missing" and loc:
                en = f"missing required key '{loc[-1]}'"
                zh = f"缺少必填的键 '{loc[-1]}'"
            elif kind == "literal_error":
                allowed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
                given = err.get("input")
                hint_en, hint_zh, _ = _hint(str(given), allowed)
                en = f"'{given}' is not one of " + ", ".join(f"'{a}'" for a in allowed) + hint_en
                zh = f"'{given}' 不是允许的取值（" + "、".join(f"'{a}'" for a in allowed) + "）" \
                    + hint_zh
            else:
                en = msg
                zh = _ZH.get(kind, "取值无效") + f"({msg})"
            where = origin(loc)
            out.append(Problem(dotted(where), en, zh, line_of(lines, where), source))
        return out


def _top_mapping(data: Any, source: str | None) -> None:
    if not isinstance(data, Mapping):
        raise DefinitionInvalid(
            [Problem("", "the top level must be a mapping", "顶层必须是映射（键: 值）", 1, source)],
            source)


def parse_model(model: type[M], data: Any, lines: Lines, source: str | None = None) -> M:
    """Build ``model`` from ``data``.

    Raises:
        DefinitionInvalid: with every problem pydantic found, located.
    """
    _top_mapping(data, source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(problems_from(exc, lines, source, model), source) from None


# -- going on after errors ---------------------------------------------------------


@dataclass
class SetAside:
    """What ``parse_collecting`` took out of the data to parse the rest.

    ``parts`` holds (the file's location, the raw value) of each list item or
    entry set aside; ``complete`` is False when it could not parse anything
    (an error at the top that no part explains)."""

    parts: list[tuple[Path, Any]] = field(default_factory=list)
    complete: bool = True
    _kept: dict[Path, list[int]] = field(default_factory=dict)

    def original(self, path: Path) -> Path:
        """The file's location of ``path`` in the data with parts taken out."""
        out: list[str | int] = []
        for part in path:
            if isinstance(part, int):
                kept = self._kept.get(tuple(out))
                out.append(kept[part] if kept is not None and part < len(kept) else part)
            else:
                out.append(part)
        return tuple(out)

    def under(self, prefix: Path) -> list[Any]:
        """The raw values set aside directly under ``prefix`` (e.g. ``("states",)``)."""
        return [raw for where, raw in self.parts if where[:-1] == prefix]

    def keys_under(self, prefix: Path) -> set[str]:
        return {str(where[-1]) for where, _ in self.parts if where[:-1] == prefix}

    def take(self, data: Any, path: Path) -> None:
        container = _get(data, path[:-1])
        last = path[-1]
        where = self.original(path)
        if isinstance(container, MutableSequence) and isinstance(last, int):
            kept = self._kept.setdefault(self.original(path[:-1]), list(range(len(container))))
            raw = container.pop(last)
            kept.pop(last)
        elif isinstance(container, MutableMapping):
            raw = container.pop(last)
        else:  # pragma: no cover - _target only names parts that exist
            return
        self.parts.append((where, raw))


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _exists(data: Any, path: Path) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _target(model: type[BaseModel], data: Any, loc: Path) -> Path | None:
    """The smallest part of ``data`` holding the error at ``loc`` that can be set
    aside whole, or None."""
    for n in range(len(loc), 0, -1):
        path = loc[:n]
        if _is_entry(model, path) and _exists(data, path):
            return path
    return None


def _order(path: Path) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


def parse_collecting(model: type[M], data: Any, lines: Lines, source: str | None = None
                     ) -> tuple[M | None, list[Problem], SetAside]:
    """Parse ``data`` into ``model``, collecting every problem instead of stopping
    at the first round of them (see the module's docstring).

    Returns:
        the model built from the sound parts (None if nothing could be built),
        the problems found, and what was set aside to build it.

    Raises:
        DefinitionInvalid: the top level is not a mapping.
    """
    _top_mapping(data, source)
    aside = SetAside()
    try:
        return model.model_validate(data), [], aside
    except ValidationError:
        pass  # parsed again below, on a copy that parts can be taken out of
    work = copy.deepcopy(data)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(_ROUNDS):
        try:
            return model.model_validate(work), problems, aside
        except ValidationError as exc:
            reading = _Reading(exc, model)
            for p in reading.problems(lines, source, aside.original):
                if (p.path, p.en) not in seen:
                    seen.add((p.path, p.en))
                    problems.append(p)
            progress = False
            for (parent, key), meant in reading.renames.items():
                holder = _get(work, parent) if _exists(work, parent) else None
                if isinstance(holder, MutableMapping) and key in holder and meant not in holder:
                    holder[meant] = holder.pop(key)
                    progress = True
            targets: set[Path] = set()
            for err in reading.errors:
                loc = tuple(err["loc"])
                if err["type"] == "extra_forbidden" and loc and (loc[:-1], str(loc[-1])) in \
                        reading.renames:
                    continue
                if err["type"] == "missing" and loc and \
                        (loc[:-1], str(loc[-1])) in reading.explained:
                    continue
                if err["type"] == "extra_forbidden" and loc:
                    holder = _get(work, loc[:-1]) if _exists(work, loc[:-1]) else None
                    if isinstance(holder, MutableMapping) and loc[-1] in holder:
                        del holder[loc[-1]]
                        progress = True
                    continue
                found = _target(model, work, loc)
                if found is None:
                    aside.complete = False
                    return None, problems, aside
                targets.add(found)
            # Innermost first and, within a list, from the end: indexes stay valid.
            for path in sorted(targets, key=_order, reverse=True):
                if any(other != path and path[:len(other)] == other for other in targets):
                    continue
                aside.take(work, path)
                progress = True
            if not progress:
                break
    aside.complete = False
    return None, problems, aside
