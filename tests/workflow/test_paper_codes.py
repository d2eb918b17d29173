"""Verification codes of printed papers (pure) and the configured base URL the QR
codes and message links are built on."""

from __future__ import annotations

import hashlib

import pytest

from workflow.core.paper_codes import ALPHABET, TAG_CHARS, head_tag, paper_code, parse_code
from workflow.errors import UsageError
from workflow.links import DEFAULT_BASE_URL, base_url, case_link, verify_link

HEAD = hashlib.sha256(b"an event").hexdigest()


def test_a_code_is_the_case_number_and_fifty_bits_of_the_head() -> None:
    """The code reads number-XXXXX-XXXXX, the tag taken from the head's first 50 bits."""
    code = paper_code("CF27-000001", HEAD)
    number, first, second = code.rsplit("-", 2)
    assert number == "CF27-000001" and len(first) == len(second) == TAG_CHARS // 2
    assert set(first + second) <= set(ALPHABET)
    bits = "".join(format(ALPHABET.index(c), "05b") for c in first + second)
    assert int(bits, 2) == int(HEAD[:13], 16) >> 2


def test_another_head_gives_another_code() -> None:
    """One event more changes the code of the same case."""
    other = hashlib.sha256(b"another event").hexdigest()
    assert paper_code("CF27-000001", HEAD) != paper_code("CF27-000001", other)


@pytest.mark.parametrize("typed", [
    "cf27-000001-{a}-{b}", "CF27-000001 {a} {b}", "CF27-000001-{a}{b}", "  CF27-000001-{a}-{b}\n",
])
def test_a_code_is_read_back_however_it_is_typed(typed: str) -> None:
    """Lower case, blanks instead of hyphens, or no hyphen in the tag: the same code."""
    code = paper_code("CF27-000001", HEAD)
    a, b = code.split("-")[-2:]
    parsed = parse_code(typed.format(a=a.lower() if "cf" in typed else a, b=b))
    assert parsed is not None and parsed.code == code


def test_letters_mistaken_for_digits_are_read_as_digits() -> None:
    """O is read as 0, I and L as 1 (Crockford's base 32 has none of them)."""
    parsed = parse_code("CF27-000001-OOOOO-IIILL")
    assert parsed is not None and parsed.tag == "0000011111"


@pytest.mark.parametrize("text", ["", "hello", "CF27-000001", "CF27-000001-ABCDE-ABCD",
                                  "CF27-000001-ABCDE-ABCDU", "<script>-ABCDE-ABCDE",
                                  "X" * 65, "-ABCDE-ABCDE"])
def test_what_is_not_a_code_is_refused(text: str) -> None:
    """Too short, a letter outside the alphabet, no case number, or far too long: None."""
    assert parse_code(text) is None


def test_head_tag_is_stable() -> None:
    """The tag of a hash never changes (codes on paper must keep meaning the same)."""
    assert head_tag("0" * 64) == "0000000000"
    assert head_tag("f" * 64) == "ZZZZZZZZZZ"


def test_the_base_url_defaults_to_the_local_server() -> None:
    """Without BANGFU_BASE_URL links point at http://127.0.0.1:8000."""
    assert base_url({}) == DEFAULT_BASE_URL == "http://127.0.0.1:8000"


def test_the_base_url_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """BANGFU_BASE_URL, a trailing slash dropped, a path prefix kept."""
    monkeypatch.setenv("BANGFU_BASE_URL", "https://portal.example.org/bangfu/")
    assert base_url() == "https://portal.example.org/bangfu"
    assert case_link("CF27-000001") == "https://portal.example.org/bangfu/desk/cases/CF27-000001"
    assert verify_link("CF27-000001-ABCDE-ABCDE") == \
        "https://portal.example.org/bangfu/v/CF27-000001-ABCDE-ABCDE"


@pytest.mark.parametrize("bad", ["portal.example.org", "ftp://x.org", "https://x.org/?a=1",
                                 "https://x.org/#top", "http://", "https://x .org"])
def test_a_base_url_that_is_not_one_is_refused_in_both_languages(bad: str) -> None:
    """A relative, non-http, query or fragment URL: a UsageError naming the variable."""
    with pytest.raises(UsageError) as caught:
        base_url({"BANGFU_BASE_URL": bad})
    assert "BANGFU_BASE_URL" in str(caught.value)
    assert "BANGFU_BASE_URL" in caught.value.localized("zh") and "地址" in caught.value.localized("zh")
