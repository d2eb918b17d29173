"""The public API of workflow.rules is pinned, and the rules stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

import workflow.rules

RULES_DIR = Path(workflow.rules.__file__).parent


def test_public_api_is_pinned() -> None:
    """workflow.rules.__all__ is sorted and exactly the names below."""
    assert workflow.rules.__all__ == sorted(workflow.rules.__all__)
    assert set(workflow.rules.__all__) == {
        "AmountNotStandard", "Family", "FamilySize", "InvalidAmount", "InvalidFamily",
        "InvalidIdNumber", "MedicalAid", "MissingCount", "PopulationLine", "PopulationTotal",
        "Proposal", "ReasonRequired", "RuleRef", "SubgroupRequired", "UnknownCategory",
        "amount_for", "approval_route", "birth_date", "case_values", "change_category",
        "check_amount", "check_digit", "chinese_capital", "deep_hardship_amount",
        "family_size", "fen_to_yuan_text", "is_valid_id", "line_fen", "lines_met", "mask",
        "medical_aid", "normalise_id", "per_capita", "population_total", "propose",
        "qualifying", "round_half_up", "round_half_up_to_hundred", "under_line",
        "upgrade_15", "validate_id", "yuan_to_fen",
    }
    for name in workflow.rules.__all__:
        assert hasattr(workflow.rules, name)


def test_rules_import_only_the_standard_library_and_definitions() -> None:
    """No I/O, no clock: stdlib, definitions, workflow.core.pii and simpleeval (the condition
    evaluator the process conditions use too) only."""
    allowed_ours = {"definitions", "workflow", "simpleeval"}
    forbidden = {"datetime.datetime.now", "time", "pathlib", "os", "io", "open"}
    for path in sorted(RULES_DIR.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top = node.module.split(".")[0]
                if top == "workflow":
                    assert node.module.startswith("workflow.rules") or node.module in {
                        "workflow.core.pii", "workflow.core.guards", "workflow.errors"}, \
                        (path.name, node.module)
                else:
                    assert top in allowed_ours or top in _STDLIB, (path.name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in _STDLIB, (path.name, alias.name)
                    assert alias.name not in forbidden, (path.name, alias.name)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", path.name
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"now", "today", "utcnow"}, (path.name, node.attr)


_STDLIB = {
    "__future__", "ast", "collections", "dataclasses", "datetime", "decimal", "difflib",
    "functools", "operator", "re", "threading", "typing", "unicodedata",
}
