"""Plain data → IR, turning every validation error into a located Problem. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import DefinitionInvalid, Problem
from .loader import Lines, dotted, line_of

M = TypeVar("M", bound=BaseModel)

_ZH = {
    "missing": "缺少必填項(xiàng)",
    "extra_forbidden": "未知的鍵",
    "string_pattern_mismatch": "格式不正確",
    "literal_error": "取值不在允許范圍內(nèi)",
    "int_parsing": "應(yīng)為整數(shù)",
    "int_type": "應(yīng)為整數(shù)",
    "string_type": "應(yīng)為文本",
    "bool_type": "應(yīng)為 true 或 false",
    "bool_parsing": "應(yīng)為 true 或 false",
    "dict_type": "應(yīng)為映射(鍵: 值)",
    "list_type": "應(yīng)為列表",
    "tuple_type": "應(yīng)為列表",
    "too_short": "項(xiàng)數(shù)太少",
    "greater_than_equal": "數(shù)值太小",
    "string_too_short": "不能為空",
    "value_error": "取值無(wú)效",
    "model_type": "應(yīng)為映射(鍵: 值)",
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
            zh = f"未知的鍵 '{loc[-1]}'"
        elif kind == "missing":
            en = f"missing required key '{loc[-1]}'"
            zh = f"缺少必填的鍵 '{loc[-1]}'"
        else:
            en = msg
            zh = _ZH.get(kind, "取值無(wú)效") + f"({msg})"
        out.append(Problem(dotted(loc), en, zh, line_of(lines, loc), source))
    return out


def parse_model(model: type[M], data: Any, lines: Lines, source: str | None = None) -> M:
    """Build ``model`` from ``data``.

    Raises:
        DefinitionInvalid: with every problem pydantic found, located.
    """
    if not isinstance(data, Mapping):
        raise DefinitionInvalid(
            [Problem("", "the top level must be a mapping", "頂層必須是映射(鍵: 值)", 1, source)],
            source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(problems_from(exc, lines, source), source) from None
