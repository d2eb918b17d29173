"""The inspectors' reads as views, the same for the CLI and the HTTP API: a case
replayed as of a moment, the verification report, the exported trail as one zip.
Services over an Engine (the work itself is ``workflow.services.inspection``'s).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from workflow.core.authz import platform_role
from workflow.core.data import pii_kinds
from workflow.core.pii import mask_data
from workflow.engine import Engine
from workflow.services.inspection import VerifyReport, export_trail, replay_case
from workflow.views import View, event_view, field_rows


def require_act(engine: Engine, user: str, act: str) -> None:
    """Raises UnknownUser, PermissionDenied unless ``user`` holds a platform role
    granting ``act`` (``inspect``, ``export``, ``verify``: the inspection team's)."""
    platform_role(engine.org, engine.actor(user), act)


def replay_view(engine: Engine, ref: str, when: datetime | None, lang: str) -> View:
    """The case as it was at ``when`` (default: now): its state, version and data
    (masked), and the timeline up to then, with labels.

    Raises:
        CaseNotFound; AuditError: ``when`` is before the case existed.
    """
    replayed, events = replay_case(engine, ref, when)
    defn = engine.definition_for(replayed)
    data = mask_data(replayed.data, pii_kinds(defn))
    return {"case": replayed.number, "as_of": when.isoformat() if when else None,
            "state": replayed.state, "state_label": defn.state_label(replayed.state, lang),
            "version": replayed.version, "definition_version": replayed.definition_version,
            "data": data, "fields": field_rows(defn, data, lang, papers=True),
            "events": [event_view(defn, e, lang, engine.org) for e in events]}


def verify_view(report: VerifyReport, lang: str, signatures_checked: bool) -> View:
    """The verification report as plain data."""
    return {"ok": report.ok, "cases": report.cases, "events": report.events,
            "checkpoints": report.checkpoints, "signatures_checked": signatures_checked,
            "seconds": round(report.seconds, 3),
            "events_per_second": round(report.events_per_second),
            "findings": [{"case": f.case, "seq": f.seq, "message": f.text(lang)}
                         for f in report.findings]}


def export_archive(engine: Engine, user: str, lang: str, *, case: str | None = None,
                   unmasked: bool = False, reason: str | None = None
                   ) -> tuple[bytes, Mapping[str, Any]]:
    """The trail (``events.jsonl`` and ``timeline.csv``) as one zip, as ``user`` (a
    platform role granting ``export``); unmasked only with a reason, recorded in the
    history of every case exported. Returns the zip and what it holds.

    Raises:
        PermissionDenied, UsageError, CaseNotFound, DamagedRecord (nothing recorded)."""
    require_act(engine, user, "export")
    with tempfile.TemporaryDirectory(prefix="bangfu-export-") as folder:
        report = export_trail(engine, Path(folder), case, user if unmasked else None, lang,
                              reason=reason)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(report.events_file, "events.jsonl")
            archive.write(report.timeline_file, "timeline.csv")
    return buffer.getvalue(), {"cases": report.cases, "events": report.events,
                               "masked": report.masked}
