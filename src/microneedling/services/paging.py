"""Pages of a long listing: ``limit`` rows from ``offset``, both bounded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import QueryableAttribute, Session

from microneedling.core.errors import ValidationError
from microneedling.records.models import Base

MAX_LIMIT = 10_000
"""The most rows one page may hold (a listing of 10,000 rows renders in well under a second)."""
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Page:
    """Rows ``offset`` to ``offset + limit - 1`` of a listing in its stated order."""

    limit: int
    offset: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not 1 <= self.limit <= MAX_LIMIT:
            raise ValidationError("limit", f"{self.limit} is outside 1–{MAX_LIMIT:,}")
        if isinstance(self.offset, bool) or not 0 <= self.offset <= MAX_OFFSET:
            raise ValidationError("offset", f"{self.offset} is outside 0–{MAX_OFFSET:,}")

    def describe(self, shown: int, total: int) -> str:
        """``rows 101–200 of 5,000`` (or ``none of 5,000`` past the end)."""
        if shown == 0:
            return f"none of {total:,} from row {self.offset + 1:,}"
        return f"rows {self.offset + 1:,}–{self.offset + shown:,} of {total:,}"

    def has_more(self, shown: int, total: int) -> bool:
        return self.offset + shown < total


def column_rows(
    db: Session,
    model: type[Base],
    order: ColumnElement[Any] | QueryableAttribute[Any],
    page: Page,
    fields: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One page of ``model``'s rows as JSON-ready dicts of ``fields`` (default: every column, as
    ``record`` gives them), read as plain columns: no ORM objects are built."""
    keys = [a.key for a in model.__mapper__.column_attrs]
    if fields is not None:
        unknown = sorted(set(fields) - set(keys))
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        keys = list(fields)
    columns = model.__mapper__.columns
    query = (
        select(*(columns[key] for key in keys))
        .order_by(order)
        .limit(page.limit)
        .offset(page.offset)
    )
    # as ``plain`` does: only a date or time column needs turning into text (JSON columns, read
    # back from JSON, hold none)
    dated = [key for key in keys if _is_date(getattr(model, key))]
    # through the session's connection: plain rows, without the ORM's result machinery
    rows = [dict(zip(keys, row, strict=True)) for row in db.connection().execute(query)]
    for row in rows:
        for key in dated:
            value = row[key]
            if value is not None:
                row[key] = value.isoformat()
    return rows


def _is_date(attribute: Any) -> bool:
    """Whether a column holds dates or times (through a TypeDecorator such as UTCDateTime too)."""
    column_type = attribute.type
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        return issubclass(column_type.python_type, date)
    except NotImplementedError:
        return False
