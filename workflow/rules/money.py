"""Money: integer fen, exact conversions, 四舍五入 and amounts in Chinese capitals. Pure.

Money is integer fen (or an exact ``Decimal``), never a float: ``yuan_to_fen``
refuses floats and fractions of a fen instead of rounding them away.
四舍五入 is round-half-up (a half goes away from zero), not Python's
round-half-even.

``chinese_capital`` writes 人民币大写 by the rules for filling in bills and
vouchers, 《正确填写票据和结算凭证的基本规定》, and by how the numbers are read:

- 拾 is always written with its 壹: 壹拾元整, 壹拾壹万.
- Zeros inside a group of four digits, or at the start of a group after a
  higher one, are written as one 零: 壹仟零伍元, 壹拾万零壹佰元. An all-zero
  group between two written digits is one 零: 壹亿零壹万元. Zeros that end a
  group are not written: 壹拾万壹仟元, 壹佰万元.
- Whole yuan end in 元整, and nothing is 零元整; 角 needs no 整: 壹仟零伍元伍角.
- A zero 角 before a non-zero 分 is written as 零: 贰拾元零伍分. Without yuan
  the amount starts at its first digit: 柒分.
- Where the rules allow either, a zero 元 digit before a non-zero 角 is not
  written: 壹拾元伍角, not 壹拾元零伍角.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from definitions.errors import BangfuError

FEN_PER_YUAN = 100
#: 四舍五入 to the nearest hundred yuan
HUNDRED_YUAN_FEN = 100 * FEN_PER_YUAN

DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: units inside a group of four digits, from the right
SMALL_UNITS = ("", "拾", "佰", "仟")
#: the large units, largest first: 壹万壹仟亿 is 11,000 × 亿
LARGE_UNITS = ((10 ** 8, "亿"), (10 ** 4, "万"))
MAX_CAPITAL_FEN = 10 ** 16 * FEN_PER_YUAN - 1

_YUAN_TEXT = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?$")


class InvalidAmount(BangfuError):
    """An amount that is not an exact number of fen (a float, a fraction of a fen, text)."""

    code = "invalid_amount"

    def __init__(self, value: object, en: str, zh: str) -> None:
        self.value = value
        super().__init__(f"Amount {value!r} {en}", f"金额 {value!r} {zh}")


def yuan_to_fen(value: Decimal | str | int) -> int:
    """Yuan as integer fen, exactly: ``'110800.00'`` → 11080000.

    Text may carry a sign, thousands separators (``'1,234.50'``) and surrounding
    blanks. Floats are refused (0.1 yuan is not a float); so is anything finer
    than a fen.

    Raises:
        InvalidAmount: a float, a bool, text that is not a number, not finite,
            or a fraction of a fen.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise InvalidAmount(value, f"must be a Decimal, text or an integer, not "
                            f"{type(value).__name__}; floats are not exact",
                            f"应为 Decimal、文本或整数，不能是 {type(value).__name__}（浮点数不精确）")
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    if isinstance(value, str):
        text = value.strip()
        if not _YUAN_TEXT.match(text):
            raise InvalidAmount(value, "is not a number of yuan such as '1234.50'",
                                "不是以元为单位的数字（如 '1234.50'）")
        try:
            value = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise InvalidAmount(value, "is not a number", "不是数字") from None
    if not value.is_finite():
        raise InvalidAmount(value, "is not a finite number", "不是有限的数")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InvalidAmount(value, "has a fraction of a fen", "含有不足一分的零头")
    return int(fen)


def fen_to_yuan_text(fen: int, grouping: bool = False) -> str:
    """Integer fen as yuan with two decimals: 11080000 → ``'110800.00'``
    (``'110,800.00'`` with ``grouping``). ``yuan_to_fen`` reads it back."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    whole = f"{yuan:,}" if grouping else str(yuan)
    return f"{sign}{whole}.{cents:02d}"


def round_half_up(value: int | Decimal, step_fen: int) -> int:
    """四舍五入 ``value`` (fen, possibly with a fraction) to a multiple of ``step_fen``."""
    if step_fen <= 0:
        raise ValueError("the step must be a positive number of fen")
    steps = (Decimal(value) / step_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(steps) * step_fen


def round_half_up_to_hundred(fen: int | Decimal) -> int:
    """四舍五入 to the nearest hundred yuan: 1235000 fen (12,350) → 1240000 (12,400)."""
    return round_half_up(fen, HUNDRED_YUAN_FEN)


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment of a yearly amount paid in ``parts`` shares."""

    number: int  # running number of the payment, from 1
    year: int  # which year of payments it belongs to, from 1
    share: int  # its place in that year, 1 to parts (a quarter, for parts = 4)
    parts: int
    amount_fen: int


def instalment(yearly_fen: int, parts: int, number: int) -> Instalment:
    """The ``number``-th payment of ``yearly_fen`` paid in ``parts`` shares a year.

    Each share is ``yearly_fen // parts``; the fen a year does not divide into
    equal shares (``yearly_fen % parts``) are paid with its last share, so the
    payments of a year add up to ``yearly_fen`` exactly: 790,001 fen a year in
    quarters is 197,500 three times and 197,501 in the fourth quarter.

    Raises:
        InvalidAmount: a negative yearly amount.
        ValueError: ``parts`` or ``number`` below 1.
    """
    if parts < 1 or number < 1:
        raise ValueError("parts and the payment number start at 1")
    if yearly_fen < 0:
        raise InvalidAmount(yearly_fen, "is negative", "为负数")
    year, place = divmod(number - 1, parts)
    share = place + 1
    amount = yearly_fen // parts + (yearly_fen % parts if share == parts else 0)
    return Instalment(number, year + 1, share, parts, amount)


def _group(value: int) -> str:
    """Capitals of 1 to 9999, without leading or trailing zeros."""
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = value // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += DIGITS[0]
            zero = False
        out += DIGITS[digit] + SMALL_UNITS[position]
    return out


def _whole(value: int) -> str:
    """Capitals of a positive whole number of yuan."""
    for unit, name in LARGE_UNITS:
        if value >= unit:
            high, low = divmod(value, unit)
            text = _whole(high) + name
            if low:
                # a zero at the start of the lower part is written, once
                text += (DIGITS[0] if low < unit // 10 else "") + _whole(low)
            return text
    return _group(value)


def chinese_capital(fen: int) -> str:
    """The amount in 人民币大写: 11080000 → ``'壹拾壹万零捌佰元整'``, 7 → ``'柒分'``.

    Raises:
        InvalidAmount: a negative amount, one of 10**16 yuan or more, or not an
            integer number of fen.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise InvalidAmount(fen, "must be integer fen", "应为以分为单位的整数")
    if fen < 0 or fen > MAX_CAPITAL_FEN:
        raise InvalidAmount(fen, "cannot be written in capitals: it must lie from 0 to "
                            "below 10**16 yuan", "无法写成大写：应不小于 0 且小于一万万亿元")
    yuan, cents = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    text = _whole(yuan) if yuan else ""
    if yuan:
        text += "元"
    if not cents:
        return (text or DIGITS[0] + "元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += DIGITS[0]
    if fen_digit:
        text += DIGITS[fen_digit] + "分"
    return text
