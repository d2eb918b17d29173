"""A definition's content hash is over what its file says: a default the model
gains later leaves the hash of an unchanged file alone (the release's hash did
not), and a stored body gives back the hash it was registered under."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import Field

from definitions import SHIPPED_PROCESSES
from definitions.compile import compile_definition, definition_from_json, load_definition
from definitions.hashing import canonical_source, legacy_body_hash, source_hash
from definitions.loader import load_yaml_file
from definitions.schema import ProcessDefinition
from workflow.core.registry import REGISTRY

RELIEF = SHIPPED_PROCESSES / "relief_application.yaml"


class LaterDefinition(ProcessDefinition):
    """The model as a later Bangfu might have it: one more key, with a default."""

    archive_years: int = Field(default=10)


@pytest.mark.parametrize("path", sorted(SHIPPED_PROCESSES.glob("*.yaml")), ids=lambda p: p.name)
def test_a_new_default_leaves_the_hash_of_an_unchanged_file(path: Path) -> None:
    """Parsed by a model with a new defaulted key, an unchanged file keeps its hash."""
    data, _, _ = load_yaml_file(path)
    today = load_definition(path, known_guards=REGISTRY)
    later = compile_definition(LaterDefinition.model_validate(data), str(path), data)
    assert later.content_hash == today.content_hash


def test_the_release_hash_moved_with_a_new_default() -> None:
    """The release's hash over the model's dump is what a new default changed."""
    data, _, _ = load_yaml_file(RELIEF)
    today = ProcessDefinition.model_validate(data).model_dump(mode="json")
    later = LaterDefinition.model_validate(data).model_dump(mode="json")
    assert legacy_body_hash(today) != legacy_body_hash(later)


def test_the_stored_body_is_what_the_file_says() -> None:
    """The body a version is stored with is the file's mapping, and rebuilds its hash."""
    data, _, _ = load_yaml_file(RELIEF)
    defn = load_definition(RELIEF, known_guards=REGISTRY)
    assert defn.body == canonical_source(data)
    assert definition_from_json(defn.body).content_hash == defn.content_hash == \
        source_hash(data)


def test_key_order_does_not_count_but_values_do() -> None:
    """Mappings are hashed with sorted keys; a changed value changes the hash."""
    assert source_hash({"a": 1, "b": [1, 2]}) == source_hash({"b": [1, 2], "a": 1})
    assert source_hash({"a": 1, "b": [1, 2]}) != source_hash({"a": 1, "b": [2, 1]})


def test_dates_are_hashed_as_iso_text() -> None:
    """A YAML date is hashed as the ISO text it is written as."""
    assert source_hash({"on": date(2027, 1, 17)}) == source_hash({"on": "2027-01-17"})


def test_a_value_json_cannot_hold_is_refused() -> None:
    """Nothing but plain data can be hashed: no silent str() of an object."""
    with pytest.raises(TypeError, match="cannot hold a object value"):
        source_hash({"x": object()})


def test_release_hashes_are_accepted_only_as_recorded() -> None:
    """A rebuilt version knows a release hash only when one is recorded for it."""
    defn = load_definition(RELIEF, known_guards=REGISTRY)
    old = legacy_body_hash(defn.spec.model_dump(mode="json"))
    assert old not in definition_from_json(defn.body).known_hashes
    assert old in definition_from_json(defn.body, [old]).known_hashes
