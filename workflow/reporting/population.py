"""What a population costs at a campaign's standards: the budget figures of a plan,
reproduced from the counts. Pure apart from ``load_population`` (which reads
through ``definitions.loader``, the only YAML reader).

A population file (``definitions/populations/*.yaml``) counts households or
persons per ``category`` or ``category.subgroup``; ``population_report``
prices each line with ``workflow.rules.relief.population_total`` and adds a
subtotal per category of several lines and a grand total, each in figures
and in capitals. The township plan's own figures come out exactly: 85
dispersed × 1,000 + 43 institutional × 600 three-withouts persons = 110,800;
718 minimum-allowance persons × 300 = 215,400; 14 × 5,000 + 52 × 3,000 poor
households = 226,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field

from definitions.loader import load_yaml_file
from definitions.parse import parse_model
from definitions.schema import Identifier, Labels, _Frozen
from workflow.reporting.table import Column, Row, Table, t
from workflow.rules.money import chinese_capital, fen_to_yuan_text
from workflow.rules.relief import PopulationLine, Standards, population_total


class PopulationSpec(_Frozen):
    """The root of a population file."""

    population: Identifier
    labels: Labels
    #: whose standards price it (the CLI's --campaign overrides it)
    campaign: Identifier | None = None
    #: ``category`` or ``category.subgroup`` → households or persons
    counts: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    note: str | None = None


def load_population(path: str | Path) -> PopulationSpec:
    """Read and check a population file.

    Raises:
        DefinitionInvalid: with every problem, located.
    """
    data, lines, _ = load_yaml_file(path)
    return parse_model(PopulationSpec, data, lines, str(path))


def _line_row(line: PopulationLine, lang: str) -> Row:
    parts = t(lang, "，", ", ").join(
        f"{labels.get(lang)} {fen_to_yuan_text(fen, grouping=True)}" for _, labels, fen in line.parts)
    return Row({"key": line.key, "category": line.labels.get(lang),
                "per": t(lang, "户", "household") if line.per == "household"
                else t(lang, "人", "person"),
                "units": line.units, "unit_amount": line.unit_fen, "amount": line.total_fen,
                "capital": chinese_capital(line.total_fen),
                "remark": t(lang, f"其中{parts}", f"of which {parts}") if parts else ""})


def population_report(standards: Standards, counts: Mapping[str, int], *,
                      title: str | None = None, lang: str = "zh") -> Table:
    """The cost of ``counts`` at ``standards``: a line per count, a subtotal per
    category counted in several lines, a grand total.

    Raises:
        UnknownCategory, SubgroupRequired, ValueError: as ``population_total``.
    """
    priced = population_total(standards, counts)
    by_category: dict[str, list[PopulationLine]] = {}
    for line in priced.lines:
        by_category.setdefault(line.key.partition(".")[0], []).append(line)
    rows: list[Row] = []
    totals: dict[str, int] = {}
    for category, lines in by_category.items():
        rows.extend(_line_row(line, lang) for line in lines)
        totals[category] = sum(line.total_fen for line in lines)
        if len(lines) > 1:
            rows.append(Row({"key": category,
                             "category": t(lang, f"{standards[category].labels.zh}小计",
                                           f"{standards[category].labels.en}: subtotal"),
                             "units": sum(line.units for line in lines),
                             "amount": totals[category],
                             "capital": chinese_capital(totals[category])}, "subtotal"))
    rows.append(Row({"key": "", "category": t(lang, "合计", "Total"),
                     "amount": priced.total_fen,
                     "capital": chinese_capital(priced.total_fen)}, "total"))
    columns = (
        Column("key", t(lang, "代码", "Key")),
        Column("category", t(lang, "类别", "Category"), width=30),
        Column("per", t(lang, "单位", "Per")),
        Column("units", t(lang, "户数/人数", "Households / persons"), "count"),
        Column("unit_amount", t(lang, "标准（元）", "Standard (yuan)"), "money"),
        Column("amount", t(lang, "金额（元）", "Amount (yuan)"), "money"),
        Column("capital", t(lang, "金额（大写）", "Amount in capitals"), "capital", 28),
        Column("remark", t(lang, "备注", "Remark"), width=30))
    return Table("population", title or t(lang, "帮扶资金测算表", "Relief budget"), columns,
                 tuple(rows), lang=lang,
                 meta={"total_fen": priced.total_fen, "category_totals": totals})
