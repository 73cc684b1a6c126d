"""Benchmarks of the clinic's heavier paths: `make bench` prints their timings.

- planning: propose a plan for every zone of the face (pure protocol code)
- import: a clinic file of 500 patients with 4 assessments each, into SQLite, one transaction
- demo: the whole sample clinic, from migration to aftercare sheet
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from microneedling.core.clinical import Indication
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import load_knowledge
from microneedling.protocol.planning import DeviceRange, Grade, propose_plan
from microneedling.records.database import Database
from microneedling.services.demo import run_demo
from microneedling.services.importer import ClinicFile, import_clinic

N_PATIENTS = 500


def test_plan_whole_face(benchmark: BenchmarkFixture) -> None:
    knowledge = load_knowledge()
    grades = {z: Grade("glogau", 1 + i % 4) for i, z in enumerate(FacialZone)}
    device = DeviceRange("pen", 0.2, 3.0)
    plan = benchmark(
        propose_plan, Indication.PHOTOAGEING, list(FacialZone), grades, knowledge, device=device
    )
    assert len(plan.zones) == len(FacialZone)


def large_clinic() -> ClinicFile:
    zones = itertools.cycle(["cheek_left", "cheek_right", "chin", "forehead"])
    return ClinicFile.model_validate(
        {
            "patients": [
                {
                    "code": f"B-{i:05d}",
                    "birth_year": 1950 + i % 50,
                    "fitzpatrick": "III",
                    "assessments": [
                        {"zone": next(zones), "scale": "glogau", "score": 1 + i % 4, "rater": "x"}
                        for _ in range(4)
                    ],
                }
                for i in range(N_PATIENTS)
            ]
        }
    )


def test_import_500_patients(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    knowledge = load_knowledge()
    clinic = large_clinic()
    counter = itertools.count()

    def setup() -> tuple[tuple[Database], dict[str, object]]:
        db = Database.from_url(f"sqlite:///{tmp_path / f'bench{next(counter)}.sqlite3'}")
        db.upgrade()
        return (db,), {}

    def run(db: Database) -> dict[str, int]:
        with db.transaction("bench") as s:
            return import_clinic(s, knowledge, clinic)

    counts = benchmark.pedantic(run, setup=setup, rounds=3)
    assert counts["patients"] == N_PATIENTS
    assert counts["assessments"] == 4 * N_PATIENTS


def test_demo(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    knowledge = load_knowledge()
    counter = itertools.count()

    def setup() -> tuple[tuple[Database], dict[str, object]]:
        return (Database.from_url(f"sqlite:///{tmp_path / f'demo{next(counter)}.sqlite3'}"),), {}

    summary = benchmark.pedantic(lambda db: run_demo(db, knowledge), setup=setup, rounds=3)
    assert summary["session"]["phase"] == "completed"


@pytest.fixture(autouse=True)
def _quiet_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
