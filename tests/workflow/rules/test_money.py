"""Money: exact yuan/fen conversions, 四舍五入 to the hundred, amounts in Chinese capitals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.rules import (
    InvalidAmount,
    chinese_capital,
    fen_to_yuan_text,
    round_half_up,
    round_half_up_to_hundred,
    yuan_to_fen,
)
from workflow.rules.money import MAX_CAPITAL_FEN

#: the only characters an amount in capitals may use, by code point, so that a
#: garbled expected string cannot slip into the tests below
CAPITALS = {
    "\u96f6": 0, "\u58f9": 1, "\u8d30": 2, "\u53c1": 3, "\u8086": 4,  # 零壹贰叁肆
    "\u4f0d": 5, "\u9646": 6, "\u67d2": 7, "\u634c": 8, "\u7396": 9,  # 伍陆柒捌玖
}
SMALL = {"\u62fe": 10, "\u4f70": 100, "\u4edf": 1000}  # 拾佰仟
LARGE = {"\u4e07": 10 ** 4, "\u4ebf": 10 ** 8}  # 万亿
YUAN, JIAO, FEN, WHOLE = "\u5143", "\u89d2", "\u5206", "\u6574"  # 元角分整
ALPHABET = set(CAPITALS) | set(SMALL) | set(LARGE) | {YUAN, JIAO, FEN, WHOLE}


def decode(text: str) -> int:
    """Read capitals back into fen (the inverse the property test checks against)."""
    whole, sep, rest = text.partition(YUAN)
    if not sep:
        whole, rest = "", text
    total = section = digit = 0
    for ch in whole:
        if ch in CAPITALS:
            digit = CAPITALS[ch]
        elif ch in SMALL:
            section += digit * SMALL[ch]
            digit = 0
        elif ch == "\u4e07":
            section = (section + digit) * 10 ** 4
            digit = 0
        elif ch == "\u4ebf":
            total = (total + section + digit) * 10 ** 8
            section = digit = 0
    fen = (total + section + digit) * 100
    for value, unit in re.findall(f"([{''.join(CAPITALS)}])([{JIAO}{FEN}])", rest):
        fen += CAPITALS[value] * (10 if unit == JIAO else 1)
    return fen


CASES = [
    ("4000", "肆仟元整"),
    ("110800.00", "壹拾壹万零捌佰元整"),
    ("1005.50", "壹仟零伍元伍角"),
    ("0.07", "柒分"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("100000", "壹拾万元整"),
    ("1000000", "壹佰万元整"),
    ("1010", "壹仟零壹拾元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("101000", "壹拾万壹仟元整"),
    ("20.05", "贰拾元零伍分"),
    ("0", "零元整"),
    ("0.50", "伍角"),
    ("0.57", "伍角柒分"),
    ("1", "壹元整"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("10.50", "壹拾元伍角"),
    # the examples of the rules for filling in bills
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    # DOMAIN.md's figures
    ("215400", "贰拾壹万伍仟肆佰元整"),
    ("226000", "贰拾贰万陆仟元整"),
    ("869000", "捌拾陆万玖仟元整"),
    ("7900", "柒仟玖佰元整"),
    ("6300", "陆仟叁佰元整"),
    # zeros across 万 and 亿
    ("100000000", "壹亿元整"),
    ("100010000", "壹亿零壹万元整"),
    ("100001000", "壹亿零壹仟元整"),
    ("102000000", "壹亿零贰佰万元整"),
    ("120000000", "壹亿贰仟万元整"),
    ("10000000.01", "壹仟万元零壹分"),
    ("10010000", "壹仟零壹万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1100000000000", "壹万壹仟亿元整"),
]


def test_expected_strings_use_only_the_capital_characters() -> None:
    """Every expected string is made of 零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整 by code point."""
    for _, text in CASES:
        assert set(text) <= ALPHABET, [f"U+{ord(c):04X}" for c in set(text) - ALPHABET]


@pytest.mark.parametrize(("yuan", "expected"), CASES, ids=[c[0] for c in CASES])
def test_chinese_capital(yuan: str, expected: str) -> None:
    """The amount in capitals follows the rules for 零, 整 and 壹拾."""
    assert chinese_capital(yuan_to_fen(yuan)) == expected


def test_capital_digits_by_code_point() -> None:
    """贰 is U+8D30, 陆 U+9646, 万 U+4E07: 2,060,000 yuan reads 贰佰零陆万元整."""
    assert chinese_capital(206_000_000) == "\u8d30\u4f70\u96f6\u9646\u4e07\u5143\u6574"


@pytest.mark.parametrize("bad", [-1, MAX_CAPITAL_FEN + 1])
def test_chinese_capital_refuses_what_it_cannot_write(bad: int) -> None:
    """Negative amounts and amounts of 10**16 yuan or more are refused."""
    with pytest.raises(InvalidAmount):
        chinese_capital(bad)


@given(st.integers(min_value=0, max_value=MAX_CAPITAL_FEN))
def test_chinese_capital_reads_back(fen: int) -> None:
    """Decoding the capitals gives the amount back; no 零零, no trailing 零, 拾 always with a digit."""
    text = chinese_capital(fen)
    assert set(text) <= ALPHABET
    assert decode(text) == fen
    assert "零零" not in text
    assert not re.search("零[元万亿角分整]", text) or text == "零元整"
    assert not text.startswith("拾") and not re.search("[万亿元]拾", text)
    assert text.endswith((WHOLE, JIAO, FEN))
    assert text.endswith(WHOLE) == (fen % 100 == 0)


@pytest.mark.parametrize(("value", "fen"), [
    ("110800.00", 11_080_000), ("0.07", 7), (" 1,234.50 ", 123_450), ("-12.3", -1230),
    (Decimal("400.10"), 40_010), (4000, 400_000), ("5", 500), ("5.", 500), (Decimal("1E+3"), 100_000),
])
def test_yuan_to_fen_is_exact(value: str | int | Decimal, fen: int) -> None:
    """Text, Decimal and int yuan become exact integer fen."""
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", [
    0.1, 1.0, True, "0.001", "12.345", Decimal("0.005"), "abc", "", "1,23", "1e3",
    Decimal("NaN"), Decimal("Infinity"), None,
])
def test_yuan_to_fen_refuses_floats_and_fractions_of_a_fen(value: object) -> None:
    """Floats, fractions of a fen and non-numbers are refused, never rounded."""
    with pytest.raises(InvalidAmount) as ei:
        yuan_to_fen(value)  # type: ignore[arg-type]
    assert ei.value.code == "invalid_amount"
    assert ei.value.localized("zh").startswith("金额")


def test_fen_to_yuan_text() -> None:
    """Two decimals, optional thousands separators, a sign for negatives."""
    assert fen_to_yuan_text(11_080_000) == "110800.00"
    assert fen_to_yuan_text(11_080_000, grouping=True) == "110,800.00"
    assert fen_to_yuan_text(7) == "0.07"
    assert fen_to_yuan_text(-5) == "-0.05"


@given(st.integers(min_value=-10 ** 15, max_value=10 ** 15), st.booleans())
def test_yuan_text_round_trips(fen: int, grouping: bool) -> None:
    """yuan_to_fen reads back what fen_to_yuan_text writes."""
    assert yuan_to_fen(fen_to_yuan_text(fen, grouping)) == fen


@given(st.decimals(min_value=-10 ** 9, max_value=10 ** 9, places=2, allow_nan=False))
def test_decimal_yuan_round_trips(yuan: Decimal) -> None:
    """A Decimal of whole fen converts exactly and back."""
    assert Decimal(fen_to_yuan_text(yuan_to_fen(yuan))) == yuan


@pytest.mark.parametrize(("fen", "rounded"), [
    (1_235_000, 1_240_000),   # 12,350 → 12,400: a half goes up
    (1_234_999, 1_230_000),
    (1_225_000, 1_230_000),   # not to the even hundred: round() would give 12,200
    (2_000_100, 2_000_000),   # 20,001 → 20,000
    (988_000, 990_000),       # 9,880 → 9,900
    (4_999, 0), (5_000, 10_000), (0, 0),
    (Decimal("4999.99"), 0), (Decimal("5000.00"), 10_000),
])
def test_round_half_up_to_hundred(fen: int | Decimal, rounded: int) -> None:
    """四舍五入 to the nearest hundred yuan is half-up, not half-even."""
    assert round_half_up_to_hundred(fen) == rounded


def test_round_half_up_to_a_fen() -> None:
    """Half a fen goes up; a step must be positive."""
    assert round_half_up(Decimal("359999.5"), 1) == 360_000
    assert round_half_up(Decimal("359999.49"), 1) == 359_999
    with pytest.raises(ValueError):
        round_half_up(1, 0)


@given(st.integers(min_value=-10 ** 12, max_value=10 ** 12),
       st.integers(min_value=-10 ** 12, max_value=10 ** 12))
def test_rounding_is_monotonic(a: int, b: int) -> None:
    """a ≤ b implies round(a) ≤ round(b), and rounding moves by at most half a hundred."""
    lo, hi = sorted((a, b))
    assert round_half_up_to_hundred(lo) <= round_half_up_to_hundred(hi)
    assert abs(round_half_up_to_hundred(a) - a) <= 5_000
    assert round_half_up_to_hundred(a) % 10_000 == 0
