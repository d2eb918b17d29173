"""Use cases of the definition files: validating files of every kind, as views.
Service; reads files through ``definitions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from definitions.compile import SHIPPED_PROCESSES, load_directory
from definitions.errors import DefinitionInvalid
from definitions.files import KINDS, FileCheck, check_file, kind_of
from definitions.loader import load_yaml_file
from workflow.core.machine import mermaid
from workflow.core.registry import REGISTRY
from workflow.engine import Engine
from workflow.errors import UsageError


def _known(files: Sequence[Path], folder: Path | None) -> tuple[set[str] | None, set[str] | None]:
    """The processes and roles a campaign or an org may name: those of the processes
    folder, and of the process files being validated with them. (None, None) when
    the folder does not load: the file's own problems are checked all the same."""
    try:
        defs = list(load_directory(folder or SHIPPED_PROCESSES, known_guards=REGISTRY))
    except DefinitionInvalid:
        return None, None
    processes = {d.process for d in defs}
    roles = {r for d in defs for r in d.spec.roles}
    for f in files:
        try:
            data, _, _ = load_yaml_file(f, duplicates=[])
        except DefinitionInvalid:
            continue
        if kind_of(data) == "process" and isinstance(data.get("process"), str):
            processes.add(data["process"])
            if isinstance(data.get("roles"), dict):
                roles |= {str(r) for r in data["roles"]}
    return processes, roles


def _summary(check: FileCheck, zh: bool) -> str:
    """What a valid file is, in a few words: the kind, its id and its main facts."""
    f = check.facts
    label = KINDS[check.kind or ""][0 if zh else 1]
    extra = {
        "process": (f"第 {f.get('version')} 版", f"v{f.get('version')}"),
        "campaign": ("流程 " + "、".join(f.get("processes", ())),
                     "processes " + ", ".join(f.get("processes", ()))),
        "org": (f"单位 {f.get('units')} 个，用户 {f.get('users')} 人",
                f"{f.get('units')} units, {f.get('users')} users"),
        "calendar": (f"{f.get('year')} 年，{'正式' if f.get('status') == 'official' else '暂定'}",
                     f"{f.get('year')}, {f.get('status')}"),
        "rules": ("医疗救助规则" if f.get("of") == "medical_aid" else "收入线",
                  "medical aid" if f.get("of") == "medical_aid" else "income lines"),
    }.get(check.kind or "", ("", ""))[0 if zh else 1]
    return f"{label} {check.name}（{extra}）" if zh else f"{label} {check.name} ({extra})"


def file_view(check: FileCheck, lang: str) -> dict[str, Any]:
    zh = lang.startswith("zh")
    label = KINDS[check.kind][0 if zh else 1] if check.kind else None
    view: dict[str, Any] = {"file": check.file, "kind": check.kind, "kind_label": label,
                            "ok": check.ok, "name": check.name, "facts": dict(check.facts)}
    view["summary"] = _summary(check, zh) if check.ok else None
    if not check.ok:
        exc = DefinitionInvalid(list(check.problems), check.file)
        view.update(exc.to_dict(lang))
    return view


def validate_files(files: Sequence[Path], folder: Path | None, lang: str) -> list[dict[str, Any]]:
    """Check each file against the schema of its kind; every problem of each, at once."""
    processes, roles = _known(files, folder)
    return [file_view(check_file(f, known_guards=REGISTRY, known_processes=processes,
                                 known_roles=roles), lang) for f in files]


# -- the registered definitions, as views ---------------------------------------------


def definition_rows(engine: Engine, lang: str) -> list[dict[str, Any]]:
    """The registered definitions, then the versions on disk not registered yet."""
    return [{"process": d.process, "version": d.version, "label": d.spec.labels.get(lang),
             "hash": d.content_hash, "states": len(d.spec.states),
             "transitions": len(d.spec.transitions), "source": d.source,
             "registered": registered}
            for registered, group in ((True, list(engine.definitions)),
                                      (False, list(engine.unregistered))) for d in group]


def definition_view(engine: Engine, process: str, version: int | None = None
                    ) -> dict[str, Any]:
    """A registered definition as its file says it (the parsed model) and its hash.

    Raises:
        UnknownDefinition: no such process or version."""
    d = engine.definitions.get(process, version)
    return {"hash": d.content_hash, **d.spec.model_dump(mode="json")}


def diagram_view(engine: Engine, process: str, version: int | None, lang: str,
                 fmt: str = "mermaid") -> dict[str, Any]:
    """The state diagram as mermaid text.

    Raises:
        UsageError: a format other than mermaid; UnknownDefinition."""
    if fmt != "mermaid":
        raise UsageError(f"unknown graph format '{fmt}'; supported: mermaid",
                         f"不支持的图形格式 '{fmt}'；支持：mermaid")
    d = engine.definitions.get(process, version)
    return {"process": d.process, "version": d.version, "hash": d.content_hash,
            "format": fmt, "graph": mermaid(d, lang)}
