"""Streaming every history (``iter_histories``, what verify reads): JSON columns are
read through orjson only where it reads what ``json.loads`` reads, and the events
streamed are the ones ``history`` loads, JSON edited by hand included."""

from __future__ import annotations

import gc
import json
import math
import sqlite3
import warnings
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql_text

from storage.db import json_loads as _json_loads
from workflow import Engine

CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=10)
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10), CJK,
              st.sampled_from([2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, -(2 ** 63),
                               -(2 ** 63) - 1, 10 ** 19, -(10 ** 19), 10 ** 40])),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.text(max_size=6) | CJK, children, max_size=5),
    max_leaves=20)
#: number tokens of every shape, many digits and large exponents included
NUMBERS = st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?\Z")


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0; NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
                                                     math.copysign(1, b))
    return bool(a == b)


def outcome(loads: Callable[[str], Any], text: str) -> tuple[str, Any]:
    try:
        return "value", loads(text)
    except Exception as exc:  # noqa: BLE001 - the point is to compare what is raised
        return "raises", type(exc)


def agree(text: str) -> None:
    fast, slow = outcome(_json_loads, text), outcome(json.loads, text)
    assert fast[0] == slow[0], text
    assert same(fast[1], slow[1]) if fast[0] == "value" else fast == slow, text


@settings(max_examples=500, deadline=None)
@given(VALUES, st.booleans(), st.sampled_from([None, 1]))
def test_reads_what_json_loads_reads(value: Any, ascii_only: bool, indent: int | None) -> None:
    agree(json.dumps(value, ensure_ascii=ascii_only, indent=indent))


@settings(max_examples=500, deadline=None)
@given(NUMBERS)
def test_reads_numbers_as_json_loads_does(number: str) -> None:
    agree(number)
    agree(f'{{"n":{number}}}')


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_refuses_what_json_loads_refuses(text: str) -> None:
    agree(text)


def test_long_integers_lone_surrogates_and_nan_read_as_json_loads_does() -> None:
    for text in ['{"n":123456789012345678901234567890}', "-9223372036854775809",
                 "18446744073709551616", '"\\ud800"', '{"\\udfff":1}', "NaN", "[Infinity]",
                 "1e400", "\ufeff{}", '{"a":"x\ny"}', "[1,]", "", "{}", '{"a":1,"a":2}',
                 '{"a":' * 100 + "[1.5]" + "}" * 100]:
        agree(text)


def test_deep_nesting_reads_as_json_loads_does() -> None:
    """Deeper than orjson reads, or than the float search looks: json.loads decides."""
    for depth in (100, 900, 1100):
        text = "[" * depth + "12345678901234567890" + "]" * depth
        fast, slow = outcome(_json_loads, text), outcome(json.loads, text)
        assert fast[0] == slow[0] and (fast == slow if fast[0] == "raises" else
                                       repr(fast[1]) == repr(slow[1]))


def test_streamed_events_are_the_loaded_ones(engine: Engine,
                                             new_case: Callable[..., str]) -> None:
    """What iter_histories streams is what history loads, JSON written by hand included."""
    numbers = [new_case(), new_case()]
    edited = engine.get_case(numbers[0]).id
    db = engine.store.engine  # type: ignore[attr-defined]
    text = '{"big":123456789012345678901234567890,"small":1e-07,"odd":"\\ud800","名":"公示"}'
    if db.dialect.name == "sqlite":
        with closing(sqlite3.connect(db.url.database)) as conn:
            conn.execute("UPDATE events SET data = ? WHERE case_id = ? AND seq = 1",
                         (text, edited))
            conn.commit()
    else:
        with db.begin() as conn:
            conn.execute(sql_text("UPDATE events SET data = CAST(:t AS json) "
                                  "WHERE case_id = :c AND seq = 1"), {"t": text, "c": edited})
    streamed = {case_id: (stored, events)
                for case_id, stored, events in engine.store.iter_histories()}  # type: ignore[attr-defined]
    assert len(streamed) == len(numbers)
    for number in numbers:
        case = engine.get_case(number)
        stored, events = streamed[case.id]
        assert stored == case
        assert events == engine.store.history(case.id)
    assert streamed[edited][1][0].data == json.loads(text)


@pytest.mark.parametrize("read", ["all", "first"])
def test_a_stream_read_to_the_end_or_dropped_closes_its_cursors(
        engine: Engine, new_case: Callable[..., str], read: str) -> None:
    """Read to the end, or dropped after the first case: the stream's cursors
    (server-side ones on PostgreSQL) are closed, not left for the collector."""
    new_case(), new_case()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stream = engine.store.iter_histories(batch=1)  # type: ignore[attr-defined]
        if read == "all":
            assert len(list(stream)) == 2
        else:
            assert next(stream)[0]
        stream.close()
        del stream
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
