"""FHIR R4B resources of a patient's record or a cohort, built and validated by ``fhir.resources``.

FHIR release 4B (4.3.0), through ``fhir.resources.R4B``: each resource is constructed as the
library's model (which validates it), and a bundle is checked by parsing its own JSON back.

- Patient: the pseudonymous patient code as its only identifier (no name, no birth date).
- Procedure: one per treatment session, with its zones (bodySite) and device (usedReference).
- Observation: one per measurement (zone x metric of a photo), value with its UCUM unit.
- Consent: where a consent is recorded (passed in by the caller).

References
----------
HL7 FHIR Release 4B (v4.3.0), https://hl7.org/fhir/R4B/
The Unified Code for Units of Measure (UCUM), https://ucum.org/ucum
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from microneedling.core.errors import ValidationError

__all__ = [
    "FHIR_VERSION",
    "METRIC_UNITS",
    "ProcedureInfo",
    "bundle",
    "cohort_bundle",
    "consent_resource",
    "observation",
    "patient_resource",
    "procedure",
    "round_trip",
]

FHIR_VERSION = "4.3.0"  # R4B
UCUM = "http://unitsofmeasure.org"
PATIENT_CODE_SYSTEM = "urn:microneedling:patient-code"
METRIC_SYSTEM = "urn:microneedling:metric"
ZONE_SYSTEM = "urn:microneedling:facial-zone"
NAMESPACE = uuid.UUID("6f1c1d0e-7a53-4c8e-9a57-5f1d6b1b6b8e")  # stable ids for the same inputs
# metric -> (UCUM code, human unit); dimensionless indices are "1"
METRIC_UNITS: dict[str, tuple[str, str]] = {
    "area_cm2": ("cm2", "cm²"),
    "a_star": ("1", "CIELAB a*"),
    "erythema_index": ("1", "erythema index"),
    "red_area_fraction": ("1", "fraction"),
    "ita_deg": ("deg", "°"),
    "ita_spread_deg": ("deg", "°"),
    "melanin_index": ("1", "melanin index"),
    "melanin_spread": ("1", "melanin index"),
    "roughness_l": ("1", "CIELAB L*"),
    "pores_per_cm2": ("/cm2", "per cm²"),
    "pore_count": ("{count}", "count"),
    "pore_mean_area_mm2": ("mm2", "mm²"),
    "wrinkle_length_mm_per_cm2": ("mm/cm2", "mm per cm²"),
    "wrinkle_depth": ("1", "CIELAB L*"),
    "wrinkle_orientation_deg": ("deg", "°"),
    "scar_count": ("{count}", "count"),
    "scar_area_mm2": ("mm2", "mm²"),
    "pigment_spot_count": ("{count}", "count"),
    "pigment_spot_area_mm2": ("mm2", "mm²"),
}


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(str(p) for p in parts)))


def patient_resource(code: str) -> Any:
    """A Patient known only by the clinic's pseudonymous code."""
    from fhir.resources.R4B.patient import Patient

    return Patient(
        id=_id("patient", code), identifier=[{"system": PATIENT_CODE_SYSTEM, "value": code}]
    )


@dataclass(frozen=True)
class ProcedureInfo:
    session_id: int
    patient: str
    performed_on: str  # ISO date
    status: str  # completed, in-progress, not-done, preparation
    zones: Sequence[str]
    device: str | None
    clinician: str | None = None


def procedure(info: ProcedureInfo) -> Any:
    """One treatment session as a Procedure (microneedling, its zones, its device)."""
    from fhir.resources.R4B.procedure import Procedure

    values: dict[str, Any] = {
        "id": _id("procedure", info.session_id),
        "status": info.status,
        "subject": {"reference": f"Patient/{_id('patient', info.patient)}"},
        "code": {"text": "Microneedling (percutaneous collagen induction) of the face"},
        "performedDateTime": info.performed_on,
        "identifier": [{"system": "urn:microneedling:session", "value": str(info.session_id)}],
    }
    if info.zones:
        values["bodySite"] = [
            {"coding": [{"system": ZONE_SYSTEM, "code": z}], "text": z.replace("_", " ")}
            for z in info.zones
        ]
    if info.device:
        values["usedReference"] = [{"display": info.device}]
    if info.clinician:
        values["performer"] = [{"actor": {"display": info.clinician}}]
    return Procedure(**values)


def observation(
    patient: str, photo_key: str, taken_on: str, zone: str, metric: str, value: float
) -> Any:
    """One measurement of one zone of one photo, with its UCUM unit."""
    from fhir.resources.R4B.observation import Observation

    if metric not in METRIC_UNITS:
        raise ValidationError("metric", f"{metric!r} has no unit")
    code, unit = METRIC_UNITS[metric]
    return Observation(
        id=_id("observation", photo_key, zone, metric),
        status="final",
        category=[{"text": "imaging"}],
        code={"coding": [{"system": METRIC_SYSTEM, "code": metric}], "text": metric},
        subject={"reference": f"Patient/{_id('patient', patient)}"},
        effectiveDateTime=taken_on,
        bodySite={"coding": [{"system": ZONE_SYSTEM, "code": zone}], "text": zone},
        valueQuantity={"value": float(value), "unit": unit, "system": UCUM, "code": code},
        identifier=[{"system": "urn:microneedling:photo", "value": photo_key}],
    )


def consent_resource(patient: str, scope: str, granted: bool, recorded_on: str) -> Any:
    """A recorded consent (treatment, photos or research) as a Consent resource."""
    from fhir.resources.R4B.consent import Consent

    return Consent(
        id=_id("consent", patient, scope, recorded_on),
        status="active" if granted else "rejected",
        scope={"text": scope},
        category=[{"text": scope}],
        patient={"reference": f"Patient/{_id('patient', patient)}"},
        dateTime=recorded_on,
        provision={"type": "permit" if granted else "deny"},
    )


def bundle(resources: Iterable[Any]) -> Any:
    """A collection Bundle of the resources, each under its urn:uuid."""
    from fhir.resources.R4B.bundle import Bundle, BundleEntry

    entries = [BundleEntry(fullUrl=f"urn:uuid:{r.id}", resource=r) for r in resources]
    return round_trip(Bundle(type="collection", entry=entries))


def round_trip(value: Any) -> Any:
    """Parse the bundle's own JSON back with the library; refuse it if that fails or differs."""
    from fhir.resources.R4B.bundle import Bundle

    text = value.model_dump_json()
    parsed = Bundle.model_validate_json(text)
    if parsed.model_dump_json() != text:
        raise ValidationError("fhir", "the bundle does not read back as it was written")
    return parsed


def cohort_bundle(frame: Any) -> Any:
    """A cohort's results table as one bundle: its Patients and the Observations of measured
    photos that passed the quality checks."""
    rows = frame[(frame["status"] == "measured") & frame["quality_ok"].astype(bool)]
    rows = rows[rows["metric"].isin(list(METRIC_UNITS)) & rows["value"].notna()]
    resources: list[Any] = [patient_resource(code) for code in sorted(frame["patient"].unique())]
    for r in rows.itertuples(index=False):
        resources.append(observation(r.patient, r.key, r.date, r.zone, r.metric, r.value))
    return bundle(resources)
