"""Check the audit log's hash chain, and log who read or exported a patient's record."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from microneedling.core.errors import ValidationError
from microneedling.records import audit_chain

HEAD_PATTERN = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


def parse_head(text: str, field: str = "expect") -> tuple[int, str]:
    """A head recorded earlier by ``verify_audit``: ``SEQ:HASH`` (64 lower-case hex digits)."""
    match = HEAD_PATTERN.match(text.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValidationError(field, f"{text!r} is not a recorded head; expected SEQ:HASH")
    return int(match.group(1)), match.group(2)


def verify_audit(db: Session, expect: str | None = None) -> dict[str, Any]:
    """Walk the whole chain; ``ok`` is false when a link is broken or a guard trigger is gone."""
    anchor = parse_head(expect) if expect is not None else None
    result = audit_chain.verify(db.connection(), anchor)
    return {
        "ok": result.ok,
        "entries": result.entries,
        "head": audit_chain.describe_head(result.head_seq, result.head_hash),
        "problems": result.problems,
    }
