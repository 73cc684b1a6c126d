"""Import a clinic file (YAML or JSON): devices with cartridges, patients with assessments.

The whole file is validated first, then written in the caller's single transaction: a bad entry
anywhere leaves the database as it was.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from microneedling.core.data import MAX_FILE_BYTES, first_error, load_user_file
from microneedling.core.errors import ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.services.assessments import build_assessment
from microneedling.services.devices import MAX_NEEDLES, add_cartridge, add_device
from microneedling.services.patients import build_patient, existing_codes

__all__ = ["MAX_FILE_BYTES", "ClinicFile", "import_clinic", "read_clinic_file"]

MAX_COUNT = 100_000
"""The largest count an assessment may hold (lesions, scars): counts of 10**30 are typing errors."""


# Strings, never a number or a boolean standing in for one, of bounded length (the columns').
Text16 = Annotated[StrictStr, Field(min_length=1, max_length=16)]
Text32 = Annotated[StrictStr, Field(min_length=1, max_length=32)]
Text64 = Annotated[StrictStr, Field(min_length=1, max_length=64)]
Text128 = Annotated[StrictStr, Field(min_length=1, max_length=128)]
Notes = Annotated[StrictStr, Field(max_length=10_000)]
# Whole numbers: not ``true``, not ``1.5``, not a string, and bounded.
Needles = Annotated[StrictInt, Field(ge=1, le=MAX_NEEDLES)]
Year = Annotated[StrictInt, Field(ge=1800, le=3000)]
# A number: ``true`` is not one, neither are NaN and infinity; the services check ranges.
Number = Annotated[StrictFloat, Field(allow_inf_nan=False)]  # a whole number is one too
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CartridgeIn(_Strict):
    lot: Text64
    expiry: date
    needle_count: Needles | None = None


class DeviceIn(_Strict):
    model: Text128
    kind: Text16
    needle_count: Needles
    depth_min_mm: Number
    depth_max_mm: Number
    cartridges: list[CartridgeIn] = Field(default_factory=list)


class AssessmentIn(_Strict):
    zone: Text32
    scale: Text64
    score: Number
    rater: Text128
    rater_role: Text32 = "investigator"
    time_point: Text64 = "baseline"
    indication: Text32 | None = None
    counts: Annotated[dict[StrictStr, Count], Field(max_length=64)] = Field(default_factory=dict)
    notes: Notes | None = None


class PatientIn(_Strict):
    code: Text64
    birth_year: Year
    fitzpatrick: Text16
    history: Annotated[dict[StrictStr, Any], Field(max_length=100)] = Field(default_factory=dict)
    assessments: list[AssessmentIn] = Field(default_factory=list)


class ClinicFile(_Strict):
    devices: list[DeviceIn] = Field(default_factory=list)
    patients: list[PatientIn] = Field(default_factory=list)


def read_clinic_file(path: Path) -> ClinicFile:
    """Parse and validate a clinic file, naming the first bad field.

    The file is read within the bounds of ``core.data.load_user_file`` (size, no YAML aliases,
    nesting, no repeated keys); every value has a strict type: a score of ``true`` is not a number
    and counts are bounded.
    """
    raw = load_user_file(path, str(path))
    if not isinstance(raw, dict):
        raise ValidationError(str(path), "expected a mapping with 'devices' and 'patients'")
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
