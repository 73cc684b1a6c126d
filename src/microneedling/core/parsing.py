"""Parsers for user-typed values; each raises ValidationError naming the field and the reason.

Numbers are read from ASCII digits only (a ``²`` or a full-width ``１`` is not a number here),
text is refused when it holds control characters, and patient codes are normalised before they
are compared, so that two codes that look alike are the same code or no code at all.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from microneedling.core.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

MIN_BIRTH_YEAR = 1900
# A lesion count (papules, scars, ...) in one zone of one assessment.
MAX_COUNT = 100_000
# Record ids are positive and fit a 32-bit INTEGER column on every backend.
MAX_ID = 2**31 - 1
# Dates a record may hold at all; narrower limits (not in the future) are the callers'.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
# A patient code: a letter or digit, then up to 63 letters, digits, '.', '-' or '_'
# (after Unicode NFKC normalisation and trimming); no names, spaces or look-alike letters.
CODE_CHARACTERS = "1-64 ASCII letters, digits, '.', '-', '_', starting with a letter or digit"
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 40  # longer numbers are out of every range; int() of 4,300+ digits fails
# Whitespace a multi-line free text may hold; every other control character is refused.
MULTILINE_ALLOWED = frozenset("\n\t")


def parse_enum(enum: type[E], value: str, field: str) -> E:
    """Parse ``value`` as a member of ``enum`` (case-insensitive, ``-`` or space for ``_``)."""
    key = value.strip().replace("-", "_").replace(" ", "_")
    for member in enum:
        if member.value.lower() == key.lower():
            return member
    known = ", ".join(m.value for m in enum)
    raise ValidationError(field, f"unknown value {value!r}; expected one of: {known}")


def parse_float(value: str | float, field: str, *, unit: str = "") -> float:
    """Parse a finite number written in ASCII; ``unit`` may be typed after it (``1.5 mm``).

    ``True``/``False`` are not numbers, and neither are NaN and infinity.
    """
    if isinstance(value, bool):
        raise ValidationError(field, f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = value.strip()
        if unit and text.lower().endswith(unit.lower()):
            text = text[: -len(unit)].strip()
        if not text.isascii():
            raise ValidationError(field, f"{value!r} is not a number (use the digits 0-9)")
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(field, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValidationError(field, f"{value!r} is not a finite number")
    return number


def parse_int(value: str | int, field: str, *, low: int, high: int) -> int:
    """Parse a whole number written with the ASCII digits 0-9 and check ``low <= n <= high``.

    ``int()`` alone would take ``'١٢'`` or ``'1_000'``, and ``str.isdigit`` accepts ``'²'``,
    which ``int()`` then refuses with a ValueError; neither is a number a user meant.
    """
    if isinstance(value, bool):
        raise ValidationError(field, f"{value!r} is not a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise ValidationError(field, f"{value!r} is not a whole number (use the digits 0-9)")
        if len(text) > _MAX_DIGITS:
            raise ValidationError(
                field, f"a number of {len(text)} digits is outside the allowed range {low}–{high}"
            )
        number = int(text)
    if not low <= number <= high:
        shown = str(number) if -(10**24) < number < 10**24 else f"{number:.3g}"
        raise ValidationError(field, f"{shown} is outside the allowed range {low}–{high}")
    return number


def check_id(value: int | str, field: str) -> int:
    """A record id: a whole number from 1 to ``MAX_ID`` (so never an integer overflow)."""
    return parse_int(value, field, low=1, high=MAX_ID)


def check_range(value: float, field: str, low: float, high: float, unit: str = "") -> float:
    """Return ``value`` if ``low <= value <= high``, else raise ValidationError."""
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        raise ValidationError(
            field, f"{value:g}{suffix} is outside the allowed range {low:g}–{high:g}{suffix}"
        )
    return value


def parse_depth_mm(value: str | float, field: str = "depth_mm") -> float:
    """Parse a needle depth in millimetres; physically sensible devices reach 0.1–3.0 mm."""
    depth = parse_float(value, field, unit="mm")
    return check_range(depth, field, 0.0, 3.0, "mm")


def check_birth_year(year: int, field: str = "birth_year", *, today: date | None = None) -> int:
    """A birth year must be after 1900 and not in the future."""
    current = (today or date.today()).year
    if year > current:
        raise ValidationError(field, f"birth year {year} is in the future")
    if year < MIN_BIRTH_YEAR:
        raise ValidationError(field, f"birth year {year} is before {MIN_BIRTH_YEAR}")
    return year


def check_date(
    value: date, field: str, *, earliest: date | None = None, latest: date | None = None
) -> date:
    """Return ``value`` if it lies within ``earliest``–``latest`` (default 1900 to 2199)."""
    low = EARLIEST_DATE if earliest is None else earliest
    high = LATEST_DATE if latest is None else latest
    day = value.date() if isinstance(value, datetime) else value
    if day < low:
        raise ValidationError(field, f"{day.isoformat()} is before {low.isoformat()}")
    if day > high:
        raise ValidationError(field, f"{day.isoformat()} is after {high.isoformat()}")
    return value


def check_not_future(value: date, field: str, *, today: date | None = None) -> date:
    """A date that has happened (a photo taken, a reaction's onset): 1900 to today."""
    day = value.date() if isinstance(value, datetime) else value
    if day > (today or date.today()):
        raise ValidationError(field, f"{day.isoformat()} is in the future")
    return check_date(value, field)


def parse_date(
    value: str, field: str, *, earliest: date | None = None, latest: date | None = None
) -> date:
    """Parse an ISO date (``2026-03-01``) within ``earliest``–``latest`` (default 1900–2199)."""
    text = value.strip()
    try:
        if not text.isascii():
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a date (expected YYYY-MM-DD)") from None
    return check_date(day, field, earliest=earliest, latest=latest)


def parse_datetime(value: str, field: str) -> datetime:
    """Parse an ISO date-time from 1900 to 2199; a time without zone is taken as UTC."""
    text = value.strip()
    try:
        if not text.isascii():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            field, f"{value!r} is not a date-time (expected YYYY-MM-DDTHH:MM)"
        ) from None
    check_date(moment, field)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``text`` that must not be stored: C0/C1 controls, DEL and surrogates.

    A terminal obeys control characters (ANSI escapes, carriage returns) instead of showing
    them, and a lone surrogate (undecodable bytes on the command line) cannot be encoded at all.
    A multi-line text may hold newlines and tabs.
    """
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    return [ch for ch in text if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs")]


def check_text(value: str, field: str, *, max_length: int, multiline: bool = False) -> str:
    """Refuse text that is too long or holds control characters; return it unchanged."""
    if not isinstance(value, str):
        raise ValidationError(field, f"expected text, not {type(value).__name__}")
    if len(value) > max_length:
        raise ValidationError(
            field, f"{len(value)} characters is more than the {max_length} allowed"
        )
    bad = control_characters(value, multiline=multiline)
    if bad:
        shown = ", ".join(sorted({ascii(ch) for ch in bad}))
        raise ValidationError(field, f"control characters are not allowed in text ({shown})")
    return value


def normalize_code(value: str, field: str = "code") -> str:
    """A patient code as stored and looked up: NFKC-normalised, trimmed, from ``CODE_PATTERN``.

    NFKC makes full-width or compatibility forms (``ＭＮ-０００１``) the plain code; trimming
    drops a trailing newline or space. What is left must be ASCII letters, digits, '.', '-'
    and '_', so a Cyrillic 'М' that looks like a Latin 'M' is refused instead of naming a
    second patient who looks the same.
    """
    code = unicodedata.normalize("NFKC", value).strip()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationError(field, f"{value!r} is not a valid patient code ({CODE_CHARACTERS})")
    return code


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
