"""Personal data: masking of ID-card numbers, phones and names, in values and free text,
and logs that never carry an unmasked number."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from tests.helpers.cases import LI_ID, LI_PHONE, PROCESS, application
from workflow import Case, Engine, logs
from workflow.core.pii import mask_data, mask_id_number, mask_name, mask_phone, mask_text, scrub

Walk = Callable[..., Case]
LI_ID_MASKED = "331122********0422"
LI_PHONE_MASKED = "139****1111"


def test_mask_id_number_keeps_region_and_last_four() -> None:
    """An 18-character ID keeps its first 6 and last 4 characters."""
    assert mask_id_number(LI_ID) == LI_ID_MASKED


def test_mask_id_number_with_x_and_blanks() -> None:
    """Blanks are dropped and the check character 'x' is kept as typed."""
    assert mask_id_number(" 331122 19580312 042x ") == "331122********042x"


def test_mask_old_15_digit_id_number() -> None:
    """A first-generation 15-digit ID keeps 6 + 4 as well."""
    assert mask_id_number("331122580312042") == "331122*****2042"


def test_mask_short_id_entirely() -> None:
    """Something too short to be an ID is starred out completely."""
    assert mask_id_number("12345") == "*****"


def test_mask_phone_keeps_first_three_and_last_four() -> None:
    """A mobile number keeps 3 + 4 digits."""
    assert mask_phone(LI_PHONE) == LI_PHONE_MASKED
    assert mask_phone("123") == "***"


@pytest.mark.parametrize(("name", "masked"), [("李秀兰", "李*兰"), ("王芳", "王*"),
                                              ("欧阳小明", "欧**明"), ("李", "李")])
def test_mask_name(name: str, masked: str) -> None:
    """Names keep their first (and, from three characters, last) character."""
    assert mask_name(name) == masked


def test_mask_text_finds_numbers_in_free_text() -> None:
    """An ID and a phone typed into a comment are both masked; the words stay."""
    text = f"申请人身份证{LI_ID}，电话{LI_PHONE}，请核实。"
    assert mask_text(text) == f"申请人身份证{LI_ID_MASKED}，电话{LI_PHONE_MASKED}，请核实。"


def test_mask_text_is_consistent_with_mask_id_number() -> None:
    """Masking inside text gives the same result as masking the value, for both ID lengths."""
    for number in (LI_ID, "33112219580312042X", "331122580312042"):
        assert mask_text(f"号码{number}。") == f"号码{mask_id_number(number)}。"


@pytest.mark.parametrize("written", ["+86" + LI_PHONE, "86" + LI_PHONE, "+86 139-0000-1111",
                                     "139 0000 1111", "139-0000-1111"])
def test_mask_text_finds_phones_as_people_write_them(written: str) -> None:
    """Country code, blanks and dashes do not let a mobile number through."""
    masked = mask_text(f"联系电话：{written}。")
    assert "0000" not in masked and masked.endswith("1111。")


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize("written", [
    LI_ID + "abc",                                    # an ID followed by letters
    LI_ID.translate(FULL_WIDTH),                      # full-width digits
    "3311 2219 5803 1204 22",                         # grouped by blanks as on the card
    "3311\u30002219\u30005803\u30001204\u300022",     # grouped by ideographic spaces
    "33112219580312042x",                             # lower-case check character
])
def test_mask_text_finds_ids_in_the_shapes_people_type(written: str) -> None:
    """Normalised before matching: no shape of an ID number lets its middle through."""
    masked = mask_text(f"身份证：{written}。")
    assert "19580312" not in masked.replace(" ", "").replace("\u3000", "")
    assert "195803" not in masked.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    assert masked.startswith("身份证：331122") and masked.endswith("。")


@pytest.mark.parametrize("written", ["139.0000.1111", "１３９００００１１１１", "139 0000 1111"])
def test_mask_text_finds_dotted_and_full_width_phones(written: str) -> None:
    masked = mask_text(f"电话{written}，")
    assert "0000" not in masked and "００００" not in masked and masked.endswith("1111，")


def test_mask_text_keeps_the_words_around_full_width_numbers() -> None:
    """Only the number changes: full-width amounts and punctuation elsewhere stay as typed."""
    text = f"补助４００元，电话{LI_PHONE}，２人。"
    assert mask_text(text) == f"补助４００元，电话{LI_PHONE_MASKED}，２人。"


def test_mask_text_leaves_other_numbers_alone() -> None:
    """Amounts, dates, household sizes and case numbers are not personal data."""
    text = "发放金额400000分，2027-01-04入户，家庭人口3人，案件CF-000123"
    assert mask_text(text) == text


def test_mask_text_masks_every_occurrence() -> None:
    """Several numbers in one text are all masked."""
    masked = mask_text(f"{LI_PHONE}/13900002222 {LI_ID}")
    assert masked == f"{LI_PHONE_MASKED}/139****2222 {LI_ID_MASKED}"


def test_mask_data_by_field_kind() -> None:
    """Fields marked id_number or phone are masked; free text is searched; names on request."""
    pii = {"id_number": "id_number", "phone": "phone", "applicant_name": "name",
           "hardship_reason": None, "household_size": None}
    data = {"id_number": LI_ID, "phone": LI_PHONE, "applicant_name": "李秀兰",
            "hardship_reason": f"联系{LI_PHONE}", "household_size": 3}
    masked = mask_data(data, pii)
    assert masked == {"id_number": LI_ID_MASKED, "phone": LI_PHONE_MASKED,
                      "applicant_name": "李秀兰", "hardship_reason": f"联系{LI_PHONE_MASKED}",
                      "household_size": 3}
    assert mask_data(data, pii, names=True)["applicant_name"] == "李*兰"


def test_scrub_walks_nested_values() -> None:
    """Numbers inside dicts, lists and tuples are masked; other types pass."""
    value = {"a": [LI_ID, ("x", LI_PHONE)], "b": {"c": 5}}
    assert scrub(value) == {"a": [LI_ID_MASKED, ("x", LI_PHONE_MASKED)], "b": {"c": 5}}


# -- logs -------------------------------------------------------------------------------


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """A function that sends JSON-line logs at INFO to the current (captured) stderr;
    logging is restored afterwards. Call it in the test body: pytest swaps the
    captured stream between fixture setup and the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(logs, "_configured", logs._configured)
    yield lambda: logs.configure(json_lines=True, level="INFO")
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def json_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_logs_never_carry_an_unmasked_number(engine: Engine, json_logs: Callable[[], None],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Submitting and firing with an ID and a phone in the comment and data logs neither."""
    json_logs()
    comment = f"代为申请，身份证 {LI_ID}，电话 {LI_PHONE}"
    number = engine.submit(PROCESS, "wang.fang", application(phone=LI_PHONE),
                           comment=comment).case_number
    engine.fire(number, "accept", "wang.fang", comment=comment)
    err = capsys.readouterr().err
    assert LI_ID not in err and LI_PHONE not in err
    events = [line["event"] for line in json_lines(err)]
    assert "case.submitted" in events and "case.transition" in events


def test_values_bound_to_a_log_line_are_masked(json_logs: Callable[[], None],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever a caller binds (keys, nested data, context variables) is masked."""
    json_logs()
    with structlog.contextvars.bound_contextvars(case=f"ref {LI_ID}"):
        logs.get_logger("bangfu.test").info("note", comment=f"电话{LI_PHONE}",
                                            data={"id_number": LI_ID})
    err = capsys.readouterr().err
    (line,) = json_lines(err)
    assert LI_ID not in err and LI_PHONE not in err
    assert line["comment"] == f"电话{LI_PHONE_MASKED}"
    assert line["data"] == {"id_number": LI_ID_MASKED}
    assert line["case"] == f"ref {LI_ID_MASKED}"


def test_stdlib_log_records_are_masked(json_logs: Callable[[], None],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Lines from libraries' stdlib loggers pass through the same masking."""
    json_logs()
    logging.getLogger("sqlalchemy.engine").warning("params: %s", (LI_ID, LI_PHONE))
    err = capsys.readouterr().err
    assert LI_ID not in err and LI_PHONE not in err
    assert LI_ID_MASKED in err


def test_an_embedding_program_gets_no_log_lines_on_stdout(tmp_path: Path) -> None:
    """Before anyone configures logging, the engine's records go to the stdlib loggers
    ``bangfu.*`` (which print nothing until the host configures logging), never to
    stdout."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    script = (
        "from workflow.bootstrap import init_database, open_engine\n"
        "from tests.helpers.cases import application\n"
        f"db = {str(tmp_path / 'e.db')!r}\n"
        "init_database(db)\n"
        "e = open_engine(db)\n"
        "n = e.submit('relief_application', 'wang.fang', application()).case_number\n"
        "print('done', n)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("done CF27-") and "case.submitted" not in done.stdout
    assert "331122" not in done.stdout + done.stderr
