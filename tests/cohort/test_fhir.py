"""FHIR R4B export: bundles built and validated by fhir.resources, and read back unchanged."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle

from microneedling.cohort.consent import research_consented
from microneedling.cohort.fhir import UCUM, cohort_bundle
from microneedling.cohort.stored import manifest_from_database
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import cohort_peers, consent, patients
from microneedling.services.fhir_export import patient_bundle, patient_bundle_json
from microneedling.services.photos import measure_photo, store_measured
from tests.cohort.conftest import Measured


def _resources(bundle: Any, kind: str) -> list[Any]:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_cohort_bundle_validates_and_round_trips(measured_cohort: Measured) -> None:
    frame = measured_cohort.results
    one = frame[frame["patient"] == "SYN-0003"]
    bundle = cohort_bundle(one)
    assert Bundle.model_validate_json(bundle.model_dump_json()) == bundle
    (patient,) = _resources(bundle, "Patient")
    assert patient.identifier[0].value == "SYN-0003"
    assert patient.name is None and patient.birthDate is None  # the pseudonymous code only
    observations = _resources(bundle, "Observation")
    measured = one[(one["status"] == "measured") & one["quality_ok"] & one["value"].notna()]
    assert len(observations) == len(measured)
    units = {o.code.text: o.valueQuantity.code for o in observations}
    assert units["pores_per_cm2"] == "/cm2" and units["ita_deg"] == "deg"
    assert all(o.valueQuantity.system == UCUM for o in observations)
    assert all(o.subject.reference == f"Patient/{patient.id}" for o in observations)


def test_patient_record_bundle_with_consent_and_measurements(
    database: Database, measured_cohort: Measured
) -> None:
    photo = next(r.photo for r in measured_cohort.manifest.rows if r.patient == "SYN-0004")
    measured = measure_photo(photo)
    with database.transaction("dr") as s:
        for code in ("P1", "P2"):
            patients.register_patient(s, code=code, birth_year=1980, fitzpatrick="III")
        form = consent.consent_form("research_photos")
        consent.record_consent(
            s,
            patient_code="P1",
            kind="research_photos",
            statements=[item["id"] for item in form["statements"]],
            signer_name="Patient P1",
            shown_sha256=form["text_sha256"],
        )
        store_measured(s, measured, patient_code="P1")
    with database.transaction("dr") as s:
        bundle = patient_bundle(s, "P1")
        text = patient_bundle_json(s, "P1")
        peers = cohort_peers.peer_percentiles(s, "P1", min_group=1)
        under_minimum = cohort_peers.peer_percentiles(s, "P1")
        manifest, counts = manifest_from_database(s, patients=["P1", "P2"])
        everyone = s.query(models.Patient).all()
        # consent is recorded in this clinic: only P1 may be used for research
        assert research_consented(s, everyone) == {"P1"}
    assert Bundle.model_validate_json(text).entry[0].resource.identifier[0].value == "P1"
    (record,) = _resources(bundle, "Consent")
    assert record.status == "active"
    observations = _resources(bundle, "Observation")
    zones = measured.summary["zones"]
    assert len(observations) == sum(
        1 for z in zones for k, v in z.items() if k != "zone" and v is not None
    )
    # P2 has no photo: P1's group is P1 alone; under the minimum group size no percentile
    assert peers["zones"] and all(z["group_size"] == 1 for z in peers["zones"])
    assert all(z["percentile"] == 50.0 for z in peers["zones"])
    assert all(z["percentile"] is None for z in under_minimum["zones"])
    # the stored photos as a cohort: P2 has no research consent and is left out, counted
    (row,) = manifest.rows
    assert row.patient == "P1" and row.photo.is_file() and row.fitzpatrick == "III"
    assert counts == {"patients": 2, "excluded_no_consent": 1}


def test_store_measured_results_once(database: Database, measured_cohort: Measured) -> None:
    from dataclasses import replace

    from microneedling.cohort.stored import store_results

    rows = {r.row for r in measured_cohort.manifest.rows if r.patient == "SYN-0004"}
    run = replace(
        measured_cohort.run,
        outcomes=tuple(o for o in measured_cohort.run.outcomes if o.row in rows),
    )
    with database.transaction("dr") as s:
        patients.register_patient(s, code="SYN-0004", birth_year=1980, fitzpatrick="V")
        first = store_results(s, measured_cohort.manifest, run)
        again = store_results(s, measured_cohort.manifest, run)
        stored = s.query(models.Photo).all()
        analyses = s.query(models.PhotoAnalysisRecord).all()
    measured = sum(1 for o in run.outcomes if o.status != "failed")
    assert first == {"stored": measured, "already_stored": 0}
    assert again == {"stored": 0, "already_stored": measured}
    assert len(stored) == len(analyses) == measured
