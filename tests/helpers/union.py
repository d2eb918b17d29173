"""The trade union's processes as the tests use them: the worker who applies and a
medical-aid application for him (the hardship archive's tests build on the same)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workflow.rules.idcard import check_digit

#: the enterprise worker of the sample org who applies to the union
WORKER = "chen.guoqiang"
#: chen.guoqiang's ID number (fictitious, with its check digit)
CHEN_ID = "33112219790815003" + check_digit("33112219790815003")


def medical_application(kind: str, costs_yuan: int | Decimal,
                        losses_yuan: int | None = None) -> dict[str, Any]:
    """chen.guoqiang's medical-aid application of ``kind`` with its compliant costs
    (and accident losses) in yuan."""
    data: dict[str, Any] = {"worker_name": "陈国强", "id_number": CHEN_ID, "aid_kind": kind,
                            "compliant_costs_fen": int(costs_yuan * 100),
                            "diagnosis_note": "县人民医院诊断证明及票据"}
    if losses_yuan is not None:
        data["accident_losses_fen"] = losses_yuan * 100
    return data
