"""Privacy from the command line: a photo kept in a folder named after the patient leaves no name
or path in the database, and `patients erase` removes the photo while `audit verify` still
passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select

from microneedling.records import models
from microneedling.records.database import Database
from microneedling.records.photo_store import photo_dir
from tests.cli.conftest import Cli, ok, refused

FOLDER = "Jane Doe 1980-02-03"


def test_erasure_from_the_cli_keeps_the_chain_verifiable(
    clinic: Cli, database_url: str, tmp_path: Path
) -> None:
    sample = tmp_path / "samples"
    ok(clinic("photos", "sample", str(sample)))
    source = tmp_path / FOLDER / "IMG_0001.png"
    source.parent.mkdir()
    shutil.copy(sorted(sample.glob("sample-*.png"))[0], source)
    ok(clinic("analyze", str(source), "--patient", "P1", "--taken-on", "2026-01-05"))
    ok(clinic("patients", "show", "P1"))
    db = Database.from_url(database_url)
    with db.reading() as s:
        stored_path = s.scalars(select(models.Photo.stored_path)).one()
        stored = photo_dir() / stored_path
        summary = s.scalars(select(models.PhotoAnalysisRecord)).one().summary
        entries = s.scalars(select(models.AuditEntry)).all()
        logged = json.dumps([(e.actor, e.action, e.entity, e.changes) for e in entries])
    db.dispose()
    assert stored.exists()
    for text in (json.dumps(summary), logged, stored_path):
        assert "Jane" not in text and "IMG_0001" not in text
    assert ["tester", "read", "patient", {}] in json.loads(logged)
    assert "Dr A" not in logged  # the rater's name is a keyed hash in the audit log
    head = json.loads(ok(clinic("audit", "verify", "--json")).stdout)["head"]

    refused(clinic("patients", "erase", "P1", "--reason", "  "), "reason")
    result = ok(clinic("patients", "erase", "P1", "--reason", "patient's request", "--json"))
    assert json.loads(result.stdout)["photos_removed"] == 1
    assert not stored.exists()
    verified = ok(clinic("audit", "verify", "--expect", head))
    assert verified.stdout.startswith("audit log intact: ")
    refused(clinic("patients", "erase", "P9", "--reason", "x"), "patient P9 not found")
    refused(clinic("audit", "verify", "--expect", "12:abc"), "expect")
