"""Personal values (names, signatures, identifying free text) out of the audit log.

The audit log must stay verifiable after a patient's data is erased, so it cannot hold those
values itself. Each one goes into the ``personal_value`` table under a fresh random salt, and the
audit entry keeps only ``{"personal": digest}`` with digest = HMAC-SHA256(salt, value). Erasing
the row removes the value and the salt; the digest left in the chain then identifies nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

# Per table, the columns holding a person's name or signature or identifying free text.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "patient": frozenset({"history"}),
    "assessment": frozenset({"rater", "notes"}),
    "screening": frozenset({"screened_by", "acknowledged_by", "acknowledgement_note"}),
    "treatment_plan": frozenset({"created_by"}),
    "treatment_session": frozenset({"clinician"}),
    "zone_treatment": frozenset({"deviation_reason"}),
    "adverse_event": frozenset({"description", "reported_by"}),
    "erasure": frozenset({"reason", "erased_by"}),
    "consent_record": frozenset({"witnessed_by", "withdrawn_by", "withdrawal_reason"}),
    "diary_link": frozenset({"created_by"}),
    "follow_up_flag": frozenset({"acknowledged_by"}),
}
# Per table, the columns holding a credential or its hash: never written to the audit log, not even
# as a keyed hash (a password hash could be attacked offline; a session's CSRF token is live).
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "account": frozenset({"password_hash"}),
    "api_token": frozenset({"token_sha256"}),
    "login_session": frozenset({"cookie_sha256", "csrf_token"}),
    "diary_link": frozenset({"token_sha256"}),
}
SECRET = "[secret]"
MARK = "personal"


def digest(salt_hex: str, value: Any) -> str:
    """HMAC-SHA256 of the value's canonical JSON under the salt, as hex."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(bytes.fromhex(salt_hex), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _hide(value: Any, entity: str, entity_id: int, field: str, rows: list[dict[str, Any]]) -> Any:
    if value is None or value in ("", {}, []):
        return value
    salt = secrets.token_hex(16)
    code = digest(salt, value)
    rows.append(
        {
            "digest": code,
            "salt": salt,
            "value": json.dumps(value, ensure_ascii=False),
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
        }
    )
    return {MARK: code}


def pseudonymize(
    entity: str, entity_id: int, changes: dict[str, Any], *, update: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``changes`` with personal values replaced by their digests, and the rows that hold them.

    ``update`` entries map a field to ``{"old": ..., "new": ...}``; others map it to its value.
    """
    fields = PERSONAL_FIELDS.get(entity, frozenset())
    secrets_ = SECRET_FIELDS.get(entity, frozenset())
    rows: list[dict[str, Any]] = []
    hidden: dict[str, Any] = {}
    for key, value in changes.items():
        if key in secrets_:
            hidden[key] = SECRET
        elif key not in fields:
            hidden[key] = value
        elif update and isinstance(value, dict):
            hidden[key] = {
                side: _hide(value.get(side), entity, entity_id, key, rows)
                for side in ("old", "new")
            }
        else:
            hidden[key] = _hide(value, entity, entity_id, key, rows)
    return hidden, rows


def is_hidden(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {MARK}
