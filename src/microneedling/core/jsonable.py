"""Values as JSON can hold them: dates and times as ISO strings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def plain(value: Any) -> Any:
    """Dates and times as ISO strings, in nested dicts and lists too; everything else as it is."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
