"""Parsers for repeated ``key=value`` options, and bounds on every value the CLI is given.

Typer turns ``--needles 1000000000000000000000000000000`` or ``--concentration inf`` into a
Python int or float without complaint, and passes on text holding control characters or lone
surrogates (bytes of the command line that are not UTF-8), which a terminal would obey and a
database driver cannot encode (PostgreSQL refuses NUL even in a lookup). ``guard_parameters``
makes every command refuse such values with one clear error before the command runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from microneedling.core.errors import ValidationError
from microneedling.core.parsing import MAX_COUNT, MAX_ID, control_characters, parse_int

# Any whole number an option takes: a signed 64-bit integer (SQLite's INTEGER, NumPy's int64).
MAX_INT = 2**63 - 1
_GUARDED = "_microneedling_guarded"


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
    """Parse ``["papules=3"]``: each count a whole number 0-``MAX_COUNT`` in ASCII digits."""
    return {
        key: parse_int(value, f"{field}.{key}", low=0, high=MAX_COUNT)
        for key, value in key_values(items, field).items()
    }


def param_label(param: Any) -> str:
    """How the user wrote a parameter: ``--needles`` for an option, ``PLAN_ID`` for an argument."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    return max(opts, key=len) if opts else str(param.name or "value").upper()


def check_value(value: Any, label: str, *, is_id: bool = False) -> Any:
    """Refuse an int beyond 64 bits (an id beyond ``MAX_ID``), a float that is NaN or inf, and
    text with control characters other than newline and tab, or lone surrogates.

    Lists and tuples (repeatable options) are checked item by item; other values pass.
    """
    if isinstance(value, (list, tuple)):
        for item in value:
            check_value(item, label, is_id=is_id)
    elif isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValidationError(label, "not valid text: it holds bytes that are not UTF-8")
        bad = control_characters(value, multiline=True)
        if bad:
            shown = ", ".join(sorted({ascii(ch) for ch in bad}))
            raise ValidationError(label, f"control characters are not allowed in text ({shown})")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        parse_int(value, label, low=1 if is_id else -MAX_INT, high=MAX_ID if is_id else MAX_INT)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(label, f"{value!r} is not a finite number")
    return value


def _bounded(callback: Callable[..., Any] | None, label: str, is_id: bool) -> Callable[..., Any]:
    def check(ctx: Any, param: Any, value: Any) -> Any:
        check_value(value, label, is_id=is_id)
        return value if callback is None else callback(ctx, param, value)

    setattr(check, _GUARDED, True)
    return check


def guard_parameters(command: Any) -> Any:
    """Make every parameter of ``command`` refuse values out of bounds (idempotent).

    A parameter named ``*_id`` is an id (1 to ``MAX_ID``); any other int must fit 64 bits, any
    float must be finite, and any text valid Unicode without control characters (newline and
    tab aside: a one-line column refuses them when the value is stored). The check runs as the
    parameter's callback, before the command, and raises ValidationError, which the CLI prints
    as one line with exit code 2.
    """
    for param in getattr(command, "params", []):
        if getattr(param.callback, _GUARDED, False):
            continue
        name = str(param.name or "")
        param.callback = _bounded(param.callback, param_label(param), name.endswith("_id"))
    return command
