"""Every revision upgrades to the latest on a database holding data, on both backends: rows are
kept, old audit entries join a valid chain, personal values and photo paths leave the audit, and
devices gain empty geometry (0005) that the clinic fills in later."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, func, insert, select

from microneedling.records import audit_chain, models
from microneedling.records.database import Database
from microneedling.records.personal import pseudonymize
from microneedling.services.audit import verify_audit

REVISIONS = ["0001", "0002", "0003", "0004"]
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SOURCE = "/home/clinic/Jane Doe 1980-02-03/IMG_0001.jpg"
STORED = f"/home/clinic/.local/share/microneedling/photos/ab/{'ab' * 32}.jpg"


def _table(connection: Any, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=connection)


def _fill(db: Database, revision: str) -> None:
    """Rows as the code of ``revision`` wrote them, audit entries included."""
    with db.engine.begin() as c:
        c.execute(
            insert(_table(c, "patient")),
            [
                {
                    "code": "MN-1",
                    "birth_year": 1980,
                    "fitzpatrick": "II",
                    "history": {"note": "Jane"},
                    "created_at": AT,
                }
            ],
        )
        c.execute(
            insert(_table(c, "assessment")),
            [
                {
                    "patient_id": 1,
                    "zone": "cheek_left",
                    "indication": "acne_scars",
                    "scale": "goodman_baron_qualitative",
                    "scale_version": "1",
                    "score": 3.0,
                    "counts": {},
                    "rater_role": "investigator",
                    "rater": "Dr. Amsel",
                    "time_point": "baseline",
                    "assessed_at": AT,
                    "photos": [],
                    "notes": "lives on Elm Street",
                }
            ],
        )
        c.execute(
            insert(_table(c, "device")),
            [
                {
                    "model": "MyPen",
                    "kind": "pen",
                    "needle_count": 12,
                    "depth_min_mm": 0.25,
                    "depth_max_mm": 2.0,
                }
            ],
        )
        entries = [
            ("create", "patient", 1, {"code": "MN-1", "history": {"note": "Jane"}}),
            ("create", "assessment", 1, {"rater": "Dr. Amsel", "notes": "lives on Elm Street"}),
            ("update", "assessment", 1, {"rater": {"old": "Dr. Amsel", "new": "Dr. Berg"}}),
        ]
        if revision >= "0003":
            c.execute(
                insert(_table(c, "photo")),
                [
                    {
                        "patient_id": 1,
                        "view": "front",
                        "sha256": "ab" * 32,
                        "stored_path": STORED if revision < "0004" else f"ab/{'ab' * 32}.jpg",
                        "original_name": "Jane Doe.jpg",
                        "width": 640,
                        "height": 480,
                        "taken_on": AT.date(),
                        "imported_at": AT,
                    }
                ],
            )
            c.execute(
                insert(_table(c, "photo_analysis")),
                [
                    {
                        "photo_id": 1,
                        "version": "1",
                        "quality_ok": True,
                        "summary": {"version": "1", "zones": []}
                        if revision >= "0004"
                        else {"photo": SOURCE, "version": "1", "zones": []},
                        "created_at": AT,
                    }
                ],
            )
            photo_changes: dict[str, Any] = (
                {"stored_path": f"ab/{'ab' * 32}.jpg"}
                if revision >= "0004"
                else {"original_name": "Jane Doe.jpg", "stored_path": STORED}
            )
            entries.append(("create", "photo", 1, photo_changes))
        if revision >= "0004":
            _append_chained(c, entries)
            return
        c.execute(
            insert(_table(c, "audit_log")),
            [
                {
                    "at": AT,
                    "actor": "tester",
                    "action": action,
                    "entity": entity,
                    "entity_id": entity_id,
                    "changes": changes,
                }
                for action, entity, entity_id, changes in entries
            ],
        )


def _append_chained(connection: Any, entries: list[tuple[str, str, int, dict[str, Any]]]) -> None:
    """Audit entries as revision 0004's code writes them: chained, personal values apart."""
    rows, personal = [], []
    for action, entity, entity_id, changes in entries:
        hidden, values = pseudonymize(entity, entity_id, changes, update=action == "update")
        personal.extend(values)
        rows.append(
            {
                "at": AT,
                "actor": "tester",
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": hidden,
            }
        )
    if personal:
        connection.execute(insert(_table(connection, "personal_value")), personal)
    audit_chain.append(connection, rows)


@pytest.mark.parametrize("revision", REVISIONS)
def test_every_revision_upgrades_with_its_data(database: Database, revision: str) -> None:
    database.downgrade("base")
    database.upgrade(revision)
    _fill(database, revision)
    database.upgrade()
    database.require_migrated()
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(models.Patient)) == 1
        assert s.scalar(select(models.Assessment.rater)) == "Dr. Amsel"
        view = verify_audit(s)
        assert view["ok"], view["problems"]
        assert view["entries"] == (4 if revision >= "0003" else 3)
        stored = json.dumps([e.changes for e in s.scalars(select(models.AuditEntry))])
        for secret in ("Jane", "Amsel", "Berg", "Elm Street", "/home/clinic", "original_name"):
            assert secret not in stored
        values = [json.loads(v.value) for v in s.scalars(select(models.PersonalValue))]
        for value in ("Dr. Amsel", "Dr. Berg", "lives on Elm Street", {"note": "Jane"}):
            assert value in values
        device = s.scalars(select(models.Device)).one()
        assert (device.model, device.needle_count, device.depth_max_mm) == ("MyPen", 12, 2.0)
        assert device.footprint_mm is None and device.frequency_max_hz is None
        if revision >= "0003":
            photo = s.scalars(select(models.Photo)).one()
            assert photo.stored_path == f"ab/{'ab' * 32}.jpg"
            assert "photo" not in s.scalars(select(models.PhotoAnalysisRecord)).one().summary


def test_downgrade_from_the_latest_keeps_the_rows(database: Database) -> None:
    with database.transaction("t") as s:
        s.add(models.Patient(code="MN-1", birth_year=1980, fitzpatrick="II"))
        device = models.Device(
            model="MyPen",
            kind="pen",
            needle_count=12,
            depth_min_mm=0.25,
            depth_max_mm=2.0,
            footprint_mm=5.0,
            frequency_min_hz=50.0,
            frequency_max_hz=100.0,
        )
        s.add(device)
        s.flush()
        s.add(models.Cartridge(device_id=device.id, lot="L1", needle_count=12, expiry=AT.date()))
    database.downgrade("0004")
    with database.engine.connect() as c:
        device_table = _table(c, "device")
        assert "footprint_mm" not in device_table.c
        assert c.execute(select(device_table.c.model)).scalar_one() == "MyPen"
        assert c.scalar(select(func.count()).select_from(_table(c, "cartridge"))) == 1
    database.downgrade("0003")
    with database.engine.connect() as c:
        assert (
            c.scalar(select(func.count()).select_from(_table(c, "audit_log"))) == 3
        )  # patient, device, cartridge
    database.upgrade()
    with database.reading() as s:
        assert verify_audit(s)["ok"]
