"""Domain rules of hardship relief: IDs, money, family size, medical aid, standards. Pure.

Standard library and ``definitions`` only: no I/O, no clock. Every figure
(amounts, percentages, caps, thresholds, income lines, the default family
size) comes from definition data (``definitions.standards``), never from
constants here. Errors join the one tree under ``BangfuError``::

    BangfuError
    ├── InvalidIdNumber       (idcard)    length, characters, region, birth date, check digit
    ├── InvalidAmount         (money)     a float, a fraction of a fen, not a number
    ├── InvalidFamily         (family)    a negative count
    ├── UnknownCategory       (standards) with "did you mean"
    ├── SubgroupRequired      (standards)
    ├── MissingCount          (standards) per-person standard without its count
    ├── ReasonRequired        (standards) a category change without a reason
    └── AmountNotStandard     (standards) any amount but the standard
"""

from __future__ import annotations

from workflow.rules.family import (
    Family,
    FamilySize,
    InvalidFamily,
    case_values,
    family_size,
    line_fen,
    lines_met,
    per_capita,
    under_line,
)
from workflow.rules.idcard import (
    InvalidIdNumber,
    birth_date,
    check_digit,
    is_valid_id,
    mask,
    normalise_id,
    upgrade_15,
    validate_id,
)
from workflow.rules.medical import MedicalAid, approval_route, deep_hardship_amount, medical_aid
from workflow.rules.money import (
    InvalidAmount,
    chinese_capital,
    fen_to_yuan_text,
    round_half_up,
    round_half_up_to_hundred,
    yuan_to_fen,
)
from workflow.rules.relief import (
    AmountNotStandard,
    MissingCount,
    PopulationLine,
    PopulationTotal,
    Proposal,
    ReasonRequired,
    RuleRef,
    SubgroupRequired,
    UnknownCategory,
    amount_for,
    change_category,
    check_amount,
    population_total,
    propose,
    qualifying,
)

__all__ = [
    "AmountNotStandard",
    "Family",
    "FamilySize",
    "InvalidAmount",
    "InvalidFamily",
    "InvalidIdNumber",
    "MedicalAid",
    "MissingCount",
    "PopulationLine",
    "PopulationTotal",
    "Proposal",
    "ReasonRequired",
    "RuleRef",
    "SubgroupRequired",
    "UnknownCategory",
    "amount_for",
    "approval_route",
    "birth_date",
    "case_values",
    "change_category",
    "check_amount",
    "check_digit",
    "chinese_capital",
    "deep_hardship_amount",
    "family_size",
    "fen_to_yuan_text",
    "is_valid_id",
    "line_fen",
    "lines_met",
    "mask",
    "medical_aid",
    "normalise_id",
    "per_capita",
    "population_total",
    "propose",
    "qualifying",
    "round_half_up",
    "round_half_up_to_hundred",
    "under_line",
    "upgrade_15",
    "validate_id",
    "yuan_to_fen",
]
