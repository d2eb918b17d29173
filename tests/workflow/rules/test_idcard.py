"""Resident ID numbers: normalising, the GB 11643 check character, birth dates, old cards."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.cases import LI_ID
from workflow.demo import _id_number
from workflow.rules import (
    InvalidIdNumber,
    birth_date,
    check_digit,
    is_valid_id,
    mask,
    normalise_id,
    upgrade_15,
    validate_id,
)

#: the examples printed in GB 11643-1999 itself
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]
DEMO_IDS = [_id_number(random.Random(seed)) for seed in range(20)]


@pytest.mark.parametrize("number", [LI_ID, *STANDARD_EXAMPLES, *DEMO_IDS])
def test_valid_numbers_validate(number: str) -> None:
    """The sample org's, the demo generator's and the standard's numbers are valid."""
    assert validate_id(number) == number
    assert is_valid_id(number)


def test_normalise_drops_blanks_and_upper_cases_x() -> None:
    """Blanks (also full-width ones) go, 'x' becomes 'X', full-width digits become ASCII."""
    assert normalise_id(" 110105 19491231 002x ") == "11010519491231002X"
    assert normalise_id("３３１１２２\u300019580312０４２２") == LI_ID
    assert validate_id("11010519491231002x") == "11010519491231002X"


def test_fifteen_digit_numbers_become_eighteen() -> None:
    """A first-generation number gets '19' before its year and a check character."""
    assert upgrade_15("331122580312042") == LI_ID
    assert validate_id("331122580312042") == LI_ID
    assert birth_date("331122580312042") == date(1958, 3, 12)


def test_birth_date() -> None:
    """The birth date is read from positions 7 to 14."""
    assert birth_date(LI_ID) == date(1958, 3, 12)
    assert birth_date("440524188001010014") == date(1880, 1, 1)


def test_mask_shows_region_and_last_four() -> None:
    """Masking reuses the PII rule: first six and last four characters."""
    assert mask(LI_ID) == "331122********0422"
    assert mask(" 110105 19491231 002x") == "110105********002X"


@pytest.mark.parametrize(("number", "reason", "en", "zh"), [
    ("33112219580312042", "length", "has 17 characters; it must have 18", "有 17 位"),
    ("3311221958031204221", "length", "has 19 characters", "应为 18 位"),
    ("", "length", "has 0 characters", "有 0 位"),
    ("33112219580312042A", "characters", "has 'A' as the last character", "第 18 位为 'A'"),
    ("3311221958O3120422", "characters", "has 'O' as character 11", "第 11 位为 'O'"),
    ("3311221958031204X2", "characters", "has 'X' as character 17", "第 17 位为 'X'"),
    ("001122195803120422", "region", "starts with '00'", "'00' 不是有效的省级行政区划代码"),
    ("991122195803120422", "region", "which is no province's region code", "省级"),
    ("331122195802300422", "birth_date", "birth date '19580230'", "出生日期 '19580230'"),
    ("331122187912310422", "birth_date", "not a plausible date of birth", "不是有效的出生日期"),
    ("331122581332042", "birth_date", "birth date '19581332'", "出生日期"),
    ("331122195803120421", "check_digit", "ends in '1', but its first 17 digits call for the "
     "check character '2'", "的校验码为 '1'，按前 17 位应为 '2'"),
    ("11010519491231002Y", "characters", "'Y'", "'Y'"),
    ("110105194912310021", "check_digit", "call for the check character 'X'", "应为 'X'"),
])
def test_invalid_numbers_say_what_is_wrong(number: str, reason: str, en: str, zh: str) -> None:
    """Each refusal names the check that failed, in English and Chinese."""
    with pytest.raises(InvalidIdNumber) as ei:
        validate_id(number)
    err = ei.value
    assert err.reason == reason
    assert en in str(err)
    assert zh in err.localized("zh")
    assert err.to_dict()["reason"] == reason
    assert not is_valid_id(number)


def test_check_digit_error_carries_expected_and_given() -> None:
    """A wrong check character reports what was expected and what was given."""
    with pytest.raises(InvalidIdNumber) as ei:
        validate_id("331122195803120421")
    assert (ei.value.expected, ei.value.given) == ("2", "1")


def test_messages_never_show_the_full_number() -> None:
    """Errors show the number masked, never in full."""
    with pytest.raises(InvalidIdNumber) as ei:
        validate_id("331122195803120421")
    assert "331122195803120421" not in str(ei.value)
    assert "331122********0421" in str(ei.value)
    assert "331122195803120421" not in ei.value.localized("zh")


def test_birth_dates_after_today_are_refused_when_today_is_given() -> None:
    """No clock is read; with ``today`` a birth date after it is refused."""
    assert is_valid_id("440524188001010014", today=date(2027, 1, 4))
    body = "33112220270105001"
    future = body + check_digit(body)
    assert is_valid_id(future)
    with pytest.raises(InvalidIdNumber) as ei:
        validate_id(future, today=date(2027, 1, 4))
    assert ei.value.reason == "future_birth_date"


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["331122", "110105", "440524", "650102", "810000"]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)))
    seq = draw(st.integers(min_value=0, max_value=999))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


@given(valid_ids())
def test_generated_numbers_validate(number: str) -> None:
    """Any region, date and sequence with its check character validates."""
    assert validate_id(number) == number
    assert validate_id(number.lower()) == number


@given(valid_ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_is_caught(number: str, position: int, shift: int) -> None:
    """ISO 7064 MOD 11-2 catches every change of one of the first 17 digits."""
    digit = (int(number[position]) + shift) % 10
    changed = number[:position] + str(digit) + number[position + 1:]
    assert not is_valid_id(changed)


@given(valid_ids())
def test_a_transposition_of_neighbours_is_caught(number: str) -> None:
    """Swapping two different neighbouring digits is caught as well."""
    for i in range(16):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
            assert not is_valid_id(swapped)


def test_demo_generator_dates_stay_plausible() -> None:
    """The demo's birth dates (1940 to 2000) all pass the plausibility check."""
    assert all(date(1940, 1, 1) <= birth_date(n) < date(1940, 1, 1) + timedelta(days=365 * 60)
               for n in DEMO_IDS)
