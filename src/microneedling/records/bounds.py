"""Bounds on every stored value, checked before the database sees it.

The models declare ``String(n)`` columns, but SQLite does not enforce the length, and PostgreSQL
refuses a long value only with a driver error naming no field. So before each flush every new
or changed column value is checked against its column and a ``ValidationError`` names the column:

- ``String(n)``: text of at most ``n`` characters, without control characters (one line);
- ``Text``: at most ``TEXT_MAX_CHARS`` characters; newlines and tabs allowed, other control
  characters not;
- ``Integer``: a whole number (not ``True``) within a signed 32-bit range, as PostgreSQL's
  INTEGER holds (SQLite would fail on more than 64 bits with an OverflowError); ``BigInteger``
  within 64 bits;
- ``Float``: a finite number (not ``True``, NaN or infinity);
- ``Date``/``DateTime``: from 1900 to 2199;
- ``JSON``: nested at most ``JSON_MAX_DEPTH`` deep, every string (key or value) checked like a
  ``Text`` value, every whole number within 64 bits. Floats inside JSON are left alone: stored
  measurements may legitimately be NaN (nothing to measure).

Control characters are refused because a terminal acts on them (ANSI escapes, carriage returns)
and a lone surrogate cannot be encoded at all; the surfaces escape them too (cli/output.py), for
data stored before this check existed.
"""

from __future__ import annotations

import math
import numbers
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    event,
    inspect,
)
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker
from sqlalchemy.types import TypeDecorator, TypeEngine

from microneedling.core.errors import ValidationError
from microneedling.core.parsing import check_date, check_text
from microneedling.records.models import AuditEntry, Base

# The longest free text (a note, a description, a reason) a record may hold, in characters.
TEXT_MAX_CHARS = 10_000
# How deeply a JSON value (history, phase data, analysis summary) may nest.
JSON_MAX_DEPTH = 32
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def _kind(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type that decides the bounds: a decorator's underlying type."""
    return column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type


def check_string(value: Any, field: str, length: int | None) -> None:
    """``String(length)``: one line of at most ``length``; ``Text`` (no length): free text."""
    if length is None:
        check_text(value, field, max_length=TEXT_MAX_CHARS, multiline=True)
    else:
        check_text(value, field, max_length=length)


def check_whole(value: Any, field: str, bounds: tuple[int, int]) -> None:
    """A whole number (``True`` is not one; a NumPy integer is) within ``bounds``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValidationError(field, f"{value!r} is not a whole number")
    low, high = bounds
    if not low <= int(value) <= high:
        raise ValidationError(field, f"{int(value):.3g} is outside the allowed range {low}–{high}")


def check_number(value: Any, field: str) -> None:
    """A finite number; ``True``, NaN and infinity mean nothing as a score or a depth."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(field, f"{value!r} is not a number")
    if not math.isfinite(value):
        raise ValidationError(field, f"{value!r} is not a finite number")


def check_json(value: Any, field: str, depth: int = 0) -> None:
    """Strings and whole numbers anywhere inside a JSON value, and its nesting depth."""
    if depth > JSON_MAX_DEPTH:
        raise ValidationError(field, f"nested more than {JSON_MAX_DEPTH} levels deep")
    if isinstance(value, str):
        check_string(value, field, None)
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        check_whole(value, field, INT64)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_string(str(key), field, None)
            check_json(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_json(item, f"{field}[{index}]", depth + 1)


def check_column(column: Column[Any], value: Any) -> None:
    """Check one value against its column's type; ``None`` is the database's to judge."""
    if value is None:
        return
    field = column.key
    kind = _kind(column.type)
    if isinstance(kind, String):  # Text is a String without a length
        check_string(value, field, kind.length)
    elif isinstance(kind, Boolean):
        if isinstance(value, str) or value not in (True, False):  # NumPy's bool_ too
            raise ValidationError(field, f"{value!r} is not true or false")
    elif isinstance(kind, Integer):
        check_whole(value, field, INT64 if isinstance(kind, BigInteger) else INT32)
    elif isinstance(kind, Float):
        check_number(value, field)
    elif isinstance(kind, (Date, DateTime)):
        if not isinstance(value, date):
            raise ValidationError(field, f"{value!r} is not a date")
        check_date(value, field)
    elif isinstance(kind, JSON):
        check_json(value, field)


def check_record(obj: Base, *, changed_only: bool) -> None:
    """Check the column values of ``obj`` (only those changed, for a record already stored)."""
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if changed_only and not state.attrs[attr.key].history.has_changes():
            continue
        value = getattr(obj, attr.key)
        for column in attr.columns:
            if isinstance(column, Column):
                check_column(column, value)


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Base):
            check_record(obj, changed_only=False)
    for obj in session.dirty:
        if isinstance(obj, Base):
            check_record(obj, changed_only=True)


def install_bounds(factory: sessionmaker[Session]) -> None:
    """Check every record written through sessions of ``factory`` before it is flushed."""
    event.listen(factory, "before_flush", _before_flush)


def check_actor(actor: str, field: str = "user") -> str:
    """Who acts, as the audit log will hold it: one line that fits ``audit_log.actor``.

    The audit entry is written with a plain INSERT, not through a flush, so the actor is checked
    when a transaction starts.
    """
    kind = AuditEntry.__table__.c.actor.type
    check_string(actor, field, kind.length if isinstance(kind, String) else None)
    return actor
