"""Plain data → IR, turning every validation error into a located Problem. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from definitions.errors import DefinitionInvalid, Problem
from definitions.loader import Lines, dotted, line_of

M = TypeVar("M", bound=BaseModel)

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


def problems_from(exc: ValidationError, lines: Lines, source: str | None) -> list[Problem]:
    """Translate pydantic's errors into Problems naming path and line."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            en = f"unknown key '{loc[-1]}'"
            zh = f"未知的键 '{loc[-1]}'"
        elif kind == "missing":
            en = f"missing required key '{loc[-1]}'"
            zh = f"缺少必填的键 '{loc[-1]}'"
        else:
            en = msg
            zh = _ZH.get(kind, "取值无效") + f"({msg})"
        out.append(Problem(dotted(loc), en, zh, line_of(lines, loc), source))
    return out


def parse_model(model: type[M], data: Any, lines: Lines, source: str | None = None) -> M:
    """Build ``model`` from ``data``.

    Raises:
        DefinitionInvalid: with every problem pydantic found, located.
    """
    if not isinstance(data, Mapping):
        raise DefinitionInvalid(
            [Problem("", "the top level must be a mapping", "顶层必须是映射（键: 值）", 1, source)],
            source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(problems_from(exc, lines, source), source) from None
