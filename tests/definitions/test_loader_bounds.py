"""Hostile YAML gets a message, never a crash, a hang or exit 70: aliases (a recursive
one, a billion laughs), nesting that crashed libyaml's C composer, oversized files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from definitions.errors import DefinitionInvalid
from definitions.loader import MAX_BYTES, MAX_DEPTH, load_yaml_text

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 9)}]\n" for i in range(1, 9))


@pytest.mark.parametrize(("text", "words"), [
    ("a: &a [*a]\n", "aliases"),
    (LAUGHS, "aliases"),
    ("base: &b {x: 1}\nother: *b\n", "aliases"),
    ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested"),
    ("a: " + "- " * 100_000 + "x\n", "nested"),
    ("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", "nested"),
    ("process: x\nlabel: " + "a" * (MAX_BYTES + 1) + "\n", "at most"),
])
def test_hostile_yaml_is_refused_with_a_message(text: str, words: str) -> None:
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text(text, "bad.yaml")
    assert words in str(ei.value)
    assert ei.value.localized("zh") != str(ei.value)


def test_nesting_within_the_bound_loads() -> None:
    depth = MAX_DEPTH - 2
    data, _ = load_yaml_text("a: " + "[" * depth + "1" + "]" * depth + "\n")
    for _ in range(depth + 1):
        data = data["a"] if isinstance(data, dict) else data[0]
    assert data == 1


def test_validate_of_a_deeply_nested_file_exits_1(tmp_path: Path) -> None:
    """30,000 levels once killed the process (segfault in the C composer)."""
    bad = tmp_path / "deep.yaml"
    bad.write_text("a: " + "[" * 30_000 + "]" * 30_000 + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cli", "definitions", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "嵌套超过" in done.stdout + done.stderr


def test_a_definition_of_twenty_thousand_states_is_refused_at_once() -> None:
    """Counted before anything is built (it once took minutes)."""
    states = "\n".join(f"  - {{id: s{i}, labels: {{zh: 状态, en: S}}}}" for i in range(20_000))
    with pytest.raises(DefinitionInvalid) as ei:
        load_yaml_text(f"process: big\nstates:\n{states}\n", "big.yaml")
    assert "at most" in str(ei.value) or "more than" in str(ei.value)
