import math
from datetime import UTC, date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microneedling.core.clinical import FitzpatrickType, Pattern
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import (
    MAX_ID,
    check_birth_year,
    check_id,
    check_not_future,
    check_text,
    control_characters,
    normalize_code,
    parse_date,
    parse_datetime,
    parse_depth_mm,
    parse_enum,
    parse_float,
    parse_int,
)
from microneedling.core.zones import FacialZone, parse_zone


@pytest.mark.parametrize("text", ["cheek_left", "Cheek-Left", " cheek left "])
def test_zone_spellings(text: str) -> None:
    assert parse_zone(text) is FacialZone.CHEEK_LEFT


def test_unknown_zone_names_field_and_known_zones() -> None:
    with pytest.raises(ValidationError) as err:
        parse_zone("elbow", "zones")
    assert err.value.field == "zones"
    assert "unknown zone 'elbow'" in str(err.value)
    assert "forehead" in str(err.value)


def test_zone_labels() -> None:
    assert FacialZone.CHEEK_LEFT.label == "cheek (left)"
    assert FacialZone.FOREHEAD.label == "forehead"


@pytest.mark.parametrize(("text", "expected"), [("1.5", 1.5), ("1.5 mm", 1.5), ("0.25mm", 0.25)])
def test_depth_parsing(text: str, expected: float) -> None:
    assert parse_depth_mm(text) == expected


@pytest.mark.parametrize("text", ["9", "-1", "nan", "inf", "deep", ""])
def test_bad_depths_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_depth_mm(text, "depth")
    assert err.value.field == "depth"


def test_depth_9mm_message() -> None:
    with pytest.raises(ValidationError, match=r"9 mm is outside the allowed range 0–3 mm"):
        parse_depth_mm("9")


def test_birth_year_in_future_is_refused() -> None:
    with pytest.raises(ValidationError, match="birth year 2031 is in the future"):
        check_birth_year(2031, today=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="before 1900"):
        check_birth_year(1850)
    assert check_birth_year(1990) == 1990


def test_enum_parsing_is_forgiving_about_case_and_dashes() -> None:
    assert parse_enum(Pattern, "Crosshatch", "pattern") is Pattern.CROSSHATCH
    assert parse_enum(FitzpatrickType, "iv", "fitzpatrick") is FitzpatrickType.IV
    with pytest.raises(ValidationError, match="expected one of: I, II"):
        parse_enum(FitzpatrickType, "VII", "fitzpatrick")


def test_dates() -> None:
    assert parse_date("2026-03-01", "d") == date(2026, 3, 1)
    assert parse_datetime("2026-03-01T10:00", "t").tzinfo is UTC
    with pytest.raises(ValidationError, match="expected YYYY-MM-DD"):
        parse_date("01/03/2026", "d")
    with pytest.raises(ValidationError, match="not a date-time"):
        parse_datetime("yesterday", "t")


@given(st.text(max_size=20))
def test_depth_parser_never_crashes(text: str) -> None:
    """Any typed text is either a depth in 0-3 mm or a ValidationError naming the field."""
    try:
        depth = parse_depth_mm(text, "depth")
    except ValidationError as exc:
        assert exc.field == "depth"
    else:
        assert 0 <= depth <= 3


@given(st.text(max_size=20))
def test_zone_parser_never_crashes(text: str) -> None:
    try:
        zone = parse_zone(text)
    except ValidationError as exc:
        assert exc.field == "zone"
    else:
        assert zone in FacialZone


@given(st.text(max_size=30))
def test_date_parser_never_crashes(text: str) -> None:
    try:
        parse_date(text, "onset")
    except ValidationError as exc:
        assert exc.field == "onset"


# Numbers: ASCII digits only, bounded, finite.


@pytest.mark.parametrize(
    "text",
    ["²", "１２", "٣", "1_000", "12a", "", " ", "+", "0x10", "1.5", "١٢٣", "𝟙𝟚"],
)
def test_whole_numbers_need_ascii_digits(text: str) -> None:
    with pytest.raises(ValidationError, match="not a whole number") as err:
        parse_int(text, "count", low=0, high=100)
    assert err.value.field == "count"


@pytest.mark.parametrize(("text", "expected"), [("0", 0), (" 42 ", 42), ("+7", 7), ("-3", -3)])
def test_whole_numbers(text: str, expected: int) -> None:
    assert parse_int(text, "n", low=-10, high=100) == expected


@pytest.mark.parametrize("value", [str(10**30), 10**30, "9" * 5000, -(10**30), "101"])
def test_whole_numbers_out_of_range_are_field_errors(value: str | int) -> None:
    with pytest.raises(ValidationError, match="outside the allowed range 0–100") as err:
        parse_int(value, "count", low=0, high=100)
    assert err.value.field == "count"


def test_a_boolean_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match="True is not a whole number"):
        parse_int(True, "count", low=0, high=10)
    with pytest.raises(ValidationError, match="True is not a number"):
        parse_float(True, "score")


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 10**30, "10" * 20, "²"])
def test_ids_are_bounded(value: int | str) -> None:
    with pytest.raises(ValidationError) as err:
        check_id(value, "plan_id")
    assert err.value.field == "plan_id"


def test_ids() -> None:
    assert check_id("17", "plan_id") == 17
    assert check_id(MAX_ID, "plan_id") == MAX_ID


@pytest.mark.parametrize(
    "text", ["１.５", "²", "1.5²", "٣", "nan", "inf", "-inf", "1e999", "NaN mm"]
)
def test_decimal_numbers_need_ascii_digits_and_are_finite(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_float(text, "depth", unit="mm")
    assert err.value.field == "depth"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(ValidationError, match="not a finite number"):
        parse_float(value, "concentration")


@given(st.text(max_size=12))
def test_int_parser_never_crashes(text: str) -> None:
    """Any typed text is a whole number in range or a ValidationError naming the field."""
    try:
        number = parse_int(text, "n", low=-5, high=5)
    except ValidationError as exc:
        assert exc.field == "n"
    else:
        assert -5 <= number <= 5 and text.strip().lstrip("+-").isascii()


# Text: no control characters, bounded length.


@pytest.mark.parametrize(
    "text",
    ["a\x1b[31mb", "a\rb", "a\x00b", "a\x07", "a\x08", "a\x7f", "a\x85b", "a\x9b", "a\ud800"],
)
def test_control_characters_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="control characters are not allowed") as err:
        check_text(text, "rater", max_length=100, multiline=True)
    assert err.value.field == "rater"


def test_newline_and_tab_only_in_multiline_text() -> None:
    assert check_text("a\nb\tc", "notes", max_length=10, multiline=True) == "a\nb\tc"
    assert control_characters("a\nb\tc") == ["\n", "\t"]
    with pytest.raises(ValidationError, match=r"\('\\n'\)"):
        check_text("Dr A\nDr B", "rater", max_length=100)


@pytest.mark.parametrize(
    "text", ["[/x]", "[bold red]x[/]", "<script>", "abc\u202edcba", ":smile:", "Zoë 名前 😀"]
)
def test_markup_and_unicode_are_plain_text(text: str) -> None:
    assert check_text(text, "rater", max_length=100) == text


def test_text_length_is_bounded() -> None:
    assert check_text("x" * 128, "rater", max_length=128) == "x" * 128
    with pytest.raises(ValidationError, match="129 characters is more than the 128 allowed"):
        check_text("x" * 129, "rater", max_length=128)
    with pytest.raises(ValidationError, match="expected text, not int"):
        check_text(5, "rater", max_length=128)  # type: ignore[arg-type]


# Patient codes: NFKC, trimmed, a documented character set.


@pytest.mark.parametrize(
    "text",
    [
        "MN-0001",
        "MN-0001\n",
        " MN-0001 ",
        "ＭＮ-０００１",
        "\tMN-0001\r\n",
        "MN\uff0d0001",  # full-width hyphen-minus
    ],
)
def test_codes_are_normalised_to_one_form(text: str) -> None:
    assert normalize_code(text) == "MN-0001"


@pytest.mark.parametrize(
    "text",
    [
        "МN-0001",  # Cyrillic capital EM
        "MN-0001\u200b",  # zero-width space
        "MN 0001",
        "MN-0001\x1b[0m",
        "MN/0001",
        "-MN",
        ".hidden",
        "",
        "   ",
        "x" * 65,
        "MN‐0001",  # U+2010 hyphen, not ASCII '-'
        "Jane Doe",
    ],
)
def test_codes_outside_the_character_set_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="not a valid patient code") as err:
        normalize_code(text, "patient")
    assert err.value.field == "patient"


def test_the_longest_code() -> None:
    assert normalize_code("A" * 64) == "A" * 64


# Dates within plausible limits.


@pytest.mark.parametrize("text", ["1899-12-31", "2200-01-01", "9999-12-31", "0001-01-01"])
def test_dates_outside_1900_to_2199_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_date(text, "expiry")
    assert err.value.field == "expiry"


@pytest.mark.parametrize("text", ["２０２６-01-01", "2026-٠١-01"])
def test_dates_need_ascii_digits(text: str) -> None:
    with pytest.raises(ValidationError, match="not a date"):
        parse_date(text, "onset")


def test_a_date_that_has_happened_is_not_in_the_future() -> None:
    today = date(2026, 6, 1)
    assert check_not_future(date(2026, 6, 1), "taken_on", today=today) == date(2026, 6, 1)
    with pytest.raises(ValidationError, match="2026-06-02 is in the future") as err:
        check_not_future(date(2026, 6, 2), "taken_on", today=today)
    assert err.value.field == "taken_on"
    tomorrow = date.fromordinal(date.today().toordinal() + 1)
    with pytest.raises(ValidationError, match="is in the future"):
        check_not_future(tomorrow, "taken_on")


def test_narrower_date_limits() -> None:
    with pytest.raises(ValidationError, match="2030-01-01 is after 2029-12-31"):
        parse_date("2030-01-01", "first_session", latest=date(2029, 12, 31))
    with pytest.raises(ValidationError, match="is before 2026-01-01"):
        parse_date("2025-12-31", "first_session", earliest=date(2026, 1, 1))


@pytest.mark.parametrize("text", ["1800-01-01T10:00", "2300-01-01T00:00", "２０２６-01-01T10:00"])
def test_date_times_within_limits(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_datetime(text, "applied_at")
    assert err.value.field == "applied_at"
