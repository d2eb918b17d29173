"""A campaign budget cut small, for the tests of overspending: the shipped definitions
with the general line at a given figure (and a fallback fund), and general cases."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from definitions import SHIPPED
from tests.helpers.cases import PROCESS, application, household_id, move
from workflow import Engine


def small_budget(tmp_path: Path, general: int, fallback: int | None) -> Path:
    """Definitions with the general line cut to ``general`` yuan (and a fallback fund)."""
    root = tmp_path / "defs"
    shutil.copytree(SHIPPED / "processes", root / "processes")
    shutil.copytree(SHIPPED / "campaigns", root / "campaigns")
    shutil.copytree(SHIPPED / "calendars", root / "calendars")
    path = root / "campaigns" / "spring_festival_2027.yaml"
    text = path.read_text("utf-8")
    fallback_text = ", fallback: temporary_relief" if fallback is not None else ""
    line = ("{id: general, labels: {zh: \u4e00\u822c\u56f0\u96be\u6237, en: General hardship}, "
            f"amount: {general}, categories: [general]{fallback_text}}}")
    text = re.sub(r"\{id: general, labels: .*?categories: \[general\][^}]*\}", line, text)
    text = re.sub(r"(\{id: temporary_relief, [^}]*amount: )\d+", rf"\g<1>{fallback or 0}", text)
    # a line cut below the plan's figure no longer adds up to the plan's stated total
    text = re.sub(r"^budget_total: .*\n", "", text, flags=re.M)
    path.write_text(text, "utf-8")
    return root / "processes"


def general_case(engine: Engine, n: int, target: str) -> str:
    number = engine.submit(PROCESS, "wang.fang", application(
        id_number=household_id(900 + n), category="general")).case_number
    move(engine, number, target)
    return number
