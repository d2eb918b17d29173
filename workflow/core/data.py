"""Case data against the definition's fields: type checks and text coercion. Pure.

The API takes typed values (money as integer fen); the CLI takes text and
coerces it here (money as yuan, '600' or '600.50', converted exactly with
Decimal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any

from definitions.compile import CompiledDefinition
from definitions.schema import FieldSpec
from workflow.errors import InvalidData
from workflow.rules import paperwork as papers

DataProblem = tuple[str, str, str]

#: Where input enters: no amount, count or text of relief comes near these, and past
#: them a value would overflow a database column or a report (1e309 yuan was once
#: stored as 10**311 fen).
MAX_MAGNITUDE = 10**12          # fen (10 billion yuan), or a whole number
MAX_TEXT = 20_000               # characters of a text field

_TRUE = {"true", "yes", "y", "1", "是", "对", "已签"}
_FALSE = {"false", "no", "n", "0", "否", "未签"}


def _check(name: str, spec: FieldSpec, value: Any) -> DataProblem | None:
    kind = spec.type
    if kind in ("string", "text"):
        if not isinstance(value, str):
            return (name, "must be text", "应为文本")
        if not value.strip():
            return (name, "must not be empty", "不能为空")
        if kind == "string" and len(value) > 200:
            return (name, "is longer than 200 characters", "超过 200 个字符")
        if len(value) > MAX_TEXT:
            return (name, f"is longer than {MAX_TEXT:,} characters", f"超过 {MAX_TEXT:,} 个字符")
        if "\x00" in value:
            return (name, "contains a NUL character", "含有空字符（NUL）")
        return None
    if kind in ("integer", "money"):
        if isinstance(value, bool) or not isinstance(value, int):
            what = "an amount in integer fen" if kind == "money" else "a whole number"
            return (name, f"must be {what}", "应为以分为单位的整数金额" if kind == "money" else "应为整数")
        if abs(value) > MAX_MAGNITUDE:
            return (name, f"is beyond {MAX_MAGNITUDE:,}" + (" fen" if kind == "money" else ""),
                    f"超出 {MAX_MAGNITUDE:,}" + ("分" if kind == "money" else "") + " 的范围")
        if spec.min is not None and value < spec.min:
            return (name, f"must be at least {spec.min}", f"不能小于 {spec.min}")
        if spec.max is not None and value > spec.max:
            return (name, f"must be at most {spec.max}", f"不能大于 {spec.max}")
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else (name, "must be true or false", "应为是或否")
    if kind == "documents":
        found = papers.problems_of(value)
        return None if found is None else (name, *found)
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return (name, "must be a date like 2027-01-17", "应为日期，格式如 2027-01-17")
        return None
    if value not in spec.values:
        close = get_close_matches(str(value), list(spec.values), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        hint_zh = f";是否指 '{close[0]}'?" if close else ""
        return (name, f"'{value}' is not one of {', '.join(spec.values)}{hint}",
                f"'{value}' 不是允许的取值({'、'.join(spec.values)}){hint_zh}")
    return None


def check_data(defn: CompiledDefinition, data: Mapping[str, Any]) -> None:
    """Raise InvalidData listing every unknown field and every bad value."""
    problems: list[DataProblem] = []
    fields = defn.spec.fields
    for name, value in data.items():
        spec = fields.get(name)
        if spec is None:
            close = get_close_matches(name, list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            hint_zh = f";是否指 '{close[0]}'?" if close else ""
            problems.append((name, f"is not a field of '{defn.process}'{hint}",
                             f"不是流程 '{defn.process}' 的字段{hint_zh}"))
            continue
        found = _check(name, spec, value)
        if found:
            problems.append(found)
    if problems:
        raise InvalidData(problems)


def with_papers(defn: CompiledDefinition, raw: Mapping[str, str],
                papers: Sequence[str]) -> dict[str, str]:
    """``type=ref@date`` texts (the CLI's ``--doc``) joined into the process's documents
    field, as ``name=value`` text.

    Raises:
        InvalidData: the process keeps no documents.
    """
    out = dict(raw)
    if not papers:
        return out
    field = next(iter(defn.documents_fields), None)
    if field is None:
        raise InvalidData([("--doc", f"'{defn.process}' keeps no documents",
                            f"流程 '{defn.process}' 不登记申请材料")])
    out[field] = ";".join([*filter(None, [out.get(field)]), *papers])
    return out


def coerce_text(defn: CompiledDefinition, raw: Mapping[str, str]) -> dict[str, Any]:
    """Turn ``name=value`` texts (CLI) into typed values; money is given in yuan."""
    out: dict[str, Any] = {}
    problems: list[DataProblem] = []
    for name, text in raw.items():
        spec = defn.spec.fields.get(name)
        if spec is None:
            out[name] = text  # reported by check_data with a suggestion
            continue
        t = text.strip()
        if spec.type == "integer":
            try:
                if len(t) > 15:  # int() of a long text is slow, and past the bound anyway
                    raise ValueError
                out[name] = int(t)
            except ValueError:
                problems.append((name, f"'{text[:40]}' is not a whole number of at most 15 "
                                 "digits", f"'{text[:40]}' 不是不超过 15 位的整数"))
        elif spec.type == "money":
            try:
                amount = Decimal(t.removeprefix("\u00a5").removeprefix("\uffe5").replace(",", ""))
                # compared by exponent first: 1e999999999 * 100 overflows the context
                if not amount.is_finite() or amount.adjusted() > 12 or \
                        abs(amount) * 100 > MAX_MAGNITUDE:
                    raise InvalidOperation
                fen = amount * 100
                if fen != fen.to_integral_value():
                    raise InvalidOperation
                out[name] = int(fen)
            except InvalidOperation:
                problems.append((name, f"'{text}' is not an amount in yuan (e.g. 600 or 600.50)",
                                 f"'{text}' 不是以元为单位的金额（如 600 或 600.50）"))
        elif spec.type == "documents":
            try:
                out[name] = papers.parse_text(t)
            except ValueError as exc:
                problems.append((name, f"'{exc}' is not type=reference@date "
                                 "(e.g. application=scan-0001.pdf@2027-01-06)",
                                 f"'{exc}' 格式不对，应为 类型=文件编号@日期"
                                 "（如 application=scan-0001.pdf@2027-01-06）"))
        elif spec.type == "boolean":
            if t.lower() in _TRUE:
                out[name] = True
            elif t.lower() in _FALSE:
                out[name] = False
            else:
                problems.append((name, f"'{text}' is not yes or no", f"'{text}' 应为 是 或 否"))
        else:
            out[name] = t
    if problems:
        raise InvalidData(problems)
    return out


def field_label(defn: CompiledDefinition, name: str, lang: str = "zh") -> str:
    spec = defn.spec.fields.get(name)
    return spec.labels.get(lang) if spec else name


def pii_kinds(defn: CompiledDefinition) -> dict[str, str | None]:
    return {name: spec.pii for name, spec in defn.spec.fields.items()}
