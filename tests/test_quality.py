"""Static checks run with the suite: lint, types, the layering contract, the public API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_passes() -> None:
    """ruff (including the ban on reading the real time outside workflow/clock.py) is clean."""
    res = run(sys.executable, "-m", "ruff", "check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_strict_passes_on_the_core() -> None:
    """mypy --strict is clean on workflow and definitions."""
    res = run(sys.executable, "-m", "mypy")
    assert res.returncode == 0, res.stdout + res.stderr


def test_import_contracts_hold() -> None:
    """definitions imports nothing of ours; the pure core imports no shell, no SQL, no logging."""
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.fail("lint-imports is not installed; install the test extras")
    res = run(exe)
    assert res.returncode == 0, res.stdout + res.stderr


def test_public_api_is_pinned() -> None:
    """workflow.__all__ is sorted and exactly the names below."""
    import workflow

    assert workflow.__all__ == sorted(workflow.__all__)
    assert set(workflow.__all__) == {
        "REGISTRY", "Actor", "BangfuError", "Case", "CaseClosed", "CaseNotFound", "Clock",
        "ClockError", "CommandRejected", "CommandResult", "CommentRequired",
        "ConcurrencyConflict", "Engine", "Event", "Fire", "GuardContext", "GuardFailed",
        "IdempotencyKeyReused", "InvalidData", "InvalidTrigger", "MissingData",
        "PermissionDenied", "SimulatedClock", "StorageError", "Submit", "SystemClock",
        "TriggerOption", "UnknownUser", "evolve", "guard", "replay", "CalendarMissing",
        "WorkingCalendar", "DeadlineError", "CampaignError", "Deadline", "FiredTimer", "Timer",
        "DoubleRelief", "MissingDocuments",
    }
    for name in workflow.__all__:
        assert hasattr(workflow, name)
