"""``canonical`` writes its bytes with orjson where that is exact, and must give
byte for byte what the json encoder gives (``reference_canonical``), or raise what
it raises: every hash already stored, and the golden ones in the tests, depend on
it. Properties over JSON-like values, then the cases that must go to the encoder."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.core.chain import (
    _orjson_exact,
    canonical,
    canonical_time,
    event_body,
    reference_canonical,
)
from workflow.core.model import Event

BEIJING = timezone(timedelta(hours=8))

#: fixed offsets (whole minutes, as the engine's zones have) and named zones
ZONES = st.one_of(
    st.just(UTC), st.just(BEIJING),
    st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-23 * 60, 23 * 60)),
    st.timezones())
AWARE = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),  # noqa: DTZ001
                     timezones=ZONES)
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12)
#: what JSON text is made of and what trips encoders: control characters, quotes,
#: backslashes, DEL, the line separators, astral characters (emoji), private use
TRICKY = st.text(st.sampled_from(
    list("\x00\x01\x08\t\n\x0b\x0c\r\x1f \"\\/'\x7f\x80\u00e9\u2028\u2029\ue000\uffff")
    + ["\U0001f600", "\U00020000", "中", "示"]), max_size=12)
TEXT = st.one_of(st.text(max_size=12), CJK, TRICKY)
#: lone surrogates: a str can hold them, UTF-8 cannot (the encoder's bytes raise)
ODD_TEXT = st.one_of(TEXT, st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2))
LEAVES = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(2 ** 63), 2 ** 64 - 1),
    st.integers(),  # beyond 64 bits too
    st.sampled_from([2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, -(2 ** 63), -(2 ** 63) - 1,
                     10 ** 30, -(10 ** 30)]),
    st.floats(),  # NaN and infinities included: the encoder refuses those
    ODD_TEXT, AWARE, st.decimals(), st.dates())
KEYS = st.one_of(ODD_TEXT, TEXT, TEXT, st.integers(), st.none(), st.booleans(), st.floats())
JSON_LIKE = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        st.dictionaries(TEXT, children, max_size=6),
        st.dictionaries(KEYS, children, max_size=3),
        st.frozensets(st.one_of(st.integers(), TEXT), max_size=3)),
    max_leaves=25)
#: what events are made of: no floats, no odd keys (all of it on orjson's path)
EVENT_LIKE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 63), 2 ** 64 - 1), TEXT, AWARE,
              st.decimals(allow_nan=False)),
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(TEXT, children, max_size=6)),
    max_leaves=25)


def outcome(encode: Any, value: Any) -> tuple[str, Any]:
    """The bytes, or the type of exception raised."""
    try:
        return "bytes", encode(value)
    except Exception as exc:  # noqa: BLE001 - the point is to compare what is raised
        return "raises", type(exc)


@settings(max_examples=600, deadline=None)
@given(JSON_LIKE)
def test_canonical_equals_the_json_encoder(value: Any) -> None:
    assert outcome(canonical, value) == outcome(reference_canonical, value)


@settings(max_examples=300, deadline=None)
@given(EVENT_LIKE)
def test_values_like_events_take_orjson_and_agree(value: Any) -> None:
    """Not only equal: these must not fall back (that would be the old speed)."""
    assert _orjson_exact([value])
    assert outcome(canonical, value) == outcome(reference_canonical, value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(CJK, st.one_of(CJK, st.integers(-(2 ** 63), 2 ** 63), AWARE),
                       min_size=1, max_size=8))
def test_chinese_keys_sort_as_the_encoder_sorts_them(value: dict[str, Any]) -> None:
    assert canonical(value) == reference_canonical(value)


@given(AWARE)
def test_canonical_time_is_isoformat_with_microseconds_in_utc(when: datetime) -> None:
    expected = when.astimezone(UTC).isoformat(timespec="microseconds")
    assert canonical_time(when) == expected
    assert canonical_time(when.replace(microsecond=0)) == \
        when.replace(microsecond=0).astimezone(UTC).isoformat(timespec="microseconds")


def test_canonical_time_of_an_early_year_keeps_four_digits() -> None:
    assert canonical_time(datetime(99, 3, 1, 2, 3, 4, tzinfo=UTC)) == \
        "0099-03-01T02:03:04.000000+00:00"


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


@pytest.mark.parametrize("value", [
    1e-07, 1e16, 1e22, 0.1, -0.0, float("nan"), float("inf"),  # float formats differ
    2 ** 64, -(2 ** 63) - 1, 10 ** 40,  # beyond 64 bits
    {1: "a"}, {None: 1}, {True: 1}, {1.5: 1}, {"a": 1, 2: "b"},  # keys json converts
    {(1, 2): 3},  # keys nobody can write
    "\ud800", {"\udfff": 1},  # lone surrogates
    Colour.RED, Level.HIGH, uuid.UUID(int=7), Name("x"), {"k": Name("v")},  # orjson natives
    {3, 1, 2}, frozenset({"a"}), (1, "b"), date(2027, 1, 4),
    datetime(2027, 1, 4, 9),  # noqa: DTZ001 - naive: refused
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    Decimal("NaN"), Decimal("-0.000"), Decimal("1E+3"),
], ids=repr)
def test_what_orjson_writes_otherwise_goes_to_the_encoder(value: Any) -> None:
    assert outcome(canonical, value) == outcome(reference_canonical, value)
    assert outcome(canonical, {"v": value}) == outcome(reference_canonical, {"v": value})


def test_an_event_body_takes_orjson() -> None:
    when = datetime(2027, 1, 4, 9, tzinfo=BEIJING)
    event = Event("c1", 1, when, "submitted", "wang.fang", "village_staff", "submit", None,
                  "application", {"applicant_name": "李秀兰", "household_size": 3,
                                  "amount": Decimal("4000.10"), "seen": when},
                  "初次申请", 1, meta={"number": "CF27-000001", "campaign": None})
    body = event_body(event)
    assert _orjson_exact(body)
    assert canonical(body) == reference_canonical(body)
