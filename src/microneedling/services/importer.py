"""Import a clinic file (YAML or JSON): devices with cartridges, patients with assessments.

The whole file is validated first, then written in the caller's single transaction: a bad entry
anywhere leaves the database as it was.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from microneedling.core.data import first_error
from microneedling.core.errors import ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.services.assessments import build_assessment
from microneedling.services.devices import add_cartridge, add_device
from microneedling.services.patients import build_patient, existing_codes

MAX_FILE_BYTES = 5_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CartridgeIn(_Strict):
    lot: str
    expiry: date
    needle_count: int | None = None


class DeviceIn(_Strict):
    model: str
    kind: str
    needle_count: int
    depth_min_mm: float
    depth_max_mm: float
    cartridges: list[CartridgeIn] = Field(default_factory=list)


class AssessmentIn(_Strict):
    zone: str
    scale: str
    score: float
    rater: str
    rater_role: str = "investigator"
    time_point: str = "baseline"
    indication: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    notes: str | None = None


class PatientIn(_Strict):
    code: str
    birth_year: int
    fitzpatrick: str
    history: dict[str, Any] = Field(default_factory=dict)
    assessments: list[AssessmentIn] = Field(default_factory=list)


class ClinicFile(_Strict):
    devices: list[DeviceIn] = Field(default_factory=list)
    patients: list[PatientIn] = Field(default_factory=list)


def read_clinic_file(path: Path) -> ClinicFile:
    """Parse and validate a clinic file, naming the first bad field."""
    field = str(path)
    if not path.is_file():
        raise ValidationError(field, "no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(field, f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(field, "not a UTF-8 text file") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).splitlines()[0]
        raise ValidationError(
            field, f"not valid {path.suffix.lstrip('.') or 'YAML'}: {first_line}"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError(field, "expected a mapping with 'devices' and 'patients'")
    try:
        return ClinicFile.model_validate(raw)
    except PydanticValidationError as exc:
        raise first_error(exc, default="file") from None


def import_clinic(db: Session, knowledge: Knowledge, clinic: ClinicFile) -> dict[str, int]:
    """Write every device, cartridge, patient and assessment; counts of what was added."""
    counts = {"devices": 0, "cartridges": 0, "patients": 0, "assessments": 0}
    for i, device in enumerate(clinic.devices):
        prefix = f"devices[{i}]."
        view = add_device(
            db,
            model=device.model,
            kind=device.kind,
            needle_count=device.needle_count,
            depth_min_mm=device.depth_min_mm,
            depth_max_mm=device.depth_max_mm,
            field_prefix=prefix,
        )
        counts["devices"] += 1
        for j, cartridge in enumerate(device.cartridges):
            add_cartridge(
                db,
                device_id=view["id"],
                lot=cartridge.lot,
                expiry=cartridge.expiry,
                needle_count=cartridge.needle_count,
                field_prefix=f"{prefix}cartridges[{j}].",
            )
            counts["cartridges"] += 1
    taken = existing_codes(db, [p.code for p in clinic.patients])
    for i, patient in enumerate(clinic.patients):
        prefix = f"patients[{i}]."
        if patient.code in taken:
            raise ValidationError(f"{prefix}code", f"patient code {patient.code!r} already exists")
        taken.add(patient.code)
        row = build_patient(
            code=patient.code,
            birth_year=patient.birth_year,
            fitzpatrick=patient.fitzpatrick,
            history=patient.history,
            field_prefix=prefix,
        )
        db.add(row)
        counts["patients"] += 1
        for j, assessment in enumerate(patient.assessments):
            db.add(
                build_assessment(
                    knowledge,
                    row,
                    field_prefix=f"{prefix}assessments[{j}].",
                    **assessment.model_dump(),
                )
            )
            counts["assessments"] += 1
    db.flush()
    return counts
