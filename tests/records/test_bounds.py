"""Every stored value is checked against its column before the database sees it."""

from __future__ import annotations

import math
from datetime import date
from typing import Any, cast

import pytest
from sqlalchemy import Column, String, Text, func, select, text

from microneedling.core.errors import ValidationError
from microneedling.records.bounds import JSON_MAX_DEPTH, TEXT_MAX_CHARS, check_column
from microneedling.records.database import Database
from microneedling.records.models import (
    AdverseEvent,
    AuditEntry,
    Base,
    Cartridge,
    Device,
    Patient,
    Photo,
    PhotoAnalysisRecord,
)

STRING_COLUMNS = [
    column
    for table in Base.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, String) and not isinstance(column.type, Text)
]
TEXT_COLUMNS = [
    column
    for table in Base.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, Text)
]


def _name(column: Column[Any]) -> str:
    return f"{column.table.name}.{column.key}"


def test_every_text_column_is_covered() -> None:
    """The schema has both kinds; a new one is covered without a line of code here."""
    assert {"device.model", "cartridge.lot", "assessment.rater", "patient.code"} <= {
        _name(c) for c in STRING_COLUMNS
    }
    assert {"assessment.notes", "adverse_event.description"} <= {_name(c) for c in TEXT_COLUMNS}


@pytest.mark.parametrize("column", STRING_COLUMNS, ids=_name)
def test_every_string_column_refuses_more_than_its_length(column: Column[Any]) -> None:
    length = column.type.length  # type: ignore[attr-defined]
    check_column(column, "y" * length)
    with pytest.raises(ValidationError, match=f"more than the {length} allowed") as err:
        check_column(column, "y" * (length + 1))
    assert err.value.field == column.key
    with pytest.raises(ValidationError, match="control characters") as err:
        check_column(column, "a\nb")  # one line only
    assert err.value.field == column.key


@pytest.mark.parametrize("column", TEXT_COLUMNS, ids=_name)
def test_every_text_column_has_a_documented_maximum(column: Column[Any]) -> None:
    check_column(column, "line one\nline two\tafter a tab" + "y" * (TEXT_MAX_CHARS - 30))
    with pytest.raises(ValidationError, match=f"more than the {TEXT_MAX_CHARS} allowed"):
        check_column(column, "y" * (TEXT_MAX_CHARS + 1))
    with pytest.raises(ValidationError, match="control characters"):
        check_column(column, "done\rforged")


def _column(model: type[Base], key: str) -> Column[Any]:
    return cast(Column[Any], model.__table__.c[key])


@pytest.mark.parametrize(
    ("model", "key", "value", "reason"),
    [
        (Device, "needle_count", 10**30, "outside the allowed range"),
        (Device, "needle_count", 2**31, "outside the allowed range"),
        (Device, "needle_count", True, "not a whole number"),
        (Device, "needle_count", 16.5, "not a whole number"),
        (Device, "depth_min_mm", math.nan, "not a finite number"),
        (Device, "depth_max_mm", math.inf, "not a finite number"),
        (Device, "depth_max_mm", True, "not a number"),
        (Device, "model", 42, "expected text"),
        (Cartridge, "expiry", date(1899, 12, 31), "before 1900-01-01"),
        (Cartridge, "expiry", date(2200, 1, 1), "after 2199-12-31"),
        (Cartridge, "expiry", "2030-01-01", "not a date"),
        (Patient, "history", {"note": "a\x1b[2Jb"}, "control characters"),
        (Patient, "history", {"a\x00": "b"}, "control characters"),
        (Patient, "history", {"note": "y" * (TEXT_MAX_CHARS + 1)}, "more than"),
        (Patient, "history", {"count": 10**30}, "outside the allowed range"),
    ],
)
def test_values_out_of_bounds_name_their_column(
    model: type[Base], key: str, value: Any, reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason) as err:
        check_column(_column(model, key), value)
    assert err.value.field.split(".")[0] == key


def test_json_nesting_is_bounded() -> None:
    deep: Any = "leaf"
    for _ in range(JSON_MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValidationError, match=f"more than {JSON_MAX_DEPTH} levels"):
        check_column(_column(Patient, "history"), {"x": deep})


def test_json_measurements_may_be_nan() -> None:
    """A measurement with nothing to measure is NaN; that is data, not an attack."""
    check_column(_column(Patient, "history"), {"roughness": math.nan, "ok": True, "n": None})


def test_json_fields_are_named_by_their_path() -> None:
    with pytest.raises(ValidationError) as err:
        check_column(_column(Patient, "history"), {"visits": [{"note": "\x07"}]})
    assert err.value.field == "history.visits[0].note"


def _device(**changes: Any) -> Device:
    values: dict[str, Any] = {
        "model": "Pen",
        "kind": "pen",
        "needle_count": 16,
        "depth_min_mm": 0.2,
        "depth_max_mm": 3.0,
    }
    return Device(**(values | changes))


def _count(db: Database, model: type[Base]) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"model": "m" * 129}, "model"),
        ({"model": "pen\x1b[31m"}, "model"),
        ({"model": "pen\ud800"}, "model"),
        ({"needle_count": 10**30}, "needle_count"),
        ({"depth_max_mm": math.nan}, "depth_max_mm"),
    ],
)
def test_a_flush_out_of_bounds_is_a_field_error_and_writes_nothing(
    database: Database, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as err, database.transaction("tester") as s:
        s.add(_device(**changes))
    assert err.value.field == field
    assert _count(database, Device) == 0
    assert _count(database, AuditEntry) == 0


def test_long_free_text_through_a_session(database: Database) -> None:
    with database.transaction("tester") as s:
        patient = Patient(code="P1", birth_year=1990, fitzpatrick="III")
        s.add(patient)
        s.flush()
        patient_id = patient.id
    event = {
        "patient_id": patient_id,
        "kind": "x",
        "severity": "mild",
        "onset": date(2026, 1, 2),
        "reported_by": "x",
    }
    too_long = pytest.raises(ValidationError, match="description: 10001 characters")
    with too_long, database.transaction("tester") as s:
        s.add(AdverseEvent(**event, description="y" * (TEXT_MAX_CHARS + 1)))
    with database.transaction("tester") as s:
        s.add(AdverseEvent(**event, description="y" * TEXT_MAX_CHARS))
    assert _count(database, AdverseEvent) == 1


def test_an_update_is_checked_on_the_columns_it_changes(database: Database) -> None:
    with database.transaction("tester") as s:
        s.add(_device())
    with database.engine.begin() as connection:  # data stored before the bounds existed
        connection.execute(text("UPDATE device SET kind = :k"), {"k": "k" * 15 + "\x07"})
    with database.transaction("tester") as s:  # an unrelated change still goes through
        device = s.scalars(select(Device)).one()
        device.needle_count = 12
    with pytest.raises(ValidationError) as err, database.transaction("tester") as s:
        device = s.scalars(select(Device)).one()
        device.model = "m" * 129
    assert err.value.field == "model"
    with database.reading() as s:
        assert s.scalars(select(Device)).one().model == "Pen"


@pytest.mark.parametrize("actor", ["x" * 129, "tester\x1b]0;owned\x07", "a\nb"])
def test_the_acting_user_fits_the_audit_log(database: Database, actor: str) -> None:
    with pytest.raises(ValidationError) as err, database.transaction(actor) as s:
        s.add(_device())
    assert err.value.field == "user"
    assert _count(database, Device) == 0
    with database.transaction("[/x] Dr. Ærø") as s:  # markup and accents are just text
        s.add(_device())
    with database.reading() as s:
        assert s.scalars(select(AuditEntry.actor)).one() == "[/x] Dr. Ærø"


def test_numpy_numbers_are_numbers() -> None:
    """Measurements arrive as NumPy scalars; they are checked like Python numbers."""
    import numpy as np

    check_column(_column(Photo, "width"), np.int64(640))
    check_column(_column(PhotoAnalysisRecord, "quality_ok"), np.bool_(True))
    check_column(_column(Device, "depth_max_mm"), np.float32(1.5))
    with pytest.raises(ValidationError, match="outside the allowed range"):
        check_column(_column(Photo, "width"), np.int64(2**40))
    with pytest.raises(ValidationError, match="not a finite number"):
        check_column(_column(Device, "depth_max_mm"), np.float64("nan"))
    with pytest.raises(ValidationError, match="not true or false"):
        check_column(_column(PhotoAnalysisRecord, "quality_ok"), "yes")
