"""The definition language and the shipped definitions. Imports nothing of ours."""

from __future__ import annotations

from definitions.compile import (
    SHIPPED,
    SHIPPED_ORG,
    SHIPPED_PROCESSES,
    CompiledDefinition,
    DefinitionSet,
    build_definition,
    compile_definition,
    content_hash,
    definition_from_json,
    definition_from_text,
    load_definition,
    load_directory,
)
from definitions.errors import (
    BangfuError,
    DefinitionError,
    DefinitionInvalid,
    DefinitionVersionConflict,
    Problem,
    UnknownDefinition,
)
from definitions.org import Org, build_org, load_org, normalise_id_number, org_from_text
from definitions.schema import ProcessDefinition

__all__ = [
    "BangfuError",
    "CompiledDefinition",
    "DefinitionError",
    "DefinitionInvalid",
    "DefinitionSet",
    "DefinitionVersionConflict",
    "Org",
    "Problem",
    "ProcessDefinition",
    "SHIPPED",
    "SHIPPED_ORG",
    "SHIPPED_PROCESSES",
    "UnknownDefinition",
    "build_definition",
    "build_org",
    "compile_definition",
    "content_hash",
    "definition_from_json",
    "definition_from_text",
    "load_definition",
    "load_directory",
    "load_org",
    "normalise_id_number",
    "org_from_text",
]
