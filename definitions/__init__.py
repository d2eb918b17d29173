"""The definition language and the shipped definitions. Imports nothing of ours.

The names below are loaded when first used: importing ``definitions.errors``
(as every command does) does not compile the schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: public name → the module that defines it
_WHERE: dict[str, str] = {
    "BangfuError": "definitions.errors",
    "CompiledDefinition": "definitions.compile",
    "DefinitionError": "definitions.errors",
    "DefinitionInvalid": "definitions.errors",
    "DefinitionSet": "definitions.compile",
    "DefinitionVersionConflict": "definitions.errors",
    "Org": "definitions.org",
    "Problem": "definitions.errors",
    "ProcessDefinition": "definitions.schema",
    "SHIPPED": "definitions.compile",
    "SHIPPED_ORG": "definitions.compile",
    "SHIPPED_PROCESSES": "definitions.compile",
    "UnknownDefinition": "definitions.errors",
    "build_definition": "definitions.compile",
    "build_org": "definitions.org",
    "compile_definition": "definitions.compile",
    "content_hash": "definitions.compile",
    "definition_from_json": "definitions.compile",
    "definition_from_text": "definitions.compile",
    "load_definition": "definitions.compile",
    "load_directory": "definitions.compile",
    "load_org": "definitions.org",
    "normalise_id_number": "definitions.org",
    "org_from_text": "definitions.org",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'definitions' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
