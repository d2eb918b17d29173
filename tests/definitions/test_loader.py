"""The YAML loader: YAML 1.1 booleans, duplicate keys, malformed text, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from definitions import DefinitionInvalid
from definitions.loader import line_of, load_yaml_file, load_yaml_text


def test_yes_no_on_off_stay_strings() -> None:
    """yes/no/on/off/y/n load as strings, not as YAML 1.1 booleans (the Norway problem)."""
    data, _ = load_yaml_text("a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ncountry: NO\n")
    assert data == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": "n",
                    "country": "NO"}


def test_true_false_are_booleans() -> None:
    """Only true/false (any common case) are booleans."""
    data, _ = load_yaml_text("a: true\nb: False\nc: TRUE\nd: 3\n")
    assert data == {"a": True, "b": False, "c": True, "d": 3}


def test_duplicate_key_names_key_path_and_line() -> None:
    """A repeated key is refused with its path, the line of the repeat and the first line."""
    text = "top:\n  a: 1\n  b: 2\n  a: 3\n"
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text(text, "dup.yaml")
    (p,) = ei.value.problems
    assert (p.path, p.line, p.file) == ("top.a", 4, "dup.yaml")
    assert "duplicate key 'a'" in p.en and "line 2" in p.en
    assert "重复的键 'a'" in p.zh
    assert "dup.yaml:4: top.a" in str(ei.value)


def test_duplicate_keys_inside_a_list_item() -> None:
    """Duplicates are found inside sequence items, with the item index in the path."""
    text = "states:\n  - id: a\n  - id: b\n    id: c\n"
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text(text)
    (p,) = ei.value.problems
    assert (p.path, p.line) == ("states[1].id", 4)


def test_malformed_yaml_names_the_line() -> None:
    """Malformed YAML is one problem naming the line where the parser stopped."""
    text = "process: x\nversion: 1\nlabels: a: b\n"
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text(text, "bad.yaml")
    (p,) = ei.value.problems
    assert p.line == 3 and p.file == "bad.yaml"
    assert p.en.startswith("malformed YAML") and "YAML 格式错误" in p.zh
    assert "bad.yaml:3" in str(ei.value)


def test_unclosed_flow_sequence_names_the_line() -> None:
    """An unclosed [ is reported at the line the parser notices it."""
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text("roles: [a, b\nstates: 1\n")
    assert ei.value.problems[0].line == 2


def test_empty_text_is_a_problem() -> None:
    """An empty file is refused rather than read as None."""
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text("# only a comment\n")
    assert "empty" in ei.value.problems[0].en


def test_lines_map_keys_and_items() -> None:
    """The line map gives every key's and every list item's line."""
    _, lines = load_yaml_text("a:\n  b: 1\n  c:\n    - x\n    - y\n")
    assert lines[("a",)] == 1
    assert lines[("a", "b")] == 2
    assert lines[("a", "c", 1)] == 5


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    """A path without a line of its own gets its parent's."""
    _, lines = load_yaml_text("a:\n  b: scalar\n")
    assert line_of(lines, ("a", "b", 0, "deeper")) == 2


def test_unreadable_file_is_a_definition_problem(tmp_path: Path) -> None:
    """A missing file is a DefinitionInvalid naming the file, not an OSError."""
    missing = tmp_path / "nope.yaml"
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_file(missing)
    assert ei.value.problems[0].file == str(missing)
    assert "cannot read" in ei.value.problems[0].en


def test_load_yaml_file_returns_data_lines_and_text(tmp_path: Path) -> None:
    """Reading a file gives its data, line map and exact text (kept for the org)."""
    f = tmp_path / "x.yaml"
    f.write_text("# comment\nname: 王芳\n", encoding="utf-8")
    data, lines, text = load_yaml_file(f)
    assert data == {"name": "王芳"}
    assert lines[("name",)] == 2
    assert text.startswith("# comment")
