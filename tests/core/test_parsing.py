from datetime import UTC, date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microneedling.core.clinical import FitzpatrickType, Pattern
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import (
    check_birth_year,
    parse_date,
    parse_datetime,
    parse_depth_mm,
    parse_enum,
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
