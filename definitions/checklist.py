"""Required documents as data: a campaign's ``documents:`` checklist. Pure.

A campaign names the kinds of paper an application is filed with (``types``:
the written application, ID card copies, the household register, a hospital
diagnosis, the medical bills, ...), which of them a case needs (``required``:
every case, or only cases of some categories, or only when a condition over
the case data holds, e.g. ``self_paid_medical_fen > 0`` for the bills), and
the window inside which dated receipts count (``receipt_window``: one school
plan counts receipts from 5 Nov of last year to 25 Oct of this year).

The case holds the papers as a list of references (type, file reference,
date); ``workflow.rules.paperwork`` checks them against this checklist:
submission is refused while a required paper is missing, and receipts dated
outside the window are flagged for the reviewers (not refused: a reviewer
may still accept a late bill with a reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from difflib import get_close_matches

from pydantic import Field, model_validator

from definitions.conditions import check_condition
from definitions.errors import Problem
from definitions.loader import Lines, dotted, line_of
from definitions.schema import Identifier, Identifiers, Labels, _Frozen


class DocumentTypeSpec(_Frozen):
    """A kind of paper. ``receipt``: a dated receipt or bill, counted only inside
    the campaign's receipt window."""

    labels: Labels
    receipt: bool = False


class RequirementSpec(_Frozen):
    """When a case needs a kind of paper: always, for some categories only, and/or
    when a condition over the case data holds (both, when both are given)."""

    document: Identifier
    categories: Identifiers = ()
    when: str | None = Field(default=None, min_length=1)


class DateWindowSpec(_Frozen):
    """Local dates, both included."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateWindowSpec:
        if self.end < self.start:
            raise ValueError(f"the window ends ({self.end}) before it starts ({self.start})")
        return self


class DocumentsSpec(_Frozen):
    """A campaign's ``documents:`` section."""

    types: dict[Identifier, DocumentTypeSpec] = Field(min_length=1)
    required: tuple[RequirementSpec, ...] = ()
    receipt_window: DateWindowSpec | None = None
    note: str | None = None

    def label(self, type_id: str, lang: str = "zh") -> str:
        spec = self.types.get(type_id)
        return spec.labels.get(lang) if spec is not None else type_id


def _did_you_mean(name: str, known: Collection[str]) -> tuple[str, str]:
    close = get_close_matches(name, list(known), n=1)
    return ((f"; did you mean '{close[0]}'?" if close else ""),
            (f"；是否指 '{close[0]}'？" if close else ""))


def check_documents(spec: DocumentsSpec | None, categories: Collection[str],
                    lines: Lines | None = None, source: str | None = None,
                    known_names: Collection[str] | None = None,
                    prefix: tuple[str | int, ...] = ("documents",)) -> list[Problem]:
    """Every problem of a ``documents:`` section its models alone cannot see:
    requirements naming an unknown paper or category, a paper required twice
    without a condition, conditions outside the condition language or reading
    names the process does not have (with ``known_names``)."""
    if spec is None:
        return []
    lines = lines or {}
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], en: str, zh: str) -> None:
        full = (*prefix, *path)
        problems.append(Problem(dotted(full), en, zh, line_of(lines, full), source))

    unconditional: set[str] = set()
    for i, req in enumerate(spec.required):
        if req.document not in spec.types:
            en, zh = _did_you_mean(req.document, spec.types)
            add(("required", i, "document"), f"unknown document type '{req.document}'{en}",
                f"未知的材料类型 '{req.document}'{zh}")
        for k, cat in enumerate(req.categories):
            if cat not in categories:
                en, zh = _did_you_mean(cat, categories)
                add(("required", i, "categories", k),
                    f"'{cat}' is not a category of this campaign{en}",
                    f"'{cat}' 不是本活动的困难类别{zh}")
        if req.when is not None:
            read, error = check_condition(req.when)
            if error is not None:
                add(("required", i, "when"), error, f"条件无效：{error}")
            elif known_names is not None:
                for name in sorted(read - set(known_names)):
                    en, zh = _did_you_mean(name, known_names)
                    add(("required", i, "when"),
                        f"condition '{req.when}' reads unknown field '{name}'{en}",
                        f"条件「{req.when}」中的字段 '{name}' 不存在{zh}")
        elif not req.categories:
            if req.document in unconditional:
                add(("required", i, "document"),
                    f"'{req.document}' is already required of every case",
                    f"'{req.document}' 已是所有案件的必备材料")
            unconditional.add(req.document)
    return problems

