"""Parsers for user-typed values; each raises ValidationError naming the field and the reason."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from microneedling.core.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

MIN_BIRTH_YEAR = 1900


def parse_enum(enum: type[E], value: str, field: str) -> E:
    """Parse ``value`` as a member of ``enum`` (case-insensitive, ``-`` or space for ``_``)."""
    key = value.strip().replace("-", "_").replace(" ", "_")
    for member in enum:
        if member.value.lower() == key.lower():
            return member
    known = ", ".join(m.value for m in enum)
    raise ValidationError(field, f"unknown value {value!r}; expected one of: {known}")


def parse_float(value: str | float, field: str, *, unit: str = "") -> float:
    """Parse a finite number; ``unit`` may be typed after it (``1.5 mm``)."""
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = value.strip()
        if unit and text.lower().endswith(unit.lower()):
            text = text[: -len(unit)].strip()
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(field, f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValidationError(field, f"{value!r} is not a finite number")
    return number


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


def parse_date(value: str, field: str) -> date:
    """Parse an ISO date (``2026-03-01``)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(field, f"{value!r} is not a date (expected YYYY-MM-DD)") from None


def parse_datetime(value: str, field: str) -> datetime:
    """Parse an ISO date-time; a time without zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            field, f"{value!r} is not a date-time (expected YYYY-MM-DDTHH:MM)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
