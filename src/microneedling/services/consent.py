"""Record, withdraw and check a patient's consent (treatment; optional research use of photos).

A consent names the text version the patient read and stores the SHA-256 of that exact text; it
is never edited, only withdrawn. The patient's typed name and drawn signature (a PNG) go to the
erasable ``personal_value`` table, the consent row keeps their keyed hashes, and the audit log
sees only those hashes (records/personal.py). :func:`require_treatment_consent` is the gate that
a session start passes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from microneedling.core.errors import ValidationError
from microneedling.core.parsing import check_text, utcnow
from microneedling.protocol.consent import (
    KIND_LABELS,
    ConsentKind,
    ConsentVersion,
    consent_text,
    current_version,
    find_version,
    parse_kind,
    text_sha256,
)
from microneedling.records import models
from microneedling.records.audit import ACTOR_KEY
from microneedling.records.consent import ConsentRecord
from microneedling.records.personal import digest
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.views import record

NAME_MAX_CHARS = 128
REASON_MAX_CHARS = 2000
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE_PX = 2000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"


def consent_form(kind: str, today: date | None = None) -> dict[str, Any]:
    """What a surface shows before signing: the version in effect, its exact text and hash, the
    statements to tick, and the sources of each section."""
    the_kind = parse_kind(kind)
    version = current_version(the_kind, today or date.today())
    return {
        "kind": the_kind,
        "kind_label": KIND_LABELS[the_kind],
        "version": version.version,
        "effective": version.effective.isoformat(),
        "title": version.title,
        "text": consent_text(version),
        "text_sha256": text_sha256(version),
        "statements": [s.model_dump() for s in version.statements],
        "sections": [s.model_dump() for s in version.sections],
    }


def _check_statements(version: ConsentVersion, ticked: list[str]) -> list[str]:
    known = {s.id for s in version.statements}
    unknown = sorted(set(ticked) - known)
    if unknown:
        raise ValidationError(
            "statements", f"unknown statement {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    missing = [s.id for s in version.statements if s.required and s.id not in ticked]
    if missing:
        raise ValidationError("statements", f"required statements not ticked: {', '.join(missing)}")
    return [s.id for s in version.statements if s.id in ticked]


def _check_name(name: str) -> str:
    text = check_text(name, "signer_name", max_length=NAME_MAX_CHARS).strip()
    if not text:
        raise ValidationError("signer_name", "the patient types their name to sign")
    return text


def parse_signature(value: str | bytes | None) -> bytes | None:
    """A drawn signature: PNG bytes, or a ``data:image/png;base64,...`` URL from the canvas.

    Refused unless it is a real PNG within ``SIGNATURE_MAX_BYTES`` and ``SIGNATURE_MAX_SIDE_PX``
    (decoded by Pillow, so a file that only starts like a PNG is refused too). Empty: ``None``.
    """
    if value is None or value in ("", b""):
        return None
    if isinstance(value, str):
        if not value.startswith(DATA_URL_PREFIX):
            raise ValidationError("signature", "expected a PNG data URL (data:image/png;base64,)")
        encoded = value[len(DATA_URL_PREFIX) :]
        if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
            raise ValidationError("signature", f"larger than {SIGNATURE_MAX_BYTES} bytes")
        try:
            value = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("signature", "not valid base64") from None
    if len(value) > SIGNATURE_MAX_BYTES:
        raise ValidationError("signature", f"larger than {SIGNATURE_MAX_BYTES} bytes")
    if not value.startswith(PNG_MAGIC):
        raise ValidationError("signature", "not a PNG image")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(value)) as image:
            if max(image.size) > SIGNATURE_MAX_SIDE_PX:
                raise ValidationError(
                    "signature", f"larger than {SIGNATURE_MAX_SIDE_PX} pixels on a side"
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("signature", "not a readable PNG image") from None
    return value


def _personal(entity_id: int, field: str, value: str, salt: str) -> dict[str, Any]:
    return {
        "digest": digest(salt, value),
        "salt": salt,
        "value": json.dumps(value, ensure_ascii=False),
        "entity": "consent_record",
        "entity_id": entity_id,
        "field": field,
    }


def _actor(db: Session) -> str:
    return str(db.info.get(ACTOR_KEY, "system"))


def record_consent(
    db: Session,
    *,
    patient_code: str,
    kind: str,
    statements: list[str],
    signer_name: str,
    signature: str | bytes | None = None,
    text_version: str | None = None,
    shown_sha256: str | None = None,
    witnessed_by: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Record the patient's consent to the version in effect today.

    ``text_version`` and ``shown_sha256`` (what the surface showed) must match that version: a
    text that changed between showing and signing is refused. The witness is the acting
    clinician unless named.
    """
    patient = patient_by_code(db, patient_code)
    the_kind = parse_kind(kind)
    version = current_version(the_kind, today or date.today())
    expected = text_sha256(version)
    if text_version is not None and text_version != version.version:
        raise ValidationError(
            "text_version",
            f"version {text_version!r} is not the one in effect; show version {version.version}",
        )
    if shown_sha256 is not None and shown_sha256 != expected:
        raise ValidationError(
            "text_sha256", f"the text shown is not version {version.version} as now in effect"
        )
    ticked = _check_statements(version, statements)
    name = _check_name(signer_name)
    png = parse_signature(signature)
    witness = check_text(witnessed_by or _actor(db), "witnessed_by", max_length=128).strip()
    if not witness:
        raise ValidationError("witnessed_by", "name the witnessing clinician")
    values = {"signer_name": name}
    if png is not None:
        values["signature_png"] = base64.b64encode(png).decode("ascii")
    salts = {field: secrets.token_hex(16) for field in values}
    row = ConsentRecord(
        patient_id=patient.id,
        kind=the_kind,
        text_version=version.version,
        text_sha256=expected,
        statements=ticked,
        signer_name_ref=digest(salts["signer_name"], name),
        signature_ref=(
            digest(salts["signature_png"], values["signature_png"]) if png is not None else None
        ),
        signed_at=utcnow(),
        witnessed_by=witness,
    )
    db.add(row)
    db.flush()
    # written beside the ORM (as the audit writes them): never audited, erasable with the patient
    db.connection().execute(
        insert(models.PersonalValue),
        [_personal(row.id, field, value, salts[field]) for field, value in values.items()],
    )
    return consent_view(row, patient.code)


def consent_view(row: ConsentRecord, patient_code: str) -> dict[str, Any]:
    return record(row, exclude=("patient_id",)) | {
        "patient": patient_code,
        "kind_label": KIND_LABELS[parse_kind(row.kind)],
        "withdrawn": row.withdrawn_at is not None,
        "signed": row.signature_ref is not None,
    }


def withdraw_consent(
    db: Session, *, consent_id: int, reason: str, withdrawn_by: str | None = None
) -> dict[str, Any]:
    """Withdraw a consent: recorded on the row (when, by whom, why), never deleted."""
    row = by_id(db, ConsentRecord, consent_id, "consent")
    if row.withdrawn_at is not None:
        raise ValidationError(
            "consent_id",
            f"consent {consent_id} was already withdrawn on {row.withdrawn_at:%Y-%m-%d}",
        )
    text = check_text(reason, "reason", max_length=REASON_MAX_CHARS, multiline=True).strip()
    if not text:
        raise ValidationError("reason", "say why (e.g. the patient's request)")
    row.withdrawn_at = utcnow()
    row.withdrawn_by = withdrawn_by or _actor(db)
    row.withdrawal_reason = text
    db.flush()
    patient = db.get(models.Patient, row.patient_id)
    assert patient is not None
    return consent_view(row, patient.code)


def _latest(db: Session, patient: models.Patient, kind: ConsentKind) -> ConsentRecord | None:
    return db.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.patient_id == patient.id, ConsentRecord.kind == kind)
        .order_by(ConsentRecord.signed_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )


def _state(
    db: Session, patient: models.Patient, kind: ConsentKind, today: date
) -> tuple[str, str, ConsentRecord | None]:
    """(state, reason, latest record): state is given, none, withdrawn or outdated."""
    label = KIND_LABELS[kind]
    version = current_version(kind, today)
    latest = _latest(db, patient, kind)
    if latest is None:
        return (
            "none",
            f"patient {patient.code} has no {label} consent; record their consent to "
            f"version {version.version} first",
            None,
        )
    if latest.withdrawn_at is not None:
        return (
            "withdrawn",
            f"patient {patient.code} withdrew their {label} consent on "
            f"{latest.withdrawn_at:%Y-%m-%d}; record a new consent first",
            latest,
        )
    if latest.text_version != version.version:
        return (
            "outdated",
            f"patient {patient.code} consented to version {latest.text_version}, but version "
            f"{version.version} of the {label} consent is in effect since "
            f"{version.effective.isoformat()}; the patient must consent to it first",
            latest,
        )
    return "given", f"consent to version {version.version} given", latest


def consent_status(db: Session, patient_code: str, today: date | None = None) -> dict[str, Any]:
    """Each kind's state (given, none, withdrawn, outdated) with its reason, and every record."""
    patient = patient_by_code(db, patient_code)
    day = today or date.today()
    kinds: dict[str, Any] = {}
    for kind in ("treatment", "research_photos"):
        the_kind = parse_kind(kind)
        state, reason, latest = _state(db, patient, the_kind, day)
        kinds[kind] = {
            "state": state,
            "reason": reason,
            "current_version": current_version(the_kind, day).version,
            "consent_id": latest.id if latest else None,
        }
    rows = db.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.patient_id == patient.id)
        .order_by(ConsentRecord.id)
    )
    return {
        "patient": patient.code,
        "status": kinds,
        "records": [consent_view(r, patient.code) for r in rows],
    }


def require_treatment_consent(
    db: Session, patient: models.Patient, today: date | None = None
) -> None:
    """The session-start gate: the patient's latest treatment consent is to the version in
    effect and not withdrawn; otherwise a ``ValidationError`` on ``consent`` says which."""
    state, reason, _ = _state(db, patient, "treatment", today or date.today())
    if state != "given":
        raise ValidationError("consent", reason)


def has_research_consent(db: Session, patient: models.Patient) -> bool:
    """Whether the patient's photos may be used in research (consent given and not withdrawn;
    an older version stays valid, as research consent is not renewed per version)."""
    latest = _latest(db, patient, "research_photos")
    return latest is not None and latest.withdrawn_at is None


def signature_png(db: Session, consent_id: int) -> bytes | None:
    """The drawn signature of a consent, or ``None`` (not drawn, or erased)."""
    row = by_id(db, ConsentRecord, consent_id, "consent")
    stored = db.scalar(
        select(models.PersonalValue.value).where(
            models.PersonalValue.entity == "consent_record",
            models.PersonalValue.entity_id == row.id,
            models.PersonalValue.field == "signature_png",
        )
    )
    if stored is None:
        return None
    return base64.b64decode(json.loads(stored))


def version_text(kind: str, version: str) -> str:
    """The exact text of an earlier version (what a past consent was given to)."""
    return consent_text(find_version(parse_kind(kind), version))
