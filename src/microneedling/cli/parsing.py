"""Parsers for repeated ``key=value`` options."""

from __future__ import annotations

from microneedling.core.errors import ValidationError


def key_values(items: list[str], field: str) -> dict[str, str]:
    """Parse ``["a=1", "b=x"]``; a missing ``=`` or empty key is an error naming the item."""
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(field, f"{item!r} is not key=value")
        result[key.strip()] = value.strip()
    return result


def key_counts(items: list[str], field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, value in key_values(items, field).items():
        if not value.isdigit():
            raise ValidationError(f"{field}.{key}", f"{value!r} is not a whole number")
        counts[key] = int(value)
    return counts
